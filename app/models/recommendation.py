"""Recommendations: "Recommended for you" and "Customers who bought this also bought".

Each is one query of bounded cost, so the home, cart and product pages stay within their speed
targets however large the catalog and order history grow.
"""

from app import db
from app.models.search import CARD_COLUMNS

BEST_SELLERS = 50  # "Recommended for you" picks only from the site's fifty best-selling products
FAVOURITE_CATEGORIES = 5  # the user's most-bought categories that count as theirs
RECENT_LINES = 100  # ...judged from their latest order lines: recent taste, and bounded work
RECENT_PURCHASES = 200  # "also bought" reads only this many of the product's latest purchases
CANDIDATES = 50  # ...and looks up only this many of the products found there
ROW_LENGTH = 6  # one row of product cards
MAX_EXCLUDED = 100  # product ids a page may ask to leave out of its recommendations


def list_recommended_for_you(user_id: int | None, exclude_ids: list[int], limit: int):
    """Best sellers in the user's most-bought categories, then the other best sellers; never what
    the user bought, nor `exclude_ids` (the cart, say), nor anything no one offers. Guests (None)
    and new users get the site's best sellers."""
    return db.all(
        f"""
        WITH recent AS (
            SELECT o.product_id, o.quantity
            FROM orders AS o
            WHERE o.buyer_id = :user_id
              AND o.cancelled_at IS NULL
            ORDER BY o.ordered_at DESC
            LIMIT :recent_lines
        ),
        favourite_categories AS (
            SELECT p.category_id
            FROM recent
            JOIN products AS p ON p.id = recent.product_id
            GROUP BY p.category_id
            ORDER BY sum(recent.quantity) DESC, p.category_id
            LIMIT :favourite_categories
        ),
        best_sellers AS (
            SELECT id
            FROM products
            WHERE parent_id IS NULL
            ORDER BY units_sold DESC, id
            LIMIT :best_sellers
        )
        SELECT {CARD_COLUMNS},
               p.category_id IN (SELECT category_id FROM favourite_categories) AS in_favourite_category
        FROM best_sellers
        JOIN products AS p ON p.id = best_sellers.id
        WHERE p.offer_count > 0
          AND p.id <> ALL(CAST(:exclude_ids AS bigint[]))
          AND NOT EXISTS (
              SELECT 1
              FROM orders AS o
              WHERE o.buyer_id = :user_id
                AND o.product_id = p.id
                AND o.cancelled_at IS NULL
          )
          AND NOT EXISTS (  -- nor a product one of whose variants they bought
              SELECT 1
              FROM products AS variant
              JOIN orders AS o ON o.buyer_id = :user_id AND o.product_id = variant.id
              WHERE variant.parent_id = p.id
                AND o.cancelled_at IS NULL
          )
        ORDER BY in_favourite_category DESC, p.units_sold DESC, p.id
        LIMIT :limit
        """,  # noqa: S608 - a fixed column list
        user_id=user_id,
        exclude_ids=list(exclude_ids),
        recent_lines=RECENT_LINES,
        favourite_categories=FAVOURITE_CATEGORIES,
        best_sellers=BEST_SELLERS,
        limit=limit,
    )


def list_also_bought(product_ids: list[int], limit: int):
    """Products bought in the same purchases as this one (`product_ids`: the product, or its
    variants; among its latest RECENT_PURCHASES), the most shared purchases first, then the most
    recently shared; only products someone offers. A variant bought counts for its product."""
    return db.all(
        f"""
        WITH recent AS (
            SELECT purchase_id
            FROM orders
            WHERE product_id = ANY(:product_ids)
            ORDER BY purchase_id DESC
            LIMIT :recent_purchases
        ),
        shared AS (
            -- A variant's parent through products_variant_parent_idx (0035), an index of variants
            -- alone: most lines are of no variant, and looking each up in products took 12 of
            -- the 16 ms at a million products.
            SELECT coalesce(variant.parent_id, other.product_id) AS product_id,
                   count(DISTINCT other.purchase_id) AS purchases,
                   max(other.purchase_id) AS latest_purchase
            FROM recent
            JOIN orders AS other ON other.purchase_id = recent.purchase_id
            LEFT JOIN products AS variant ON variant.id = other.product_id AND variant.parent_id IS NOT NULL
            WHERE other.product_id <> ALL(:product_ids)
            GROUP BY coalesce(variant.parent_id, other.product_id)
            ORDER BY purchases DESC, latest_purchase DESC
            LIMIT :candidates
        )
        SELECT {CARD_COLUMNS}, shared.purchases AS shared_purchases
        FROM shared
        JOIN products AS p ON p.id = shared.product_id
        WHERE p.offer_count > 0
          AND p.id <> ALL(:product_ids)
        ORDER BY shared.purchases DESC, shared.latest_purchase DESC
        LIMIT :limit
        """,  # noqa: S608 - a fixed column list
        product_ids=list(product_ids),
        recent_purchases=RECENT_PURCHASES,
        candidates=CANDIDATES,
        limit=limit,
    )


def recommended_for_you(user_id: int | None, exclude_ids=()) -> dict:
    """The "Recommended for you" list for recommendations/_list.html (one query)."""
    excluded = [int(product_id) for product_id in list(exclude_ids)[:MAX_EXCLUDED]]
    products = list_recommended_for_you(user_id, excluded, ROW_LENGTH)
    personal = any(product["in_favourite_category"] for product in products)
    return {
        "id": "recommended",
        "heading": "Recommended for you" if user_id else "Best sellers",
        "note": None if personal or not user_id else "Popular across the marketplace.",
        "empty": None,
        "products": products,
    }


def also_bought(product_ids: list[int]) -> dict:
    """The "Customers who bought this also bought" list for recommendations/_list.html (one query):
    `product_ids` are the product's own, or its variants'."""
    return {
        "id": "also-bought",
        "heading": "Customers who bought this also bought",
        "note": None,
        "empty": "No one has bought this together with anything else yet.",
        "products": list_also_bought(product_ids, ROW_LENGTH),
    }
