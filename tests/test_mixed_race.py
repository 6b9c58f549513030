"""Every stock and money path at once on ONE offer, through two gunicorn servers.

Checkouts, cancellations, restocks, price changes, shipping, confirmations of receipt and
accepted returns that restock, 36 actors released together over HTTP, with the delivery and
escrow-release jobs running in this process at the same moment: no response is a 5xx (a
deadlock would be one, or a 503 once its retries ran out), PostgreSQL logs no deadlock for
this database's sessions, the offer's stock equals its inventory events, every balance
(available and pending) its ledger and each seller's pending money what their lines hold,
and the money in all balances is what was topped up minus what was withdrawn.
"""

import os
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from app.models import cart, checkout, escrow, order
from bench.http_bench import Session, gunicorn
from tests import factories
from tests.conftest import TEST_PASSWORD
from tests.journey import make_everyone_older, make_older
from tests.test_checkout_concurrency import assert_books_balance
from tests.test_multi_server import SERVER_ENV

pytestmark = pytest.mark.concurrency

STOCK = 20
PRICE = "10.00"
EARLIER_BUYERS = 14  # each bought one unit before the race: lines to cancel, ship, confirm, return, release
# Which of the earlier lines each later step starts from (the rest are placed: to cancel and to ship).
SHIPPED_LONG_AGO = slice(8, 10)  # receipt confirmed by the buyer while the delivery job runs
RETURN_ASKED = slice(10, 12)  # the seller accepts the return, restocking the contested offer
PAST_THE_WINDOW = slice(12, 14)  # delivered 31 days ago: the release job pays the seller
DEADLOCK = re.compile(r"\[(\d+)\] ERROR:  deadlock detected")


def fetch(app, sql, **params):
    with app.extensions["bazaar_db"].engine.connect() as connection:
        return connection.execute(text(sql), params).mappings().all()


class ServerLog:
    """The part of the embedded server's log written since this object was made."""

    def __init__(self) -> None:
        from db import embedded

        # With DATABASE_URL the server and its log are someone else's: nothing to read.
        self.path = None if os.environ.get("DATABASE_URL") else embedded.PGDATA / "log"
        self.start = self.path.stat().st_size if self.path else 0

    def deadlocks(self, pids: set[int]) -> list[str]:
        """Deadlock reports of these backends (other runs may share the server) since then."""
        if self.path is None:
            return []
        with self.path.open("rb") as log:
            log.seek(self.start)
            written = log.read().decode(errors="replace")
        return [line for line in written.splitlines() if (found := DEADLOCK.search(line)) and int(found[1]) in pids]


def signed_in(base: str, email: str) -> Session:
    session = Session(base)
    session.login(email, TEST_PASSWORD)
    session.csrf_token()  # read now, so the race itself only posts
    return session


def make_shop(app, actions) -> dict:
    """The offer, earlier buyers with one bought unit each, and shoppers with two in their cart."""
    seller = actions.create_user(full_name="Busy Seller")
    product = factories.product(app, seller["id"], name="Contested Lamp")
    factories.offer(app, seller["id"], product["id"], price=PRICE, quantity=STOCK)
    earlier = [actions.create_user(balance="30.00") for _ in range(EARLIER_BUYERS)]
    shoppers = [actions.create_user(balance="50.00") for _ in range(12)]
    with app.app_context():
        for buyer in earlier:
            cart.set_line(buyer["id"], seller["id"], product["id"], 1)
            checkout.place_order(buyer["id"], checkout.new_token())
        for shopper in shoppers:
            cart.set_line(shopper["id"], seller["id"], product["id"], 2)
    email_of = {user["id"]: user["email"] for user in earlier}
    lines = fetch(app, "SELECT id, purchase_id, buyer_id FROM orders ORDER BY id")
    _advance(app, seller, lines)
    return {
        "seller": seller,
        "product_id": product["id"],
        "shoppers": [shopper["email"] for shopper in shoppers],
        "lines": [dict(line, email=email_of[line["buyer_id"]]) for line in lines],
    }


def _advance(app, seller, lines) -> None:
    """Move the later earlier lines on: shipped long ago, returns asked, delivered past the window."""
    make_everyone_older(app)
    with app.test_request_context():
        ids = [line["id"] for line in lines[SHIPPED_LONG_AGO] + lines[RETURN_ASKED] + lines[PAST_THE_WINDOW]]
        order.mark_shipped(seller["id"], ids, "UPS", "1Z999")
        for line in lines[RETURN_ASKED] + lines[PAST_THE_WINDOW]:
            order.confirm_receipt(line["id"], line["purchase_id"], line["buyer_id"])
        for line in lines[RETURN_ASKED]:
            order.request_return(line["id"], line["purchase_id"], line["buyer_id"], "Not as described.")
    for line in lines[SHIPPED_LONG_AGO]:
        make_older(app, line["id"], 15)
    for line in lines[PAST_THE_WINDOW]:
        make_older(app, line["id"], 31)


def seller_forms(in_stock: int) -> list[dict]:
    """Four restocks from the stock the seller saw, and four price-only changes."""
    restocks = [{"price": PRICE, "quantity": str(in_stock + more)} for more in (5, 5, 2, 2)]
    prices = [{"price": price, "quantity": str(in_stock)} for price in ("12.00", "9.00", "12.00", "9.00")]
    return [form | {"expected_quantity": str(in_stock)} for form in restocks + prices]


def sign_in_actors(servers: list[str], shop: dict) -> list[tuple]:
    """(session, path, form) for 32 actors, their sessions spread over both servers."""
    lines, cancelled, confirmed = shop["lines"][:8], shop["lines"][:8], shop["lines"][SHIPPED_LONG_AGO]
    logins = [(servers[number % 2], email) for number, email in enumerate(shop["shoppers"])]
    logins += [(servers[number % 2], line["email"]) for number, line in enumerate(cancelled + confirmed)]
    logins += [(server, shop["seller"]["email"]) for server in servers]  # the seller, in a tab on each server
    with ThreadPoolExecutor(max_workers=4) as pool:
        sessions = list(pool.map(lambda login: signed_in(*login), logins))
    shoppers, cancellers, confirmers, seller_tabs = sessions[:12], sessions[12:20], sessions[20:22], sessions[22:]
    # Half the shoppers say the total they saw (refused if a price change came first).
    actors = [
        (session, "/cart/checkout", {"token": str(uuid.uuid4()), "expected_total": "20.00" if number % 2 else ""})
        for number, session in enumerate(shoppers)
    ]
    actors += [
        (session, f"/purchases/{line['purchase_id']}/lines/{line['id']}/cancel", {})
        for session, line in zip(cancellers, cancelled, strict=True)
    ]
    actors += [
        (session, f"/purchases/{line['purchase_id']}/lines/{line['id']}/receipt", {})
        for session, line in zip(confirmers, confirmed, strict=True)
    ]
    actors += [
        (seller_tabs[number % 2], f"/seller/orders/{line['id']}/return/accept", {"restock": "yes"})
        for number, line in enumerate(shop["lines"][RETURN_ASKED])
    ]
    offer_page = f"/seller/inventory/{shop['product_id']}"
    actors += [
        (seller_tabs[number % 2], offer_page, form) for number, form in enumerate(seller_forms(STOCK - EARLIER_BUYERS))
    ]
    # Overlapping sets of lines, most of them being cancelled at the same moment.
    actors += [
        (
            seller_tabs[number % 2],
            "/seller/orders/ship",
            {"order_ids": [str(line["id"]) for line in lines[at : at + 4]], "carrier": "DHL", "tracking_number": "JD1"},
        )
        for number, at in enumerate((0, 2, 4, 6))
    ]
    return actors


def jobs_in_process(app) -> list:
    """The delivery and release jobs, each as a worker runs it: one transaction."""

    def job(work):
        def run():
            with app.test_request_context(), app.extensions["bazaar_db"].transaction() as conn:
                return (200, str(work(conn)))

        return run

    return [job(order.deliver_overdue), job(escrow.release_due)]


def release_together(actors: list) -> list[tuple[int, str]]:
    """Send every actor's request (or run its function) at the same moment; return (status, body) of each."""
    barrier = threading.Barrier(len(actors))

    def act(actor):
        if callable(actor):
            barrier.wait()
            return actor()
        session, path, form = actor
        barrier.wait()
        return session.post(path, form)

    with ThreadPoolExecutor(max_workers=len(actors)) as pool:
        return list(pool.map(act, actors))


def test_every_stock_path_at_once_on_one_offer(app, actions, database_url):
    shop = make_shop(app, actions)
    log = ServerLog()

    # One process per server, its threads serving requests side by side: as many transactions
    # at once as four sync workers a server would give, for a fraction of the start-up.
    server_env = SERVER_ENV | {"GUNICORN_CMD_ARGS": "--threads 8"}
    with gunicorn(1, database_url, server_env) as first, gunicorn(1, database_url, server_env) as second:
        actors = sign_in_actors([first, second], shop) + jobs_in_process(app)
        results = release_together(actors)
        ours = {row["pid"] for row in fetch(app, "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")}

    statuses = [status for status, _ in results]
    assert len(actors) >= 36
    assert set(statuses) <= {200, 409}, statuses  # placed/saved/marked, or refused with a reason: never a 5xx
    assert log.deadlocks(ours) == []
    assert any("Your order is placed" in body for _, body in results)
    assert_books_balance(app)
    money = fetch(
        app,
        """
        SELECT (SELECT sum(balance + pending_balance) FROM users) AS held,
               (SELECT sum(amount) FROM balance_ledger WHERE kind IN ('top_up', 'withdrawal')) AS paid_in
        """,
    )[0]
    assert money["held"] == money["paid_in"]
    lines = fetch(
        app,
        """
        SELECT count(*) FILTER (WHERE fulfilled_at IS NOT NULL AND cancelled_at IS NOT NULL) AS both_ways,
               coalesce(sum(quantity) FILTER (WHERE cancelled_at IS NULL), 0) AS sold
        FROM orders
        """,
    )[0]
    product = fetch(
        app,
        """
        SELECT p.total_stock, p.units_sold, o.quantity
        FROM products AS p
        JOIN offers AS o ON o.product_id = p.id
        WHERE p.id = :p
        """,
        p=shop["product_id"],
    )[0]
    assert lines["both_ways"] == 0
    assert product["total_stock"] == product["quantity"] and product["units_sold"] == lines["sold"]
    # Each of the later steps happened exactly once, whoever raced it.
    states = fetch(app, "SELECT status, count(*) AS n FROM orders GROUP BY status")
    counts = {row["status"]: row["n"] for row in states}
    assert counts["refunded"] == 2
    assert fetch(app, "SELECT count(*) AS n FROM orders WHERE released_at IS NOT NULL")[0]["n"] == 2
    delivered = fetch(app, "SELECT count(*) AS n FROM mail_outbox WHERE template = 'order_delivered'")[0]["n"]
    assert delivered == 4 + 2  # before the race (returns asked, past the window), then one per confirmed line
