"""A seller as a whole: the figures of their dashboard (/seller), the stock under which it
warns them, and the public list of what they sell (their profile, /users/<id>).

One offer, the inventory list and offering a product are in offer.py; stock history in
inventory.py; products the seller creates in seller_product.py; their order lines to ship in
fulfilment.py.
"""

from app import db


def get_stock_summary(seller_id: int, threshold: int):
    """Counts of the seller's active, low-stock and sold-out offers, in one pass."""
    return db.one(
        """
        SELECT count(*) FILTER (WHERE is_active) AS active_offers,
               count(*) FILTER (WHERE is_active AND quantity <= :threshold) AS low_stock,
               count(*) FILTER (WHERE is_active AND quantity = 0) AS sold_out,
               count(*) FILTER (WHERE NOT is_active) AS removed_offers,
               coalesce(sum(quantity) FILTER (WHERE is_active), 0) AS units_in_stock
        FROM offers
        WHERE seller_id = :seller_id
        """,
        seller_id=seller_id,
        threshold=threshold,
    )


def list_low_stock(seller_id: int, threshold: int, limit: int):
    """Active offers at or under the threshold, emptiest first."""
    return db.all(
        """
        SELECT o.product_id, p.name AS product_name, o.quantity, o.price
        FROM offers AS o
        JOIN products AS p ON p.id = o.product_id
        WHERE o.seller_id = :seller_id
          AND o.is_active
          AND o.quantity <= :threshold
        ORDER BY o.quantity, o.product_id
        LIMIT :limit
        """,
        seller_id=seller_id,
        threshold=threshold,
        limit=limit,
    )


def update_low_stock_threshold(seller_id: int, threshold: int) -> None:
    """The stock at or under which the dashboard warns the seller."""
    db.run(
        "UPDATE users SET low_stock_threshold = :threshold WHERE id = :seller_id",
        seller_id=seller_id,
        threshold=threshold,
    )


def list_public_offers(seller_id: int, limit: int, offset: int):
    """What the seller sells now, newest products first, as anyone may see it."""
    return db.all(
        """
        SELECT p.id, p.name, p.image_id, o.price, o.quantity
        FROM offers AS o
        JOIN products AS p ON p.id = o.product_id
        WHERE o.seller_id = :seller_id
          AND o.is_active
        ORDER BY o.product_id DESC
        LIMIT :limit OFFSET :offset
        """,
        seller_id=seller_id,
        limit=limit,
        offset=offset,
    )


def count_public_offers(seller_id: int) -> int:
    """How many active offers the seller has."""
    return db.value(
        "SELECT count(*) FROM offers WHERE seller_id = :seller_id AND is_active",
        seller_id=seller_id,
    )
