"""Passkeys in Chromium with a virtual authenticator (Chrome DevTools Protocol WebAuthn domain):
add one on /account/security, sign out, sign in with it; once removed it signs nobody in."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import _console_error
from tests.conftest import TEST_PASSWORD, Actions


@pytest.fixture
def passkey_page(browser, live_server):
    """A page on http://localhost:… (browsers refuse an IP address as a passkey's site) with a
    virtual platform authenticator that verifies the user (as a fingerprint would) on every use."""
    # The live server listens on 127.0.0.1, where localhost points.
    context = browser.new_context(base_url=live_server.replace("127.0.0.1", "localhost"))
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: _console_error(message, errors))
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    authenticator = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    page.credentials = lambda: devtools.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]}
    )["credentials"]
    yield page
    context.close()
    assert errors == []


def sign_out(page, full_name: str) -> None:
    page.get_by_role("button", name=full_name).click()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("You are signed out.")


def test_register_a_passkey_sign_out_and_sign_in_with_it(app, passkey_page):
    page = passkey_page
    full_name = f"Passkey Tester {uuid.uuid4().hex[:6]}"
    user = Actions(app, app.test_client()).create_user(full_name=full_name)

    page.goto("/login")
    page.get_by_label("E-mail").fill(user["email"])
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(f"Welcome back, {full_name}.")

    page.goto("/account/security")
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
    page.get_by_label("Passkey name").fill("Virtual laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("alert")).to_contain_text("Passkey “Virtual laptop” added.")
    passkeys = page.get_by_role("list", name="Your passkeys")
    expect(passkeys).to_contain_text("Virtual laptop")
    expect(passkeys).to_contain_text("never used")
    stored = page.credentials()
    assert len(stored) == 1 and stored[0]["isResidentCredential"]

    # The same authenticator cannot add a second passkey for the same account.
    page.get_by_label("Passkey name").fill("Again")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#passkey-register-status")).to_contain_text("already holds a passkey")

    sign_out(page, full_name)
    page.goto("/login?next=/account/security")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Welcome back, {full_name}.")
    expect(page).to_have_url(f"{page.url.split('/account')[0]}/account/security")
    expect(page.get_by_role("list", name="Your passkeys")).to_contain_text("last used")

    # Removed (after a confirmation page), the passkey no longer signs anyone in.
    page.get_by_role("link", name="Remove… passkey Virtual laptop").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remove the passkey")
    page.get_by_role("button", name="Remove passkey Virtual laptop").click()
    expect(page.get_by_role("alert")).to_contain_text("The passkey is removed")
    sign_out(page, full_name)
    page.goto("/login")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.locator("#passkey-sign-in-status")).to_contain_text("not registered on Bazaar")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
