"""Moderation holds on offers: a take-down or a suspension holds the offers it concerns (they
leave the catalog and checkout refuses them), and lifting it lets the same offers sell again.

Both lock in app/models/locks.py's order: the offers (by product, then seller), then their
products, whose summaries the offers trigger refreshes. The trigger of migration 0009 keeps an
offer held while its product is not listed or its seller is suspended, whoever reactivates it.
"""

from sqlalchemy import Connection

from app import db
from app.models import locks

# Whose offers: one product's and its variants', or one seller's (fixed conditions, chosen by name).
OWNERS = {
    "product": "product_id IN (SELECT id FROM products WHERE id = :owner_id OR parent_id = :owner_id)",
    "seller": "seller_id = :owner_id",
}
STATES = {"active": "is_active", "held": "moderation_hold"}


def lock_offers_and_products(conn: Connection, owner: str, owner_id: int, state: str) -> None:
    """Lock a product's (and its variants') or a seller's active (or held) offers, then their products."""
    keys = [
        (row["seller_id"], row["product_id"])
        for row in db.fetch_all(
            conn,
            f"""
            SELECT seller_id, product_id
            FROM offers
            WHERE {OWNERS[owner]}
              AND {STATES[state]}
            """,  # noqa: S608 - allow-listed column names
            owner_id=owner_id,
        )
    ]
    locks.lock_offers(conn, keys)
    locks.lock_products(conn, [product_id for _, product_id in keys])


def switch_offers(conn: Connection, owner: str, owner_id: int, activate: bool) -> int:
    """Hold every active offer of the product or seller, or (activate) let its held offers sell again.

    Reads the offers afresh, so one added while the locks were taken is held too. Returns how
    many offers changed state (held ones the trigger keeps held do not count).
    """
    rows = db.fetch_all(
        conn,
        f"""
        UPDATE offers
        SET is_active = :activate, moderation_hold = NOT :activate, updated_at = now()
        WHERE {OWNERS[owner]}
          AND {STATES["held" if activate else "active"]}
        RETURNING is_active
        """,  # noqa: S608 - allow-listed column names
        owner_id=owner_id,
        activate=activate,
    )
    return sum(1 for row in rows if row["is_active"] == activate)
