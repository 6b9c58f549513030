"""Every stock and money writer takes its row locks in the order of app/models/locks.py.

Each test lines two writers up on the same product deterministically: a third connection
holds the product row, the first writer is started and left waiting, then the second; the
holder lets go. Writers that lock in one order then run one after the other; writers that
lock in opposite orders deadlock. No retry may hide it: a retry logs a warning, and these
tests fail on any. Runs outside the per-test transaction (marker `concurrency`).
"""

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.models import cart, checkout, offer, order, purchase, review
from tests import factories
from tests.test_checkout_concurrency import assert_books_balance

pytestmark = pytest.mark.concurrency


def fetch_value(app, sql, **params):
    with app.extensions["bazaar_db"].engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def count_lock_waits(app) -> int:
    """How many other sessions of this database wait for a lock right now."""
    return fetch_value(
        app,
        """
        SELECT count(*) FROM pg_stat_activity
        WHERE datname = current_database()
          AND wait_event_type = 'Lock'
          AND pid <> pg_backend_pid()
        """,
    )


def wait_for_lock_waits(app, wanted: int) -> None:
    deadline = time.monotonic() + 10
    while count_lock_waits(app) < wanted:
        assert time.monotonic() < deadline, f"expected {wanted} sessions waiting for a lock"
        time.sleep(0.01)


LOCK_ONE_ROW = {
    "products": "SELECT 1 FROM products WHERE id = :id FOR NO KEY UPDATE",
    "orders": "SELECT 1 FROM orders WHERE id = :id FOR NO KEY UPDATE",
}


def queued_behind(app, table: str, row_id: int, first, second) -> list:
    """Run `first`, then `second`, each left waiting behind a holder of one row of `table`
    (products or orders); release the row and return both outcomes (an exception is
    returned, not raised)."""
    engine = app.extensions["bazaar_db"].engine

    def call(function):
        with app.app_context():
            try:
                return function()
            except Exception as error:  # noqa: BLE001 - the test reports whatever the writer raised
                return error

    with engine.connect() as holder, ThreadPoolExecutor(max_workers=2) as pool:
        holder.execute(text(LOCK_ONE_ROW[table]), {"id": row_id})
        futures = [pool.submit(call, first)]
        wait_for_lock_waits(app, 1)
        futures.append(pool.submit(call, second))
        wait_for_lock_waits(app, 2)
        holder.rollback()
        return [future.result(timeout=30) for future in futures]


@pytest.fixture
def shop(app, actions):
    """A seller's offer with a bought line to cancel and a buyer with it in their cart."""
    seller = actions.create_user(full_name="Lock Seller")
    product = factories.product(app, seller["id"], name="Locked Widget")
    factories.offer(app, seller["id"], product["id"], price="10.00", quantity=20)
    buyer = actions.create_user(balance="100.00")
    shopper = actions.create_user(balance="100.00")
    with app.app_context():
        cart.set_line(buyer["id"], seller["id"], product["id"], 2)
        purchase_id = checkout.place_order(buyer["id"], checkout.new_token()).purchase_id
        cart.set_line(shopper["id"], seller["id"], product["id"], 3)
    line_id = fetch_value(app, "SELECT id FROM orders WHERE purchase_id = :p", p=purchase_id)
    return {
        "seller": seller,
        "product": product,
        "buyer": buyer,
        "shopper": shopper,
        "purchase_id": purchase_id,
        "line_id": line_id,
    }


def _cancel(shop):
    return lambda: purchase.cancel_line(shop["line_id"], shop["purchase_id"], shop["buyer"]["id"])


def _checkout(shop):
    return lambda: checkout.place_order(shop["shopper"]["id"], checkout.new_token())


def _restock(shop):
    seller_id, product_id = shop["seller"]["id"], shop["product"]["id"]
    return lambda: offer.update_offer(seller_id, product_id, Decimal("10.00"), 30, 18)


def _price_change(shop):
    seller_id, product_id = shop["seller"]["id"], shop["product"]["id"]
    return lambda: offer.update_offer(seller_id, product_id, Decimal("11.00"), 18, 18)


def _remove(shop):
    return lambda: offer.remove_offer(shop["seller"]["id"], shop["product"]["id"])


def _ship(shop):
    return lambda: order.mark_shipped(shop["seller"]["id"], [shop["line_id"]], "UPS", None)


def _review(shop):
    product_id, buyer_id = shop["product"]["id"], shop["buyer"]["id"]
    return lambda: review.save_review("product", product_id, buyer_id, 4, "Fine", "It works.")


WRITERS = {
    "cancel": _cancel,
    "checkout": _checkout,
    "restock": _restock,
    "price change": _price_change,
    "removal": _remove,
    "shipping": _ship,
    "review": _review,
}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("cancel", "checkout"),  # the deadlock of issue 11: cancel locked the product before the offer
        ("checkout", "cancel"),
        ("cancel", "restock"),
        ("cancel", "price change"),
        ("cancel", "removal"),
        ("restock", "checkout"),
        ("cancel", "review"),
        ("review", "checkout"),
    ],
)
def test_two_writers_on_one_product_wait_instead_of_deadlocking(app, shop, caplog, first, second):
    caplog.set_level(logging.WARNING)
    outcomes = queued_behind(app, "products", shop["product"]["id"], WRITERS[first](shop), WRITERS[second](shop))

    # A refusal (a restock that meets the stock a cancellation just changed) is a fine outcome.
    refusals = (checkout.CheckoutFailed, purchase.CancelFailed, offer.OfferError)
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception) and not isinstance(outcome, refusals)]
    assert not [record for record in caplog.records if "retry" in record.getMessage()]
    assert_books_balance(app)
    summary = fetch_value(
        app,
        """
        SELECT p.total_stock = coalesce(sum(o.quantity) FILTER (WHERE o.is_active), 0)
        FROM products AS p
        LEFT JOIN offers AS o ON o.product_id = p.id
        WHERE p.id = :p
        GROUP BY p.id
        """,
        p=shop["product"]["id"],
    )
    assert summary


@pytest.mark.parametrize("first", ["cancel", "shipping"])
def test_cancel_and_ship_of_one_line_wait_for_each_other(app, shop, first):
    """Shipping takes no product lock: the line's row lock orders the two, the first wins."""
    second = "shipping" if first == "cancel" else "cancel"
    outcomes = queued_behind(app, "orders", shop["line_id"], WRITERS[first](shop), WRITERS[second](shop))

    cancelled, marked = outcomes if first == "cancel" else outcomes[::-1]
    if first == "cancel":
        assert cancelled.refunded == Decimal("20.00") and marked == []
    else:
        assert marked == [shop["line_id"]] and "already shipped" in str(cancelled)
    assert_books_balance(app)


def test_a_user_locked_by_email_still_lets_rows_refer_to_them(app, actions):
    """A password reset (or an e-mail change's check) locks the account it finds by e-mail; an
    order line or ledger row that refers to that user meanwhile takes a KEY SHARE lock through its
    foreign key, which FOR UPDATE would make wait (a seller's sales stalled behind their reset)."""
    from app.models import user as user_model

    seller = actions.create_user()
    engine = app.extensions["bazaar_db"].engine
    with engine.connect() as holder, engine.connect() as referrer, holder.begin():
        assert user_model.get_user_by_email_for_update(holder, seller["email"].upper())["id"] == seller["id"]
        with referrer.begin():
            referrer.execute(text("SET LOCAL lock_timeout = '1s'"))
            locked = referrer.execute(
                text("SELECT id FROM users WHERE id = :id FOR KEY SHARE"), {"id": seller["id"]}
            ).scalar()
            assert locked == seller["id"]
