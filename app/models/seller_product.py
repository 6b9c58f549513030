"""Products a seller creates and edits: /seller/products/new and /seller/products/<id>/edit.

Creating one also makes the creator's first offer (offer.py) and its 'initial' inventory
event (inventory.py), in the same transaction. Only a product's creator may edit it. The
catalog's own product pages read products through product.py.
"""

from decimal import Decimal

from sqlalchemy import Connection

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
        _set_labels(conn, product_id, creator_id, details)
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


def _set_labels(conn: Connection, product_id: int, creator_id: int, details: dict) -> None:
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
        _set_labels(conn, product_id, creator_id, details)
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
