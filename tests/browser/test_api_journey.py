"""The seller API in Chromium: a token made on /account/tokens works once copied, and Swagger UI
at /api/docs draws the description with no CSP violation or script error (the page fixture fails
on any console error)."""

import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboards import sign_in


def api_status(url: str, token: str) -> int:
    """The status of a GET with the token, as a tool outside the browser sends it."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the test server
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


@pytest.fixture
def seller(app, actions):
    return actions.create_user(email="api-seller@example.com", full_name="Api Seller")


def test_a_token_made_on_the_page_calls_the_api_until_revoked(page, live_server, seller):
    sign_in(page, seller["email"])
    page.goto("/account/tokens")
    page.get_by_label("Name").fill("Stock sync")
    page.get_by_label("read — read offers, sales and the catalog").check()
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("bzr_")
    assert api_status(f"{live_server}/api/v1/offers", token) == 200
    page.get_by_role("link", name="Revoke…").click()
    page.get_by_role("button", name="Revoke it").click()
    expect(page.get_by_text("Revoked", exact=True)).to_be_visible()
    assert api_status(f"{live_server}/api/v1/offers", token) == 401


def test_swagger_ui_draws_the_description_under_the_csp(page):
    page.goto("/api/docs")
    expect(page.get_by_role("heading", name="Bazaar seller API")).to_be_visible()
    expect(page.get_by_text("/api/v1/offers/{product_id}").first).to_be_visible()
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
