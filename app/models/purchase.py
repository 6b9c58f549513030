"""Purchases as their buyer sees them (list, page, invoice, CSV), cancelling a line before it
ships, and buying a purchase again."""

from dataclasses import dataclass
from decimal import Decimal

from app import db, order_mail
from app.inputs import text_arg
from app.models import cart, escrow, inventory, locks, order, promotion
from app.query_args import local_day_bounds, read_dates

# Status of a purchase, from its lines: what the filter on /purchases means.
STATUS_CONDITIONS = {
    "pending": "summary.open_lines > 0",
    "delivered": "summary.open_lines = 0 AND summary.delivered_lines > 0",
    "returns": "summary.return_lines > 0",
    "cancelled": "summary.cancelled_lines = summary.line_count",
}
STATUS_ALIASES = {"fulfilled": "delivered"}  # the filter's name before lines were delivered

EXPORT_LIMIT = 50_000  # lines in one /purchases.csv


class CancelFailed(Exception):
    """The line could not be cancelled; the message says why, for the buyer."""


@dataclass(frozen=True)
class Cancelled:
    refunded: Decimal  # what the line cost
    fee_refunded: Decimal  # the seller's shipping fee too, when nothing else of theirs was left to ship


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
           count(*) FILTER (WHERE o.status IN ('placed', 'shipped')) AS open_lines,
           count(*) FILTER (WHERE o.status = 'shipped') AS shipped_lines,
           count(*) FILTER (WHERE o.delivered_at IS NOT NULL) AS delivered_lines,
           count(*) FILTER (WHERE o.status IN ('return_requested', 'return_refused', 'refunded')) AS return_lines,
           count(*) FILTER (WHERE o.status = 'cancelled') AS cancelled_lines,
           sum(o.refunded_amount) AS refunded_lines_amount
    FROM orders AS o
    WHERE o.buyer_id = :buyer_id
    GROUP BY o.purchase_id
"""

# What the buyer got back of a purchase's shipping fees (purchases AS p).
_FEES_REFUNDED = """(SELECT coalesce(sum(s.fee), 0)
                     FROM shipments AS s
                     WHERE s.purchase_id = p.id AND s.fee_refunded)"""


def list_purchases(buyer_id: int, filters: dict, limit: int, offset: int):
    """One page of the buyer's purchases, newest first, with their line counts and refunds."""
    where, params = _filters(buyer_id, filters)
    return db.all(
        f"""
        SELECT p.id, p.created_at, p.total, summary.line_count, summary.item_count,
               summary.open_lines, summary.shipped_lines, summary.delivered_lines, summary.return_lines,
               summary.cancelled_lines, summary.refunded_lines_amount + {_FEES_REFUNDED} AS refunded
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


def list_export_lines(buyer_id: int, filters: dict):
    """Every line of the buyer's purchases matching the filters (for /purchases.csv), newest first."""
    where, params = _filters(buyer_id, filters)
    return db.all(
        f"""
        SELECT p.id AS purchase_id, p.created_at, p.total, o.id, pr.name AS product_name,
               s.full_name AS seller_name, o.quantity, o.unit_price, o.line_total, o.seller_discount,
               o.platform_discount, o.points_discount, o.paid, o.status,
               o.shipped_at, o.carrier, o.tracking_number, o.delivered_at, o.cancelled_at, o.refunded_amount
        FROM purchases AS p
        JOIN ({_SUMMARY}) AS summary ON summary.purchase_id = p.id
        JOIN orders AS o ON o.purchase_id = p.id
        JOIN products AS pr ON pr.id = o.product_id
        JOIN users AS s ON s.id = o.seller_id
        WHERE {where}
        ORDER BY p.created_at DESC, p.id DESC, o.id
        LIMIT :limit
        """,  # noqa: S608 - filters are fixed fragments with bound values
        **params,
        limit=EXPORT_LIMIT,
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
    """The buyer's purchase with what was refunded of it, or None if it does not exist or is someone else's."""
    return db.one(
        f"""
        SELECT p.id, p.created_at, p.total, p.ship_to, p.note,
               (SELECT coalesce(sum(o.refunded_amount), 0) FROM orders AS o WHERE o.purchase_id = p.id)
               + {_FEES_REFUNDED} AS refunded
        FROM purchases AS p
        WHERE p.id = :purchase_id
          AND p.buyer_id = :buyer_id
        """,  # noqa: S608 - a fixed subquery
        purchase_id=purchase_id,
        buyer_id=buyer_id,
    )


def list_lines(purchase_id: int, buyer_id: int):
    """Every line of the buyer's purchase with product and seller names, its whole timeline, and
    how its seller ships it (the shipment's method and fee; NULL for a purchase made before
    shipments were kept), by seller."""
    return db.all(
        """
        SELECT o.id, o.product_id, pr.name AS product_name, pr.image_id,
               o.seller_id, s.full_name AS seller_name,
               o.quantity, o.unit_price, o.line_total, o.paid, o.status, o.ordered_at,
               o.seller_discount + o.platform_discount AS coupon_discount, o.points_spent,
               o.shipped_at, o.carrier, o.tracking_number, o.delivered_at, o.auto_delivered,
               o.return_requested_at, o.return_reason, o.return_refused_at, o.refuse_reason,
               o.returned_at, o.refunded_at, o.refunded_amount, o.cancelled_at,
               o.fulfilled_at,
               o.delivered_at + make_interval(secs => :window) AS return_until,
               o.status = 'delivered' AND o.delivered_at > now() - make_interval(secs => :window) AS can_return,
               sh.method_name, sh.fee, sh.min_days, sh.max_days, sh.fee_refunded
        FROM orders AS o
        JOIN products AS pr ON pr.id = o.product_id
        JOIN users AS s ON s.id = o.seller_id
        LEFT JOIN shipments AS sh ON sh.purchase_id = o.purchase_id AND sh.seller_id = o.seller_id
        WHERE o.purchase_id = :purchase_id
          AND o.buyer_id = :buyer_id
        ORDER BY o.seller_id, o.id
        """,
        purchase_id=purchase_id,
        buyer_id=buyer_id,
        window=escrow.RETURN_WINDOW.total_seconds(),
    )


@db.retry_on_conflict
def cancel_line(order_id: int, purchase_id: int, buyer_id: int) -> Cancelled:
    """Cancel a line that has not shipped: refund the buyer from the money held for the seller,
    return the stock, and the shipping fee too once nothing of that seller's is left to ship.
    One transaction; raises order.NoSuchLine, or CancelFailed with the reason.

    The line is locked first and its state read under the lock, so a concurrent "mark shipped"
    of it waits or is waited for: exactly one of them wins. Its shipment, offer, product, the
    purchase's coupons and both users are locked next, before the first write (locks.py): the
    line's trigger and the offer's would otherwise lock the product before the offer, against
    checkout. The coupons' lock makes the last two lines cancelled at once see each other, so the
    purchase's coupon uses are restored exactly once, when its last line goes.
    """
    with db.transaction() as conn:
        line = next(iter(locks.lock_order_lines(conn, [order_id])), None)
        if line is None or line["purchase_id"] != purchase_id or line["buyer_id"] != buyer_id:
            raise order.NoSuchLine()
        refusal = order.why_not_cancellable(line, purchase_id, buyer_id)
        if refusal:
            raise CancelFailed(refusal)
        seller_id = line["seller_id"]
        locks.lock_shipments(conn, [(purchase_id, seller_id)])
        locks.lock_offer(conn, seller_id, line["product_id"])
        locks.lock_products(conn, [line["product_id"]])
        coupon_ids = promotion.lock_purchase_coupons(conn, purchase_id)
        locks.lock_users(conn, [buyer_id, seller_id])
        order.mark_cancelled(conn, line)
        inventory.return_stock(conn, line)
        try:
            refunded = escrow.refund_line(conn, line, buyer_id)
        except escrow.SellerCannotRefund:
            raise CancelFailed("The seller cannot refund this line right now. Please message them about it.") from None
        fee_refunded = escrow.settle_fee(conn, purchase_id, seller_id)
        promotion.restore_if_all_cancelled(conn, purchase_id, coupon_ids)
        order_mail.cancelled(conn, order_id, fee_refunded)
        return Cancelled(refunded, fee_refunded)


def buy_again(purchase_id: int, buyer_id: int) -> int:
    """Put the purchase's lines back in the buyer's cart (what is still sold, up to the stock);
    return how many lines went in."""
    lines = db.all(
        """
        SELECT seller_id, product_id, quantity
        FROM orders
        WHERE purchase_id = :purchase_id
          AND buyer_id = :buyer_id
        ORDER BY id
        """,
        purchase_id=purchase_id,
        buyer_id=buyer_id,
    )
    return cart.merge_lines(buyer_id, [(line["seller_id"], line["product_id"], line["quantity"]) for line in lines])


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
    status = STATUS_ALIASES.get(status, status)
    if status in STATUS_CONDITIONS:
        filters["status"] = status
    elif status:
        problems.append("Ignored the status filter: choose pending, delivered, returns or cancelled.")
    return filters, problems
