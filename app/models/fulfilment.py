"""The order lines a seller must ship: the list with filters, and "Mark fulfilled".

A seller sees only their own lines of a purchase (every query filters on seller_id), with
the buyer's name and shipping address, never the purchase's other sellers or its total.
"""

from dataclasses import dataclass, field
from datetime import date

from app import db

# Status of one line; fixed SQL fragments chosen by name.
STATUS_CONDITIONS = {
    "pending": "o.fulfilled_at IS NULL AND o.cancelled_at IS NULL",
    "fulfilled": "o.fulfilled_at IS NOT NULL",
    "cancelled": "o.cancelled_at IS NOT NULL",
}


@dataclass(frozen=True)
class LineFilters:
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    keyword: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.status or self.date_from or self.date_to or self.keyword)


def parse_filters(args) -> LineFilters:
    """Read the /seller/orders filters from query arguments; bad ones are dropped with a note."""
    problems = []
    dates: dict[str, date | None] = {"date_from": None, "date_to": None}
    for name in dates:
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                dates[name] = date.fromisoformat(raw)
            except ValueError:
                problems.append(f"Ignored the date {raw[:20]!r}: use the form YYYY-MM-DD.")
    status = args.get("status") or ""
    if status and status not in STATUS_CONDITIONS:
        problems.append("Ignored the status filter: choose pending, fulfilled or cancelled.")
        status = ""
    keyword = (args.get("q") or "").strip()[:100]
    return LineFilters(status, dates["date_from"], dates["date_to"], keyword, problems)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# The seller's lines whose buyer or product name contains the keyword. Each branch starts
# from the smaller side (buyers found through their name's trigram index, or the seller's
# own offers) and reaches the lines through an index, never reading every line's row.
_LINES_MATCHING_KEYWORD = """
    SELECT line.id
    FROM users AS buyer
    JOIN orders AS line ON line.buyer_id = buyer.id AND line.seller_id = :seller_id
    WHERE buyer.full_name ILIKE :pattern ESCAPE '\\'
    UNION
    SELECT line.id
    FROM offers AS mine
    JOIN products AS named ON named.id = mine.product_id
    JOIN orders AS line ON line.seller_id = mine.seller_id AND line.product_id = mine.product_id
    WHERE mine.seller_id = :seller_id
      AND named.name ILIKE :pattern ESCAPE '\\'
"""


def _where(seller_id: int, filters: LineFilters) -> tuple[str, dict]:
    """WHERE conditions on orders AS o (fixed fragments) and their bound parameters."""
    conditions = ["o.seller_id = :seller_id"]
    params: dict = {"seller_id": seller_id}
    if filters.status:
        conditions.append(STATUS_CONDITIONS[filters.status])
    if filters.date_from:
        conditions.append("o.ordered_at >= CAST(:date_from AS date)")
        params["date_from"] = filters.date_from
    if filters.date_to:
        conditions.append("o.ordered_at < CAST(:date_to AS date) + 1")
        params["date_to"] = filters.date_to
    if filters.keyword:
        conditions.append(f"o.id IN ({_LINES_MATCHING_KEYWORD})")
        params["pattern"] = "%" + _escape_like(filters.keyword) + "%"
    return " AND ".join(conditions), params


def list_lines(seller_id: int, filters: LineFilters, limit: int, offset: int):
    """One page of the seller's order lines, newest first, with product and buyer.

    The page's ids are chosen first, from the seller's index on (ordered_at, id) alone
    where the filters allow, and only those lines are read and joined.
    """
    where, params = _where(seller_id, filters)
    return db.all(
        f"""
        SELECT o.id, o.purchase_id, o.ordered_at, o.quantity, o.unit_price, o.line_total,
               o.fulfilled_at, o.cancelled_at, o.product_id, p.name AS product_name,
               o.buyer_id, buyer.full_name AS buyer_name, buyer.address AS buyer_address
        FROM (
            SELECT o.id
            FROM orders AS o
            WHERE {where}
            ORDER BY o.ordered_at DESC, o.id DESC
            LIMIT :limit OFFSET :offset
        ) AS page
        JOIN orders AS o ON o.id = page.id
        JOIN products AS p ON p.id = o.product_id
        JOIN users AS buyer ON buyer.id = o.buyer_id
        ORDER BY o.ordered_at DESC, o.id DESC
        """,
        **params,
        limit=limit,
        offset=offset,
    )


def count_lines(seller_id: int, filters: LineFilters) -> int:
    """How many of the seller's order lines match the filters."""
    where, params = _where(seller_id, filters)
    return db.value(f"SELECT count(*) FROM orders AS o WHERE {where}", **params)


def count_own_lines(seller_id: int, order_ids: list[int]) -> int:
    """How many of these order lines are the seller's (the guard before fulfilling)."""
    return db.value(
        "SELECT count(*) FROM orders WHERE id = ANY(:order_ids) AND seller_id = :seller_id",
        order_ids=order_ids,
        seller_id=seller_id,
    )


def mark_fulfilled(seller_id: int, order_ids: list[int]) -> list[int]:
    """Record the shipping time on the seller's open lines among `order_ids`; return those marked.

    One conditional UPDATE: a line cancelled at the same moment holds its row lock (the
    cancellation updates it first), so this statement waits, re-reads the row, and skips it.
    Stock is not touched: it left the offer at checkout.
    """
    with db.transaction() as conn:
        rows = db.fetch_all(
            conn,
            """
            UPDATE orders
            SET fulfilled_at = now()
            WHERE id = ANY(:order_ids)
              AND seller_id = :seller_id
              AND fulfilled_at IS NULL
              AND cancelled_at IS NULL
            RETURNING id
            """,
            order_ids=order_ids,
            seller_id=seller_id,
        )
    return sorted(row["id"] for row in rows)


def get_recent_sales(seller_id: int):
    """Lines sold and revenue in the last 30 days (cancelled lines excluded)."""
    return db.one(
        """
        SELECT count(*) AS line_count,
               coalesce(sum(line_total), 0) AS revenue
        FROM orders
        WHERE seller_id = :seller_id
          AND ordered_at >= now() - interval '30 days'
          AND cancelled_at IS NULL
        """,
        seller_id=seller_id,
    )
