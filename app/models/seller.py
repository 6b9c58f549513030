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


# The storefront's sorts (an allow-list: the ORDER BY is built from these fixed fragments only).
STOREFRONT_SORTS = {
    "newest": ("Newest", "o.created_at DESC, o.product_id DESC"),
    "price_asc": ("Price: low to high", "offer_price_now(o.price, o.sale_price, o.sale_ends_at), o.product_id"),
    "price_desc": ("Price: high to low", "offer_price_now(o.price, o.sale_price, o.sale_ends_at) DESC, o.product_id"),
    "rating": ("Customer rating", "p.rating_avg DESC NULLS LAST, p.rating_count DESC, o.product_id"),
    "name": ("Name", "p.name, o.product_id"),
}

# The seller's offers that match the storefront search: its words as the catalog reads them, or a part
# of the product name, so "tab" finds "Table" too. One seller's offers come from the primary key.
STOREFRONT_MATCHES = r"""
    o.seller_id = :seller_id
    AND o.is_active
    AND (CAST(:keyword AS text) IS NULL
         OR p.search_vector @@ websearch_to_tsquery('english', :keyword)
         OR p.name ILIKE :pattern ESCAPE '\')
"""


def _storefront_params(seller_id: int, keyword: str | None) -> dict:
    """The bound parameters of STOREFRONT_MATCHES; a % or _ in the keyword matches itself."""
    escaped = (keyword or "").replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    return {"seller_id": seller_id, "keyword": keyword or None, "pattern": f"%{escaped}%"}


def list_storefront_offers(seller_id: int, keyword: str | None, sort: str, limit: int, offset: int):
    """One page of what the seller sells now, shaped for the product card (_product_card.html):
    the seller's own price and stock stand in for the catalog's lowest price and total stock."""
    order_by = STOREFRONT_SORTS.get(sort, STOREFRONT_SORTS["newest"])[1]
    return db.all(
        f"""
        SELECT p.id, p.name, p.category_id, offer_price_now(o.price, o.sale_price, o.sale_ends_at) AS min_price,
               CASE WHEN offer_price_now(o.price, o.sale_price, o.sale_ends_at) < o.price THEN o.price END
                   AS min_price_before_sale,
               1 AS offer_count,
               o.quantity AS total_stock, p.rating_avg, p.rating_count, true AS seller_offer
        FROM offers AS o
        JOIN products AS p ON p.id = o.product_id
        WHERE {STOREFRONT_MATCHES}
        ORDER BY {order_by}
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - a fixed WHERE fragment and an allow-listed ORDER BY, values bound
        **_storefront_params(seller_id, keyword),
        limit=limit,
        offset=offset,
    )


def count_storefront_offers(seller_id: int, keyword: str | None) -> int:
    """How many of the seller's active offers match the storefront search."""
    return db.value(
        f"""
        SELECT count(*)
        FROM offers AS o
        JOIN products AS p ON p.id = o.product_id
        WHERE {STOREFRONT_MATCHES}
        """,  # noqa: S608 - a fixed WHERE fragment, values bound
        **_storefront_params(seller_id, keyword),
    )
