"""E-mail in a real browser: register and confirm with the code from the caught mail, then forget
the password and set a new one through the link from the caught mail."""

import re
import uuid

from playwright.sync_api import expect


def test_register_with_the_emailed_code_then_reset_the_password(page, mailbox):
    email = f"mail-journey-{uuid.uuid4().hex[:8]}@example.com"
    page.goto("/register")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Full name").fill("Mail Journey")
    page.get_by_label("Shipping address").fill("3 Inbox Lane")
    page.get_by_label("Password", exact=True).fill("first-password-1")
    page.get_by_label("Repeat password").fill("first-password-1")
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(r"/register/confirm$"))
    expect(page.get_by_text(f"Enter the 6-digit code we sent to {email}")).to_be_visible()
    # A wrong code first: refused with the tries left, still signed out.
    code = mailbox.code(email)
    page.get_by_label("6-digit code").fill(f"{(int(code) + 1) % 10**6:06d}")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("That code is not right: 4 tries left.")).to_be_visible()
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("Welcome to Bazaar, Mail Journey!")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Mail Journey")
    expect(page.get_by_test_id("verify-banner")).to_have_count(0)

    # Signed out, the password forgotten: a link by e-mail sets a new one.
    page.get_by_role("button", name="Mail Journey").click()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    page.goto(mailbox.link(email, "/reset-password/"))
    expect(page).to_have_url(re.compile(r"/reset-password$"))  # the token is gone from the address bar
    page.get_by_label("New password", exact=True).fill("second-password-2")
    page.get_by_label("Repeat new password").fill("second-password-2")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("alert")).to_contain_text("Your password is changed")

    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("second-password-2")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Welcome back, Mail Journey.")
