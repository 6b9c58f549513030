"""The money path under real concurrency: threads, each on its own connection, committing.

These tests run outside the per-test transaction (marker `concurrency`); the tables are
emptied after each one.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.models import balance, cart, checkout, purchase
from tests import factories

pytestmark = pytest.mark.concurrency


def fetch(app, sql, **params):
    with app.extensions["bazaar_db"].engine.connect() as connection:
        return connection.execute(text(sql), params).mappings().all()


def run_together(app, functions):
    """Start every function at the same moment on its own thread; return their results."""
    barrier = threading.Barrier(len(functions))

    def call(function):
        with app.app_context():
            barrier.wait()
            try:
                return function()
            except (checkout.CheckoutFailed, purchase.CancelFailed, balance.InsufficientFunds) as failure:
                return failure

    with ThreadPoolExecutor(max_workers=len(functions)) as pool:
        return list(pool.map(call, functions))


def in_cart(app, buyer_id, seller_id, product_id, quantity=1):
    with app.app_context():
        cart.set_line(buyer_id, seller_id, product_id, quantity)


def assert_books_balance(app):
    """Both balances of every user (available and pending) equal their ledger rows and are not
    negative; each seller's pending money is what their unsettled lines and fees hold; every stock
    equals its events."""
    wrong_balances = fetch(
        app,
        """
        SELECT u.id FROM users AS u
        LEFT JOIN balance_ledger AS l ON l.user_id = u.id
        GROUP BY u.id
        HAVING u.balance <> coalesce(sum(l.amount) FILTER (WHERE l.account = 'available'), 0)
            OR u.pending_balance <> coalesce(sum(l.amount) FILTER (WHERE l.account = 'pending'), 0)
            OR u.balance < 0 OR u.pending_balance < 0
        """,
    )
    wrong_escrow = fetch(
        app,
        """
        SELECT u.id FROM users AS u
        WHERE u.pending_balance <> (
            SELECT coalesce(sum(o.held_amount), 0) FROM orders AS o
            WHERE o.seller_id = u.id AND o.released_at IS NULL AND o.status NOT IN ('cancelled', 'refunded')
        ) + (
            SELECT coalesce(sum(s.fee), 0) FROM shipments AS s
            WHERE s.seller_id = u.id AND s.fee_settled_at IS NULL
        )
        """,
    )
    wrong_stock = fetch(
        app,
        """
        SELECT o.seller_id, o.product_id FROM offers AS o
        LEFT JOIN inventory_events AS e ON e.seller_id = o.seller_id AND e.product_id = o.product_id
        GROUP BY o.seller_id, o.product_id
        HAVING o.quantity <> coalesce(sum(e.delta), 0) OR o.quantity < 0
        """,
    )
    assert wrong_balances == []
    assert wrong_escrow == []
    assert wrong_stock == []


def test_twenty_buyers_race_for_the_last_five_units(app, actions):
    seller = actions.create_user()
    product = factories.product(app, seller["id"], name="Last Units")
    factories.offer(app, seller["id"], product["id"], price="10.00", quantity=5)
    buyers = [actions.create_user(balance="50.00") for _ in range(20)]
    for buyer in buyers:
        in_cart(app, buyer["id"], seller["id"], product["id"])

    results = run_together(
        app, [lambda buyer=buyer: checkout.place_order(buyer["id"], checkout.new_token()) for buyer in buyers]
    )

    placed = [result for result in results if isinstance(result, checkout.Placed)]
    assert len(placed) == 5
    failures = [result for result in results if isinstance(result, checkout.CheckoutFailed)]
    assert len(failures) == 15
    assert all("sold out" in failure.problems[0] for failure in failures)
    offer = fetch(app, "SELECT quantity FROM offers WHERE product_id = :p", p=product["id"])[0]
    assert offer["quantity"] == 0
    sold = fetch(app, "SELECT sum(quantity) AS n FROM orders WHERE product_id = :p", p=product["id"])[0]
    assert sold["n"] == 5
    summary = fetch(app, "SELECT total_stock, units_sold FROM products WHERE id = :p", p=product["id"])[0]
    assert summary["total_stock"] == 0 and summary["units_sold"] == 5
    assert_books_balance(app)


def test_two_checkouts_at_once_with_money_for_one(app, actions):
    seller = actions.create_user()
    product = factories.product(app, seller["id"])
    factories.offer(app, seller["id"], product["id"], price="30.00", quantity=100)
    buyer = actions.create_user(balance="40.00")
    in_cart(app, buyer["id"], seller["id"], product["id"])

    results = run_together(app, [lambda: checkout.place_order(buyer["id"], checkout.new_token()) for _ in range(2)])

    assert sum(isinstance(result, checkout.Placed) for result in results) == 1
    row = fetch(app, "SELECT balance FROM users WHERE id = :id", id=buyer["id"])[0]
    assert row["balance"] == Decimal("10.00")
    assert_books_balance(app)


def test_the_same_token_at_once_makes_one_purchase(app, actions):
    seller = actions.create_user()
    product = factories.product(app, seller["id"])
    factories.offer(app, seller["id"], product["id"], price="5.00", quantity=100)
    buyer = actions.create_user(balance="100.00")
    in_cart(app, buyer["id"], seller["id"], product["id"], 2)
    token = checkout.new_token()

    results = run_together(app, [lambda: checkout.place_order(buyer["id"], token) for _ in range(4)])

    assert all(isinstance(result, checkout.Placed) for result in results)
    assert len({result.purchase_id for result in results}) == 1
    assert sum(not result.already_placed for result in results) == 1
    assert fetch(app, "SELECT count(*) AS n FROM purchases")[0]["n"] == 1
    assert fetch(app, "SELECT balance FROM users WHERE id = :id", id=buyer["id"])[0]["balance"] == Decimal("90.00")


def test_money_is_conserved_across_concurrent_checkouts_cancellations_and_top_ups(app, actions):
    sellers = [actions.create_user() for _ in range(3)]
    products = []
    for number in range(6):
        product = factories.product(app, sellers[number % 3]["id"], name=f"Mixed {number}")
        for seller in sellers:
            factories.offer(app, seller["id"], product["id"], price=f"{3 + number}.25", quantity=4)
        products.append(product)
    buyers = [actions.create_user(balance="60.00") for _ in range(8)]
    for index, buyer in enumerate(buyers):
        for step in range(3):  # overlapping carts, so buyers contend for the same offers
            product = products[(index + step) % len(products)]
            in_cart(app, buyer["id"], sellers[(index + step) % 3]["id"], product["id"], 1 + step % 2)
    before = fetch(app, "SELECT sum(balance + pending_balance) AS total FROM users")[0]["total"]

    jobs = [lambda buyer=buyer: checkout.place_order(buyer["id"], checkout.new_token()) for buyer in buyers]
    jobs += [lambda buyer=buyer: balance.top_up(buyer["id"], Decimal("7.00")) for buyer in buyers[:3]]
    jobs += [lambda seller=seller: balance.withdraw(seller["id"], Decimal("5.00")) for seller in sellers]
    results = run_together(app, jobs)
    withdrawn = Decimal("5.00") * sum(isinstance(result, Decimal) for result in results[-3:])

    open_lines = fetch(app, "SELECT id, purchase_id, buyer_id FROM orders ORDER BY id")
    cancels = [
        lambda line=line: purchase.cancel_line(line["id"], line["purchase_id"], line["buyer_id"])
        for line in open_lines[::2]
    ]
    # Two cancellations of the same line race each other too: only one may refund.
    cancels += [cancels[0]]
    outcomes = run_together(app, cancels)
    assert sum(isinstance(outcome, purchase.Cancelled) for outcome in outcomes[:1] + outcomes[-1:]) == 1

    after = fetch(app, "SELECT sum(balance + pending_balance) AS total FROM users")[0]["total"]
    assert after == before + Decimal("21.00") - withdrawn
    assert_books_balance(app)
    totals = fetch(
        app,
        """
        SELECT count(*) AS wrong FROM purchases AS p
        WHERE p.total <> (SELECT sum(line_total) FROM orders WHERE purchase_id = p.id)
        """,
    )
    assert totals[0]["wrong"] == 0
