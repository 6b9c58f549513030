"""A product's brand, tags and attributes together: the columns its page reads, and the one write
path that sets brand and tags with the products.search_terms the search vector reads.

Writers hold the product's row lock (FOR NO KEY UPDATE, locks.py's step 5) before writing its tags,
so two editors of one product cannot leave more than MAX_TAGS between them; the UPDATE of the
product row also bumps the page cache's version of the product (0011), so cached pages follow.
"""

from sqlalchemy import Connection, RowMapping

from app import db
from app.models import brand as brand_model
from app.models import tag as tag_model

# A product's brand, tags and attributes as its page shows them, as columns of product.get_product
# (alias p: the product, b: its brand, LEFT JOINed on BRAND_JOIN): tags by name, and the
# attributes as the category defines them (label, unit, type, value), in the definitions' order.
BRAND_JOIN = "LEFT JOIN brands AS b ON b.id = p.brand_id"
LABEL_COLUMNS = """
    b.name AS brand_name, b.slug AS brand_slug,
    ARRAY(SELECT t.tag FROM product_tags AS t WHERE t.product_id = p.id ORDER BY t.tag) AS tags,
    coalesce((
        SELECT json_agg(json_build_object(
                   'key', ca.key, 'label', ca.label, 'unit', ca.unit, 'type', ca.type,
                   'text', a.value_text, 'number', a.value_number
               ) ORDER BY ca.position, ca.key)
        FROM product_attributes AS a
        JOIN category_attributes AS ca ON ca.category_id = p.category_id AND ca.key = a.key
        WHERE a.product_id = p.id
    ), '[]') AS specs
"""


def get_labels_for_editing(product_id: int) -> RowMapping | None:
    """The brand's name and the tags as the product form shows them ("a, b, c")."""
    return db.one(
        """
        SELECT b.name AS brand,
               array_to_string(ARRAY(
                   SELECT t.tag FROM product_tags AS t WHERE t.product_id = p.id ORDER BY t.tag
               ), ', ') AS tags
        FROM products AS p
        LEFT JOIN brands AS b ON b.id = p.brand_id
        WHERE p.id = :product_id
        """,
        product_id=product_id,
    )


def set_brand_and_tags(
    conn: Connection, product_id: int, user_id: int, brand_name: str | None, tags: list[str]
) -> None:
    """Give the product (locked by the caller) this brand, made now if new, and exactly these tags;
    rewrite search_terms so that search finds it by them."""
    brand_id = brand_model.find_or_create_brand(conn, brand_name, user_id) if brand_name else None
    tag_model.replace_tags(conn, product_id, tags)
    db.execute(
        conn,
        """
        UPDATE products
        SET brand_id = :brand_id,
            search_terms = concat_ws(' ', (SELECT b.name FROM brands AS b WHERE b.id = :brand_id),
                                     array_to_string(CAST(:tags AS text[]), ' ')),
            updated_at = now()
        WHERE id = :product_id
        """,
        product_id=product_id,
        brand_id=brand_id,
        tags=tags,
    )
