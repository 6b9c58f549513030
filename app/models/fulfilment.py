"""The order lines a seller ships and answers returns of, as /seller/orders lists them:
filters by state and date, keyword search, the CSV export.

Marking lines shipped and answering returns change them, so they live with the other order-line
writes in order.py.

A seller sees only their own lines of a purchase (every query filters on seller_id), with the
buyer's name, the address the purchase is sent to and the buyer's note, never the purchase's
other sellers or its total.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app import db
from app.inputs import text_arg
from app.models import pricing
from app.query_args import local_day_bounds, read_dates

# Status of one line; fixed SQL fragments chosen by name, in the order the filter lists them.
STATUS_CONDITIONS = {
    "to_ship": "o.status = 'placed'",
    "shipped": "o.status = 'shipped'",
    "delivered": "o.status IN ('delivered', 'return_refused')",
    "return_requested": "o.status = 'return_requested'",
    "refunded": "o.status = 'refunded'",
    "cancelled": "o.status = 'cancelled'",
}
STATUS_LABELS = {
    "to_ship": "To ship",
    "shipped": "Shipped",
    "delivered": "Delivered",
    "return_requested": "Returns to answer",
    "refunded": "Refunded",
    "cancelled": "Cancelled",
    "all": "All orders",
}
DEFAULT_STATUS = "to_ship"  # the page opens on what is left to ship, oldest first
STATUS_ALIASES = {"pending": "to_ship", "fulfilled": "shipped"}  # the filter's names before shipping and delivery
EXPORT_LIMIT = 50_000  # lines in one /seller/orders.csv


@dataclass(frozen=True)
class LineFilters:
    status: str = ""  # a key of STATUS_CONDITIONS, or "" for every line
    date_from: date | None = None
    date_to: date | None = None
    keyword: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.date_from or self.date_to or self.keyword)

    @property
    def oldest_first(self) -> bool:
        """Lines to ship are listed oldest first: the longest-waiting buyer comes first."""
        return self.status == "to_ship"

    @property
    def status_arg(self) -> str:
        """The status as the query string names it ("all" for every line)."""
        return self.status or "all"


def parse_filters(args) -> LineFilters:
    """Read the /seller/orders filters from query arguments; bad ones are dropped with a note.

    No status at all means DEFAULT_STATUS; "all" means every line.
    """
    dates, problems = read_dates(args)
    status = args.get("status", DEFAULT_STATUS) or "all"
    status = STATUS_ALIASES.get(status, status)
    if status == "all":
        status = ""
    elif status not in STATUS_CONDITIONS:
        problems.append("Ignored the status filter: choose one of the listed states.")
        status = ""
    keyword = text_arg(args, "q")
    return LineFilters(status, dates.get("date_from"), dates.get("date_to"), keyword, problems)


# How a keyword search finds its lines (list_matching_line_ids).
SAMPLE_LINES = 200  # the seller's newest lines, read to judge how common the keyword is
WALK_LINES = 4_000  # the most lines a newest-first walk reads before the search falls back

# Does line `o` match the keyword by its product's or its buyer's name? Scalar subqueries, so
# each line looks up its own two names (the planner cannot turn them into a join that reads
# every product or buyer matching the keyword, a sixth of the catalog for a word like "the").
_LINE_MATCHES = """(
    (SELECT named.name FROM products AS named WHERE named.id = o.product_id) ILIKE :pattern ESCAPE '\\'
    OR (SELECT buyer.full_name FROM users AS buyer WHERE buyer.id = o.buyer_id) ILIKE :pattern ESCAPE '\\'
)"""


def _lookup_matching_lines(where: str) -> str:
    """SQL for the ids and times of the seller's lines (orders AS o, under `where`) whose buyer
    or product name contains the keyword, found from the other side: buyers through their name's
    trigram index, products among the seller's own offers (up to all of their names)."""
    return f"""
        SELECT o.id, o.ordered_at
        FROM users AS buyer
        JOIN orders AS o ON o.buyer_id = buyer.id AND o.seller_id = :seller_id
        WHERE {where}
          AND buyer.full_name ILIKE :pattern ESCAPE '\\'
        UNION
        SELECT o.id, o.ordered_at
        FROM offers AS mine
        JOIN products AS named ON named.id = mine.product_id
        JOIN orders AS o ON o.seller_id = mine.seller_id AND o.product_id = mine.product_id
        WHERE {where}
          AND mine.seller_id = :seller_id
          AND named.name ILIKE :pattern ESCAPE '\\'
    """  # noqa: S608 - filters are fixed fragments with bound values


def _where(seller_id: int, filters: LineFilters) -> tuple[str, dict]:
    """WHERE conditions on orders AS o for the status and dates (fixed fragments), and their
    bound parameters. The keyword is list_matching_line_ids' business."""
    conditions = ["o.seller_id = :seller_id"]
    params: dict = {"seller_id": seller_id}
    if filters.status:
        conditions.append(STATUS_CONDITIONS[filters.status])
    # The seller's local days, as the page shows times.
    params |= local_day_bounds(filters.date_from, filters.date_to)
    if "starts_at" in params:
        conditions.append("o.ordered_at >= :starts_at")
    if "ends_at" in params:
        conditions.append("o.ordered_at < :ends_at")
    return " AND ".join(conditions), params


# What the orders page shows of a line (orders AS o, products AS p, users AS buyer, purchases AS pu).
# ship_to is the purchase's copy of its delivery address (the buyer's profile for purchases made
# by a server before addresses were kept).
_LINE_COLUMNS = """o.id, o.purchase_id, o.ordered_at, o.quantity, o.unit_price, o.line_total, o.paid, o.held_amount,
               o.seller_discount, o.platform_discount, o.points_discount,
               o.status, o.shipped_at, o.carrier, o.tracking_number, o.delivered_at, o.auto_delivered,
               o.return_requested_at, o.return_reason, o.return_refused_at, o.refuse_reason, o.returned_at,
               o.refunded_at, o.refunded_amount, o.cancelled_at, o.released_at,
               o.product_id, p.name AS product_name, o.buyer_id, buyer.full_name AS buyer_name,
               coalesce(pu.ship_to, buyer.full_name || E'\\n' || buyer.address) AS ship_to, pu.note"""

# The tables _LINE_COLUMNS reads, from a line (orders AS o) on.
_LINE_FROM = """FROM orders AS o
        JOIN products AS p ON p.id = o.product_id
        JOIN users AS buyer ON buyer.id = o.buyer_id
        JOIN purchases AS pu ON pu.id = o.purchase_id"""

# Newest first, or oldest first for the lines to ship (the index serves both directions).
_ORDERS = {False: "o.ordered_at DESC, o.id DESC", True: "o.ordered_at, o.id"}


def list_lines(seller_id: int, filters: LineFilters, limit: int, offset: int):
    """One page of the seller's order lines, newest first (to ship: oldest first), with product and buyer.

    The page's ids are chosen first, from the seller's index on (ordered_at, id) alone
    where the filters allow, and only those lines are read and joined.
    """
    where, params = _where(seller_id, filters)
    order_by = _ORDERS[filters.oldest_first]
    return db.all(
        f"""
        SELECT {_LINE_COLUMNS}
        FROM (
            SELECT o.id
            FROM orders AS o
            WHERE {where}
            ORDER BY {order_by}
            LIMIT :limit OFFSET :offset
        ) AS page
        JOIN orders AS o ON o.id = page.id
        JOIN products AS p ON p.id = o.product_id
        JOIN users AS buyer ON buyer.id = o.buyer_id
        JOIN purchases AS pu ON pu.id = o.purchase_id
        ORDER BY {order_by}
        """,  # noqa: S608 - filters are fixed fragments with bound values
        **params,
        limit=limit,
        offset=offset,
    )


def count_lines(seller_id: int, filters: LineFilters) -> int:
    """How many of the seller's order lines match the status and dates (no keyword)."""
    where, params = _where(seller_id, filters)
    return db.value(f"SELECT count(*) FROM orders AS o WHERE {where}", **params)  # noqa: S608 - filters are fixed fragments with bound values


def list_matching_line_ids(seller_id: int, filters: LineFilters, at_most: int) -> list[int]:
    """Ids of the seller's lines matching the filters and keyword, newest first, at most `at_most`.

    Two ways to find them, chosen inside the query. Walking the lines newest first and looking
    up each one's two names costs microseconds a line: cheap when the keyword is common (a word
    in a sixth of the lines takes six lines a match), hopeless when it is rare. The lookup
    from the names' side costs up to one name per offer, whatever the keyword. The seller's
    newest SAMPLE_LINES lines tell how far the walk would go: it runs if that is within
    WALK_LINES, and if it reads WALK_LINES lines without finding `at_most` the lookup runs after all.
    """
    where, params = _where(seller_id, filters)
    rows = db.all(
        f"""
        WITH sample AS MATERIALIZED (
            SELECT o.product_id, o.buyer_id
            FROM orders AS o
            WHERE {where}
            ORDER BY o.ordered_at DESC, o.id DESC
            LIMIT :sample_lines
        ),
        choice AS MATERIALIZED (
            -- walk if the sample is all there is, or its share of matches promises at_most
            -- matches within walk_lines lines
            SELECT count(*) < :sample_lines
                   OR count(*) FILTER (WHERE {_LINE_MATCHES}) * :walk_lines >= :at_most * :sample_lines AS walk
            FROM sample AS o
        ),
        walk_window AS MATERIALIZED (
            -- read only as far as the walk below asks (a CTE is computed on demand)
            SELECT o.id, o.ordered_at, o.product_id, o.buyer_id
            FROM orders AS o
            WHERE {where}
              AND (SELECT walk FROM choice)
            ORDER BY o.ordered_at DESC, o.id DESC
            LIMIT :walk_lines
        ),
        walked AS MATERIALIZED (
            SELECT o.id, o.ordered_at
            FROM walk_window AS o
            WHERE {_LINE_MATCHES}
            ORDER BY o.ordered_at DESC, o.id DESC
            LIMIT :at_most
        ),
        walk_found_all AS MATERIALIZED (
            -- enough matches, or the window held every line
            SELECT (SELECT walk FROM choice)
                   AND ((SELECT count(*) FROM walked) = :at_most
                        OR (SELECT count(*) FROM walk_window) < :walk_lines) AS yes
        )
        SELECT id, ordered_at
        FROM walked
        WHERE (SELECT yes FROM walk_found_all)
        UNION ALL
        (
            SELECT found.id, found.ordered_at
            FROM ({_lookup_matching_lines(where)}) AS found
            WHERE NOT (SELECT yes FROM walk_found_all)
            ORDER BY found.ordered_at DESC, found.id DESC
            LIMIT :at_most
        )
        ORDER BY ordered_at DESC, id DESC
        """,  # noqa: S608 - filters are fixed fragments with bound values
        **params,
        pattern=db.contains_pattern(filters.keyword),
        sample_lines=SAMPLE_LINES,
        walk_lines=WALK_LINES,
        at_most=at_most,
    )
    return [row["id"] for row in rows]


def list_lines_by_id(seller_id: int, order_ids: list[int], oldest_first: bool = False):
    """The seller's order lines among `order_ids`, newest (or oldest) first, with product and buyer."""
    return db.all(
        f"""
        SELECT {_LINE_COLUMNS}
        {_LINE_FROM}
        WHERE o.id = ANY(:order_ids)
          AND o.seller_id = :seller_id
        ORDER BY {_ORDERS[oldest_first]}
        """,  # noqa: S608 - a fixed column list and an allow-listed order
        order_ids=order_ids,
        seller_id=seller_id,
    )


def get_line(seller_id: int, order_id: int):
    """One of the seller's order lines with product and buyer, or None if it is not theirs."""
    return db.one(
        f"""
        SELECT {_LINE_COLUMNS}
        {_LINE_FROM}
        WHERE o.id = :order_id
          AND o.seller_id = :seller_id
        """,  # noqa: S608 - a fixed column list
        order_id=order_id,
        seller_id=seller_id,
    )


def list_export_lines(seller_id: int, filters: LineFilters):
    """The seller's lines matching the status and dates (for /seller/orders.csv), in the page's order.

    A keyword narrows them through list_matching_line_ids, as on the page.
    """
    where, params = _where(seller_id, filters)
    if filters.keyword:
        where += " AND o.id = ANY(:matching)"
        params["matching"] = list_matching_line_ids(seller_id, filters, EXPORT_LIMIT)
    order_by = _ORDERS[filters.oldest_first]
    return db.all(
        f"""
        SELECT {_LINE_COLUMNS}
        {_LINE_FROM}
        WHERE {where}
        ORDER BY {order_by}
        LIMIT :limit
        """,  # noqa: S608 - filters are fixed fragments with bound values
        **params,
        limit=EXPORT_LIMIT,
    )


def seller_gets(line) -> Decimal:
    """What the seller gets for a line: its proceeds (its total less their own coupon's share; the
    platform pays its coupon and the points), or nothing once cancelled or refunded, since a refund
    gives the proceeds back. Not what escrow holds: an old line paid out before escrow held nothing."""
    return Decimal("0.00") if line["status"] in ("cancelled", "refunded") else pricing.seller_proceeds(line)


def count_waiting(seller_id: int):
    """What waits for the seller: lines to ship and returns to answer."""
    return db.one(
        """
        SELECT (SELECT count(*) FROM orders WHERE seller_id = :seller_id AND status = 'placed') AS to_ship,
               (SELECT count(*) FROM orders WHERE seller_id = :seller_id AND status = 'return_requested')
               AS return_requested
        """,
        seller_id=seller_id,
    )


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


def list_lines_after(
    seller_id: int,
    after_id: int,
    limit: int,
    status: str | None = None,
    starts_at=None,
    ends_at=None,
):
    """A page of the seller's order lines for the API, newest first (ordered_at, id), after the line
    `after_id` (0: from the newest); `status` is one of order.STATUS_NAMES, the bounds are instants.

    Keyset pages on the seller's (ordered_at, id) index: a line another seller owns as `after_id`
    matches nothing, so the page is empty rather than someone else's position.
    """
    conditions = ["o.seller_id = :seller_id"]
    params: dict = {"seller_id": seller_id, "limit": limit}
    if status:
        conditions.append("o.status = :status")
        params["status"] = status
    if starts_at is not None:
        conditions.append("o.ordered_at >= :starts_at")
        params["starts_at"] = starts_at
    if ends_at is not None:
        conditions.append("o.ordered_at < :ends_at")
        params["ends_at"] = ends_at
    if after_id:
        conditions.append(
            "(o.ordered_at, o.id) < (SELECT c.ordered_at, c.id FROM orders AS c"
            " WHERE c.id = :after_id AND c.seller_id = :seller_id)"
        )
        params["after_id"] = after_id
    where = " AND ".join(conditions)
    return db.all(
        f"""
        SELECT {_LINE_COLUMNS}
        FROM (
            SELECT o.id
            FROM orders AS o
            WHERE {where}
            ORDER BY o.ordered_at DESC, o.id DESC
            LIMIT :limit
        ) AS page
        JOIN orders AS o ON o.id = page.id
        JOIN products AS p ON p.id = o.product_id
        JOIN users AS buyer ON buyer.id = o.buyer_id
        JOIN purchases AS pu ON pu.id = o.purchase_id
        ORDER BY o.ordered_at DESC, o.id DESC
        """,  # noqa: S608 - fixed fragments with bound values
        **params,
    )
