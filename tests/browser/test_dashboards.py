"""The buyer's insights and the seller's analytics in Chromium: the charts are drawn by Chart.js
(loaded without any CSP violation: the page fixture fails on console errors), with their tables."""

from datetime import UTC, datetime, timedelta

import pytest

from tests import factories
from tests.conftest import TEST_PASSWORD
from tests.sales import buy


@pytest.fixture
def people(app, actions):
    """A seller with sales in two categories this year and a buyer who bought them (committed)."""
    seller = actions.create_user(email="chart-seller@example.com", full_name="Chart Seller")
    buyer = actions.create_user(email="chart-buyer@example.com", full_name="Chart Buyer", balance="1000")
    books, games = factories.category(app, name="Books"), factories.category(app, name="Games")
    novel = factories.product(app, seller["id"], books["id"], name="Novel")
    chess = factories.product(app, seller["id"], games["id"], name="Chess Set")
    factories.offer(app, seller["id"], novel["id"], price="12.00", quantity=50)
    factories.offer(app, seller["id"], chess["id"], price="40.00", quantity=50)
    now = datetime.now(UTC)
    buy(app, buyer, [(seller, novel, books, 2), (seller, chess, games, 1)], now - timedelta(days=40))
    buy(app, buyer, [(seller, novel, books, 1)], now - timedelta(days=5))
    return {"seller": seller, "buyer": buyer}


def sign_in(page, email):
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(lambda url: "/login" not in url)


def drawn(page, canvas_id: str) -> dict:
    """What Chart.js made of a canvas: whether it has a chart, its size and its number of points."""
    return page.evaluate(
        """(id) => {
            const canvas = document.getElementById(id);
            const chart = Chart.getChart(canvas);
            return {
                chart: Boolean(chart),
                width: canvas.width,
                height: canvas.height,
                points: chart ? chart.data.datasets.reduce((sum, set) => sum + set.data.length, 0) : 0,
                labelled: canvas.getAttribute("role") === "img" && canvas.getAttribute("aria-label").length > 0,
            };
        }""",
        canvas_id,
    )


def test_buyer_insights_draw_a_doughnut_and_a_bar_chart(page, people):
    sign_in(page, people["buyer"]["email"])
    page.goto("/account/insights")
    page.get_by_role("heading", name="Your spending").wait_for()
    for canvas_id in ["spending-categories-chart", "spending-months-chart"]:
        chart = drawn(page, canvas_id)
        assert chart["chart"] and chart["width"] > 0 and chart["height"] > 0 and chart["labelled"], canvas_id
        assert chart["points"] > 0
    categories = page.get_by_role("table", name="Spending by category")
    assert categories.get_by_role("rowheader", name="Books").is_visible()
    assert categories.get_by_role("cell", name="$36.00").is_visible()  # 3 novels at $12
    assert page.get_by_role("table", name="Spending by month").is_visible()
    assert page.get_by_role("img", name="Doughnut chart: Spending by category").is_visible()


def test_seller_analytics_draw_every_chart_and_switch_grouping(page, people):
    sign_in(page, people["seller"]["email"])
    page.goto("/seller/analytics")
    page.get_by_role("heading", name="Sales analytics").wait_for()
    for canvas_id in ["sales-chart", "products-chart", "categories-chart"]:
        chart = drawn(page, canvas_id)
        assert chart["chart"] and chart["width"] > 0 and chart["height"] > 0 and chart["labelled"], canvas_id
    assert page.get_by_test_id("total-revenue").inner_text() == "$76.00"
    assert page.get_by_role("table", name="Sales by month").is_visible()

    page.get_by_label("Group by").select_option("category,month")
    page.get_by_label("Chart over time").select_option("line")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**group_by=category%2Cmonth**")
    chart = page.evaluate(
        "() => { const c = Chart.getChart('sales-chart'); return [c.config.type, c.data.datasets.length]; }"
    )
    assert chart == ["line", 2]  # one line per category
    table = page.get_by_role("table", name="Sales by category and by month")
    assert table.get_by_role("rowheader", name="Books").count() >= 1

    with page.expect_download() as download:
        table.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("sales-category-month-")


def test_marketplace_insights_draw_for_guests(page, people):
    page.goto("/insights")
    page.get_by_role("heading", name="Marketplace insights").wait_for()
    for canvas_id in ["departments-chart", "prices-chart"]:
        assert drawn(page, canvas_id)["chart"], canvas_id
