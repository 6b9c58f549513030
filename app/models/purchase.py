"""Purchases as their buyer sees them, and cancelling a line before it ships."""

from decimal import Decimal

from app import db
from app.inputs import text_arg
from app.models import balance, inventory, locks, order
from app.query_args import local_day_bounds, read_dates

# Status of a purchase, from its lines: what the filter on /purchases means.
STATUS_CONDITIONS = {
    "fulfilled": "summary.open_lines = 0 AND summary.fulfilled_lines > 0",
    "pending": "summary.open_lines > 0",
    "cancelled": "summary.cancelled_lines = summary.line_count",
}


class CancelFailed(Exception):
    """The line could not be cancelled; the message says why, for the buyer."""


def _filters(buyer_id: int, filters: dict) -> tuple[str, dict]:
    """WHERE conditions (fixed SQL fragments) and their bound parameters."""
    conditions = ["p.buyer_id = :buyer_id"]
    params: dict = {"buyer_id": buyer_id}
    # The buyer's local days, as the page shows times.
    params |= local_day_bounds(filters.get("date_from"), filters.get("date_to"))
    if "starts_at" in params:
        conditions.append("p.created_at >= :starts_at")
    if "ends_at" in params:
        conditions.append("p.created_at < :ends_at")
    if filters.get("seller_id"):
        conditions.append("EXISTS (SELECT 1 FROM orders AS o WHERE o.purchase_id = p.id AND o.seller_id = :seller_id)")
        params["seller_id"] = filters["seller_id"]
    if filters.get("keyword"):
        conditions.append(
            """EXISTS (SELECT 1 FROM orders AS o JOIN products AS pr ON pr.id = o.product_id
                       WHERE o.purchase_id = p.id AND pr.name ILIKE :keyword ESCAPE '\\')"""
        )
        params["keyword"] = db.contains_pattern(filters["keyword"])
    if filters.get("status") in STATUS_CONDITIONS:
        conditions.append(STATUS_CONDITIONS[filters["status"]])
    return " AND ".join(conditions), params


_SUMMARY = """
    SELECT o.purchase_id,
           count(*) AS line_count,
           sum(o.quantity) AS item_count,
           count(*) FILTER (WHERE o.fulfilled_at IS NOT NULL) AS fulfilled_lines,
           count(*) FILTER (WHERE o.cancelled_at IS NOT NULL) AS cancelled_lines,
           count(*) FILTER (WHERE o.fulfilled_at IS NULL AND o.cancelled_at IS NULL) AS open_lines
    FROM orders AS o
    WHERE o.buyer_id = :buyer_id
    GROUP BY o.purchase_id
"""


def list_purchases(buyer_id: int, filters: dict, limit: int, offset: int):
    """One page of the buyer's purchases, newest first, with their line counts."""
    where, params = _filters(buyer_id, filters)
    return db.all(
        f"""
        SELECT p.id, p.created_at, p.total, summary.line_count, summary.item_count,
               summary.fulfilled_lines, summary.cancelled_lines, summary.open_lines
        FROM purchases AS p
        JOIN ({_SUMMARY}) AS summary ON summary.purchase_id = p.id
        WHERE {where}
        ORDER BY p.created_at DESC, p.id DESC
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - filters are fixed fragments with bound values
        **params,
        limit=limit,
        offset=offset,
    )


def count_purchases(buyer_id: int, filters: dict) -> int:
    """How many of the buyer's purchases match the filters."""
    where, params = _filters(buyer_id, filters)
    return db.value(
        f"""
        SELECT count(*)
        FROM purchases AS p
        JOIN ({_SUMMARY}) AS summary ON summary.purchase_id = p.id
        WHERE {where}
        """,  # noqa: S608 - filters are fixed fragments with bound values
        **params,
    )


def list_sellers_bought_from(buyer_id: int):
    """The sellers this buyer has bought from, by name (for the seller filter)."""
    return db.all(
        """
        SELECT DISTINCT u.id, u.full_name
        FROM orders AS o
        JOIN users AS u ON u.id = o.seller_id
        WHERE o.buyer_id = :buyer_id
        ORDER BY u.full_name, u.id
        """,
        buyer_id=buyer_id,
    )


def get_purchase(purchase_id: int, buyer_id: int):
    """The buyer's purchase, or None if it does not exist or is someone else's."""
    return db.one(
        "SELECT id, created_at, total FROM purchases WHERE id = :purchase_id AND buyer_id = :buyer_id",
        purchase_id=purchase_id,
        buyer_id=buyer_id,
    )


def list_lines(purchase_id: int, buyer_id: int):
    """Every line of the buyer's purchase with product and seller names."""
    return db.all(
        """
        SELECT o.id, o.product_id, pr.name AS product_name, pr.image_id,
               o.seller_id, s.full_name AS seller_name,
               o.quantity, o.unit_price, o.line_total, o.fulfilled_at, o.cancelled_at
        FROM orders AS o
        JOIN products AS pr ON pr.id = o.product_id
        JOIN users AS s ON s.id = o.seller_id
        WHERE o.purchase_id = :purchase_id
          AND o.buyer_id = :buyer_id
        ORDER BY o.id
        """,
        purchase_id=purchase_id,
        buyer_id=buyer_id,
    )


@db.retry_on_conflict
def cancel_line(order_id: int, purchase_id: int, buyer_id: int) -> Decimal:
    """Cancel an unfulfilled line: refund the buyer, take it back from the seller, return
    the stock. One transaction; returns the refunded amount or raises CancelFailed.

    The line is locked first and its state read under the lock, so a concurrent "mark
    fulfilled" of it waits or is waited for: exactly one of them wins. Its offer, product
    and both users are locked next, before the first write (locks.py): the line's trigger
    and the offer's would otherwise lock the product before the offer, against checkout.
    """
    with db.transaction() as conn:
        line = next(iter(locks.lock_order_lines(conn, [order_id])), None)
        refusal = order.why_not_cancellable(line, purchase_id, buyer_id)
        if refusal:
            raise CancelFailed(refusal)
        locks.lock_offer(conn, line["seller_id"], line["product_id"])
        locks.lock_products(conn, [line["product_id"]])
        locks.lock_users(conn, [buyer_id, line["seller_id"]])
        order.mark_cancelled(conn, order_id)
        inventory.return_stock(conn, line)
        _refund(conn, line, purchase_id, buyer_id)
        return line["line_total"]


def _refund(conn, line, purchase_id: int, buyer_id: int) -> None:
    """Move the line total from the seller back to the buyer (both locked by the caller)."""
    if balance.debit(conn, line["seller_id"], line["line_total"], "sale_refund", purchase_id) is None:
        raise CancelFailed("The seller cannot refund this line right now. Please message them about it.")
    balance.credit(conn, buyer_id, line["line_total"], "refund", purchase_id)


def parse_filters(args) -> tuple[dict, list[str]]:
    """Read the /purchases filters from query arguments; return them and any complaints."""
    filters, problems = read_dates(args)
    seller = (args.get("seller") or "").strip()
    if seller:
        if seller.isdigit() and len(seller) < 19:
            filters["seller_id"] = int(seller)
        else:
            problems.append("Ignored the seller filter: pick a seller from the list.")
    keyword = text_arg(args, "q")
    if keyword:
        filters["keyword"] = keyword
    status = args.get("status") or ""
    if status in STATUS_CONDITIONS:
        filters["status"] = status
    elif status:
        problems.append("Ignored the status filter: choose fulfilled, pending or cancelled.")
    return filters, problems
