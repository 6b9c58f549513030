"""Member points: /account/points (balance, what expires soon, the ledger that sums to the balance) and
spending that cannot overdraw, even when many spends race for the same points."""

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.models import cart, checkout, order, points
from tests import factories
from tests.conftest import query_one
from tests.test_checkout_concurrency import run_together


def earn(app, buyer_id: int, seller_id: int, dollars: str) -> int:
    """A delivered purchase of `dollars`: its points are earned. Returns the purchase id."""
    product = factories.product(app, seller_id)
    factories.offer(app, seller_id, product["id"], price=dollars, quantity=1)
    with app.test_request_context():
        cart.set_line(buyer_id, seller_id, product["id"], 1)
        placed = checkout.place_order(buyer_id, checkout.new_token())
        line_id = query_one(app, "SELECT id FROM orders WHERE purchase_id = :p", p=placed.purchase_id)["id"]
        order.mark_shipped(seller_id, [line_id], "Post", None)
        order.confirm_receipt(line_id, placed.purchase_id, buyer_id)
    return placed.purchase_id


def test_the_points_page_shows_the_balance_its_ledger_and_what_expires(app, actions, client):
    seller = actions.create_user()
    buyer = actions.signed_in_user(balance="500.00")
    earn(app, buyer["id"], seller["id"], "123.45")
    earn(app, buyer["id"], seller["id"], "80.00")
    # The first 123 points came in eleven and a half months ago: they expire within 30 days.
    query_one(
        app,
        """
        UPDATE points_ledger SET created_at = now() - interval '345 days'
        WHERE id = (SELECT min(id) FROM points_ledger WHERE user_id = :id) RETURNING id
        """,
        id=buyer["id"],
    )
    page = client.get("/account/points").get_data(as_text=True)
    assert 'data-testid="points-balance">203<' in page
    assert "worth $2.03" in page
    assert "123 of them expire in the next 30 days" in page
    assert page.count("Earned") == 2
    ledger = query_one(app, "SELECT sum(points) AS total FROM points_ledger WHERE user_id = :id", id=buyer["id"])
    with app.app_context():
        assert ledger["total"] == points.get_balance(buyer["id"]) == 203


def test_a_member_without_points_and_a_guest(app, actions, client):
    assert client.get("/account/points").status_code == 302  # to sign in
    actions.signed_in_user()
    page = client.get("/account/points").get_data(as_text=True)
    assert "No points yet" in page and 'data-testid="points-balance">0<' in page


@pytest.mark.concurrency
def test_twenty_spends_at_once_never_take_more_points_than_there_are(app, actions):
    seller = actions.create_user()
    buyer = actions.create_user(balance="2000.00")
    earn(app, buyer["id"], seller["id"], "1000.00")  # 1,000 points
    engine = app.extensions["bazaar_db"].engine
    with engine.begin() as connection:
        purchases = [
            connection.execute(
                text("INSERT INTO purchases (buyer_id, checkout_token, total) VALUES (:b, :t, 0) RETURNING id"),
                {"b": buyer["id"], "t": str(uuid.uuid4())},
            ).scalar()
            for _ in range(20)
        ]

    def spend(purchase_id):
        def attempt():
            with app.extensions["bazaar_db"].transaction() as conn:
                return points.spend(conn, buyer["id"], purchase_id, 300)

        return attempt

    results = run_together(app, [spend(purchase_id) for purchase_id in purchases])

    assert sorted(result for result in results if result is not None) == [100, 400, 700]
    assert results.count(None) == 17
    with engine.connect() as connection:
        row = connection.execute(
            text(
                """
                SELECT u.points_balance, (SELECT sum(points) FROM points_ledger WHERE user_id = u.id) AS ledger
                FROM users AS u WHERE u.id = :id
                """
            ),
            {"id": buyer["id"]},
        ).one()
    assert row.points_balance == row.ledger == 100
    assert Decimal(row.points_balance) >= 0


def test_points_earned_while_below_zero_fill_the_balance(app, actions):
    """A refund takes back points already spent (the balance goes below zero); the next delivery
    earns fewer points than are owed, and its row leaves the balance below zero, still filling it."""
    seller = actions.create_user()
    buyer = actions.create_user(balance="500.00")
    first = earn(app, buyer["id"], seller["id"], "49.00")  # 49 points
    product = factories.product(app, seller["id"])
    factories.offer(app, seller["id"], product["id"], price="10.00", quantity=1)
    with app.test_request_context():
        cart.set_line(buyer["id"], seller["id"], product["id"], 1)
        second = checkout.place_order(buyer["id"], checkout.new_token(), points_to_spend=49).purchase_id
        line_id = query_one(app, "SELECT id FROM orders WHERE purchase_id = :p", p=first)["id"]
        order.request_return(line_id, first, buyer["id"], "Broken.")
        order.accept_return(line_id, seller["id"], restock=False)
    assert points_balance(app, buyer["id"]) == -49
    with app.test_request_context():
        line_id = query_one(app, "SELECT id FROM orders WHERE purchase_id = :p", p=second)["id"]
        order.mark_shipped(seller["id"], [line_id], "Post", None)
        order.confirm_receipt(line_id, second, buyer["id"])  # $9.51 paid: 9 points
    assert points_balance(app, buyer["id"]) == -40
    kinds = query_one(
        app, "SELECT array_agg(kind ORDER BY id) AS kinds FROM points_ledger WHERE user_id = :id", id=buyer["id"]
    )["kinds"]
    assert kinds == ["earn", "spend", "reverse", "earn"]


def points_balance(app, user_id: int) -> int:
    return query_one(app, "SELECT points_balance FROM users WHERE id = :id", id=user_id)["points_balance"]
