"""Offline sales a seller records through the API (POST /api/v1/sales): units sold outside the
site, taken from the offer's stock with an inventory event "offline sale".

Each sale carries the client's Idempotency-Key, unique per seller: a retry of the same request
gets the first sale back instead of selling again, and the key reused for a different request is
refused. The offer and then its product are locked first (app/models/locks.py), so concurrent
sales of the last units queue on the offer and each sees the stock the previous one left.
"""

from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from app import db
from app.models import inventory, locks

REASON = "offline sale"


class SaleRefused(Exception):
    """An offline sale that cannot be recorded; the message says why."""


class NoSuchOffer(SaleRefused):
    def __init__(self) -> None:
        super().__init__("You have no offer of this product.")


class NotEnoughStock(SaleRefused):
    def __init__(self, quantity: int) -> None:
        super().__init__(f"Only {quantity} in stock.")
        self.quantity = quantity


class KeyReused(SaleRefused):
    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was used for a different request.")


def get_sale_by_key(conn, seller_id: int, key: str):
    """The seller's sale recorded with this Idempotency-Key, or None."""
    return db.fetch_one(
        conn,
        """
        SELECT id, seller_id, product_id, quantity, unit_price, request_digest, created_at
        FROM offline_sales
        WHERE seller_id = :seller_id
          AND idempotency_key = :key
        """,
        seller_id=seller_id,
        key=key,
    )


@db.retry_on_conflict
def record_sale(
    seller_id: int, product_id: int, quantity: int, unit_price: Decimal | None, key: str, digest: str
) -> tuple[dict, bool]:
    """Record an offline sale once per key; return (the sale, True if this call recorded it).

    A replay returns the first sale (False) if `digest` matches the first request's, and raises
    KeyReused if not. The key is looked up under the offer's lock; a concurrent first use of the
    same key on another offer meets the unique key and is answered as a replay.
    """
    try:
        with db.transaction() as conn:
            offer = locks.lock_offer(conn, seller_id, product_id)
            earlier = get_sale_by_key(conn, seller_id, key)
            if earlier is not None:
                return _replay(earlier, digest), False
            if offer is None:
                raise NoSuchOffer()
            locks.lock_products(conn, [product_id])
            if offer["quantity"] < quantity:
                raise NotEnoughStock(offer["quantity"])
            left = offer["quantity"] - quantity
            db.execute(
                conn,
                """
                UPDATE offers
                SET quantity = :left,
                    updated_at = now()
                WHERE seller_id = :seller_id
                  AND product_id = :product_id
                """,
                left=left,
                seller_id=seller_id,
                product_id=product_id,
            )
            inventory.record_stock_change(conn, seller_id, product_id, -quantity, left, REASON)
            sale = db.fetch_one(
                conn,
                """
                INSERT INTO offline_sales (seller_id, product_id, quantity, unit_price, idempotency_key, request_digest)
                VALUES (:seller_id, :product_id, :quantity, :unit_price, :key, :digest)
                RETURNING id, seller_id, product_id, quantity, unit_price, request_digest, created_at
                """,
                seller_id=seller_id,
                product_id=product_id,
                quantity=quantity,
                unit_price=offer["price"] if unit_price is None else unit_price,
                key=key,
                digest=digest,
            )
            return dict(sale), True
    except IntegrityError as error:
        if getattr(error.orig, "pgcode", None) != "23505":
            raise
    with db.connect() as conn:
        return _replay(get_sale_by_key(conn, seller_id, key), digest), False


def _replay(earlier, digest: str) -> dict:
    """The first sale of a key, if this request is the same one."""
    if earlier["request_digest"] != digest:
        raise KeyReused()
    return dict(earlier)
