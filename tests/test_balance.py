"""Top-ups, withdrawals and the ledger."""

import re
import uuid
from decimal import Decimal

import pytest

from tests.conftest import query_one


def balance_form(amount: str, request_token: str | None = None) -> dict:
    """A top-up or withdrawal form as the page submits it, with its one-time token."""
    return {"amount": amount, "request_token": request_token or str(uuid.uuid4())}


def balance_of(app, user_id):
    return query_one(app, "SELECT balance FROM users WHERE id = :id", id=user_id)["balance"]


def ledger_of(app, user_id):
    return query_one(
        app,
        "SELECT count(*) AS entries, coalesce(sum(amount), 0) AS total FROM balance_ledger WHERE user_id = :id",
        id=user_id,
    )


def test_top_up_and_withdraw(app, client, actions):
    user = actions.signed_in_user()
    response = actions.post("/account/balance/top-up", balance_form("120.50"))
    assert response.status_code == 302
    assert actions.post("/account/balance/withdraw", balance_form("20.25")).status_code == 302
    assert balance_of(app, user["id"]) == Decimal("100.25")
    ledger = ledger_of(app, user["id"])
    assert ledger["entries"] == 2 and ledger["total"] == Decimal("100.25")
    page = client.get("/account/balance").get_data(as_text=True)
    assert "$100.25" in page and "Top-up" in page and "Withdrawal" in page and "-$20.25" in page


def test_flash_message_says_what_happened(client, actions):
    actions.signed_in_user()
    response = actions.post("/account/balance/top-up", balance_form("5"), follow_redirects=True)
    assert "Added $5.00. Your balance is $5.00." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Enter an amount like 25"),
        ("0", "Enter an amount from $0.01"),
        ("-5", "Enter an amount like 25"),
        ("abc", "Enter an amount like 25"),
        ("1.234", "Enter an amount like 25"),
        ("NaN", "Enter an amount like 25"),
        ("Infinity", "Enter an amount like 25"),
        ("1e3", "Enter an amount like 25"),
        ("10000.01", "Enter an amount from $0.01 to $10,000.00"),
        ("99999999999999999999", "Enter an amount like 25"),
        ("5; DROP TABLE users", "Enter an amount like 25"),
        ("<b>5</b>", "Enter an amount like 25"),
        ("٥", "Enter an amount like 25"),  # an Arabic-Indic five
        ("1,50", "Enter an amount like 25"),  # a decimal comma is not a thousands separator
    ],
)
def test_top_up_refuses_bad_amounts(app, actions, amount, message):
    user = actions.signed_in_user()
    response = actions.post("/account/balance/top-up", balance_form(amount))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert balance_of(app, user["id"]) == 0
    assert ledger_of(app, user["id"])["entries"] == 0


def test_amount_formats_that_are_accepted(app, actions):
    user = actions.signed_in_user()
    for amount in ["7", "7.5", "$7.50", " 1,000.00 "]:
        assert actions.post("/account/balance/top-up", balance_form(amount)).status_code == 302
    assert balance_of(app, user["id"]) == Decimal("1022.00")


def test_withdrawal_beyond_the_balance_is_refused(app, actions):
    user = actions.signed_in_user(balance="10.00")
    response = actions.post("/account/balance/withdraw", balance_form("10.01"))
    assert response.status_code == 400
    assert "You cannot withdraw $10.01: your balance is $10.00." in response.get_data(as_text=True)
    assert balance_of(app, user["id"]) == Decimal("10.00")
    assert ledger_of(app, user["id"])["entries"] == 1


def test_balance_ceiling(app, actions):
    from app.models.balance import MAX_BALANCE

    user = actions.signed_in_user()
    with app.test_request_context():
        from app.models import balance

        balance.top_up(user["id"], MAX_BALANCE - Decimal("5"))
    response = actions.post("/account/balance/top-up", balance_form("5.01"))
    assert response.status_code == 400
    assert "may not exceed $1,000,000.00" in response.get_data(as_text=True)
    assert balance_of(app, user["id"]) == MAX_BALANCE - Decimal("5")


def test_balance_forms_need_csrf_and_sign_in(app, client, actions):
    user = actions.signed_in_user()
    assert client.post("/account/balance/top-up", data=balance_form("5")).status_code == 400
    actions.logout()
    assert actions.post("/account/balance/top-up", balance_form("5")).status_code == 302  # to the login page
    assert balance_of(app, user["id"]) == 0


def test_ledger_is_newest_first_and_paginated(app, client, actions):
    actions.signed_in_user()
    for cents in range(1, 26):
        actions.post("/account/balance/top-up", balance_form(f"0.{cents:02d}"))
    first = client.get("/account/balance").get_data(as_text=True)
    assert "25 entries" in first and "+$0.25" in first and "+$0.01" not in first
    second = client.get("/account/balance?page=2").get_data(as_text=True)
    assert "+$0.01" in second and "+$0.25" not in second
    for page in ["-3", "abc", "99999999"]:
        assert client.get(f"/account/balance?page={page}").status_code == 200


def test_the_balance_page_runs_a_fixed_number_of_queries(client, actions, count_queries):
    actions.signed_in_user(balance="50")
    counts = []
    for _ in range(2):
        with count_queries() as statements:
            assert client.get("/account/balance").status_code == 200
        counts.append(len(statements))
        for _ in range(30):
            actions.post("/account/balance/top-up", balance_form("1"))
    assert counts[0] == counts[1] <= 4


def test_a_double_submitted_top_up_applies_once(app, client, actions):
    user = actions.signed_in_user()
    form = balance_form("25.00")
    assert actions.post("/account/balance/top-up", form).status_code == 302
    again = actions.post("/account/balance/top-up", form, follow_redirects=True)
    assert "This top-up was already made. Your balance is $25.00." in again.get_data(as_text=True)
    assert query_one(app, "SELECT balance FROM users WHERE id = :id", id=user["id"])["balance"] == Decimal("25.00")
    entries = query_one(app, "SELECT count(*) AS n FROM balance_ledger WHERE user_id = :id", id=user["id"])
    assert entries["n"] == 1


def test_a_double_submitted_withdrawal_applies_once(app, client, actions):
    user = actions.signed_in_user(balance="50.00")
    form = balance_form("20.00")
    assert actions.post("/account/balance/withdraw", form).status_code == 302
    assert actions.post("/account/balance/withdraw", form).status_code == 302
    assert query_one(app, "SELECT balance FROM users WHERE id = :id", id=user["id"])["balance"] == Decimal("30.00")


@pytest.mark.parametrize("request_token", ["", "not-a-uuid", "'; DROP TABLE users; --", "\x00"])
def test_a_missing_or_malformed_form_token_changes_nothing(app, client, actions, request_token):
    user = actions.signed_in_user()
    response = actions.post("/account/balance/top-up", {"amount": "5", "request_token": request_token})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form has expired" in page
    assert re.search(r'name="request_token" type="hidden" value="[0-9a-f-]{36}"', page)  # can be sent again
    assert query_one(app, "SELECT balance FROM users WHERE id = :id", id=user["id"])["balance"] == Decimal("0")


def test_a_rejected_top_up_amount_does_not_reappear_in_the_withdraw_field(client, actions):
    actions.signed_in_user()
    page = actions.post("/account/balance/top-up", balance_form("99999")).get_data(as_text=True)
    withdraw = page[page.index('id="withdraw-amount"') - 200 : page.index('id="withdraw-amount"') + 200]
    assert "99999" not in withdraw
