"""Sales aggregates over order lines: a seller's dashboard, a buyer's spending, the marketplace overview.

Only lines that were not cancelled count: revenue is the sum of line_total, units the sum of
quantity, orders the distinct purchases and buyers the distinct buyers. A `Period` is a range of
local dates in the user's time zone; grouping by time truncates the local time of the sale
(`date_trunc(unit, ordered_at AT TIME ZONE tz)`), so a sale at 23:30 local time lands on that day.
Every SQL fragment that varies comes from the dicts below, never from the request.

A seller's figures also count their offline sales (offline_sales, recorded through the API) as
the channel "offline": each is one order of its own, with no buyer (it adds nothing to "buyers").
They are the seller's own: the platform's figures (the console, /insights, units sold) read
order lines alone. `Filters` narrows a seller's lines (the API's query parameters, the page's
channel); status and buyer country exist only for online lines, so either leaves offline sales out.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from app import db, inputs

UNITS = ("day", "week", "month", "year")
CHANNELS = ("online", "offline")
DIMENSIONS = ("category", "product")

# How the rows of each kind of order line are found: by the seller who sold or the buyer who paid.
OWNER_COLUMNS = {"seller": "o.seller_id", "buyer": "o.buyer_id"}
# The other party counted in the totals: a seller's distinct buyers, a buyer's distinct sellers.
COUNTERPART_COLUMNS = {"seller": "o.buyer_id", "buyer": "o.seller_id"}
# A variant's sales count for its product (issue 17): products are what shoppers and sellers compare.
DIMENSION_KEYS = {"category": "p.category_id", "product": "p.product_key"}
DIMENSION_NAMES = {
    "category": "(SELECT name FROM categories WHERE id = grouped.key)",
    "product": "(SELECT name FROM products WHERE id = grouped.key)",
}

# The distinct products of `lines` with their category and product key (a variant's parent).
SOLD_PRODUCTS = """
    SELECT sold.product_id AS id, product.category_id, coalesce(product.parent_id, product.id) AS product_key
    FROM (SELECT DISTINCT product_id FROM lines) AS sold
    CROSS JOIN LATERAL (
        SELECT id, category_id, parent_id FROM products WHERE products.id = sold.product_id
    ) AS product
"""

MAX_RANGE_DAYS = 3700  # ten years: enough for any dashboard, and bounds the work of one request
MAX_DAY_BUCKETS = 366  # a daily chart of more than a year is unreadable; week or month says it better


class InvalidQuery(inputs.InvalidInput):
    """A group-by or a date the request gave cannot be used; the message says why."""


@dataclass(frozen=True)
class Grouping:
    """What to group sales by: a dimension, a time unit, or one of each."""

    dimension: str | None = None
    unit: str | None = None

    @property
    def value(self) -> str:
        return ",".join(part for part in (self.dimension, self.unit) if part)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(part for part in (self.dimension, self.unit) if part)


# The allow-list: every group-by value the pages, the CSV and the API accept.
GROUPINGS = {
    grouping.value: grouping
    for grouping in (
        *(Grouping(dimension=dimension) for dimension in DIMENSIONS),
        *(Grouping(unit=unit) for unit in UNITS),
        *(Grouping(dimension, unit) for dimension in DIMENSIONS for unit in UNITS),
    )
}


def parse_grouping(value: str | None, default: str = "month") -> Grouping:
    """The Grouping a group_by value names; raise InvalidQuery listing the allowed values."""
    value = (value or default).strip().lower().replace(" ", "")
    if value not in GROUPINGS:
        raise InvalidQuery(f"Unknown group_by value. Allowed values: {', '.join(GROUPINGS)}.")
    return GROUPINGS[value]


@dataclass(frozen=True)
class Period:
    """Local dates from `start` to `end`, both included, in the IANA time zone `time_zone`.

    parse_period keeps both within inputs.EARLIEST_DATE and LATEST_DATE and the range within
    MAX_RANGE_DAYS, so the period before it and the day after it stay inside the calendar.
    """

    start: date
    end: date
    time_zone: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The period of the same length that ends the day before this one starts."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1), self.time_zone)

    def params(self) -> dict:
        """Bound parameters for the SQL range `ordered_at >= start AND ordered_at < end_exclusive`."""
        return {"start": self.start, "end_exclusive": self.end + timedelta(days=1), "time_zone": self.time_zone}


def default_period(today: date, time_zone: str) -> Period:
    """The last twelve months: the eleven whole months before this one, and this one so far."""
    months = today.year * 12 + today.month - 1 - 11
    return Period(date(months // 12, months % 12 + 1, 1), today, time_zone)


def _parse_date(raw: str, name: str) -> date:
    """A date of the query (inputs.parse_date keeps it where period arithmetic cannot overflow)."""
    try:
        return inputs.parse_date(raw, name)
    except inputs.InvalidInput as problem:
        raise InvalidQuery(str(problem)) from None


def parse_period(raw_from: str | None, raw_to: str | None, today: date, time_zone: str) -> Period:
    """The Period from ?from= and ?to= (either may be left out); raise InvalidQuery if unusable."""
    default = default_period(today, time_zone)
    raw_from, raw_to = (raw_from or "").strip(), (raw_to or "").strip()
    end = _parse_date(raw_to, "to") if raw_to else default.end
    start = _parse_date(raw_from, "from") if raw_from else min(default.start, end)
    if start > end:
        raise InvalidQuery("The from date must not be after the to date.")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise InvalidQuery(f"Choose a range of at most {MAX_RANGE_DAYS} days.")
    return Period(start, end, time_zone)


def check_grouping_fits(grouping: Grouping, period: Period) -> None:
    """Raise InvalidQuery when a daily grouping would draw more days than a chart can show."""
    if grouping.unit == "day" and period.days > MAX_DAY_BUCKETS:
        raise InvalidQuery(f"Group by day covers at most {MAX_DAY_BUCKETS} days: choose week, month or year.")


def period_starts(period: Period, unit: str) -> list[date]:
    """The first local day of every `unit` bucket that overlaps the period, as date_trunc gives them."""
    if unit == "day":
        first, step = period.start, None
    elif unit == "week":  # date_trunc('week') starts weeks on Monday
        first, step = period.start - timedelta(days=period.start.weekday()), None
    elif unit == "month":
        first, step = period.start.replace(day=1), 1
    else:
        first, step = period.start.replace(month=1, day=1), 12
    starts = []
    current = first
    while current <= period.end:
        starts.append(current)
        if step is None:
            current += timedelta(days=1 if unit == "day" else 7)
        else:
            months = current.year * 12 + current.month - 1 + step
            current = date(months // 12, months % 12 + 1, 1)
    return starts


@dataclass(frozen=True)
class Filters:
    """Which of a seller's lines count (all of them by default); the values are checked by the caller.

    product_id takes the product's variants with it (sales group a variant under its product);
    statuses are order line statuses (none: every line but the cancelled ones, as the pages count).
    """

    product_id: int | None = None
    category_id: int | None = None
    statuses: tuple[str, ...] = ()
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    buyer_country: str | None = None
    channel: str | None = None  # "online", "offline" or None for both

    @property
    def online(self) -> bool:
        return self.channel != "offline"

    @property
    def offline(self) -> bool:
        """Offline sales have no status and no buyer: a filter on either leaves them out."""
        return self.channel != "online" and not self.statuses and self.buyer_country is None

    def params(self) -> dict:
        return {
            "product_id": self.product_id,
            "category_id": self.category_id,
            "statuses": list(self.statuses),
            "min_amount": self.min_amount,
            "max_amount": self.max_amount,
            "buyer_country": self.buyer_country,
        }


NO_FILTERS = Filters()

_IN_RANGE = """
              AND {alias}.{moment} >= CAST(:start AS timestamp) AT TIME ZONE :time_zone
              AND {alias}.{moment} < CAST(:end_exclusive AS timestamp) AT TIME ZONE :time_zone"""

# A filter's condition on an online line (o) and on an offline sale (s): fixed text, values bound.
_PRODUCT = """IN (SELECT id FROM products WHERE id = :product_id
                   UNION ALL
                   SELECT id FROM products WHERE parent_id = :product_id)"""
_CATEGORY = "IN (SELECT id FROM products WHERE category_id = :category_id)"
FILTER_CONDITIONS = {
    "product_id": (f"o.product_id {_PRODUCT}", f"s.product_id {_PRODUCT}"),
    "category_id": (f"o.product_id {_CATEGORY}", f"s.product_id {_CATEGORY}"),
    "min_amount": ("o.line_total >= :min_amount", "s.quantity * s.unit_price >= :min_amount"),
    "max_amount": ("o.line_total <= :max_amount", "s.quantity * s.unit_price <= :max_amount"),
    "buyer_country": (
        "EXISTS (SELECT 1 FROM purchases AS pu WHERE pu.id = o.purchase_id AND pu.ship_country = :buyer_country)",
        None,
    ),
}
# Without a status filter a line counts unless cancelled (the condition of orders_seller_sales_idx).
STATUS_CONDITIONS = {False: "o.cancelled_at IS NULL", True: "o.status = ANY(CAST(:statuses AS text[]))"}

ONLINE_LINES = """
            SELECT o.product_id, o.ordered_at, o.purchase_id, o.buyer_id, o.seller_id, o.quantity, o.line_total,
                   'online' AS channel
            FROM orders AS o
            WHERE {owner_column} = :owner_id
              AND {status}{range}{conditions}"""
OFFLINE_LINES = """
            SELECT s.product_id, s.created_at AS ordered_at, -s.id AS purchase_id, NULL::bigint AS buyer_id,
                   s.seller_id, s.quantity, s.quantity * s.unit_price AS line_total, 'offline' AS channel
            FROM offline_sales AS s
            WHERE s.seller_id = :owner_id{range}{conditions}"""


def _conditions(filters: Filters, channel: int) -> str:
    """The AND-ed conditions of the filters that are set, for online (0) or offline (1) lines."""
    chosen = [
        FILTER_CONDITIONS[name][channel]
        for name, value in filters.params().items()
        if name in FILTER_CONDITIONS and value is not None
    ]
    return "".join(f"\n              AND {condition}" for condition in chosen)


def _lines(owner: str, filters: Filters) -> str:
    """The owner's lines of the range as a subquery (product_id, ordered_at, purchase_id, buyer_id,
    seller_id, quantity, line_total, channel): order lines, and for a seller their offline sales,
    each an order of its own (a negative id, so it is never taken for a purchase)."""
    if owner == "buyer":
        filters = Filters(channel="online")
    parts = []
    if filters.online:
        parts.append(
            ONLINE_LINES.format(
                owner_column=OWNER_COLUMNS[owner],
                status=STATUS_CONDITIONS[bool(filters.statuses)],
                range=_IN_RANGE.format(alias="o", moment="ordered_at"),
                conditions=_conditions(filters, 0),
            )
        )
    if filters.offline:
        parts.append(
            OFFLINE_LINES.format(
                range=_IN_RANGE.format(alias="s", moment="created_at"), conditions=_conditions(filters, 1)
            )
        )
    if not parts:  # a status or buyer country with channel=offline: nothing can match
        parts.append(ONLINE_LINES.format(owner_column=OWNER_COLUMNS[owner], status="false", range="", conditions=""))
    return "(" + "\n            UNION ALL".join(parts) + "\n        )"


def get_filter_targets(seller_id: int, product_id: int | None, category_id: int | None):
    """Whether the seller offers (or offered) the product or one of its variants, and whether the
    category exists: a filter on anything else is answered with a 404, not an empty table."""
    return db.one(
        f"""
        SELECT EXISTS (
                   SELECT 1
                   FROM offers AS f
                   WHERE f.seller_id = :seller_id
                     AND f.product_id {_PRODUCT}
               ) AS product_offered,
               EXISTS (SELECT 1 FROM categories WHERE id = :category_id) AS category_exists
        """,  # noqa: S608 - a fixed fragment
        seller_id=seller_id,
        product_id=product_id,
        category_id=category_id,
    )


def get_totals(owner: str, owner_id: int, period: Period, filters: Filters = NO_FILTERS):
    """Revenue, units, orders and counterparts (buyers or sellers) in the period and the one before;
    the period's offline revenue, units and orders (a buyer has none)."""
    counterpart = COUNTERPART_COLUMNS[owner]
    return db.one(
        f"""
        SELECT coalesce(sum(o.line_total) FILTER (WHERE o.ordered_at >= bounds.start), 0) AS revenue,
               coalesce(sum(o.quantity) FILTER (WHERE o.ordered_at >= bounds.start), 0) AS units,
               count(DISTINCT o.purchase_id) FILTER (WHERE o.ordered_at >= bounds.start) AS orders,
               count(DISTINCT {counterpart}) FILTER (WHERE o.ordered_at >= bounds.start) AS counterparts,
               coalesce(sum(o.line_total) FILTER (WHERE o.ordered_at < bounds.start), 0) AS previous_revenue,
               coalesce(sum(o.quantity) FILTER (WHERE o.ordered_at < bounds.start), 0) AS previous_units,
               count(DISTINCT o.purchase_id) FILTER (WHERE o.ordered_at < bounds.start) AS previous_orders,
               count(DISTINCT {counterpart}) FILTER (WHERE o.ordered_at < bounds.start) AS previous_counterparts,
               coalesce(sum(o.line_total) FILTER (WHERE o.ordered_at >= bounds.start AND o.channel = 'offline'), 0)
                   AS offline_revenue,
               coalesce(sum(o.quantity) FILTER (WHERE o.ordered_at >= bounds.start AND o.channel = 'offline'), 0)
                   AS offline_units,
               count(*) FILTER (WHERE o.ordered_at >= bounds.start AND o.channel = 'offline') AS offline_orders
        FROM (SELECT CAST(:current_start AS timestamp) AT TIME ZONE :time_zone AS start) AS bounds
        CROSS JOIN {_lines(owner, filters)} AS o
        """,  # noqa: S608 - grouping and period expressions come from allow-listed dicts
        owner_id=owner_id,
        **filters.params(),
        start=period.previous().start,
        current_start=period.start,
        end_exclusive=period.end + timedelta(days=1),
        time_zone=period.time_zone,
    )


def list_sales(
    owner: str, owner_id: int, period: Period, grouping: Grouping, leaders: int, filters: Filters = NO_FILTERS
):
    """Revenue, units and orders per group (see the two functions below); keys are NULL by time alone."""
    if grouping.dimension is None:
        return list_sales_by_period(owner, owner_id, period, grouping.unit, filters)
    return list_sales_by_group(owner, owner_id, period, grouping, leaders, filters)


def list_sales_by_period(owner: str, owner_id: int, period: Period, unit: str, filters: Filters = NO_FILTERS):
    """Revenue, units and orders per local day, week, month or year that had sales."""
    return db.all(
        f"""
        SELECT NULL::bigint AS key,
               NULL::text AS name,
               CAST(date_trunc(:unit, o.ordered_at AT TIME ZONE :time_zone) AS date) AS period,
               sum(o.line_total) AS revenue,
               sum(o.quantity) AS units,
               count(DISTINCT o.purchase_id) AS orders
        FROM {_lines(owner, filters)} AS o
        GROUP BY period
        ORDER BY period
        """,  # noqa: S608 - grouping and period expressions come from allow-listed dicts
        owner_id=owner_id,
        unit=unit,
        **filters.params(),
        **period.params(),
    )


def list_sales_by_group(
    owner: str, owner_id: int, period: Period, grouping: Grouping, leaders: int, filters: Filters = NO_FILTERS
):
    """Revenue, units and orders of the `leaders` best categories or products by revenue (best
    first), then of the rest together under a NULL key; per local time bucket if the grouping has one."""
    period_sql = "date_trunc(:unit, o.ordered_at AT TIME ZONE :time_zone)" if grouping.unit else "NULL::timestamp"
    return db.all(
        f"""
        WITH lines AS MATERIALIZED (
            SELECT o.product_id,
                   {period_sql} AS period,
                   o.purchase_id,
                   o.quantity,
                   o.line_total
            FROM {_lines(owner, filters)} AS o
        ),
        -- Each distinct product's category and product (a variant's parent), looked up once
        -- rather than once per order line, by primary key: a join would let the planner scan
        -- every product when it guesses many distinct ones.
        product_categories AS MATERIALIZED ({SOLD_PRODUCTS}),
        sales AS MATERIALIZED (
            SELECT {DIMENSION_KEYS[grouping.dimension]} AS key,
                   lines.period,
                   lines.purchase_id,
                   lines.quantity,
                   lines.line_total
            FROM lines
            JOIN product_categories AS p ON p.id = lines.product_id
        ),
        leaders AS (
            SELECT key, row_number() OVER (ORDER BY sum(line_total) DESC, key) AS rank
            FROM sales
            WHERE key IS NOT NULL
            GROUP BY key
            ORDER BY rank
            LIMIT :leaders
        ),
        grouped AS (
            SELECT leaders.key,
                   leaders.rank,
                   sales.period,
                   sum(sales.line_total) AS revenue,
                   sum(sales.quantity) AS units,
                   count(DISTINCT sales.purchase_id) AS orders
            FROM sales
            LEFT JOIN leaders ON leaders.key = sales.key
            GROUP BY leaders.key, leaders.rank, sales.period
        )
        SELECT grouped.key,
               {DIMENSION_NAMES[grouping.dimension]} AS name,
               CAST(grouped.period AS date) AS period,
               grouped.revenue,
               grouped.units,
               grouped.orders
        FROM grouped
        ORDER BY grouped.rank NULLS LAST, grouped.period
        """,  # noqa: S608 - grouping and period expressions come from allow-listed dicts
        owner_id=owner_id,
        unit=grouping.unit,
        leaders=leaders,
        **filters.params(),
        **period.params(),
    )


def list_top_products_and_categories(seller_id: int, period: Period, limit: int, filters: Filters = NO_FILTERS):
    """The seller's `limit` best products and `limit` best categories by revenue, from one pass
    over the period's lines: rows with dimension 'product' or 'category', best first."""
    return db.all(
        f"""
        WITH lines AS MATERIALIZED (
            SELECT o.product_id, o.purchase_id, o.quantity, o.line_total
            FROM {_lines("seller", filters)} AS o
        ),
        -- Each sold product's category and product (a variant's parent), looked up once, by
        -- primary key; a variant's sales count for its product.
        sold AS MATERIALIZED ({SOLD_PRODUCTS}),
        by_product AS MATERIALIZED (
            SELECT sold.product_key AS product_id,
                   sold.category_id,
                   sum(lines.line_total) AS revenue,
                   sum(lines.quantity) AS units,
                   count(DISTINCT lines.purchase_id) AS orders
            FROM lines
            JOIN sold ON sold.id = lines.product_id
            GROUP BY sold.product_key, sold.category_id
        ),
        category_orders AS (
            SELECT category_id, count(*) AS orders
            FROM (
                SELECT DISTINCT sold.category_id, lines.purchase_id
                FROM lines
                JOIN sold ON sold.id = lines.product_id
            ) AS category_purchases
            GROUP BY category_id
        ),
        top_products AS (
            SELECT 'product' AS dimension, product_id AS key, revenue, units, orders
            FROM by_product
            ORDER BY revenue DESC, product_id
            LIMIT :limit
        ),
        top_categories AS (
            SELECT 'category' AS dimension, by_product.category_id AS key,
                   sum(by_product.revenue) AS revenue, sum(by_product.units) AS units, category_orders.orders
            FROM by_product
            JOIN category_orders ON category_orders.category_id = by_product.category_id
            GROUP BY by_product.category_id, category_orders.orders
            ORDER BY revenue DESC, key
            LIMIT :limit
        )
        SELECT top.dimension,
               top.key,
               CASE top.dimension
                   WHEN 'product' THEN (SELECT name FROM products WHERE id = top.key)
                   ELSE (SELECT name FROM categories WHERE id = top.key)
               END AS name,
               top.revenue,
               top.units,
               top.orders
        FROM (SELECT * FROM top_products UNION ALL SELECT * FROM top_categories) AS top
        ORDER BY top.dimension, top.revenue DESC, top.key
        """,  # noqa: S608 - grouping and period expressions come from allow-listed dicts
        owner_id=seller_id,
        limit=limit,
        **period.params(),
        **filters.params(),
    )


def list_slow_movers(seller_id: int, days: int, limit: int, time_zone: str):
    """Active offers in stock with no sale (online or offline) in the last `days` days, most money tied up first;
    `total` says how many there are in all."""
    return db.all(
        """
        WITH slow AS (
            SELECT f.product_id,
                   f.price,
                   f.quantity,
                   f.price * f.quantity AS stock_value,
                   f.created_at,
                   count(*) OVER () AS total
            FROM offers AS f
            WHERE f.seller_id = :seller_id
              AND f.is_active
              AND f.quantity > 0
              AND NOT EXISTS (
                  SELECT 1
                  FROM orders AS o
                  WHERE o.seller_id = f.seller_id
                    AND o.product_id = f.product_id
                    AND o.cancelled_at IS NULL
                    AND o.ordered_at >= now() - make_interval(days => :days)
              )
              AND NOT EXISTS (
                  SELECT 1
                  FROM offline_sales AS s
                  WHERE s.seller_id = f.seller_id
                    AND s.product_id = f.product_id
                    AND s.created_at >= now() - make_interval(days => :days)
              )
            ORDER BY stock_value DESC, f.product_id
            LIMIT :limit
        )
        SELECT slow.product_id,
               p.name AS product_name,
               slow.price,
               slow.quantity,
               slow.stock_value,
               CAST(slow.created_at AT TIME ZONE :time_zone AS date) AS listed_on,
               slow.total
        FROM slow
        JOIN products AS p ON p.id = slow.product_id
        ORDER BY slow.stock_value DESC, slow.product_id
        """,
        seller_id=seller_id,
        days=days,
        limit=limit,
        time_zone=time_zone,
    )


def list_rating_by_month(seller_id: int, period: Period):
    """The seller's reviews per local month of the period: how many, their average, and the
    average of every review up to the end of that month."""
    return db.all(
        """
        SELECT month, reviews, average, running_average
        FROM (
            SELECT CAST(month AS date) AS month,
                   reviews,
                   round(rating_sum / reviews, 2) AS average,
                   round(sum(rating_sum) OVER running / sum(reviews) OVER running, 2) AS running_average
            FROM (
                SELECT date_trunc('month', r.created_at AT TIME ZONE :time_zone) AS month,
                       count(*) AS reviews,
                       sum(r.rating)::numeric AS rating_sum
                FROM seller_reviews AS r
                WHERE r.seller_id = :seller_id
                  AND r.created_at < CAST(:end_exclusive AS timestamp) AT TIME ZONE :time_zone
                GROUP BY 1
            ) AS monthly
            WINDOW running AS (ORDER BY month)
        ) AS history
        WHERE month >= date_trunc('month', CAST(:start AS timestamp))
        ORDER BY month
        """,
        seller_id=seller_id,
        **period.params(),
    )


def list_departments_overview():
    """Every department with its products, the products on offer and the units sold, best sellers first."""
    return db.all(
        """
        SELECT d.id,
               d.name,
               d.slug,
               coalesce(sum(by_category.products), 0) AS products,
               coalesce(sum(by_category.on_offer), 0) AS on_offer,
               coalesce(sum(by_category.units_sold), 0) AS units_sold
        FROM departments AS d
        LEFT JOIN categories AS c ON c.department_id = d.id
        LEFT JOIN (
            SELECT category_id,
                   count(*) AS products,
                   count(min_price) AS on_offer,
                   sum(units_sold) AS units_sold
            FROM products
            GROUP BY category_id
        ) AS by_category ON by_category.category_id = c.id
        GROUP BY d.id
        ORDER BY units_sold DESC, d.name
        """
    )


def list_price_distribution(edges: list[int]):
    """How many products on offer have their lowest price in each bucket of `edges` (in dollars)."""
    return db.all(
        """
        SELECT width_bucket(min_price, CAST(:edges AS numeric[])) AS bucket,
               count(*) AS products
        FROM products
        WHERE min_price IS NOT NULL
        GROUP BY bucket
        ORDER BY bucket
        """,
        edges=edges,
    )


def list_best_rated_sellers(minimum_reviews: int, limit: int):
    """Sellers with at least `minimum_reviews` reviews, best average first (more reviews break ties)."""
    return db.all(
        """
        SELECT id,
               full_name,
               seller_rating_count AS reviews,
               round(seller_rating_sum::numeric / seller_rating_count, 2) AS average
        FROM users
        WHERE seller_rating_count >= :minimum_reviews
        ORDER BY seller_rating_sum::numeric / seller_rating_count DESC, seller_rating_count DESC, id
        LIMIT :limit
        """,
        minimum_reviews=minimum_reviews,
        limit=limit,
    )
