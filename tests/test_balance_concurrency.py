"""Balances under real concurrency: many connections at once, each committing."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.models import balance

pytestmark = pytest.mark.concurrency


def _fetch(app, sql, **params):
    with app.extensions["bazaar_db"].engine.connect() as connection:
        return connection.execute(text(sql), params).mappings().first()


def test_concurrent_withdrawals_never_overdraw(app, actions):
    user = actions.create_user(balance="100.00")

    def attempt(_):
        with app.test_request_context():
            try:
                balance.withdraw(user["id"], Decimal("15.00"))
                return True
            except balance.InsufficientFunds:
                return False

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(attempt, range(24)))

    assert results.count(True) == 6  # 6 × $15 = $90; a seventh would overdraw
    row = _fetch(app, "SELECT balance FROM users WHERE id = :id", id=user["id"])
    assert row["balance"] == Decimal("10.00")
    ledger = _fetch(
        app,
        "SELECT sum(amount) AS total, min(balance_after) AS lowest FROM balance_ledger WHERE user_id = :id",
        id=user["id"],
    )
    assert ledger["total"] == row["balance"] and ledger["lowest"] >= 0


def test_concurrent_top_ups_and_withdrawals_keep_the_ledger_equal_to_the_balance(app, actions):
    user = actions.create_user(balance="50.00")

    def attempt(number):
        with app.test_request_context():
            try:
                if number % 2:
                    balance.top_up(user["id"], Decimal("3.00"))
                else:
                    balance.withdraw(user["id"], Decimal("7.00"))
            except balance.InsufficientFunds:
                pass

    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(attempt, range(60)))

    row = _fetch(
        app,
        """
        SELECT u.balance, sum(l.amount) AS total, bool_and(l.balance_after >= 0) AS never_negative
        FROM users AS u JOIN balance_ledger AS l ON l.user_id = u.id
        WHERE u.id = :id
        GROUP BY u.balance
        """,
        id=user["id"],
    )
    assert row["balance"] == row["total"] and row["balance"] >= 0 and row["never_negative"]
    # Each ledger row's balance_after is the running sum: no lost update hid between them.
    running = _fetch(
        app,
        """
        SELECT count(*) AS wrong FROM (
            SELECT balance_after, sum(amount) OVER (ORDER BY id) AS running
            FROM balance_ledger WHERE user_id = :id
        ) AS entries
        WHERE balance_after <> running
        """,
        id=user["id"],
    )
    assert running["wrong"] == 0


@pytest.mark.parametrize("operation", ["top_up", "withdraw"])
def test_one_form_token_sent_many_times_at_once_applies_once(app, actions, operation):
    user = actions.create_user(balance="100.00")
    token = "0b8f5c3e-2f43-4c55-9a3c-6f1f2b0f7d11"
    barrier = threading.Barrier(8)

    def submit(_):
        with app.test_request_context():
            barrier.wait()
            return getattr(balance, operation)(user["id"], Decimal("10.00"), token)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(submit, range(8)))

    assert sum(not result.repeated for result in results) == 1
    expected = Decimal("110.00") if operation == "top_up" else Decimal("90.00")
    assert {result.balance for result in results} == {expected}
    row = _fetch(
        app,
        "SELECT balance, (SELECT count(*) FROM balance_ledger WHERE user_id = :id) AS entries "
        "FROM users WHERE id = :id",
        id=user["id"],
    )
    assert row["balance"] == expected
    assert row["entries"] == 2  # the fixture's top-up and this one
