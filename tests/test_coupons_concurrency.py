"""Coupon limits and points under real concurrency: buyers on two gunicorn servers released at once,
and every promotion path at once on the same rows (threads, each on its own connection).

These tests commit (marker `concurrency`); the tables are emptied after each one.
"""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.models import cart, checkout, coupon, order, points, purchase, sale
from bench.http_bench import Session, gunicorn
from db.check import INVARIANTS
from tests import factories
from tests.conftest import TEST_PASSWORD
from tests.journey import make_older
from tests.test_checkout_concurrency import run_together
from tests.test_mixed_race import ServerLog
from tests.test_multi_server import SERVER_ENV

pytestmark = pytest.mark.concurrency

BOOKS = (
    "coupons: uses",
    "coupons: no buyer",
    "coupons: a use",
    "orders: paid",
    "orders: coupon discounts",
    "users: points balance",
    "points ledger",
    "points: spent",
    "points: earned on delivery",
    "points: a refunded line",
    "platform ledger",
    "money: top-ups",
)


def fetch(app, sql, **params):
    with app.extensions["bazaar_db"].engine.connect() as connection:
        return connection.execute(text(sql), params).mappings().all()


def scalar(app, sql, **params):
    return next(iter(fetch(app, sql, **params)[0].values()))


def invariant(app, start: str) -> int:
    """Violations of the db/check.py invariant whose name starts with `start`, on the committed data."""
    return scalar(app, next(sql for name, sql in INVARIANTS if name.startswith(start)))


def assert_books_balance(app):
    """Every promotion invariant of db/check.py holds."""
    assert {start: invariant(app, start) for start in BOOKS} == dict.fromkeys(BOOKS, 0)


def new_coupon(app, seller_id, code, **fields) -> int:
    fields.setdefault("percent_off", Decimal("10"))
    with app.app_context():
        return coupon.create_coupon(seller_id, code, **fields)


def signed_in(base: str, email: str, code: str) -> tuple[Session, dict]:
    """A buyer's session with the coupon applied, and the review page's "Place order" form."""
    session = Session(base)
    session.login(email, TEST_PASSWORD)
    status, body = session.post("/cart/coupon", {"code": code})
    assert status == 200 and code in body, body[:500]
    review = session.page("/checkout")
    form = {
        "token": re.search(r'name="token" type="hidden" value="([^"]+)"', review).group(1),
        "expected_total": re.search(r'name="expected_total" type="hidden" value="([^"]+)"', review).group(1),
    }
    return session, form


def release_together(entries: list[tuple[Session, dict]]) -> list[tuple[int, str]]:
    barrier = threading.Barrier(len(entries))

    def place(entry):
        session, form = entry
        barrier.wait()
        return session.post("/checkout", form)

    with ThreadPoolExecutor(max_workers=len(entries)) as pool:
        return list(pool.map(place, entries))


def test_fifty_buyers_on_two_servers_race_for_ten_uses(app, actions, database_url):
    seller = actions.create_user(full_name="Coupon Seller")
    product = factories.product(app, seller["id"], name="Popular Kettle")
    factories.offer(app, seller["id"], product["id"], price="20.00", quantity=500)
    new_coupon(app, seller["id"], "FIRST10", max_uses=10)
    buyers = [actions.create_user(balance="30.00") for _ in range(50)]
    with app.app_context():
        for buyer in buyers:
            cart.set_line(buyer["id"], seller["id"], product["id"], 1)
    log = ServerLog()

    env = SERVER_ENV | {"GUNICORN_CMD_ARGS": "--threads 8"}
    with gunicorn(1, database_url, env) as first, gunicorn(1, database_url, env) as second:
        servers = [first, second]
        with ThreadPoolExecutor(max_workers=4) as pool:
            entries = list(
                pool.map(lambda item: signed_in(servers[item[0] % 2], item[1]["email"], "FIRST10"), enumerate(buyers))
            )
        results = release_together(entries)
        ours = {row["pid"] for row in fetch(app, "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")}

    statuses = [status for status, _ in results]
    assert set(statuses) <= {200, 409}, statuses
    placed = [body for status, body in results if "Your order is placed" in body]
    refused = [body for status, body in results if status == 409]
    assert len(placed) == 10 and len(refused) == 40
    assert all("FIRST10 has been used up" in body for body in refused)
    assert scalar(app, "SELECT uses FROM coupons WHERE code = 'FIRST10'") == 10
    assert scalar(app, "SELECT count(*) FROM orders WHERE seller_discount = 2.00") == 10
    # Nothing changed for the forty refused: their money and carts are as they were.
    assert scalar(app, "SELECT count(*) FROM users WHERE balance = 30.00") == 40
    assert scalar(app, "SELECT count(*) FROM cart_lines") == 40
    assert log.deadlocks(ours) == []
    assert_books_balance(app)


def test_one_buyer_in_two_tabs_on_two_servers_uses_a_once_per_buyer_coupon_once(app, actions, database_url):
    seller = actions.create_user()
    product = factories.product(app, seller["id"], name="Tabbed Toaster")
    factories.offer(app, seller["id"], product["id"], price="40.00", quantity=50)
    new_coupon(app, None, "ONCEEACH", per_buyer_limit=1)
    buyer = actions.create_user(balance="200.00")
    with app.app_context():
        cart.set_line(buyer["id"], seller["id"], product["id"], 2)

    with gunicorn(1, database_url, SERVER_ENV) as first, gunicorn(1, database_url, SERVER_ENV) as second:
        tabs = [signed_in(base, buyer["email"], "ONCEEACH") for base in (first, second, first, second)]
        results = release_together(tabs)

    assert sum("Your order is placed" in body for _, body in results) == 1
    assert scalar(app, "SELECT uses FROM coupons WHERE code = 'ONCEEACH'") == 1
    assert scalar(app, "SELECT count(*) FROM coupon_uses") == 1
    assert scalar(app, "SELECT balance FROM users WHERE id = :id", id=buyer["id"]) == Decimal("128.00")
    assert_books_balance(app)


def _earn(app, buyer_id, seller_id, product_id, quantity) -> int:
    """A delivered purchase: the buyer earns its points."""
    with app.app_context():
        cart.set_line(buyer_id, seller_id, product_id, quantity)
        placed = checkout.place_order(buyer_id, checkout.new_token())
        [line] = fetch(app, "SELECT id FROM orders WHERE purchase_id = :p", p=placed.purchase_id)
        order.mark_shipped(seller_id, [line["id"]], "Post", None)
        order.confirm_receipt(line["id"], placed.purchase_id, buyer_id)
    return placed.purchase_id


def test_every_promotion_path_at_once_on_one_coupon_one_offer_and_the_buyers_points(app, actions):
    """Checkouts with the coupon and points, whole purchases cancelled (uses restored), a second
    cancellation of the same line, the points expiry job, a sale starting and the sales job, a
    restock, a pause and a resume of the coupon, and deliveries earning points — all released
    together; afterwards the limit held, nothing was counted twice and the books balance."""
    seller = actions.create_user(full_name="Busy Seller")
    product = factories.product(app, seller["id"], name="Contested Clock")
    factories.offer(app, seller["id"], product["id"], price="30.00", quantity=200)
    buyers = [actions.create_user(balance="400.00") for _ in range(12)]
    for buyer in buyers:  # 300 points each, from a delivered purchase
        _earn(app, buyer["id"], seller["id"], product["id"], 10)
    new_coupon(app, seller["id"], "CLOCK", max_uses=6, per_buyer_limit=2)
    earlier = []
    with app.app_context():
        for buyer in buyers[:4]:  # four uses taken by purchases that will be cancelled
            cart.set_line(buyer["id"], seller["id"], product["id"], 1)
            earlier.append((checkout.place_order(buyer["id"], checkout.new_token(), coupon_codes=["CLOCK"]), buyer))
        shipped = []
        for buyer in buyers[4:6]:  # two lines waiting for delivery
            cart.set_line(buyer["id"], seller["id"], product["id"], 1)
            placed = checkout.place_order(buyer["id"], checkout.new_token())
            [line] = fetch(app, "SELECT id FROM orders WHERE purchase_id = :p", p=placed.purchase_id)
            order.mark_shipped(seller["id"], [line["id"]], "Post", None)
            shipped.append((line["id"], placed.purchase_id, buyer))
        for buyer in buyers:
            cart.set_line(buyer["id"], seller["id"], product["id"], 1)
    # Some points are old enough to expire: they came in 13 months ago, with the deliveries that earned them.
    old_buyers = [buyer["id"] for buyer in buyers[8:]]
    with app.extensions["bazaar_db"].engine.begin() as connection:
        connection.execute(
            text("UPDATE points_ledger SET created_at = created_at - interval '396 days' WHERE user_id = ANY(:ids)"),
            {"ids": old_buyers},
        )
    for row in fetch(app, "SELECT id FROM orders WHERE buyer_id = ANY(:ids) AND status = 'delivered'", ids=old_buyers):
        make_older(app, row["id"], 396)

    def checkout_with(buyer):
        return lambda: checkout.place_order(
            buyer["id"], checkout.new_token(), coupon_codes=["CLOCK"], points_to_spend=100
        )

    def cancel(placed, buyer):
        [line] = fetch(app, "SELECT id FROM orders WHERE purchase_id = :p", p=placed.purchase_id)
        return lambda: purchase.cancel_line(line["id"], placed.purchase_id, buyer["id"])

    def job(run):
        def in_transaction():
            with app.extensions["bazaar_db"].transaction() as conn:
                return run(conn)

        return in_transaction

    jobs = [checkout_with(buyer) for buyer in buyers]
    jobs += [cancel(placed, buyer) for placed, buyer in earlier] + [cancel(*earlier[0])]
    jobs += [job(points.expire_due), job(sale.end_expired)]
    jobs += [lambda: sale.start_sale(seller["id"], product["id"], Decimal("29.00"), None)]
    jobs += [lambda: coupon.set_paused(scalar(app, "SELECT id FROM coupons"), seller["id"], False)]
    jobs += [lambda line=line: order.confirm_receipt(*line[:2], line[2]["id"]) for line in shipped]
    results = run_together(app, jobs)

    assert not [result for result in results if isinstance(result, Exception) and not _expected(result)], results
    uses = scalar(app, "SELECT uses FROM coupons WHERE code = 'CLOCK'")
    assert uses <= 6
    assert uses == scalar(app, "SELECT count(*) FROM coupon_uses WHERE restored_at IS NULL")
    assert scalar(app, "SELECT count(*) FROM coupon_uses WHERE restored_at IS NOT NULL") == 4
    assert scalar(app, "SELECT count(*) FROM points_ledger WHERE kind = 'refund'") == 0  # none spent on those lines
    assert scalar(app, "SELECT min(points_balance) FROM users") >= 0
    assert_books_balance(app)


def _expected(result) -> bool:
    """Refusals a racing actor may get: the coupon's limit, a line already cancelled."""
    return isinstance(result, checkout.CheckoutFailed | purchase.CancelFailed)
