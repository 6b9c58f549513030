"""A category's attributes as administrators define them: add one, remove one (with its values).

A definition's key and type never change: removing it and adding another is the way, so no value
is ever left typed differently from its definition (db/check.py). Every change has its audit row.
"""

from collections.abc import Sequence

from sqlalchemy import RowMapping
from sqlalchemy.exc import IntegrityError

from app import db
from app.models import audit
from app.models.admin_query import AdminRefused

MAX_ATTRIBUTES = 20  # per category: each is a filter on its page


def list_attributes(category_id: int) -> Sequence[RowMapping]:
    """The category's attributes in page order, with how many products have a value for each."""
    return db.all(
        """
        SELECT ca.key, ca.label, ca.type, ca.unit, ca.choices, ca.position,
               (SELECT count(*)
                FROM product_attributes AS a
                WHERE a.category_id = ca.category_id AND a.key = ca.key) AS products
        FROM category_attributes AS ca
        WHERE ca.category_id = :category_id
        ORDER BY ca.position, ca.key
        """,
        category_id=category_id,
    )


def create_attribute(category_id: int, definition: dict, actor: audit.Actor) -> None:
    """Add an attribute (key, label, type, unit, choices) to the category, last in its order;
    AdminRefused if the key is taken or the category has MAX_ATTRIBUTES already."""
    try:
        with db.transaction() as conn:
            row = db.fetch_one(
                conn,
                """
                INSERT INTO category_attributes (category_id, key, label, type, unit, choices, position)
                SELECT c.id, :key, :label, :type, :unit, :choices,
                       coalesce((SELECT max(position) + 1 FROM category_attributes WHERE category_id = c.id), 1)
                FROM categories AS c
                WHERE c.id = :category_id
                  AND (SELECT count(*) FROM category_attributes WHERE category_id = c.id) < :most
                RETURNING category_id, key, label, type, unit, choices
                """,
                category_id=category_id,
                most=MAX_ATTRIBUTES,
                **definition,
            )
            if row is None:
                raise AdminRefused(f"A category may have at most {MAX_ATTRIBUTES} attributes.")
            audit.record(conn, actor, "category.attribute_add", "category", category_id, after=row)
    except IntegrityError as error:
        if getattr(error.orig, "pgcode", None) == "23505":
            raise AdminRefused(f"This category has an attribute “{definition['key']}” already.") from None
        raise


def delete_attribute(category_id: int, key: str, actor: audit.Actor) -> int:
    """Remove the attribute and every product's value of it; return how many values went.
    AdminRefused if there is no such attribute."""
    with db.transaction() as conn:
        before = db.fetch_one(
            conn,
            """
            DELETE FROM category_attributes
            WHERE category_id = :category_id
              AND key = :key
            RETURNING category_id, key, label, type, unit, choices
            """,
            category_id=category_id,
            key=key,
        )
        if before is None:
            raise AdminRefused("That attribute was removed already.")
        removed = db.execute(
            conn,
            """
            DELETE FROM product_attributes
            WHERE category_id = :category_id
              AND key = :key
            """,
            category_id=category_id,
            key=key,
        )
        audit.record(conn, actor, "category.attribute_remove", "category", category_id, before=before)
        return removed
