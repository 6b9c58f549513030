"""Products: one product's page, its sellers' offers, its picture, and the home page's rows."""

from collections.abc import Sequence

from sqlalchemy import RowMapping

from app import db
from app.models import product_labels
from app.models.search import CARD_COLUMNS

MAX_PRODUCT_ID = 2**63 - 1  # bigint: a larger id in a URL names no product


def get_product(product_id: int) -> RowMapping | None:
    """One product with its category, department and creator, or None."""
    if not 0 < product_id <= MAX_PRODUCT_ID:
        return None
    return db.one(
        f"""
        SELECT p.id, p.name, p.description, p.image_id, p.created_at, p.status, p.moderation_note,
               p.offer_count, p.total_stock, p.min_price, p.min_price_before_sale, p.rating_avg, p.rating_count,
               p.parent_id, p.option_names, p.max_price,
               c.id AS category_id, c.name AS category_name, c.slug AS category_slug,
               d.name AS department_name, d.slug AS department_slug,
               u.id AS creator_id, u.full_name AS creator_name,
               {product_labels.LABEL_COLUMNS}
        FROM products AS p
        JOIN categories AS c ON c.id = p.category_id
        JOIN departments AS d ON d.id = c.department_id
        JOIN users AS u ON u.id = p.creator_id
        {product_labels.BRAND_JOIN}
        WHERE p.id = :product_id
        """,  # noqa: S608 - fixed fragments, values bound
        product_id=product_id,
    )


def list_offers_for_products(product_ids: Sequence[int]) -> Sequence[RowMapping]:
    """Every active offer of these products (a product, or a product's variants) with its seller's
    name and rating, cheapest first: `price` is what it costs now (a sale's price until the sale
    ends), `usual_price` the offer's own."""
    return db.all(
        """
        SELECT o.product_id, o.seller_id, offer_price_now(o.price, o.sale_price, o.sale_ends_at) AS price,
               o.price AS usual_price, o.sale_ends_at, o.quantity,
               u.full_name AS seller_name, u.seller_rating_count,
               round(u.seller_rating_sum::numeric / nullif(u.seller_rating_count, 0), 1) AS seller_rating
        FROM offers AS o
        JOIN users AS u ON u.id = o.seller_id
        WHERE o.product_id = ANY(:product_ids)
          AND o.is_active
        ORDER BY offer_price_now(o.price, o.sale_price, o.sale_ends_at), o.seller_id
        """,
        product_ids=list(product_ids),
    )


def get_product_picture(product_id: int) -> RowMapping | None:
    """What a product's picture is made from: its uploaded cover's id and type (if any), its
    category and department; or None if there is no such product."""
    if not 0 < product_id <= MAX_PRODUCT_ID:
        return None
    return db.one(
        """
        SELECT p.id, p.category_id, p.image_id, i.content_type,
               c.slug AS category_slug, d.slug AS department_slug
        FROM products AS p
        JOIN categories AS c ON c.id = p.category_id
        JOIN departments AS d ON d.id = c.department_id
        LEFT JOIN images AS i ON i.id = p.image_id
        WHERE p.id = :product_id
        """,
        product_id=product_id,
    )


def get_image_data(image_id: int, thumbnail: bool = False) -> bytes | None:
    """The bytes of an uploaded image (its thumbnail when asked and it has one), or None."""
    data = db.value(
        "SELECT CASE WHEN :thumbnail THEN coalesce(thumbnail, data) ELSE data END FROM images WHERE id = :image_id",
        image_id=image_id,
        thumbnail=thumbnail,
    )
    return bytes(data) if data is not None else None


def list_best_sellers(limit: int) -> Sequence[RowMapping]:
    """The products that sold the most units, among those on offer."""
    return db.all(
        f"""
        SELECT {CARD_COLUMNS}
        FROM products AS p
        WHERE p.offer_count > 0
          AND p.parent_id IS NULL
        ORDER BY p.units_sold DESC, p.id
        LIMIT :limit
        """,  # noqa: S608 - a fixed column list
        limit=limit,
    )


def list_new_arrivals(limit: int) -> Sequence[RowMapping]:
    """The most recently listed products, among those on offer."""
    return db.all(
        f"""
        SELECT {CARD_COLUMNS}
        FROM products AS p
        WHERE p.offer_count > 0
          AND p.parent_id IS NULL
        ORDER BY p.created_at DESC, p.id
        LIMIT :limit
        """,  # noqa: S608 - a fixed column list
        limit=limit,
    )
