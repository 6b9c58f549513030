"""The shop through the cluster, in Chromium (issue 22): HAProxy in front of two app servers,
PgBouncer, a primary and a streaming replica (tests/test_cluster_chaos.py builds it). A buyer
browses, searches, buys and sees the order at once, at 1366 and 390 px: guests' pages read from
the replica, the buyer's pages right after their order from the primary (read-your-writes)."""

import uuid

import pytest
from playwright.sync_api import expect

from app.models import address
from tests import factories
from tests.browser.site import axe_violations, fits, open_context
from tests.conftest import TEST_PASSWORD, Actions
from tests.journey import ADDRESS
from tests.test_cluster_chaos import cluster_app, running  # noqa: F401 - running: the cluster, a fixture
from tests.test_replicas import read_host

LAPTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def shop(replicated_servers):
    """A seller's lantern and a buyer with money and an address, on the cluster's primary; named
    apart from the chaos test's shop, which may have run on the same servers."""
    app = cluster_app(replicated_servers)
    tag = uuid.uuid4().hex[:6]
    actions = Actions(app, app.test_client())
    seller = actions.create_user(full_name=f"Lantern Works {tag}")
    lantern = factories.product(app, seller["id"], name=f"Storm Lantern {tag}")
    factories.offer(app, seller["id"], lantern["id"], price="18.00", quantity=50)
    buyers = {}
    for width in (LAPTOP["width"], PHONE["width"]):
        buyers[width] = actions.create_user(email=f"cluster-{width}-{tag}@example.com", balance="100.00")
        with app.test_request_context():
            address.add_address(buyers[width]["id"], ADDRESS, make_default=True)
    yield {"tag": tag, "lantern": lantern, "buyers": buyers}
    app.extensions["bazaar_db"].engine.dispose()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366px", "390px"])
def test_a_buyer_browses_buys_and_sees_the_order_through_the_cluster(browser, running, shop, viewport):  # noqa: F811
    context = open_context(browser, running.url(""), viewport)
    page = context.new_page()
    reads = []  # (path, server) of every page the browser loaded

    def note_read(response) -> None:
        if response.request.resource_type == "document":
            reads.append((response.url, read_host(response.headers.get("server-timing", ""))))

    page.on("response", note_read)
    try:
        tag, lantern = shop["tag"], shop["lantern"]
        buyer = shop["buyers"][viewport["width"]]

        # A guest looks around: those pages read from the replica (once it has the shop's rows).
        page.goto(f"/products/{lantern['id']}")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Storm Lantern {tag}")
        page.goto("/products")
        assert "replica" in " ".join(server or "" for _url, server in reads)

        page.goto("/login")
        page.get_by_label("E-mail").fill(buyer["email"])
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("alert").first).to_contain_text("Welcome back")

        search = page.get_by_label("Search products")
        if not search.is_visible():  # the phone's navigation folds behind its toggle
            page.get_by_role("button", name="Toggle navigation").click()
        search.fill(f"storm lantern {tag}")
        page.get_by_role("search").get_by_role("button", name="Search").click()
        page.get_by_role("link", name=f"Storm Lantern {tag}").first.click()
        page.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_role("alert")).to_contain_text(f"Storm Lantern {tag}")
        fits(page)

        page.goto("/cart")
        page.get_by_role("button", name="Proceed to checkout").click()
        expect(page.get_by_test_id("checkout-total")).to_contain_text("$")
        page.get_by_role("button", name="Place order").click()
        expect(page.get_by_role("alert")).to_contain_text("Your order is placed.")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Purchase #")
        purchase_url = page.url
        fits(page)
        assert axe_violations(page) == []

        # Read-your-writes: the very next pages show the order, read where it is known to be.
        page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Your purchases").click()
        expect(page.get_by_role("main")).to_contain_text("Placed")
        page.goto(purchase_url)
        expect(page.get_by_role("main")).to_contain_text(f"Storm Lantern {tag}")
        fits(page)
        assert context.errors == []
    finally:
        context.close()
