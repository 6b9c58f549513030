"""Seller analytics: the page's tables, the CSV files and the JSON API agree with sums computed
here in plain Python over the order lines the tests create."""

import csv
import html
import io
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app import reports
from app.models import analytics
from tests import factories
from tests.conftest import query_one
from tests.sales import buy, cancel

UTC = ZoneInfo("UTC")
RANGE = {"from": "2025-01-01", "to": "2025-06-30"}


def at(text: str) -> datetime:
    """A UTC time from '2025-03-01 03:30'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def shop(app, actions):
    """A seller with three products in two categories (one name a spreadsheet formula), a rival
    seller, three buyers, and purchases over the first half of 2025 plus one in late 2024."""
    seller = actions.create_user(full_name="Sam Seller")
    rival = actions.create_user(full_name="Rita Rival")
    books = factories.category(app, name="Books")
    games = factories.category(app, name="Games")
    novel = factories.product(app, seller["id"], books["id"], name="Novel")
    atlas = factories.product(app, seller["id"], books["id"], name='=HYPERLINK("http://evil.example","Atlas")')
    chess = factories.product(app, seller["id"], games["id"], name="Chess Set")
    factories.offer(app, seller["id"], novel["id"], price="12.50", quantity=100)
    factories.offer(app, seller["id"], atlas["id"], price="30.00", quantity=100)
    factories.offer(app, seller["id"], chess["id"], price="45.99", quantity=100)
    factories.offer(app, rival["id"], novel["id"], price="11.00", quantity=100)
    buyers = [actions.create_user(full_name=f"Buyer {n}", balance="5000") for n in range(3)]
    sam = {"novel": (seller, novel, books), "atlas": (seller, atlas, books), "chess": (seller, chess, games)}

    def item(name, quantity):
        seller_, product, category = sam[name]
        return (seller_, product, category, quantity)

    lines = []
    lines += buy(app, buyers[0], [item("novel", 2), item("chess", 1)], at("2025-01-15 10:00"))
    lines += buy(app, buyers[0], [item("atlas", 1)], at("2025-01-31 23:30"))
    lines += buy(app, buyers[1], [item("novel", 1), (rival, novel, books, 3)], at("2025-02-10 12:00"))
    lines += buy(app, buyers[2], [item("chess", 2), item("atlas", 2)], at("2025-03-01 03:30"))
    lines += buy(app, buyers[1], [item("novel", 4)], at("2025-04-20 08:00"))
    lines += buy(app, buyers[2], [item("atlas", 1)], at("2025-06-30 20:00"))
    lines += buy(app, buyers[0], [item("chess", 1)], at("2024-11-05 09:00"))  # previous period only
    cancelled = buy(app, buyers[2], [item("novel", 5)], at("2025-05-05 05:00"))
    cancel(app, cancelled[0])
    lines += cancelled
    return {"seller": seller, "rival": rival, "buyers": buyers, "lines": lines, "products": sam}


def sign_in_as(actions, user):
    assert actions.login(user["email"]).status_code == 302


def local_day(moment: datetime, time_zone: str) -> date:
    return moment.astimezone(ZoneInfo(time_zone)).date()


def bucket(day: date, unit: str) -> str:
    """The period value the API gives for a local day."""
    if unit == "day":
        return day.isoformat()
    if unit == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    if unit == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return f"{day.year:04d}"


def expected(lines, seller_id, group_by, start, end, time_zone="UTC"):
    """{(group values…): (revenue, units, orders)} straight from the lines, in Python."""
    dimension, unit = analytics.GROUPINGS[group_by].dimension, analytics.GROUPINGS[group_by].unit
    revenue, units, orders = defaultdict(Decimal), defaultdict(int), defaultdict(set)
    for line in lines:
        day = local_day(line.ordered_at, time_zone)
        if line.seller_id != seller_id or line.cancelled or not start <= day <= end:
            continue
        key = []
        if dimension:
            key.append(line.category if dimension == "category" else line.product)
        if unit:
            key.append(bucket(day, unit))
        key = tuple(key)
        revenue[key] += line.line_total
        units[key] += line.quantity
        orders[key].add(line.purchase_id)
    return {key: (f"{revenue[key]:.2f}", units[key], len(orders[key])) for key in revenue}


def json_rows(response, group_by) -> dict:
    grouping = analytics.GROUPINGS[group_by]
    return {
        tuple(row[column] for column in grouping.columns): (row["revenue"], row["units"], row["orders"])
        for row in response.get_json()["rows"]
        if row["revenue"] != "0.00"
    }


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


TAG = re.compile(r"<[^>]+>")


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """The cells of a table on the page, header row first, as text (links reduced to their text)."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.DOTALL).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)
    return [
        [html.unescape(TAG.sub("", cell).strip()) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)]
        for row in rows
    ]


ALL_GROUPINGS = list(analytics.GROUPINGS)


@pytest.mark.parametrize("group_by", ALL_GROUPINGS)
def test_page_csv_and_json_agree_with_python_sums(client, actions, shop, group_by):
    sign_in_as(actions, shop["seller"])
    want = expected(shop["lines"], shop["seller"]["id"], group_by, date(2025, 1, 1), date(2025, 6, 30))
    assert want

    api = client.get("/api/seller/sales", query_string=RANGE | {"group_by": group_by})
    assert api.status_code == 200
    assert json_rows(api, group_by) == want

    download = client.get("/seller/analytics.csv", query_string=RANGE | {"group_by": group_by})
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.mimetype == "text/csv"
    header, *body = csv_rows(download)
    width = len(analytics.GROUPINGS[group_by].columns)
    assert header[width:] == ["Revenue", "Units", "Orders"]
    from_csv = {
        tuple(cell.lstrip("'") for cell in row[:width]): (row[width], int(row[width + 1]), int(row[width + 2]))
        for row in body
        if row[width] != "0.00"
    }
    assert from_csv == want

    page = client.get("/seller/analytics", query_string=RANGE | {"group_by": group_by})
    assert page.status_code == 200
    cells = table_rows(page.get_data(as_text=True), "sales-table")
    assert cells[0] == header
    assert len(cells) - 1 == len(body)
    for shown, downloaded in zip(cells[1:], body, strict=True):
        assert [cell.replace("$", "").replace(",", "") for cell in shown[width:]] == downloaded[width:]


def test_totals_count_distinct_orders_and_buyers_against_the_previous_period(client, actions, shop):
    sign_in_as(actions, shop["seller"])
    mine = [line for line in shop["lines"] if line.seller_id == shop["seller"]["id"] and not line.cancelled]
    current = [line for line in mine if line.ordered_at >= at("2025-01-01 00:00")]
    previous = [line for line in mine if at("2024-07-04 00:00") <= line.ordered_at < at("2025-01-01 00:00")]
    totals = client.get("/api/seller/sales", query_string=RANGE).get_json()["totals"]
    assert totals["revenue"]["current"] == f"{sum(line.line_total for line in current):.2f}"
    assert totals["units"]["current"] == sum(line.quantity for line in current)
    assert totals["orders"]["current"] == len({line.purchase_id for line in current}) == 6
    assert totals["buyers"]["current"] == len({line.buyer_id for line in current}) == 3
    assert totals["revenue"]["previous"] == f"{sum(line.line_total for line in previous):.2f}" == "45.99"
    assert totals["orders"]["previous"] == 1 and totals["buyers"]["previous"] == 1
    change = (sum(line.line_total for line in current) - Decimal("45.99")) * 100 / Decimal("45.99")
    assert totals["revenue"]["change_percent"] == f"{change:.2f}"
    page = client.get("/seller/analytics", query_string=RANGE).get_data(as_text=True)
    assert f"${sum(line.line_total for line in current):,.2f}" in page
    assert "Compared with Jul 4, 2024 – Dec 31, 2024, the 181 days before." in page


def test_cancelled_lines_and_other_sellers_never_count(client, actions, shop):
    sign_in_as(actions, shop["seller"])
    rows = client.get("/api/seller/sales", query_string=RANGE | {"group_by": "month"}).get_json()["rows"]
    may = next(row for row in rows if row["month"] == "2025-05")
    assert may == {"month": "2025-05", "revenue": "0.00", "units": 0, "orders": 0}  # only the cancelled purchase
    february = next(row for row in rows if row["month"] == "2025-02")
    assert february["revenue"] == "12.50"  # the rival's three novels in that purchase are not Sam's
    actions.logout()
    sign_in_as(actions, shop["rival"])
    rival = client.get("/api/seller/sales", query_string=RANGE | {"group_by": "product"}).get_json()
    assert [(row["product"], row["revenue"]) for row in rival["rows"]] == [("Novel", "33.00")]


def test_time_only_groupings_list_every_bucket_with_zeros(client, actions, shop):
    sign_in_as(actions, shop["seller"])
    rows = client.get("/api/seller/sales", query_string=RANGE | {"group_by": "month"}).get_json()["rows"]
    assert [row["month"] for row in rows] == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
    weeks = client.get("/api/seller/sales", query_string=RANGE | {"group_by": "week"}).get_json()["rows"]
    assert weeks[0]["week"] == "2024-12-30"  # the Monday of the week holding January 1
    assert len(weeks) == 27


def test_leaders_then_one_other_row(client, actions, shop, monkeypatch):
    monkeypatch.setattr(reports, "SERIES_LEADERS", 1)
    monkeypatch.setattr(reports, "SALES_LEADERS", 1)
    sign_in_as(actions, shop["seller"])
    rows = client.get("/api/seller/sales", query_string=RANGE | {"group_by": "product"}).get_json()["rows"]
    want = expected(shop["lines"], shop["seller"]["id"], "product", date(2025, 1, 1), date(2025, 6, 30))
    best = max(want, key=lambda key: Decimal(want[key][0]))
    assert rows[0]["product"] == best[0] and rows[0]["revenue"] == want[best][0]
    assert rows[1]["product"] == "Other products" and rows[1]["product_id"] is None
    assert rows[1]["revenue"] == f"{sum(Decimal(value[0]) for key, value in want.items() if key != best):.2f}"
    # A purchase with two "other" products is one order, not two.
    other_purchases = {
        line.purchase_id
        for line in shop["lines"]
        if line.seller_id == shop["seller"]["id"]
        and not line.cancelled
        and line.product != best[0]
        and line.ordered_at >= at("2025-01-01 00:00")
    }
    assert rows[1]["orders"] == len(other_purchases)
    two_way = client.get("/api/seller/sales", query_string=RANGE | {"group_by": "product,month"}).get_json()["rows"]
    assert {row["product"] for row in two_way} == {best[0], "Other products"}


@pytest.mark.parametrize(
    "group_by",
    ["price", "category,product", "month,category", "category,month,year", "month; DROP TABLE orders", "x" * 300],
)
def test_unknown_group_by_is_a_400_listing_the_allowed_values(client, actions, shop, group_by):
    sign_in_as(actions, shop["seller"])
    api = client.get("/api/seller/sales", query_string={"group_by": group_by})
    assert api.status_code == 400
    body = api.get_json()
    assert body["allowed_group_by"] == ALL_GROUPINGS
    assert "Allowed values: category, product, day, week, month, year, category,day" in body["error"]
    page = client.get("/seller/analytics", query_string={"group_by": group_by})
    assert page.status_code == 400
    text = html.unescape(page.get_data(as_text=True))
    assert "Allowed values: category, product, day" in text
    assert 'src="/static/vendor/chartjs' not in text  # no chart to draw
    assert client.get("/seller/analytics.csv", query_string={"group_by": group_by}).status_code == 400


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2025-13-01"}, "The from date 2025-13-01 does not exist."),
        ({"to": "31/01/2025"}, "The to date must look like 2025-01-31."),
        ({"from": "2025-03-01", "to": "2025-02-01"}, "The from date must not be after the to date."),
        ({"from": "2000-01-01", "to": "2025-01-01"}, "Choose a range of at most 3700 days."),
        ({"from": "2024-01-01", "to": "2025-06-30", "group_by": "category,day"}, "Group by day covers at most 366"),
    ],
)
def test_unusable_dates_are_a_400_saying_why(client, actions, shop, query, message):
    sign_in_as(actions, shop["seller"])
    api = client.get("/api/seller/sales", query_string=query)
    assert api.status_code == 400 and message in api.get_json()["error"]
    page = client.get("/seller/analytics", query_string=query)
    assert page.status_code == 400 and message in page.get_data(as_text=True)
    assert client.get("/account/insights", query_string=query).status_code == (400 if "group_by" not in query else 200)


def test_the_api_answers_401_json_and_the_pages_send_guests_to_sign_in(client):
    response = client.get("/api/seller/sales?group_by=month")
    assert response.status_code == 401
    assert response.get_json() == {"error": "Sign in to see your sales."}
    for path in ["/seller/analytics", "/seller/analytics.csv", "/account/insights", "/account/insights.csv"]:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_csv_text_cells_cannot_run_as_formulas(app, client, actions, shop):
    sign_in_as(actions, shop["seller"])
    for name in ["+cmd", "-2+3", "@SUM(A1)"]:
        product = factories.product(app, shop["seller"]["id"], name=name)
        factories.offer(app, shop["seller"]["id"], product["id"], price="1.00", quantity=1)
    download = client.get("/seller/analytics.csv", query_string=RANGE | {"group_by": "product"})
    names = [row[0] for row in csv_rows(download)[1:]]
    assert '\'=HYPERLINK("http://evil.example","Atlas")' in names
    assert "Novel" in names and "Chess Set" in names
    slow = csv_rows(client.get("/seller/analytics.csv", query_string={"table": "slow-movers"}))
    assert {"'+cmd", "'-2+3", "'@SUM(A1)"} <= {row[0] for row in slow[1:]}
    assert all(not row[0].startswith(("=", "+", "-", "@")) for row in slow[1:])


def test_every_seller_table_downloads_as_csv(client, actions, shop):
    sign_in_as(actions, shop["seller"])
    for name in reports.SELLER_TABLES:
        response = client.get("/seller/analytics.csv", query_string=RANGE | {"table": name})
        assert response.status_code == 200, name
        assert f'filename="{name}' in response.headers["Content-Disposition"]
    assert client.get("/seller/analytics.csv", query_string={"table": "users"}).status_code == 400


def test_top_products_and_categories_match_the_python_sums(client, actions, shop):
    sign_in_as(actions, shop["seller"])
    page = client.get("/seller/analytics", query_string=RANGE).get_data(as_text=True)
    by_product = expected(shop["lines"], shop["seller"]["id"], "product", date(2025, 1, 1), date(2025, 6, 30))
    products = table_rows(page, "products-table")[1:]
    assert [(row[0], row[1]) for row in products] == [
        (name, f"${Decimal(revenue):,.2f}")
        for (name,), (revenue, _, _) in sorted(by_product.items(), key=lambda item: -Decimal(item[1][0]))
    ]
    by_category = expected(shop["lines"], shop["seller"]["id"], "category", date(2025, 1, 1), date(2025, 6, 30))
    categories = table_rows(page, "categories-table")[1:]
    assert {row[0]: row[1] for row in categories} == {
        name: f"${Decimal(revenue):,.2f}" for (name,), (revenue, _, _) in by_category.items()
    }


def test_slow_movers_are_active_offers_in_stock_without_a_sale_in_90_days(app, client, actions, shop):
    seller = shop["seller"]
    idle = factories.product(app, seller["id"], name="Dusty Lamp")
    factories.offer(app, seller["id"], idle["id"], price="20.00", quantity=3)
    gone = factories.product(app, seller["id"], name="Removed Lamp")
    factories.offer(app, seller["id"], gone["id"], price="20.00", quantity=3, is_active=False)
    empty = factories.product(app, seller["id"], name="Sold-out Lamp")
    factories.offer(app, seller["id"], empty["id"], price="20.00", quantity=0)
    fresh = factories.product(app, seller["id"], name="Fresh Lamp")
    factories.offer(app, seller["id"], fresh["id"], price="20.00", quantity=3)
    buyer = shop["buyers"][0]
    buy(app, buyer, [(seller, fresh, {"name": "x"}, 1)], datetime.now(UTC) - timedelta(days=10))
    old = buy(app, buyer, [(seller, idle, {"name": "x"}, 1)], datetime.now(UTC) - timedelta(days=100))
    sign_in_as(actions, seller)
    page = client.get("/seller/analytics").get_data(as_text=True)
    names = [row[0] for row in table_rows(page, "slow-movers-table")[1:]]
    # Every fixture offer last sold in 2025, long ago; the idle lamp 100 days ago; the fresh one 10.
    assert "Dusty Lamp" in names and "Novel" in names
    assert "Fresh Lamp" not in names and "Removed Lamp" not in names and "Sold-out Lamp" not in names
    row = next(row for row in table_rows(page, "slow-movers-table")[1:] if row[0] == "Dusty Lamp")
    assert row[1:4] == ["$20.00", "2", "$40.00"]
    assert old[0].quantity == 1


def test_rating_over_time_by_month_with_the_running_average(app, client, actions, shop):
    seller = shop["seller"]
    for buyer, rating, moment in zip(
        shop["buyers"], [5, 3, 4], ["2025-02-03 10:00", "2025-02-20 10:00", "2025-04-01 10:00"], strict=True
    ):
        query_one(
            app,
            """
            INSERT INTO seller_reviews (seller_id, author_id, rating, title, body, created_at, updated_at)
            VALUES (:seller, :author, :rating, 'T', 'B', :at, :at) RETURNING id
            """,
            seller=seller["id"],
            author=buyer["id"],
            rating=rating,
            at=at(moment),
        )
    sign_in_as(actions, seller)
    page = client.get("/seller/analytics", query_string={"from": "2025-03-01", "to": "2025-06-30"})
    rows = table_rows(page.get_data(as_text=True), "rating-table")
    assert rows == [["Month", "Reviews", "Average that month", "Average so far"], ["Apr 2025", "1", "4.00", "4.00"]]
    download = client.get("/seller/analytics.csv", query_string=RANGE | {"table": "rating"})
    assert csv_rows(download)[1:] == [["2025-02", "2", "4.00", "4.00"], ["2025-04", "1", "4.00", "4.00"]]


def test_the_dashboard_runs_a_fixed_number_of_queries(client, actions, shop, count_queries):
    sign_in_as(actions, shop["seller"])
    client.get("/seller/analytics")
    for group_by in ["month", "product,week", "category,year"]:
        with count_queries() as statements:
            assert client.get("/seller/analytics", query_string=RANGE | {"group_by": group_by}).status_code == 200
        assert len(statements) == 6, statements  # the user, totals, sales, top products and categories…
        with count_queries() as statements:
            client.get("/api/seller/sales", query_string=RANGE | {"group_by": group_by})
        assert len(statements) == 3


def test_a_seller_with_no_sales_sees_empty_tables(client, actions):
    actions.signed_in_user()
    page = client.get("/seller/analytics?group_by=category,month")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Nothing in this period." in text and "Nothing to draw for this period." in text
    rows = client.get("/api/seller/sales?group_by=month").get_json()["rows"]
    assert len(rows) == 12 and all(row["revenue"] == "0.00" for row in rows)


def test_top_tables_keep_only_the_leaders(client, actions, shop, monkeypatch):
    monkeypatch.setattr(reports, "TOP_LEADERS", 1)
    sign_in_as(actions, shop["seller"])
    page = client.get("/seller/analytics", query_string=RANGE).get_data(as_text=True)
    by_product = expected(shop["lines"], shop["seller"]["id"], "product", date(2025, 1, 1), date(2025, 6, 30))
    best = max(by_product, key=lambda key: Decimal(by_product[key][0]))
    assert [row[0] for row in table_rows(page, "products-table")[1:]] == [best[0]]
    assert [row[0] for row in table_rows(page, "categories-table")[1:]] == ["Books"]
    by_category = expected(shop["lines"], shop["seller"]["id"], "category", date(2025, 1, 1), date(2025, 6, 30))
    revenue, units, orders = by_category[("Books",)]
    download = client.get("/seller/analytics.csv", query_string=RANGE | {"table": "categories"})
    assert csv_rows(download) == [
        ["Category", "Revenue", "Units", "Orders"],
        ["Books", revenue, str(units), str(orders)],
    ]


def test_names_are_escaped_in_tables_and_chart_data(app, client, actions, shop):
    novel = shop["products"]["novel"][1]
    query_one(
        app, "UPDATE products SET name = :name WHERE id = :id RETURNING id", name="<script>x()</script>", id=novel["id"]
    )
    sign_in_as(actions, shop["seller"])
    page = client.get("/seller/analytics", query_string=RANGE | {"group_by": "product"}).get_data(as_text=True)
    assert "<script>x()" not in page
    assert f'<a href="/products/{novel["id"]}">&lt;script&gt;x()&lt;/script&gt;</a>' in page
    assert "\\u003cscript\\u003ex()" in page  # inside the JSON block, as tojson escapes it
