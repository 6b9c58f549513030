"""The buyer's insights and the seller's analytics in Chromium: the charts are drawn by Chart.js
(loaded without any CSP violation: the page fixture fails on console errors), with their tables;
times on a time axis, and a long label cut short on the axis but whole in the tooltip and table."""

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
    return {"seller": seller, "buyer": buyer, "novel": novel}


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

    page.get_by_label("Channel").select_option("offline")  # no offline sales in these fixtures
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**channel=offline**")
    assert page.get_by_test_id("total-revenue").inner_text() == "$0.00"
    assert "Online orders: $0.00" in page.locator("#channel-split").inner_text()  # the split follows the channel


def test_marketplace_insights_draw_for_guests(page, people):
    page.goto("/insights")
    page.get_by_role("heading", name="Marketplace insights").wait_for()
    for canvas_id in ["departments-chart", "prices-chart"]:
        assert drawn(page, canvas_id)["chart"], canvas_id


def test_stock_history_is_drawn_on_a_time_axis(page, people):
    sign_in(page, people["seller"]["email"])
    page.goto(f"/seller/inventory/{people['novel']['id']}")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('stock-chart'))")
    axis = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.getElementById("stock-chart"));
            return {option: chart.options.scales.x.type, scale: chart.scales.x.type,
                    points: chart.data.datasets[0].data.length};
        }"""
    )
    # Each change sits at its time (an evenly spaced category axis would hide the gaps between them).
    assert (axis["option"], axis["scale"]) == ("time", "time")
    assert axis["points"] >= 3  # the offer's stock, two sales, and now


LONG_PRODUCT = "Hand-carved Mid-century Modern Solid Teak Wood Coffee Table with Two Drawers and a Glass Top"


def test_a_long_product_name_is_shortened_on_the_axis_and_whole_in_the_tooltip_and_table(app, page, people):
    seller, buyer = people["seller"], people["buyer"]
    furniture = factories.category(app, name="Furniture")
    table = factories.product(app, seller["id"], furniture["id"], name=LONG_PRODUCT)
    factories.offer(app, seller["id"], table["id"], price="90.00", quantity=5)
    buy(app, buyer, [(seller, table, furniture, 1)], datetime.now(UTC) - timedelta(days=3))
    sign_in(page, seller["email"])
    page.goto("/seller/analytics")
    page.wait_for_function("() => document.getElementById('products-chart')?.dataset.drawn === 'true'")
    shown = page.evaluate(
        """(name) => {
            const chart = Chart.getChart("products-chart");
            const index = chart.data.labels.indexOf(name);
            const tick = chart.scales.y.ticks.find(t => t.value === index);
            chart.tooltip.setActiveElements([{datasetIndex: 0, index: index}], {x: 0, y: 0});
            chart.update();
            return {axis: [].concat(tick.label), tooltip: chart.tooltip.title,
                    sales: Chart.getChart("sales-chart").options.scales.x.type};
        }""",
        LONG_PRODUCT,
    )
    assert shown["axis"][-1].endswith("…") and len(shown["axis"]) <= 2, shown
    assert " ".join(shown["axis"]) != LONG_PRODUCT and all(len(line) < len(LONG_PRODUCT) for line in shown["axis"])
    assert shown["tooltip"] == [LONG_PRODUCT]
    assert shown["sales"] == "time"  # months on a time axis too
    assert page.locator("#products-table").get_by_text(LONG_PRODUCT, exact=True).count() == 1
