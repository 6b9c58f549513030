"""A new user registers, signs out and in, tops up and withdraws — in a real browser."""

import re
import uuid

from playwright.sync_api import expect


def test_register_sign_in_top_up_and_withdraw(page, mailbox):
    email = f"journey-{uuid.uuid4().hex[:8]}@example.com"
    page.goto("/")
    page.get_by_role("link", name="Register").click()

    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Full name").fill("Journey Tester")
    page.get_by_label("Shipping address").fill("5 Browser Road, Chromeville")
    page.get_by_label("Password", exact=True).fill("journey-pass-1")
    page.get_by_label("Repeat password").fill("journey-pass-1")
    page.get_by_role("button", name="Create account").click()
    # The 6-digit code comes by e-mail (caught by a real SMTP server); it confirms the address and signs in.
    code_field = page.get_by_label("6-digit code")
    expect(code_field).to_be_visible()
    code_field.fill(mailbox.code(email))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("Welcome to Bazaar, Journey Tester!")

    # Sign out through the account menu (a POST form with its CSRF token).
    page.get_by_role("button", name="Journey Tester").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert")).to_contain_text("You are signed out.")

    # A wrong password first, then the right one.
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("E-mail or password is incorrect.")
    page.get_by_label("Password").fill("journey-pass-1")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Welcome back, Journey Tester.")

    page.get_by_role("link", name=re.compile(r"\$0\.00")).click()
    expect(page).to_have_url(re.compile(r"/account/balance$"))
    page.get_by_label("Amount to add").fill("250.75")
    page.get_by_role("button", name="Add money").click()
    expect(page.get_by_role("alert")).to_contain_text("Added $250.75. Your balance is $250.75.")
    expect(page.get_by_test_id("balance")).to_have_text("$250.75")

    # Too much is refused and nothing changes.
    page.get_by_label("Amount to withdraw").fill("1000")
    page.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_text("You cannot withdraw $1,000.00: your balance is $250.75.")).to_be_visible()
    expect(page.get_by_test_id("balance")).to_have_text("$250.75")

    page.get_by_label("Amount to withdraw").fill("50.25")
    page.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_role("alert")).to_contain_text("Withdrew $50.25. Your balance is $200.50.")
    expect(page.get_by_test_id("balance")).to_have_text("$200.50")
    history = page.get_by_role("table")
    expect(history.get_by_role("row")).to_have_count(3)  # header, withdrawal, top-up
    expect(history.get_by_role("row").nth(1)).to_contain_text("Withdrawal")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("$200.50")
