"""Order lines: one per (product, seller) of a purchase, and the states they move through.

    placed -> shipped -> delivered -> return_requested -> (returned ->) refunded
                                                       -> return_refused
    placed -> cancelled

Every write to `orders` is here; the pages that list lines read them in purchase.py (the
buyer's /purchases) and fulfilment.py (the seller's /seller/orders), and escrow.py moves the
money a line holds. Each transition locks its lines first (locks.lock_order_lines) and reads
their state under the lock, and its UPDATE repeats the condition: of a cancellation and a
"mark shipped" of the same line, or a "confirm receipt" and the automatic delivery, exactly one
wins and the other is told why (TransitionRefused, a 409). Each writes its e-mails to the
outbox in the same transaction (order_mail.py). A state's time is statement_timestamp(), taken
after the line's lock was granted: now() is when the transaction began, which may be before the
step it follows committed (a confirmation that waited for "mark shipped" would be delivered
before it shipped).
"""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Connection

from app import db, jobs, order_mail
from app.models import escrow, inventory, locks, points
from app.templating import money

DELIVERY_WAIT = timedelta(days=14)  # after shipping, a line not confirmed is taken as delivered
DELIVERY_BATCH = 500  # lines marked delivered per job run; a full batch queues the next run at once


# What each state of a line is called on pages, the invoice and in CSV files.
STATUS_NAMES = {
    "placed": "Placed",
    "shipped": "Shipped",
    "delivered": "Delivered",
    "return_requested": "Return requested",
    "return_refused": "Return refused",
    "refunded": "Refunded",
    "cancelled": "Cancelled",
}


class TransitionRefused(Exception):
    """The line is not in a state that allows this; the message says why, for the person acting."""


class NoSuchLine(LookupError):
    """The line does not exist or is not the caller's to act on (a 404, never a hint it exists)."""


def record_lines(conn: Connection, purchase_id: int, buyer_id: int, lines):
    """Insert the purchase's lines (seller_id, product_id, quantity, unit_price, the discounts by
    source with their coupons, paid, held_amount: checkout._priced); return them.

    paid is what the buyer paid for the line in money; held_amount what escrow holds for the seller
    (escrow.hold_sales credits it). The caller
    holds the lines' offers and products locked: the insert's trigger adds the units to each
    product's units_sold.
    """
    return db.fetch_all(
        conn,
        """
        INSERT INTO orders (purchase_id, buyer_id, seller_id, product_id, quantity, unit_price, paid, held_amount,
                            seller_discount, seller_coupon_id, platform_discount, platform_coupon_id,
                            points_spent, points_discount, ordered_at)
        SELECT :purchase_id, :buyer_id, line.seller_id, line.product_id, line.quantity, line.price, line.paid,
               line.held, line.seller_discount, line.seller_coupon_id, line.platform_discount,
               line.platform_coupon_id, line.points_spent, line.points_spent / 100.0, now()
        FROM unnest(CAST(:sellers AS bigint[]), CAST(:products AS bigint[]), CAST(:quantities AS int[]),
                    CAST(:prices AS numeric[]), CAST(:paid AS numeric[]), CAST(:held AS numeric[]),
                    CAST(:seller_discounts AS numeric[]), CAST(:seller_coupons AS bigint[]),
                    CAST(:platform_discounts AS numeric[]), CAST(:platform_coupons AS bigint[]),
                    CAST(:points AS int[]))
             AS line(seller_id, product_id, quantity, price, paid, held, seller_discount, seller_coupon_id,
                     platform_discount, platform_coupon_id, points_spent)
        ORDER BY line.product_id, line.seller_id
        RETURNING id, seller_id, product_id, quantity, line_total, paid, held_amount
        """,
        purchase_id=purchase_id,
        buyer_id=buyer_id,
        sellers=[line["seller_id"] for line in lines],
        products=[line["product_id"] for line in lines],
        quantities=[line["quantity"] for line in lines],
        prices=[line["unit_price"] for line in lines],
        paid=[line["paid"] for line in lines],
        held=[line["held_amount"] for line in lines],
        seller_discounts=[line.get("seller_discount", 0) for line in lines],
        seller_coupons=[line.get("seller_coupon_id") for line in lines],
        platform_discounts=[line.get("platform_discount", 0) for line in lines],
        platform_coupons=[line.get("platform_coupon_id") for line in lines],
        points=[line.get("points_spent", 0) for line in lines],
    )


def _check_buyer_line(line, purchase_id: int, buyer_id: int) -> None:
    """Refuse a (locked) line that is not in this buyer's purchase, as if it did not exist."""
    if line is None or line["purchase_id"] != purchase_id or line["buyer_id"] != buyer_id:
        raise NoSuchLine()


def _check_seller_line(line, seller_id: int) -> None:
    """Refuse a (locked) line that is not this seller's, as if it did not exist."""
    if line is None or line["seller_id"] != seller_id:
        raise NoSuchLine()


# What each state answers to an action it does not allow.
_ALREADY = {
    "placed": "This line has not shipped yet.",
    "shipped": "This line has already shipped.",
    "delivered": "This line has already been delivered.",
    "return_requested": "A return of this line is already waiting for the seller's answer.",
    "return_refused": "The seller refused the return of this line.",
    "refunded": "This line has already been refunded.",
    "cancelled": "This line is cancelled.",
}


def why_not_cancellable(line, purchase_id: int, buyer_id: int) -> str | None:
    """Why the buyer cannot cancel this (locked) line, or None if they can."""
    if line is None or line["purchase_id"] != purchase_id or line["buyer_id"] != buyer_id:
        return "There is no such line in this purchase."
    if line["status"] == "cancelled":
        return "This line is already cancelled."
    if line["status"] != "placed":
        return "This line has already shipped and can no longer be cancelled."
    return None


def mark_cancelled(conn: Connection, line) -> None:
    """Record the cancellation of a locked placed line, refunded in full (its trigger takes back units_sold)."""
    db.execute(
        conn,
        """
        UPDATE orders
        SET status = 'cancelled', cancelled_at = statement_timestamp(), refunded_amount = paid
        WHERE id = :order_id
          AND status = 'placed'
        """,
        order_id=line["id"],
    )


def count_own_lines(seller_id: int, order_ids: list[int]) -> int:
    """How many of these order lines are the seller's (the guard before shipping)."""
    return db.value(
        "SELECT count(*) FROM orders WHERE id = ANY(:order_ids) AND seller_id = :seller_id",
        order_ids=order_ids,
        seller_id=seller_id,
    )


@db.retry_on_conflict
def mark_shipped(seller_id: int, order_ids: list[int], carrier: str, tracking_number: str | None) -> list[int]:
    """Record that the seller's placed lines among `order_ids` left by `carrier`; return those marked.

    The lines are locked in id order first, so two overlapping "mark shipped" never deadlock; a
    line cancelled meanwhile is seen cancelled once its lock is granted, and skipped. Stock is not
    touched: it left the offer at checkout. fulfilled_at, the column's old name, is kept equal.
    """
    with db.transaction() as conn:
        locks.lock_order_lines(conn, order_ids)
        rows = db.fetch_all(
            conn,
            """
            UPDATE orders
            SET status = 'shipped', shipped_at = statement_timestamp(), fulfilled_at = statement_timestamp(),
                carrier = :carrier, tracking_number = :tracking_number
            WHERE id = ANY(:order_ids)
              AND seller_id = :seller_id
              AND status = 'placed'
            RETURNING id
            """,
            order_ids=order_ids,
            seller_id=seller_id,
            carrier=carrier,
            tracking_number=tracking_number or None,
        )
        marked = sorted(row["id"] for row in rows)
        if marked:
            order_mail.shipped(conn, marked)
    return marked


def mark_fulfilled(seller_id: int, order_ids: list[int]) -> list[int]:
    """The old name of mark_shipped, for callers not yet moved (no carrier known: "Unspecified")."""
    return mark_shipped(seller_id, order_ids, "Unspecified", None)


def _set_delivered(conn: Connection, order_ids: list[int], automatically: bool) -> list[int]:
    """Mark the shipped lines among these (locked) ones delivered now; return those marked."""
    rows = db.fetch_all(
        conn,
        """
        UPDATE orders
        SET status = 'delivered', delivered_at = statement_timestamp(), auto_delivered = :automatically
        WHERE id = ANY(:order_ids)
          AND status = 'shipped'
        RETURNING id
        """,
        order_ids=order_ids,
        automatically=automatically,
    )
    delivered = sorted(row["id"] for row in rows)
    if delivered:
        on_delivered(conn, delivered)
        order_mail.delivered(conn, delivered, automatically)
    return delivered


def on_delivered(conn: Connection, order_ids: list[int]) -> None:
    """Runs in the transaction that marks these lines delivered (by the buyer or the job), once per line.

    The one hook for what follows a delivery: issue 14's member points are earned here (call
    points.earn_for_lines(conn, order_ids) or similar from this function; nothing else marks a
    line delivered). Lines never come here twice: the UPDATE above is conditional on 'shipped'.
    """
    points.earn_for_lines(conn, order_ids)


@db.retry_on_conflict
def confirm_receipt(order_id: int, purchase_id: int, buyer_id: int) -> None:
    """The buyer says a shipped line arrived: it is delivered, and its return window opens."""
    with db.transaction() as conn:
        line = next(iter(locks.lock_order_lines(conn, [order_id])), None)
        _check_buyer_line(line, purchase_id, buyer_id)
        if line["status"] != "shipped":
            raise TransitionRefused(_ALREADY[line["status"]])
        _set_delivered(conn, [order_id], automatically=False)


def _lock_overdue_lines(conn: Connection, limit: int) -> list[int]:
    """Lines shipped more than DELIVERY_WAIT ago and not delivered, locked; lines others hold are skipped."""
    rows = db.fetch_all(
        conn,
        """
        SELECT id
        FROM orders
        WHERE status = 'shipped'
          AND shipped_at <= now() - make_interval(secs => :wait)
        ORDER BY shipped_at, id
        LIMIT :limit
        FOR NO KEY UPDATE SKIP LOCKED
        """,
        wait=DELIVERY_WAIT.total_seconds(),
        limit=limit,
    )
    return [row["id"] for row in rows]


def deliver_overdue(conn: Connection, limit: int = DELIVERY_BATCH) -> int:
    """Mark delivered the lines shipped DELIVERY_WAIT ago that nobody confirmed; return how many.

    SKIP LOCKED: a line a buyer is confirming right now is left to them (the next run would see
    it delivered); one this takes first makes the buyer's confirmation wait, then find it delivered.
    """
    order_ids = _lock_overdue_lines(conn, limit)
    return len(_set_delivered(conn, order_ids, automatically=True)) if order_ids else 0


@jobs.periodic("orders.deliver", every=timedelta(minutes=10))
def deliver_job(conn: Connection, payload: dict) -> None:
    """Periodic: mark overdue shipped lines delivered; a full batch queues another run at once."""
    if deliver_overdue(conn) == DELIVERY_BATCH:
        jobs.enqueue(conn, "orders.deliver", unique_key="orders.deliver:more")


@db.retry_on_conflict
def request_return(order_id: int, purchase_id: int, buyer_id: int, reason: str) -> None:
    """The buyer asks to return a delivered line, within the return window, saying why.

    The window is measured at this statement, after the line's lock was granted, not when the
    transaction began (now()): the release job may have taken the lock first, found the window
    closed and released the money, and a return of a released line is refused, never written
    (orders_released_check would refuse it: a 500).
    """
    window_closed = f"The {escrow.RETURN_WINDOW.days}-day return window of this line has closed."
    with db.transaction() as conn:
        line = next(iter(locks.lock_order_lines(conn, [order_id])), None)
        _check_buyer_line(line, purchase_id, buyer_id)
        if line["status"] != "delivered":
            if line["status"] in ("placed", "shipped"):
                raise TransitionRefused("A line can be returned once it has been delivered.")
            raise TransitionRefused(_ALREADY[line["status"]])
        if line["released_at"] is not None:
            raise TransitionRefused(window_closed)
        changed = db.execute(
            conn,
            """
            UPDATE orders
            SET status = 'return_requested', return_requested_at = statement_timestamp(), return_reason = :reason
            WHERE id = :order_id
              AND status = 'delivered'
              AND released_at IS NULL
              AND delivered_at > statement_timestamp() - make_interval(secs => :window)
            """,
            order_id=order_id,
            reason=reason,
            window=escrow.RETURN_WINDOW.total_seconds(),
        )
        if not changed:
            raise TransitionRefused(window_closed)
        order_mail.return_requested(conn, order_id)


def _lock_return(conn: Connection, order_id: int, seller_id: int):
    """Lock a line whose return the seller answers; refuse it unless a return is waiting."""
    line = next(iter(locks.lock_order_lines(conn, [order_id])), None)
    _check_seller_line(line, seller_id)
    if line["status"] != "return_requested":
        raise TransitionRefused(
            "No return of this line is waiting for your answer."
            if line["status"] in ("placed", "shipped", "delivered", "cancelled")
            else _ALREADY[line["status"]]
        )
    return line


@db.retry_on_conflict
def accept_return(order_id: int, seller_id: int, restock: bool) -> Decimal:
    """The seller accepts a return: the buyer is refunded from the held money at once, and the
    units go back in stock if `restock` (the item came back sellable). Returns the refund.

    A line sold before escrow began holds nothing: its refund comes from the seller's available
    balance, and when that is short the return is refused (TransitionRefused) with nothing changed.
    """
    with db.transaction() as conn:
        line = _lock_return(conn, order_id, seller_id)
        locks.lock_shipments(conn, [(line["purchase_id"], seller_id)])
        if restock:
            locks.lock_offer(conn, seller_id, line["product_id"])
            locks.lock_products(conn, [line["product_id"]])
        locks.lock_users(conn, [line["buyer_id"], seller_id])
        db.execute(
            conn,
            """
            UPDATE orders
            SET status = 'refunded', refunded_at = statement_timestamp(), refunded_amount = paid,
                returned_at = CASE WHEN :restock THEN statement_timestamp() END
            WHERE id = :order_id
              AND status = 'return_requested'
            """,
            order_id=order_id,
            restock=restock,
        )
        if restock:
            inventory.return_stock(conn, line, "return")
        try:
            refunded = escrow.refund_line(conn, line, line["buyer_id"])
        except escrow.SellerCannotRefund:
            raise TransitionRefused(
                f"This line was sold before payments were held until delivery, and your available balance "
                f"cannot cover its refund of {money(line['paid'])}. Top it up, then accept the return again."
            ) from None
        escrow.settle_fee(conn, line["purchase_id"], seller_id)
        order_mail.return_answered(conn, order_id, accepted=True)
        return refunded


@db.retry_on_conflict
def refuse_return(order_id: int, seller_id: int, reason: str) -> None:
    """The seller refuses a return, saying why; the line stays delivered and its money held until
    the return window has closed."""
    with db.transaction() as conn:
        _lock_return(conn, order_id, seller_id)
        db.execute(
            conn,
            """
            UPDATE orders
            SET status = 'return_refused', return_refused_at = statement_timestamp(), refuse_reason = :reason
            WHERE id = :order_id
              AND status = 'return_requested'
            """,
            order_id=order_id,
            reason=reason,
        )
        order_mail.return_answered(conn, order_id, accepted=False)
