"""Order lines: one per (product, seller) of a purchase, placed, then fulfilled or cancelled.

Every write to `orders` is here; the pages that list lines read them in purchase.py (the
buyer's /purchases) and fulfilment.py (the seller's /seller/orders). A line's state changes
only under its row lock (locks.lock_order_lines), so a cancellation and a "mark fulfilled"
of the same line wait for each other and exactly one of them wins.
"""

from sqlalchemy import Connection

from app import db
from app.models import locks


def record_lines(conn: Connection, purchase_id: int, buyer_id: int, lines):
    """Insert the purchase's lines (seller_id, product_id, quantity, unit_price); return them.

    The caller holds the lines' offers and products locked: the insert's trigger adds the
    units to each product's units_sold.
    """
    return db.fetch_all(
        conn,
        """
        INSERT INTO orders (purchase_id, buyer_id, seller_id, product_id, quantity, unit_price, ordered_at)
        SELECT :purchase_id, :buyer_id, line.seller_id, line.product_id, line.quantity, line.price, now()
        FROM unnest(CAST(:sellers AS bigint[]), CAST(:products AS bigint[]), CAST(:quantities AS int[]),
                    CAST(:prices AS numeric[])) AS line(seller_id, product_id, quantity, price)
        ORDER BY line.product_id, line.seller_id
        RETURNING id, seller_id, product_id, quantity, line_total
        """,
        purchase_id=purchase_id,
        buyer_id=buyer_id,
        sellers=[line["seller_id"] for line in lines],
        products=[line["product_id"] for line in lines],
        quantities=[line["quantity"] for line in lines],
        prices=[line["unit_price"] for line in lines],
    )


def why_not_cancellable(line, purchase_id: int, buyer_id: int) -> str | None:
    """Why the buyer cannot cancel this (locked) line, or None if they can."""
    if line is None or line["purchase_id"] != purchase_id or line["buyer_id"] != buyer_id:
        return "There is no such line in this purchase."
    if line["fulfilled_at"] is not None:
        return "This line has already shipped and can no longer be cancelled."
    if line["cancelled_at"] is not None:
        return "This line is already cancelled."
    return None


def mark_cancelled(conn: Connection, order_id: int) -> None:
    """Record the cancellation of a locked open line (its trigger takes back units_sold)."""
    db.execute(conn, "UPDATE orders SET cancelled_at = now() WHERE id = :order_id", order_id=order_id)


def count_own_lines(seller_id: int, order_ids: list[int]) -> int:
    """How many of these order lines are the seller's (the guard before fulfilling)."""
    return db.value(
        "SELECT count(*) FROM orders WHERE id = ANY(:order_ids) AND seller_id = :seller_id",
        order_ids=order_ids,
        seller_id=seller_id,
    )


@db.retry_on_conflict
def mark_fulfilled(seller_id: int, order_ids: list[int]) -> list[int]:
    """Record the shipping time on the seller's open lines among `order_ids`; return those marked.

    The lines are locked in id order first, so two overlapping "mark fulfilled" never
    deadlock; a line cancelled meanwhile is seen cancelled once its lock is granted, and
    skipped. Stock is not touched: it left the offer at checkout.
    """
    with db.transaction() as conn:
        locks.lock_order_lines(conn, order_ids)
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
