"""The analytics pages' tables and charts, built from app.models.analytics.

Each `*_table` function runs one query and returns a `charts.Table`; the page draws a chart from
it and prints it beneath, and the CSV download and the JSON API give the very same table.
"""

from dataclasses import dataclass
from decimal import Decimal

from flask import current_app

from app import charts
from app.charts import Column, Table
from app.models import analytics, snapshot
from app.models.analytics import NO_FILTERS, Filters, Grouping, Period

SALES_LEADERS = 20  # grouped by category or product alone: the best twenty, then "Other"
SERIES_LEADERS = 8  # two-way: eight lines or stacks, then "Other"
TOP_LEADERS = 10  # top products, top categories
SPENDING_LEADERS = 8  # slices of the buyer's doughnut before "Other"
SLOW_MOVER_DAYS = 90
SLOW_MOVERS = 20
MINIMUM_SELLER_REVIEWS = 5
BEST_RATED_SELLERS = 10
PRICE_EDGES = [5, 10, 20, 50, 100, 200, 500, 1000]  # dollars; the histogram's bucket boundaries

DIMENSION_TITLES = {"category": "Category", "product": "Product"}
OTHER_NAMES = {"category": "Other categories", "product": "Other products"}
DIMENSION_LINKS = {"category": None, "product": "/products/{}"}
UNIT_TITLES = {"day": "Day", "week": "Week", "month": "Month", "year": "Year"}
# What the money column is called: what a seller took, what a buyer spent (the same JSON key).
MONEY_TITLES = {"seller": "Revenue", "buyer": "Spent"}
CHART_STYLES = ("bar", "line")  # two-way groupings: stacked bars or one line per series


@dataclass(frozen=True)
class Metric:
    """A headline number and its value in the previous period."""

    title: str
    kind: str
    current: Decimal | int
    previous: Decimal | int

    @property
    def change(self) -> Decimal | None:
        """Percent change against the previous period; None when that period had nothing."""
        if not self.previous:
            return None
        return (Decimal(self.current) - Decimal(self.previous)) * 100 / Decimal(self.previous)


def totals(owner: str, owner_id: int, period: Period, filters: Filters = NO_FILTERS) -> list[Metric]:
    """The headline numbers of the period, each with the previous period of the same length."""
    return totals_from_row(owner, analytics.get_totals(owner, owner_id, period, filters))


def totals_from_row(owner: str, row) -> list[Metric]:
    """The headline numbers from a get_totals row."""
    counterpart = "Buyers" if owner == "seller" else "Sellers"
    first = "Revenue" if owner == "seller" else "Spent"
    return [
        Metric(first, "money", row["revenue"], row["previous_revenue"]),
        Metric("Units", "count", row["units"], row["previous_units"]),
        Metric("Orders", "count", row["orders"], row["previous_orders"]),
        Metric(counterpart, "count", row["counterparts"], row["previous_counterparts"]),
    ]


def totals_record(metrics: list[Metric]) -> dict:
    """The totals as the JSON API gives them."""
    return {
        metric.title.lower(): {
            "current": charts.plain(metric.current, metric.kind),
            "previous": charts.plain(metric.previous, metric.kind),
            "change_percent": charts.plain(metric.change, "percent"),
        }
        for metric in metrics
    }


def channel_figures(row) -> dict:
    """The period's revenue, units and orders online and offline (a seller's), from a get_totals row."""
    offline = {"revenue": row["offline_revenue"], "units": row["offline_units"], "orders": row["offline_orders"]}
    online = {key: row[key] - value for key, value in offline.items()}
    return {"online": online, "offline": offline}


def channels_record(row) -> dict:
    """The channels as the JSON API gives them."""
    return {
        channel: {
            "revenue": charts.plain(figures["revenue"], "money"),
            "units": figures["units"],
            "orders": figures["orders"],
        }
        for channel, figures in channel_figures(row).items()
    }


def _sales_columns(grouping: Grouping, owner: str = "seller") -> tuple[Column, ...]:
    """The group's columns (id, name and/or period), then money, units and orders."""
    columns: list[Column] = []
    if grouping.dimension:
        columns += [
            Column(f"{grouping.dimension}_id", "Id", "id"),
            Column(grouping.dimension, DIMENSION_TITLES[grouping.dimension], link=DIMENSION_LINKS[grouping.dimension]),
        ]
    if grouping.unit:
        columns.append(Column(grouping.unit, UNIT_TITLES[grouping.unit], grouping.unit))
    return (
        *columns,
        Column("revenue", MONEY_TITLES[owner], "money"),
        Column("units", "Units", "count"),
        Column("orders", "Orders", "count"),
    )


def _sales_rows(rows, grouping: Grouping, period: Period) -> list[tuple]:
    """Table rows from list_sales rows; by time alone, every bucket of the period (zero if nothing sold)."""
    if grouping.dimension is None:
        by_period = {row["period"]: row for row in rows}
        empty = {"revenue": Decimal("0.00"), "units": 0, "orders": 0}
        return [
            (start, *(by_period.get(start, empty)[key] for key in ("revenue", "units", "orders")))
            for start in analytics.period_starts(period, grouping.unit)
        ]
    other = OTHER_NAMES[grouping.dimension]
    return [
        (
            row["key"],
            row["name"] if row["key"] is not None else other,
            *((row["period"],) if grouping.unit else ()),
            row["revenue"],
            row["units"],
            row["orders"],
        )
        for row in rows
    ]


def _caption(what: str, grouping: Grouping) -> str:
    """The table's caption, such as "Sales by category and by month"."""
    parts = [
        f"by {DIMENSION_TITLES[grouping.dimension].lower()}" if grouping.dimension else "",
        f"by {grouping.unit}" if grouping.unit else "",
    ]
    return f"{what} " + " and ".join(part for part in parts if part)


def sales_table(
    owner: str,
    owner_id: int,
    period: Period,
    grouping: Grouping,
    leaders: int | None = None,
    filters: Filters = NO_FILTERS,
) -> Table:
    """Sales (or spending) grouped as asked: the table under the main chart, the CSV and the API."""
    if leaders is None:
        leaders = SERIES_LEADERS if grouping.dimension and grouping.unit else SALES_LEADERS
    rows = analytics.list_sales(owner, owner_id, period, grouping, leaders, filters)
    what = "Sales" if owner == "seller" else "Spending"
    return Table(_caption(what, grouping), _sales_columns(grouping, owner), _sales_rows(rows, grouping, period))


def sales_report(seller_id: int, period: Period, grouping: Grouping, filters: Filters = NO_FILTERS) -> dict:
    """A seller's sales as JSON (GET /api/v1/sales, /api/seller/sales): the table, totals and channels
    (two queries)."""
    table = sales_table("seller", seller_id, period, grouping, filters=filters)
    row = analytics.get_totals("seller", seller_id, period, filters)
    return {
        "group_by": grouping.value,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "time_zone": period.time_zone,
        "currency": "USD",
        "totals": totals_record(totals_from_row("seller", row)),
        "channels": channels_record(row),
        "columns": [column.key for column in table.columns],
        "rows": charts.to_records(table),
    }


def sales_chart(table: Table, grouping: Grouping, period: Period, style: str) -> dict:
    """The chart of a sales table: stacked bars or lines when two-way, else bars of revenue."""
    if grouping.dimension and grouping.unit:
        periods = analytics.period_starts(period, grouping.unit)
        return charts.pivot_chart(table, periods, style, grouping.dimension, grouping.unit, "revenue", table.caption)
    if grouping.unit:
        return charts.chart(table, style, grouping.unit, ("revenue",), table.caption)
    return charts.chart(table, "bar", grouping.dimension, ("revenue",), table.caption, horizontal=True)


def top_tables(seller_id: int, period: Period, filters: Filters = NO_FILTERS) -> tuple[Table, Table]:
    """The seller's best products and best categories by revenue (one query for both)."""
    rows = analytics.list_top_products_and_categories(seller_id, period, TOP_LEADERS, filters)
    tables = []
    for dimension, caption in (("product", "Top products by revenue"), ("category", "Top categories by revenue")):
        grouping = analytics.GROUPINGS[dimension]
        chosen = [row for row in rows if row["dimension"] == dimension]
        tables.append(Table(caption, _sales_columns(grouping), _sales_rows(chosen, grouping, period)))
    return tables[0], tables[1]


def slow_movers_table(seller_id: int, time_zone: str) -> Table:
    """Offers in stock that sold nothing in SLOW_MOVER_DAYS days, most money tied up first."""
    rows = analytics.list_slow_movers(seller_id, SLOW_MOVER_DAYS, SLOW_MOVERS, time_zone)
    columns = (
        Column("product_id", "Id", "id"),
        Column("product", "Product", link="/products/{}"),
        Column("price", "Price", "money"),
        Column("stock", "In stock", "count"),
        Column("stock_value", "Stock value", "money"),
        Column("listed", "Listed", "day"),
    )
    body = [
        (
            row["product_id"],
            row["product_name"],
            row["price"],
            row["quantity"],
            row["stock_value"],
            row["listed_on"],
        )
        for row in rows
    ]
    total = rows[0]["total"] if rows else 0
    caption = f"In stock, no sale in {SLOW_MOVER_DAYS} days" + (
        f" (the first {len(rows)} of {total})" if total > len(rows) else ""
    )
    return Table(caption, columns, body, empty="Every offer in stock sold in the last 90 days.")


def rating_table(seller_id: int, period: Period) -> Table:
    """The seller's reviews month by month, with the running average."""
    rows = analytics.list_rating_by_month(seller_id, period)
    columns = (
        Column("month", "Month", "month"),
        Column("reviews", "Reviews", "count"),
        Column("average", "Average that month", "average"),
        Column("running_average", "Average so far", "average"),
    )
    body = [(row["month"], row["reviews"], row["average"], row["running_average"]) for row in rows]
    return Table("Your rating by month", columns, body, empty="No reviews in this period.")


def rating_chart(table: Table) -> dict:
    """Two lines: the running average and each month's own, on a 1–5 scale."""
    return charts.chart(table, "line", "month", ("running_average", "average"), table.caption, minimum=1, maximum=5)


# The page's CSV files: (seller, period, grouping, filters); filters is the page's channel.
SELLER_TABLES = {
    "sales": lambda seller_id, period, grouping, filters: sales_table(
        "seller", seller_id, period, grouping, filters=filters
    ),
    "products": lambda seller_id, period, grouping, filters: top_tables(seller_id, period, filters)[0],
    "categories": lambda seller_id, period, grouping, filters: top_tables(seller_id, period, filters)[1],
    "slow-movers": lambda seller_id, period, grouping, filters: slow_movers_table(seller_id, period.time_zone),
    "rating": lambda seller_id, period, grouping, filters: rating_table(seller_id, period),
}

BUYER_TABLES = {
    "categories": lambda buyer_id, period: sales_table(
        "buyer", buyer_id, period, analytics.GROUPINGS["category"], SPENDING_LEADERS
    ),
    "months": lambda buyer_id, period: sales_table("buyer", buyer_id, period, analytics.GROUPINGS["month"]),
}


def departments_table() -> Table:
    """Products, products on offer and units sold in each department."""
    rows = snapshot.rows("departments_overview", _overview_seconds(), analytics.list_departments_overview)
    columns = (
        Column("department_id", "Id", "id"),
        Column("department", "Department"),
        Column("products", "Products", "count"),
        Column("on_offer", "On offer", "count"),
        Column("units_sold", "Units sold", "count"),
    )
    body = [(row["id"], row["name"], row["products"], row["on_offer"], row["units_sold"]) for row in rows]
    return Table("Products and sales by department", columns, body)


def price_bucket_label(bucket: int) -> str:
    """A width_bucket number as a price range: 0 is below the first edge, len(edges) above the last."""
    if bucket == 0:
        return f"Under ${PRICE_EDGES[0]:,}"
    if bucket == len(PRICE_EDGES):
        return f"${PRICE_EDGES[-1]:,} and over"
    return f"${PRICE_EDGES[bucket - 1]:,} to under ${PRICE_EDGES[bucket]:,}"


def price_table() -> Table:
    """How many products on offer start at each price range (every range, empty ones as zero)."""
    rows = snapshot.rows(
        "price_distribution", _overview_seconds(), lambda: analytics.list_price_distribution(PRICE_EDGES)
    )
    counts = {row["bucket"]: row["products"] for row in rows}
    columns = (Column("price_range", "Lowest price"), Column("products", "Products", "count"))
    body = [(price_bucket_label(bucket), counts.get(bucket, 0)) for bucket in range(len(PRICE_EDGES) + 1)]
    return Table("Products on offer by lowest price", columns, body)


def best_sellers_table() -> Table:
    """The best-rated sellers with enough reviews to trust the average."""
    rows = analytics.list_best_rated_sellers(MINIMUM_SELLER_REVIEWS, BEST_RATED_SELLERS)
    columns = (
        Column("seller_id", "Id", "id"),
        Column("seller", "Seller", link="/users/{}"),
        Column("average", "Average rating", "average"),
        Column("reviews", "Reviews", "count"),
    )
    body = [(row["id"], row["full_name"], row["average"], row["reviews"]) for row in rows]
    caption = f"Best-rated sellers (at least {MINIMUM_SELLER_REVIEWS} reviews)"
    return Table(caption, columns, body, empty="No seller has enough reviews yet.")


def seller_dashboard(
    seller_id: int, period: Period, grouping: Grouping, style: str, filters: Filters = NO_FILTERS
) -> dict:
    """Everything /seller/analytics shows: totals with the channels, and each table with its chart
    (five queries); `filters` is the page's channel (online, offline or both)."""
    sales = sales_table("seller", seller_id, period, grouping, filters=filters)
    products, categories = top_tables(seller_id, period, filters)
    rating = rating_table(seller_id, period)
    row = analytics.get_totals("seller", seller_id, period, filters)
    return {
        "period": period,
        "grouping": grouping,
        "style": style,
        "channel": filters.channel,
        "totals": totals_from_row("seller", row),
        "channels": channel_figures(row),
        "sales": sales,
        "sales_chart": sales_chart(sales, grouping, period, style),
        "products": products,
        "products_chart": charts.chart(products, "bar", "product", ("revenue",), products.caption, horizontal=True),
        "categories": categories,
        "categories_chart": charts.chart(
            categories, "bar", "category", ("revenue",), categories.caption, horizontal=True
        ),
        "slow_movers": slow_movers_table(seller_id, period.time_zone),
        "rating": rating,
        "rating_chart": rating_chart(rating),
    }


def buyer_insights(buyer_id: int, period: Period) -> dict:
    """Everything /account/insights shows: totals, spending by category and by month (three queries)."""
    categories = BUYER_TABLES["categories"](buyer_id, period)
    months = BUYER_TABLES["months"](buyer_id, period)
    return {
        "period": period,
        "totals": totals("buyer", buyer_id, period),
        "categories": categories,
        "categories_chart": charts.chart(categories, "doughnut", "category", ("revenue",), categories.caption),
        "months": months,
        "months_chart": charts.chart(months, "bar", "month", ("revenue",), months.caption),
    }


def _overview_seconds() -> int:
    """How old the whole-catalog tables of /insights may be (docs/PERFORMANCE.md, "Analytics":
    each reads every product). They are snapshots in PostgreSQL, shared by every app server."""
    return current_app.config["REPORT_SNAPSHOT_SECONDS"]


def marketplace_overview() -> dict:
    """Departments, price distribution and best-rated sellers."""
    departments = departments_table()
    prices = price_table()
    return {
        "departments": departments,
        "departments_chart": charts.chart(
            departments, "bar", "department", ("products", "units_sold"), departments.caption
        ),
        "prices": prices,
        "prices_chart": charts.chart(prices, "bar", "price_range", ("products",), prices.caption),
        "sellers": best_sellers_table(),
    }
