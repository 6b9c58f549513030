"""Products a seller creates and edits: /seller/products/new and /seller/products/<id>/edit.

Creating one also makes the creator's first offer (offer.py) and its 'initial' inventory
event (inventory.py), in the same transaction. Only a product's creator may edit it. The
catalog's own product pages read products through product.py.
"""

import hashlib
import json
from decimal import Decimal

from sqlalchemy import Connection, RowMapping

from app import db
from app.images import ProcessedImage
from app.models import attribute, inventory, offer, product_image, product_labels
from app.models import image as image_model


def list_category_choices():
    """Every category with its department's name, by department and then category name."""
    return db.all(
        """
        SELECT c.id, c.name, d.name AS department_name
        FROM categories AS c
        JOIN departments AS d ON d.id = c.department_id
        ORDER BY d.name, c.name
        """
    )


def create_product(
    creator_id: int,
    details: dict,
    image: ProcessedImage | None,
    price: Decimal,
    quantity: int,
) -> int:
    """A new product (name, description, category_id, brand and tags in `details`), its image and
    the creator's first offer, all in one transaction; return the product's id."""
    with db.transaction() as conn:
        image_id = image_model.insert_image(conn, creator_id, image) if image else None
        product_id = _insert_product(conn, creator_id, details, image_id)
        if image_id:
            product_image.replace_cover(conn, product_id, image_id)
        set_labels(conn, product_id, creator_id, details)
        offer.insert_offer(conn, creator_id, product_id, price, quantity)
        if quantity:
            inventory.record_stock_change(conn, creator_id, product_id, quantity, quantity, "initial")
        return product_id


def _insert_product(conn: Connection, creator_id: int, details: dict, image_id: int | None) -> int:
    """The new product row; return its id."""
    row = db.fetch_one(
        conn,
        """
        INSERT INTO products (category_id, creator_id, name, description, image_id)
        VALUES (:category_id, :creator_id, :name, :description, :image_id)
        RETURNING id
        """,
        creator_id=creator_id,
        image_id=image_id,
        name=details["name"],
        description=details["description"],
        category_id=details["category_id"],
    )
    return row["id"]


def set_labels(conn: Connection, product_id: int, creator_id: int, details: dict) -> None:
    """The brand, tags and attribute values the form gave, when it had those fields."""
    if "tags" in details:
        product_labels.set_brand_and_tags(conn, product_id, creator_id, details.get("brand"), details["tags"])
    if "attributes" in details:
        attribute.replace_product_values(conn, product_id, details["attributes"])


def get_product_for_editing(product_id: int):
    """A product's editable details and its creator (and its category's and department's slugs,
    which its drawn pictures need), or None."""
    return db.one(
        """
        SELECT p.id, p.creator_id, p.name, p.description, p.category_id, p.image_id,
               c.slug AS category_slug, d.slug AS department_slug
        FROM products AS p
        JOIN categories AS c ON c.id = p.category_id
        JOIN departments AS d ON d.id = c.department_id
        WHERE p.id = :product_id
        """,
        product_id=product_id,
    )


def update_product(product_id: int, creator_id: int, details: dict, image: ProcessedImage | None) -> bool:
    """Change the creator's product (and its image, if a new one came); False if not theirs."""
    with db.transaction() as conn:
        current = db.fetch_one(
            conn,
            """
            SELECT image_id
            FROM products
            WHERE id = :product_id
              AND creator_id = :creator_id
            FOR NO KEY UPDATE
            """,
            product_id=product_id,
            creator_id=creator_id,
        )
        if current is None:
            return False
        image_id = image_model.insert_image(conn, creator_id, image) if image else current["image_id"]
        if image:
            product_image.replace_cover(conn, product_id, image_id)
        _update_product_row(conn, product_id, creator_id, details, image_id)
        set_labels(conn, product_id, creator_id, details)
        if image and current["image_id"]:
            image_model.delete_unused_image(conn, current["image_id"], creator_id)
        return True


def _update_product_row(conn: Connection, product_id: int, creator_id: int, details: dict, image_id) -> None:
    """The product's own details (name, description, category, image)."""
    db.execute(
        conn,
        """
        UPDATE products
        SET name = :name,
            description = :description,
            category_id = :category_id,
            image_id = :image_id,
            updated_at = now()
        WHERE id = :product_id
          AND creator_id = :creator_id
        """,
        product_id=product_id,
        creator_id=creator_id,
        image_id=image_id,
        name=details["name"],
        description=details["description"],
        category_id=details["category_id"],
    )


# The API's product edits (PATCH /api/v1/products/<id>): a partial change checked against the
# version the client read (its ETag), under the product's row lock.


class VersionChanged(Exception):
    """The product changed since the API client read it."""

    def __init__(self) -> None:
        super().__init__("The product changed since you read it. Read it again and retry with its new ETag.")


EDITABLE_COLUMNS = """
    p.id, p.creator_id, p.parent_id, p.name, p.description, p.category_id, p.image_id,
    b.name AS brand,
    ARRAY(SELECT t.tag FROM product_tags AS t WHERE t.product_id = p.id ORDER BY t.tag) AS tags,
    coalesce((
        SELECT json_object_agg(a.key, coalesce(a.value_text, CAST(trim_scale(a.value_number) AS text)) ORDER BY a.key)
        FROM product_attributes AS a
        WHERE a.product_id = p.id
    ), '{}') AS attributes
"""


def get_editable(product_id: int) -> RowMapping | None:
    """What the API can change of a product (and who created it), or None."""
    return db.one(
        f"""
        SELECT {EDITABLE_COLUMNS}
        FROM products AS p
        LEFT JOIN brands AS b ON b.id = p.brand_id
        WHERE p.id = :product_id
        """,  # noqa: S608 - a fixed fragment, values bound
        product_id=product_id,
    )


def product_version(product: RowMapping) -> str:
    """A digest of a product's editable details (the API's ETag): the same state, the same version."""
    state = [
        product["name"],
        product["description"],
        product["category_id"],
        product["brand"],
        list(product["tags"]),
        product["attributes"],
    ]
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()[:20]


def change_product(product_id: int, creator_id: int, expected_version: str | None, changes: dict) -> bool:
    """Apply `changes` (any of name, description, category_id, brand, tags, attributes) to the
    creator's product if it is still at `expected_version` (None: whatever it is now).

    Returns False if the creator has no such product; raises VersionChanged if it moved on. The
    product row is locked first (FOR NO KEY UPDATE, locks.py's step for products), as the
    seller's product form does.
    """
    with db.transaction() as conn:
        current = db.fetch_one(
            conn,
            f"""
            SELECT {EDITABLE_COLUMNS}
            FROM products AS p
            LEFT JOIN brands AS b ON b.id = p.brand_id
            WHERE p.id = :product_id
              AND p.creator_id = :creator_id
            FOR NO KEY UPDATE OF p
            """,  # noqa: S608 - a fixed fragment, values bound
            product_id=product_id,
            creator_id=creator_id,
        )
        if current is None:
            return False
        if expected_version is not None and product_version(current) != expected_version:
            raise VersionChanged()
        details = {
            "name": current["name"],
            "description": current["description"],
            "category_id": current["category_id"],
            "brand": current["brand"],
            "tags": list(current["tags"]),
        } | changes
        _update_product_row(conn, product_id, creator_id, details, current["image_id"])
        set_labels(conn, product_id, creator_id, details)
        return True
