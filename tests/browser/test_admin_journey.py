"""The console in Chromium: an administrator suspends a user, takes a product down, hides a
reported review, answers feedback, adds a department and finds it all in the audit log, at
1366 px; then every console page at 390 px. No page scrolls sideways, none logs a script error
or a CSP violation."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import _console_error
from tests.conftest import TEST_PASSWORD, Actions
from tests.sales import buy

LAPTOP, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture
def console_world(app):
    """A shop with a sale, a reported review and feedback; an administrator (all committed)."""
    from sqlalchemy import text

    from app.models import feedback, review_report

    run = uuid.uuid4().hex[:6]
    people = Actions(app, app.test_client())
    admin = people.create_user(email=f"admin-{run}@example.com", full_name="Ada Admin")
    seller = people.create_user(email=f"seller-{run}@example.com", full_name=f"Sly Seller {run}")
    buyer = people.create_user(email=f"buyer-{run}@example.com", full_name="Bo Buyer", balance="200")
    reporter = people.create_user(full_name="Rae Reporter")
    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(text("UPDATE users SET role = 'administrator' WHERE id = :id"), {"id": admin["id"]})
    department = factories.department(app, name=f"Home {run}")
    category = factories.category(app, department["id"], name="Clocks")
    product = factories.product(app, seller["id"], category["id"], name=f"Cuckoo Clock {run}")
    factories.offer(app, seller["id"], product["id"], price="55.00", quantity=3)
    buy(app, buyer, [(seller, product, category, 1)], datetime.now(UTC) - timedelta(hours=2))
    review = factories.product_review(app, product["id"], buyer["id"], rating=1, title="VISIT MY SHOP", body="ads")
    with app.test_request_context():
        review_report.report_review("product", review["id"], reporter["id"], "spam", "An advert.")
        feedback.send_feedback(buyer["id"], "suggestion", f"Night mode {run}", "Too bright at night.", "/")
    return {"run": run, "admin": admin, "seller": seller, "product": product, "review": review}


def open_page(browser, live_server, viewport, errors):
    context = browser.new_context(base_url=live_server, viewport=viewport)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: _console_error(message, errors))
    return context, page


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text("Welcome back")


def sideways(page) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def console_link(page, name: str):
    return page.get_by_role("navigation", name="Console").get_by_role("link", name=name)


def test_an_administrator_moderates_through_the_console(browser, live_server, console_world):
    run = console_world["run"]
    errors: list[str] = []
    context, page = open_page(browser, live_server, LAPTOP, errors)
    sign_in(page, console_world["admin"]["email"])

    page.get_by_role("link", name="Console").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.wait_for_function("() => document.getElementById('sales-chart')?.dataset.drawn === 'true'")
    assert page.get_by_test_id("figure-gmv_month").inner_text() == "$55.00"
    assert sideways(page) <= 0

    console_link(page, "Users").click()
    page.get_by_label("Name, e-mail or id").fill(f"Sly Seller {run}")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name=f"Sly Seller {run}").click()
    page.get_by_label(re.compile("^Why suspend")).fill("Sells counterfeits")
    page.get_by_role("button", name="Suspend user").click()
    expect(page.get_by_role("alert").first).to_contain_text("Suspended")
    expect(page.get_by_role("status")).to_contain_text("Sells counterfeits")
    assert sideways(page) <= 0

    console_link(page, "Products").click()
    page.get_by_label("Name or id").fill(f"Cuckoo Clock {run}")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name=f"Cuckoo Clock {run}").click()
    page.get_by_label(re.compile("^Why take it down")).fill("Unsafe batteries")
    page.get_by_role("button", name="Take down").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Taken down")
    assert sideways(page) <= 0

    console_link(page, "Reviews").click()
    page.get_by_role("link", name="VISIT MY SHOP").click()
    expect(page.get_by_text("Spam or advertising")).to_be_visible()
    page.get_by_label(re.compile("^Why hide it")).fill("Advertising")
    page.get_by_role("button", name="Hide review").click()
    expect(page.get_by_role("alert").first).to_contain_text("Hidden")
    assert sideways(page) <= 0

    console_link(page, "Feedback").click()
    page.get_by_label(re.compile("^Answer to Bo Buyer")).fill("A dark theme is on our list.")
    page.get_by_role("button", name=re.compile("^Close.*with this answer")).click()
    expect(page.get_by_role("alert").first).to_contain_text("Feedback closed")
    assert sideways(page) <= 0

    console_link(page, "Departments & categories").click()
    page.get_by_label("New department").fill(f"Garden {run}")
    page.get_by_role("button", name="Create department").click()
    expect(page.get_by_role("heading", name=f"Garden {run}")).to_be_visible()
    assert sideways(page) <= 0

    console_link(page, "Reports").click()
    page.get_by_role("link", name="Sellers with late shipments").click()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Download CSV")).click()
    assert download.value.suggested_filename.startswith("report-late-shipments-")
    assert sideways(page) <= 0

    console_link(page, "Audit log").click()
    table = page.get_by_role("table")
    for action in ("user.suspend", "product.take_down", "review.hide", "feedback.close", "department.create"):
        expect(table.get_by_text(action, exact=True)).to_be_visible()
    assert sideways(page) <= 0
    context.close()
    assert errors == []


def test_every_console_page_fits_a_phone(browser, live_server, console_world):
    errors: list[str] = []
    context, page = open_page(browser, live_server, PHONE, errors)
    sign_in(page, console_world["admin"]["email"])
    product_id, review_id = console_world["product"]["id"], console_world["review"]["id"]
    for path in (
        "/admin",
        "/admin/users",
        f"/admin/users/{console_world['seller']['id']}",
        "/admin/catalog",
        "/admin/products",
        f"/admin/products/{product_id}",
        "/admin/reviews",
        f"/admin/reviews/product/{review_id}",
        "/admin/feedback",
        "/admin/reports/out-of-stock",
        "/admin/audit",
        "/admin/reauthenticate",
        "/feedback",
        f"/reviews/product/{review_id}/report",
    ):
        response = page.goto(path)
        assert response.status == 200, path
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        assert sideways(page) <= 0, path
    context.close()
    assert errors == []
