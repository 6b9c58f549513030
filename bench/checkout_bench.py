"""Checkout under load, through gunicorn: latency of a 10-line cart, and throughput of
concurrent checkouts on distinct products and on one hot product with 1, 2 and 4 workers;
with --promotions, the latency of the same cart with a coupon and points against without them.

It creates its own buyers, sellers, products and offers in the target database through the
app's model functions (ledger rows and inventory events included), so the data stays
consistent and `./setup.sh check` still passes afterwards.

    DATABASE_URL=… env/bin/python -m bench.checkout_bench [--requests 200] [--clients 8] [--promotions]
"""

import argparse
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy import text

from app import create_app
from app.models import balance, cart
from app.passwords import hash_password
from bench.http_bench import Session, gunicorn, percentile
from tests import factories

PASSWORD = "bench-password"  # noqa: S105 - the bench's own throwaway users
ENV = {"SECRET_KEY": "checkout-bench", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}


def make_user(app, label: str, money: str = "0"):
    from app.models import user as user_model

    with app.test_request_context():
        user_id = user_model.create_user(
            f"bench-{label}-{uuid.uuid4().hex[:10]}@example.org",
            f"Bench {label}",
            "1 Bench Road",
            hash_password(PASSWORD),
            verified=True,  # only confirmed addresses may place orders
        )
        if Decimal(money):
            balance.top_up(user_id, Decimal(money))
        return user_model.get_user(user_id)


def make_offers(app, seller_id: int, count: int, stock: int = 100_000) -> list[int]:
    """`count` new products offered by the seller; return their ids."""
    category = factories.category(app)
    products = []
    with app.app_context():
        for number in range(count):
            product = factories.product(app, seller_id, category["id"], name=f"Bench item {number}")
            factories.offer(app, seller_id, product["id"], price="1.00", quantity=stock)
            products.append(product["id"])
    return products


def fill_cart(app, buyer_id: int, seller_id: int, product_ids: list[int]) -> None:
    with app.app_context():
        for product_id in product_ids:
            cart.set_line(buyer_id, seller_id, product_id, 1)


def checkout_once(session: Session) -> bool:
    """Place the order with a fresh one-time token, as the cart page's form would; True if placed.

    The token is any new UUID (the server only needs it unused), so the loop skips
    rendering the cart page and measures the checkout itself.
    """
    try:
        _timed_post(session, "/cart/checkout", {"token": str(uuid.uuid4())})
    except RuntimeError:
        return False
    return True


def latency_of_ten_line_checkout(app, database_url: str, requests: int) -> dict:
    """p50/p95 of the app's time for "Place order" on a 10-line cart (one client)."""
    seller = make_user(app, "seller")
    products = make_offers(app, seller["id"], 10)
    buyer = make_user(app, "buyer", "10000")
    server_times = []
    with gunicorn(4, database_url, ENV) as base:
        session = Session(base)
        session.login(buyer["email"], PASSWORD)
        for number in range(requests):
            if number % 900 == 899:  # keep the buyer in funds
                with app.test_request_context():
                    balance.top_up(buyer["id"], Decimal("9000"))
            fill_cart(app, buyer["id"], seller["id"], products)
            page = session.page("/checkout")  # the review page carries the one-time token (issue 15)
            token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
            timing = _timed_post(session, "/cart/checkout", {"token": token, "expected_total": "10.00"})
            server_times.append(timing)
    return {"p50": percentile(server_times, 0.5), "p95": percentile(server_times, 0.95), "n": len(server_times)}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Stop at the 302 so the timing read is the checkout's, not the page it leads to."""

    def redirect_request(self, *args, **kwargs):
        return None


def _timed_post(session: Session, path: str, data: dict) -> float:
    """POST without following the redirect; return the app's own time from Server-Timing."""
    request = urllib.request.Request(  # noqa: S310 - loopback only
        session.base + path, data=urllib.parse.urlencode(data | {"csrf_token": session.csrf_token()}).encode()
    )
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(session.jar), _NoRedirect())
    try:
        response = opener.open(request, timeout=60)
    except urllib.error.HTTPError as error:
        response = error
    body = response.read().decode(errors="replace")
    match = re.search(r"app;dur=([\d.]+)", response.headers.get("Server-Timing", ""))
    if response.status != 302:
        said = re.findall(r'class="alert[^"]*"[^>]*>\s*([^<]+)', body)[:2]
        raise RuntimeError(f"checkout answered {response.status}: {said}")
    return float(match.group(1))


def give_points(app, buyer_id: int, seller_id: int, dollars: int) -> None:
    """Points as a member earns them: a purchase of `dollars`, shipped and delivered (a point a dollar)."""
    from app.models import checkout, order

    product = factories.product(app, seller_id, name="Bench gift card")["id"]
    factories.offer(app, seller_id, product, price=f"{dollars}.00", quantity=1)
    with app.app_context():
        cart.set_line(buyer_id, seller_id, product, 1)
        placed = checkout.place_order(buyer_id, checkout.new_token())
        with app.extensions["bazaar_db"].engine.connect() as connection:
            line_id = connection.execute(
                text("SELECT id FROM orders WHERE purchase_id = :purchase_id"), {"purchase_id": placed.purchase_id}
            ).scalar()
        order.mark_shipped(seller_id, [line_id], "Bench post", None)
        order.confirm_receipt(line_id, placed.purchase_id, buyer_id)


def promotions_latency(app, database_url: str, requests: int) -> dict:
    """p50/p95 server time of "Place order" on a 10-line cart, alternately plain and with a 10 %
    seller coupon and 400 points (applied on the cart page beforehand, outside the timing)."""
    from app.models import coupon

    seller = make_user(app, "seller")
    products = make_offers(app, seller["id"], 10)
    buyer = make_user(app, "buyer", "10000")
    give_points(app, buyer["id"], seller["id"], 9_000)
    with app.test_request_context():
        balance.top_up(buyer["id"], Decimal("9000"))  # what the points cost, back in the balance
    code = f"BENCH{uuid.uuid4().hex[:8].upper()}"
    with app.app_context():
        coupon.create_coupon(seller["id"], code, percent_off=Decimal("10"), per_buyer_limit=1000)
    times: dict[bool, list[float]] = {False: [], True: []}
    try:
        with gunicorn(4, database_url, ENV) as base:
            session = Session(base)
            session.login(buyer["email"], PASSWORD)
            for number in range(2 * requests):
                promoted = number % 2 == 1
                if number % 900 == 899:  # keep the buyer in funds
                    with app.test_request_context():
                        balance.top_up(buyer["id"], Decimal("9000"))
                fill_cart(app, buyer["id"], seller["id"], products)
                if promoted:
                    session.post("/cart/coupon", {"code": code})
                    session.post("/cart/points", {"points": "400"})
                times[promoted].append(_timed_post(session, "/cart/checkout", {"token": str(uuid.uuid4())}))
    except subprocess.TimeoutExpired:
        pass  # gunicorn slow to stop on a loaded machine: every figure is in already
    return {
        promoted: {"p50": percentile(found, 0.5), "p95": percentile(found, 0.95), "n": len(found)}
        for promoted, found in times.items()
    }


def throughput(app, database_url: str, workers: int, clients: int, seconds: float, hot: bool) -> float:
    """Checkouts per second with `clients` buyers looping on 1-line carts."""
    seller = make_user(app, "seller")
    products = make_offers(app, seller["id"], 1 if hot else clients)
    buyers = [make_user(app, "buyer", "10000") for _ in range(clients)]
    done = []
    stop = threading.Event()
    with gunicorn(workers, database_url, ENV) as base:
        sessions = []
        for buyer in buyers:
            session = Session(base)
            session.login(buyer["email"], PASSWORD)
            sessions.append(session)

        def loop(index: int) -> None:
            product_id = products[0 if hot else index]
            while not stop.is_set():
                fill_cart(app, buyers[index]["id"], seller["id"], [product_id])
                if checkout_once(sessions[index]):
                    done.append(time.perf_counter())

        with ThreadPoolExecutor(max_workers=clients) as pool:
            started = time.perf_counter()
            for index in range(clients):
                pool.submit(loop, index)
            time.sleep(seconds)
            stop.set()
        elapsed = time.perf_counter() - started
    return len(done) / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="checkouts measured for the latency figure")
    parser.add_argument("--clients", type=int, default=8, help="concurrent buyers for the throughput figures")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each throughput run")
    parser.add_argument("--promotions", action="store_true", help="only: with a coupon and points against without")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL") or parser.error("set DATABASE_URL")
    app = create_app({"DATABASE_URL": database_url, "PASSWORD_HASH_METHOD": ENV["PASSWORD_HASH_METHOD"]})
    if args.promotions:
        found = promotions_latency(app, database_url, args.requests)
        plain, promoted = found[False], found[True]
        print(f"10-line checkout, server time over {plain['n']} orders each (ms):")
        print(f"{'':>22} {'p50':>8} {'p95':>8}")
        print(f"{'plain':>22} {plain['p50']:>8.1f} {plain['p95']:>8.1f}")
        print(f"{'coupon + 400 points':>22} {promoted['p50']:>8.1f} {promoted['p95']:>8.1f}")
        print(f"{'ratio':>22} {promoted['p50'] / plain['p50']:>8.2f} {promoted['p95'] / plain['p95']:>8.2f}")
        app.extensions["bazaar_db"].engine.dispose()
        return 0

    latency = latency_of_ten_line_checkout(app, database_url, args.requests)
    print(
        f"10-line checkout, server time over {latency['n']} orders: "
        f"p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms"
    )
    print(f"\nThroughput, {args.clients} concurrent buyers, {args.seconds:.0f} s per run (checkouts/s):")
    print(f"{'workers':>8} {'distinct products':>18} {'one hot product':>16} {'hot/distinct':>13}")
    for workers in (1, 2, 4):
        distinct = throughput(app, database_url, workers, args.clients, args.seconds, hot=False)
        hot = throughput(app, database_url, workers, args.clients, args.seconds, hot=True)
        print(f"{workers:>8} {distinct:>18.0f} {hot:>16.0f} {hot / distinct:>13.2f}")
    app.extensions["bazaar_db"].engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
