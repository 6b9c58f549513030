"""Departments and categories as administrators change them: create, rename, move, merge.

Merging moves every product of the merged category (or department) into the one that stays.
Products are locked in id order before their category changes (the lock order of
app/models/locks.py), so a merge queues behind a checkout instead of deadlocking with it. A
slug never changes once made: links to a renamed or moved category keep working.
"""

import re
import unicodedata

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from app import db
from app.models import audit, category, locks
from app.models.admin_query import AdminRefused

MAX_NAME = 60


def slugify(name: str) -> str:
    """A URL slug for a name: ASCII letters and digits joined by dashes ("Home & Garden" → "home-garden")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:50].strip("-") or "section"


def _free_slug(conn: Connection, table: str, name: str) -> str:
    """The name's slug, with -2, -3 … added if the table has it already."""
    base = slugify(name)
    taken = {
        row["slug"]
        for row in db.fetch_all(
            conn,
            f"SELECT slug FROM {_TABLES[table]} WHERE slug = :base OR slug LIKE :pattern",  # noqa: S608 - allow-listed table
            base=base,
            pattern=base + "-%",
        )
    }
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


_TABLES = {"department": "departments", "category": "categories"}


def _is_unique_violation(error: IntegrityError) -> bool:
    return getattr(error.orig, "pgcode", None) == "23505"


def list_tree():
    """Every department and category with how many products each category holds, by name."""
    return db.all(
        """
        SELECT d.id AS department_id, d.name AS department_name, d.slug AS department_slug,
               c.id AS category_id, c.name AS category_name, c.slug AS category_slug,
               coalesce(counted.products, 0) AS product_count
        FROM departments AS d
        LEFT JOIN categories AS c ON c.department_id = d.id
        LEFT JOIN (
            SELECT category_id, count(*) AS products
            FROM products
            GROUP BY category_id
        ) AS counted ON counted.category_id = c.id
        ORDER BY d.name, d.id, c.name, c.id
        """
    )


def get_department(department_id: int):
    return db.one("SELECT id, name, slug FROM departments WHERE id = :id", id=department_id)


def get_category(category_id: int):
    return db.one("SELECT id, name, slug, department_id FROM categories WHERE id = :id", id=category_id)


def create_department(name: str, actor: audit.Actor) -> int:
    """A new department; raise AdminRefused if the name is taken."""
    try:
        with db.transaction() as conn:
            row = db.fetch_one(
                conn,
                "INSERT INTO departments (name, slug) VALUES (:name, :slug) RETURNING id, name, slug",
                name=name,
                slug=_free_slug(conn, "department", name),
            )
            audit.record(conn, actor, "department.create", "department", row["id"], after=row)
    except IntegrityError as error:
        if _is_unique_violation(error):
            raise AdminRefused(f"There is a department named “{name}” already.") from None
        raise
    return row["id"]


def create_category(department_id: int, name: str, actor: audit.Actor) -> int:
    """A new category in the department; raise AdminRefused if the department has one of that name."""
    try:
        with db.transaction() as conn:
            row = db.fetch_one(
                conn,
                """
                INSERT INTO categories (department_id, name, slug)
                VALUES (:department_id, :name, :slug)
                RETURNING id, department_id, name, slug
                """,
                department_id=department_id,
                name=name,
                slug=_free_slug(conn, "category", name),
            )
            audit.record(conn, actor, "category.create", "category", row["id"], after=row)
    except IntegrityError as error:
        if _is_unique_violation(error):
            raise AdminRefused(f"That department has a category named “{name}” already.") from None
        raise
    return row["id"]


def rename(kind: str, item_id: int, name: str, actor: audit.Actor) -> None:
    """Rename a department or category (its slug stays); raise AdminRefused on a name taken or no such row."""
    table = _TABLES[kind]
    try:
        with db.transaction() as conn:
            before = db.fetch_one(conn, f"SELECT name FROM {table} WHERE id = :id FOR UPDATE", id=item_id)  # noqa: S608 - allow-listed
            if before is None:
                raise AdminRefused(f"There is no such {kind}.")
            db.execute(conn, f"UPDATE {table} SET name = :name WHERE id = :id", id=item_id, name=name)  # noqa: S608 - allow-listed
            renamed = [item_id] if kind == "category" else category.category_ids_of_department(conn, item_id)
            category.refresh_category_terms(conn, renamed)
            audit.record(conn, actor, f"{kind}.rename", kind, item_id, before=before, after={"name": name})
    except IntegrityError as error:
        if _is_unique_violation(error):
            raise AdminRefused(f"The name “{name}” is taken there already.") from None
        raise


def move_category(category_id: int, department_id: int, actor: audit.Actor) -> None:
    """Move a category (and so its products) to another department."""
    try:
        with db.transaction() as conn:
            before = db.fetch_one(
                conn, "SELECT department_id FROM categories WHERE id = :id FOR UPDATE", id=category_id
            )
            if before is None:
                raise AdminRefused("There is no such category.")
            if before["department_id"] == department_id:
                raise AdminRefused("The category is in that department already.")
            db.execute(
                conn,
                "UPDATE categories SET department_id = :department_id WHERE id = :id",
                id=category_id,
                department_id=department_id,
            )
            category.refresh_category_terms(conn, [category_id])
            audit.record(
                conn,
                actor,
                "category.move",
                "category",
                category_id,
                before=before,
                after={"department_id": department_id},
            )
    except IntegrityError as error:
        if _is_unique_violation(error):
            raise AdminRefused("That department has a category of the same name: merge the two instead.") from None
        raise


def _move_products(conn: Connection, from_category_ids: list[int], to_category_id: int) -> int:
    """Lock the products of some categories in id order and move them to another; return how many."""
    product_ids = [
        row["id"]
        for row in db.fetch_all(
            conn, "SELECT id FROM products WHERE category_id = ANY(:ids) ORDER BY id", ids=from_category_ids
        )
    ]
    locks.lock_products(conn, product_ids)
    return db.execute(
        conn,
        "UPDATE products SET category_id = :to_id WHERE category_id = ANY(:from_ids)",
        to_id=to_category_id,
        from_ids=from_category_ids,
    )


@db.retry_on_conflict
def merge_categories(source_id: int, target_id: int, actor: audit.Actor) -> int:
    """Move every product of `source_id` into `target_id` and delete the source; return how many moved."""
    if source_id == target_id:
        raise AdminRefused("Choose another category to merge into.")
    with db.transaction() as conn:
        found = {row["id"]: row for row in _lock_source_and_target(conn, "category", source_id, target_id)}
        if len(found) != 2:
            raise AdminRefused("There is no such category.")
        moved = _move_products(conn, [source_id], target_id)
        db.execute(conn, "DELETE FROM categories WHERE id = :id", id=source_id)
        audit.record(
            conn,
            actor,
            "category.merge",
            "category",
            source_id,
            before=found[source_id],
            after={"merged_into": target_id, "products_moved": moved},
        )
    return moved


@db.retry_on_conflict
def merge_departments(source_id: int, target_id: int, actor: audit.Actor) -> dict:
    """Move the source department's categories into the target and delete the source. A category
    whose name the target has already is merged into that one (its products move).

    Returns how many categories moved, merged, and how many products changed category.
    """
    if source_id == target_id:
        raise AdminRefused("Choose another department to merge into.")
    with db.transaction() as conn:
        departments = _lock_source_and_target(conn, "department", source_id, target_id)
        if len(departments) != 2:
            raise AdminRefused("There is no such department.")
        pairs = _same_named_categories(conn, source_id, target_id)
        moved_products = 0
        for pair in pairs:
            moved_products += _move_products(conn, [pair["source_id"]], pair["target_id"])
        db.execute(conn, "DELETE FROM categories WHERE id = ANY(:ids)", ids=[pair["source_id"] for pair in pairs])
        category.refresh_category_terms(conn, category.category_ids_of_department(conn, source_id))
        moved_categories = db.execute(
            conn,
            "UPDATE categories SET department_id = :target WHERE department_id = :source",
            source=source_id,
            target=target_id,
        )
        db.execute(conn, "DELETE FROM departments WHERE id = :id", id=source_id)
        result = {
            "categories_moved": moved_categories,
            "categories_merged": len(pairs),
            "products_moved": moved_products,
        }
        audit.record(
            conn,
            actor,
            "department.merge",
            "department",
            source_id,
            before=next(row for row in departments if row["id"] == source_id),
            after={"merged_into": target_id, **result},
        )
    return result


def _lock_source_and_target(conn: Connection, kind: str, source_id: int, target_id: int) -> list:
    """Lock a merge's two categories or departments (`kind`) in id order, and return them:
    the source, deleted at the end, FOR UPDATE, so nothing moves into it meanwhile; the target FOR
    NO KEY UPDATE. A seller moving a product into the target category (or an administrator a
    category into the target department) holds that row and takes the target's KEY SHARE through
    its foreign key; FOR UPDATE would refuse it while the merge waits for the row it holds: a
    deadlock (tests/test_admin_concurrency.py)."""
    rows = []
    for row_id in sorted((source_id, target_id)):
        strength = "UPDATE" if row_id == source_id else "NO KEY UPDATE"
        columns = "id, name, department_id" if kind == "category" else "id, name"
        row = db.fetch_one(conn, f"SELECT {columns} FROM {_TABLES[kind]} WHERE id = :id FOR {strength}", id=row_id)  # noqa: S608 - allow-listed table, fixed words
        if row is not None:
            rows.append(row)
    return rows


def _same_named_categories(conn: Connection, source_id: int, target_id: int):
    """Categories of the source department whose name a category of the target has, paired."""
    return db.fetch_all(
        conn,
        """
        SELECT source.id AS source_id, target.id AS target_id
        FROM categories AS source
        JOIN categories AS target ON target.department_id = :target AND target.name = source.name
        WHERE source.department_id = :source
        ORDER BY source.id
        FOR UPDATE OF source FOR NO KEY UPDATE OF target
        """,
        source=source_id,
        target=target_id,
    )
