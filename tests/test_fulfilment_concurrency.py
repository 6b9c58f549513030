"""Shipping and cancelling the same lines at the same moment: exactly one wins per line.

Runs outside the per-test transaction (marker `concurrency`); the tables are emptied after.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from app.models import cart, checkout, order, purchase
from tests import factories
from tests.test_checkout_concurrency import assert_books_balance

pytestmark = pytest.mark.concurrency

ROUNDS = 40


def fetch(app, sql, **params):
    with app.extensions["bazaar_db"].engine.connect() as connection:
        return connection.execute(text(sql), params).mappings().all()


def race(app, first, second):
    """Run two functions on two threads released by one barrier; return both outcomes."""
    barrier = threading.Barrier(2)

    def call(function):
        with app.app_context():
            barrier.wait()
            try:
                return function()
            except purchase.CancelFailed as failure:
                return failure

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(call, [first, second]))


def test_cancel_and_ship_race_on_the_same_lines(app, actions):
    seller = actions.create_user(full_name="Racing Seller")
    product = factories.product(app, seller["id"], name="Contended Widget")
    other = factories.product(app, seller["id"], name="Second Widget")
    factories.offer(app, seller["id"], product["id"], price="10.00", quantity=ROUNDS * 2)
    factories.offer(app, seller["id"], other["id"], price="4.00", quantity=ROUNDS)
    buyer = actions.create_user(balance=str(ROUNDS * 30))
    purchases = []
    with app.app_context():
        for _ in range(ROUNDS):
            cart.set_line(buyer["id"], seller["id"], product["id"], 2)
            cart.set_line(buyer["id"], seller["id"], other["id"], 1)
            purchases.append(checkout.place_order(buyer["id"], checkout.new_token()).purchase_id)
    wins = {"fulfilled": 0, "cancelled": 0}

    for purchase_id in purchases:
        lines = fetch(app, "SELECT id, product_id FROM orders WHERE purchase_id = :p ORDER BY id", p=purchase_id)
        contended = next(row["id"] for row in lines if row["product_id"] == product["id"])
        # The seller marks both lines of the purchase while the buyer cancels one of them.
        marked, cancelled = race(
            app,
            lambda lines=lines: order.mark_shipped(seller["id"], [row["id"] for row in lines], "UPS", "1Z999"),
            lambda line=contended, purchase_id=purchase_id: purchase.cancel_line(line, purchase_id, buyer["id"]),
        )
        cancel_won = not isinstance(cancelled, purchase.CancelFailed)
        assert (contended in marked) != cancel_won, (marked, cancelled)
        assert len(marked) == (1 if cancel_won else 2)  # the uncontended line is always marked
        wins["cancelled" if cancel_won else "fulfilled"] += 1
        if not cancel_won:
            assert "already shipped" in str(cancelled)

    both = fetch(app, "SELECT count(*) AS n FROM orders WHERE fulfilled_at IS NOT NULL AND cancelled_at IS NOT NULL")
    assert both[0]["n"] == 0
    neither = fetch(app, "SELECT count(*) AS n FROM orders WHERE fulfilled_at IS NULL AND cancelled_at IS NULL")
    assert neither[0]["n"] == 0
    cancelled = fetch(app, "SELECT count(*) AS n FROM orders WHERE cancelled_at IS NOT NULL")[0]["n"]
    assert cancelled == wins["cancelled"]
    # Stock: each cancellation returned its 2 units; fulfilment took nothing more.
    offer = fetch(app, "SELECT quantity FROM offers WHERE product_id = :p", p=product["id"])[0]
    assert offer["quantity"] == 2 * cancelled
    summary = fetch(app, "SELECT units_sold, total_stock FROM products WHERE id = :p", p=product["id"])[0]
    assert summary["units_sold"] == 2 * (ROUNDS - cancelled)
    # Money: the buyer paid for what was not cancelled; the seller holds exactly that, pending delivery.
    paid = fetch(app, "SELECT coalesce(sum(line_total), 0) AS total FROM orders WHERE cancelled_at IS NULL")[0]["total"]
    held = fetch(app, "SELECT balance, pending_balance FROM users WHERE id = :id", id=seller["id"])[0]
    assert held["pending_balance"] == paid and held["balance"] == 0
    assert_books_balance(app)
