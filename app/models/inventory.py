"""Inventory events: every change of an offer's stock, and the stock history they make.

Each stock change writes its event here in the same transaction, so an offer's quantity is
always the sum of its events' deltas (db/check.py verifies it). The history is the lower
half of /seller/inventory/<product_id>; the offers themselves are in offer.py.
Callers hold the offer and its product locked (app/models/locks.py) before calling a writer.
"""

from sqlalchemy import Connection

from app import db


def record_stock_change(conn: Connection, seller_id: int, product_id: int, delta: int, after: int, reason: str):
    """The inventory event for a stock change the seller made."""
    db.execute(
        conn,
        """
        INSERT INTO inventory_events (seller_id, product_id, delta, quantity_after, reason)
        VALUES (:seller_id, :product_id, :delta, :quantity_after, :reason)
        """,
        seller_id=seller_id,
        product_id=product_id,
        delta=delta,
        quantity_after=after,
        reason=reason,
    )


def reason_for(delta: int) -> str:
    """The event reason of a seller's own stock change."""
    return "restock" if delta > 0 else "adjustment"


def take_stock(conn: Connection, orders) -> int:
    """Take each order line's quantity from its offer, only where the stock is there, with a
    'sale' event per line; return how many lines got their stock."""
    taken = db.fetch_all(
        conn,
        """
        WITH taken AS (
            UPDATE offers AS o
            SET quantity = o.quantity - line.quantity,
                updated_at = now()
            FROM unnest(CAST(:sellers AS bigint[]), CAST(:products AS bigint[]), CAST(:quantities AS int[]),
                        CAST(:order_ids AS bigint[])) AS line(seller_id, product_id, quantity, order_id)
            WHERE o.seller_id = line.seller_id
              AND o.product_id = line.product_id
              AND o.quantity >= line.quantity
            RETURNING o.seller_id, o.product_id, o.quantity AS quantity_after, line.quantity, line.order_id
        )
        INSERT INTO inventory_events (seller_id, product_id, delta, quantity_after, reason, order_id)
        SELECT seller_id, product_id, -quantity, quantity_after, 'sale', order_id
        FROM taken
        RETURNING id
        """,
        sellers=[order["seller_id"] for order in orders],
        products=[order["product_id"] for order in orders],
        quantities=[order["quantity"] for order in orders],
        order_ids=[order["id"] for order in orders],
    )
    return len(taken)


def return_stock(conn: Connection, line, reason: str = "cancellation") -> None:
    """Put an order line's quantity back on its offer, with its event: 'cancellation', or 'return'
    for the units of an accepted return that came back sellable."""
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
        SELECT seller_id, product_id, :quantity, quantity, :reason, :order_id
        FROM returned
        """,
        reason=reason,
        quantity=line["quantity"],
        seller_id=line["seller_id"],
        product_id=line["product_id"],
        order_id=line["id"],
    )


def list_inventory_events(seller_id: int, product_id: int, limit: int, offset: int):
    """One page of the offer's inventory events, newest first."""
    return db.all(
        """
        SELECT id, delta, quantity_after, reason, order_id, created_at
        FROM inventory_events
        WHERE seller_id = :seller_id
          AND product_id = :product_id
        ORDER BY id DESC
        LIMIT :limit OFFSET :offset
        """,
        seller_id=seller_id,
        product_id=product_id,
        limit=limit,
        offset=offset,
    )


def count_inventory_events(seller_id: int, product_id: int) -> int:
    """How many inventory events the offer has."""
    return db.value(
        "SELECT count(*) FROM inventory_events WHERE seller_id = :seller_id AND product_id = :product_id",
        seller_id=seller_id,
        product_id=product_id,
    )


def list_stock_points(seller_id: int, product_id: int, limit: int):
    """The stock after each of the offer's latest `limit` events, oldest first (for the chart)."""
    return db.all(
        """
        SELECT created_at, quantity_after
        FROM (
            SELECT id, created_at, quantity_after
            FROM inventory_events
            WHERE seller_id = :seller_id
              AND product_id = :product_id
            ORDER BY id DESC
            LIMIT :limit
        ) AS latest
        ORDER BY id
        """,
        seller_id=seller_id,
        product_id=product_id,
        limit=limit,
    )


def list_events_after(seller_id: int, after_id: int, limit: int, product_id: int | None = None):
    """A page of the seller's inventory events for the API, newest first, with ids below `after_id`
    (0: from the newest), of one product if `product_id` is given."""
    product_condition = "AND product_id = :product_id" if product_id is not None else ""
    after_condition = "AND id < :after_id" if after_id else ""
    return db.all(
        f"""
        SELECT id, product_id, delta, quantity_after, reason, order_id, created_at
        FROM inventory_events
        WHERE seller_id = :seller_id
          {product_condition}
          {after_condition}
        ORDER BY id DESC
        LIMIT :limit
        """,  # noqa: S608 - fixed fragments with bound values
        seller_id=seller_id,
        product_id=product_id,
        after_id=after_id,
        limit=limit,
    )


def has_events(seller_id: int, product_id: int) -> bool:
    """Whether the seller has any inventory event of the product (every offer starts with one)."""
    return db.value(
        """
        SELECT EXISTS (
            SELECT 1 FROM inventory_events WHERE seller_id = :seller_id AND product_id = :product_id
        )
        """,
        seller_id=seller_id,
        product_id=product_id,
    )
