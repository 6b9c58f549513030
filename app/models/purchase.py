"""Purchases as their buyer sees them, and cancelling a line before it ships."""

from decimal import Decimal

from app import db
from app.models import balance, locks
from app.query_args import read_dates

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
    if filters.get("date_from"):
        conditions.append("p.created_at >= CAST(:date_from AS date)")
        params["date_from"] = filters["date_from"]
    if filters.get("date_to"):
        conditions.append("p.created_at < CAST(:date_to AS date) + 1")
        params["date_to"] = filters["date_to"]
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
        """,
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
        """,
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


def cancel_line(order_id: int, purchase_id: int, buyer_id: int) -> Decimal:
    """Cancel an unfulfilled line: refund the buyer, take it back from the seller, return
    the stock. One transaction; returns the refunded amount or raises CancelFailed.

    The first statement marks the line cancelled only if it is still open, and so takes
    the row lock a concurrent "mark fulfilled" also needs: exactly one of them wins.
    """
    with db.transaction() as conn:
        line = db.fetch_one(
            conn,
            """
            UPDATE orders
            SET cancelled_at = now()
            WHERE id = :order_id
              AND purchase_id = :purchase_id
              AND buyer_id = :buyer_id
              AND fulfilled_at IS NULL
              AND cancelled_at IS NULL
            RETURNING id, seller_id, product_id, quantity, line_total
            """,
            order_id=order_id,
            purchase_id=purchase_id,
            buyer_id=buyer_id,
        )
        if line is None:
            raise CancelFailed(_why_not_cancellable(conn, order_id, purchase_id, buyer_id))
        _return_stock(conn, line)
        _refund(conn, line, purchase_id, buyer_id)
        return line["line_total"]


def _why_not_cancellable(conn, order_id: int, purchase_id: int, buyer_id: int) -> str:
    state = db.fetch_one(
        conn,
        """
        SELECT fulfilled_at, cancelled_at
        FROM orders
        WHERE id = :order_id AND purchase_id = :purchase_id AND buyer_id = :buyer_id
        """,
        order_id=order_id,
        purchase_id=purchase_id,
        buyer_id=buyer_id,
    )
    if state is None:
        return "There is no such line in this purchase."
    if state["fulfilled_at"] is not None:
        return "This line has already shipped and can no longer be cancelled."
    return "This line is already cancelled."


def _return_stock(conn, line) -> None:
    db.execute(
        conn,
        """
        WITH returned AS (
            UPDATE offers
            SET quantity = quantity + :quantity,
                updated_at = now()
            WHERE seller_id = :seller_id
              AND product_id = :product_id
            RETURNING seller_id, product_id, quantity
        )
        INSERT INTO inventory_events (seller_id, product_id, delta, quantity_after, reason, order_id)
        SELECT seller_id, product_id, :quantity, quantity, 'cancellation', :order_id
        FROM returned
        """,
        quantity=line["quantity"],
        seller_id=line["seller_id"],
        product_id=line["product_id"],
        order_id=line["id"],
    )


def _refund(conn, line, purchase_id: int, buyer_id: int) -> None:
    """Move the line total from the seller back to the buyer, users locked in id order."""
    locks.lock_users(conn, [buyer_id, line["seller_id"]])
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
    keyword = (args.get("q") or "").strip()[:100]
    if keyword:
        filters["keyword"] = keyword
    status = args.get("status") or ""
    if status in STATUS_CONDITIONS:
        filters["status"] = status
    elif status:
        problems.append("Ignored the status filter: choose fulfilled, pending or cancelled.")
    return filters, problems
