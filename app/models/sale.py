"""Sale prices: a seller sells an offer below its usual price until a time they choose, or until
they end the sale.

offers.price stays the usual price; offers.sale_price and sale_ends_at lay the sale over it, and
offer_price_now() (migration 0012) is what a buyer is charged at this moment: the cart, the
product page and checkout read it, so a sale stops being charged the second it ends. The catalog
summary (products.min_price, the price sorts and filters use) counts a sale while it is recorded
on the offer; the periodic job below clears it at its end through the ordinary offer update
(offer locked, then product, then the UPDATE whose trigger refreshes the summary and bumps the
page cache's version), so sorts, filters and cached pages follow within a minute.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection

from app import db, jobs
from app.models import locks
from app.templating import money

END_BATCH = 200  # sales ended per job run; a full batch queues the next run at once


class SaleRefused(Exception):
    """The sale could not be started or ended; the message says why, for the seller."""


def _lock_offer(conn: Connection, seller_id: int, product_id: int):
    """Lock the seller's active offer, then its product (locks.py); refuse a removed one."""
    offer = locks.lock_offer(conn, seller_id, product_id)
    if offer is None or not offer["is_active"]:
        raise SaleRefused("This offer is removed. Offer the product again to put it on sale.")
    locks.lock_products(conn, [product_id])
    return offer


def _set_sale(conn: Connection, seller_id: int, product_id: int, sale_price, ends_at) -> None:
    """Write a locked offer's sale (NULLs end it); its trigger refreshes the product's summary."""
    db.execute(
        conn,
        """
        UPDATE offers
        SET sale_price = :sale_price,
            sale_ends_at = :ends_at,
            updated_at = now()
        WHERE seller_id = :seller_id
          AND product_id = :product_id
        """,
        seller_id=seller_id,
        product_id=product_id,
        sale_price=sale_price,
        ends_at=ends_at,
    )


@db.retry_on_conflict
def start_sale(seller_id: int, product_id: int, sale_price: Decimal, ends_at: datetime | None) -> None:
    """Put the offer on sale at `sale_price` (below its usual price) until `ends_at`, or until ended."""
    with db.transaction() as conn:
        offer = _lock_offer(conn, seller_id, product_id)
        if sale_price >= offer["price"]:
            raise SaleRefused(f"A sale price must be below the usual price, {money(offer['price'])}.")
        if ends_at is not None and ends_at <= db.fetch_one(conn, "SELECT now() AS now")["now"]:
            raise SaleRefused("The sale's end must be in the future.")
        _set_sale(conn, seller_id, product_id, sale_price, ends_at)


@db.retry_on_conflict
def end_sale(seller_id: int, product_id: int) -> bool:
    """End the offer's sale now; False if it had none."""
    with db.transaction() as conn:
        offer = locks.lock_offer(conn, seller_id, product_id)
        if offer is None or offer["sale_price"] is None:
            return False
        locks.lock_products(conn, [product_id])
        _set_sale(conn, seller_id, product_id, None, None)
        return True


def end_expired(conn: Connection, limit: int = END_BATCH) -> int:
    """Clear the sales whose end has passed (the offer-update path, so summaries and caches follow); return how many.

    Offers are taken in (product, seller) order, SKIP LOCKED: one a checkout or a seller holds is
    left for the next run, then its products are locked in id order, as every offer writer does.
    """
    offers = db.fetch_all(
        conn,
        """
        SELECT seller_id, product_id
        FROM offers
        WHERE sale_ends_at <= now()
        ORDER BY product_id, seller_id
        LIMIT :limit
        FOR NO KEY UPDATE SKIP LOCKED
        """,
        limit=limit,
    )
    if not offers:
        return 0
    locks.lock_products(conn, (offer["product_id"] for offer in offers))
    return db.execute(
        conn,
        """
        UPDATE offers AS o
        SET sale_price = NULL,
            sale_ends_at = NULL,
            updated_at = now()
        FROM unnest(CAST(:sellers AS bigint[]), CAST(:products AS bigint[])) AS ended(seller_id, product_id)
        WHERE o.seller_id = ended.seller_id
          AND o.product_id = ended.product_id
          AND o.sale_ends_at <= now()
        """,
        sellers=[offer["seller_id"] for offer in offers],
        products=[offer["product_id"] for offer in offers],
    )


@jobs.periodic("sales.end", every=timedelta(minutes=1))
def end_sales_job(conn: Connection, payload: dict) -> None:
    """Periodic: end the sales whose time is up; a full batch queues another run at once."""
    if end_expired(conn) == END_BATCH:
        jobs.enqueue(conn, "sales.end", unique_key="sales.end:more")


def get_offer_sale(seller_id: int, product_id: int):
    """The seller's offer as the sale page shows it (usual price, sale, price now), or None."""
    return db.one(
        """
        SELECT o.seller_id, o.product_id, p.name AS product_name, o.price, o.sale_price, o.sale_ends_at,
               offer_price_now(o.price, o.sale_price, o.sale_ends_at) AS price_now, o.is_active
        FROM offers AS o
        JOIN products AS p ON p.id = o.product_id
        WHERE o.seller_id = :seller_id
          AND o.product_id = :product_id
        """,
        seller_id=seller_id,
        product_id=product_id,
    )
