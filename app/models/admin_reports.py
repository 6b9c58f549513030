"""The console's reports: stock, ratings, late shipments and searches that found nothing.

Each report is one query whose rows the list wraps as `r`, so one set of helpers pages, sorts,
filters and searches them all: sorts and filters are fixed fragments picked by name, the
search words match `r.name` through a bound pattern.
"""

from dataclasses import dataclass, field

from app import db
from app.models.admin_query import Listing, conditions, order_by

LATE_AFTER = "3 days"  # a line not shipped this long after it was ordered is late
MISSES_DAYS = 30  # searches that found nothing, over this many days


@dataclass(frozen=True)
class Report:
    """One report: its query, how it may be sorted and filtered, and its default order."""

    title: str
    description: str
    sql: str
    sorts: dict[str, str]
    default_sort: str
    default_direction: str = "desc"
    filters: dict[str, dict[str, str]] = field(default_factory=dict)


REPORTS = {
    "out-of-stock": Report(
        "Out of stock",
        "Listed products that someone offers but nobody has in stock, best sellers first.",
        """
        SELECT p.id, p.name, c.name AS category_name, p.offer_count, p.units_sold, p.rating_avg
        FROM products AS p
        JOIN categories AS c ON c.id = p.category_id
        WHERE p.status = 'listed'
          AND p.offer_count > 0
          AND p.total_stock = 0
        """,
        {"sold": "r.units_sold", "name": "r.name", "offers": "r.offer_count"},
        "sold",
    ),
    "low-stock": Report(
        "Low stock by seller",
        "Sellers with active offers at or below their own low-stock threshold.",
        """
        SELECT u.id, u.full_name AS name, u.low_stock_threshold AS threshold,
               count(*) FILTER (WHERE o.quantity = 0) AS out_of_stock,
               count(*) FILTER (WHERE o.quantity > 0 AND o.quantity <= u.low_stock_threshold) AS low_stock,
               count(*) AS active_offers
        FROM offers AS o
        JOIN users AS u ON u.id = o.seller_id
        WHERE o.is_active
        GROUP BY u.id
        HAVING count(*) FILTER (WHERE o.quantity <= u.low_stock_threshold) > 0
        """,
        {"low": "r.low_stock", "out": "r.out_of_stock", "offers": "r.active_offers", "name": "r.name"},
        "low",
    ),
    "product-ratings": Report(
        "Products by average rating",
        "Listed products with their average rating and how many visible reviews it comes from.",
        """
        SELECT p.id, p.name, c.name AS category_name, p.rating_avg, p.rating_count, p.units_sold
        FROM products AS p
        JOIN categories AS c ON c.id = p.category_id
        WHERE p.status = 'listed'
          AND p.rating_count > 0
        """,
        {"rating": "r.rating_avg", "reviews": "r.rating_count", "name": "r.name", "sold": "r.units_sold"},
        "rating",
        "asc",
        {"reviews": {"5": "r.rating_count >= 5", "20": "r.rating_count >= 20", "100": "r.rating_count >= 100"}},
    ),
    "seller-ratings": Report(
        "Sellers by average rating",
        "Sellers with their average rating and how many visible reviews it comes from.",
        """
        SELECT u.id, u.full_name AS name,
               round(u.seller_rating_sum::numeric / u.seller_rating_count, 2) AS rating_avg,
               u.seller_rating_count AS rating_count
        FROM users AS u
        WHERE u.seller_rating_count > 0
        """,
        {"rating": "r.rating_avg", "reviews": "r.rating_count", "name": "r.name"},
        "rating",
        "asc",
        {"reviews": {"5": "r.rating_count >= 5", "20": "r.rating_count >= 20"}},
    ),
    "late-shipments": Report(
        "Sellers with late shipments",
        f"Order lines neither shipped nor cancelled more than {LATE_AFTER} after they were ordered, per seller.",
        f"""
        SELECT u.id, u.full_name AS name, count(*) AS late_lines, sum(o.line_total) AS late_value,
               min(o.ordered_at) AS oldest_ordered_at
        FROM orders AS o
        JOIN users AS u ON u.id = o.seller_id
        WHERE o.fulfilled_at IS NULL
          AND o.cancelled_at IS NULL
          AND o.ordered_at < now() - INTERVAL '{LATE_AFTER}'
        GROUP BY u.id
        """,  # noqa: S608 - a fixed interval constant
        {"lines": "r.late_lines", "value": "r.late_value", "oldest": "r.oldest_ordered_at", "name": "r.name"},
        "lines",
    ),
    "search-misses": Report(
        "Searches with no results",
        f"What people searched the catalog for in the last {MISSES_DAYS} days and found nothing "
        "(words alone, no filters).",
        f"""
        SELECT NULL::bigint AS id, query AS name, sum(searches) AS searches, count(*) AS days, max(day) AS last_day
        FROM search_misses
        WHERE day > CAST(now() AT TIME ZONE 'UTC' AS date) - {MISSES_DAYS}
        GROUP BY query
        """,  # noqa: S608 - a fixed number of days
        {"searches": "r.searches", "days": "r.days", "last": "r.last_day", "name": "r.name"},
        "searches",
    ),
}

_MATCHES = "(CAST(:pattern AS text) IS NULL OR r.name ILIKE :pattern ESCAPE '\\')"


def list_rows(name: str, listing: Listing, limit: int, offset: int):
    """One page of a report's rows."""
    report = REPORTS[name]
    return db.all(
        f"""
        SELECT r.*
        FROM ({report.sql}) AS r
        WHERE {conditions(report.filters, listing, _MATCHES)}
        ORDER BY {order_by(report.sorts, listing, "r.name")}
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - fixed queries and fragments from allow-lists, values bound
        pattern=db.contains_pattern(listing.search) if listing.search else None,
        limit=limit,
        offset=offset,
    )


def count_rows(name: str, listing: Listing) -> int:
    """How many rows a report has."""
    report = REPORTS[name]
    return db.value(
        f"SELECT count(*) FROM ({report.sql}) AS r WHERE {conditions(report.filters, listing, _MATCHES)}",  # noqa: S608 - fixed
        pattern=db.contains_pattern(listing.search) if listing.search else None,
    )
