"""Departments and their categories, and the search terms their names give their products."""

from sqlalchemy import Connection

from app import db, jobs


def list_departments():
    """Every department with how many categories it has, by name."""
    return db.all(
        """
        SELECT d.id, d.name, d.slug, count(c.id) AS category_count
        FROM departments AS d
        LEFT JOIN categories AS c ON c.department_id = d.id
        GROUP BY d.id
        ORDER BY d.name
        """
    )


TERMS_BATCH = 2_000  # products rewritten per job: a few seconds, then the next job


def refresh_category_terms(conn: Connection, category_ids: list[int]) -> None:
    """After categories were renamed or moved to another department (in `conn`'s transaction):
    queue the rewrite of their products' category_terms, which search_vector reads (migration 0027)."""
    if category_ids:
        jobs.enqueue(conn, "search.category_terms", {"category_ids": sorted(set(category_ids))})


def category_ids_of_department(conn: Connection, department_id: int) -> list[int]:
    rows = db.fetch_all(conn, "SELECT id FROM categories WHERE department_id = :id", id=department_id)
    return [row["id"] for row in rows]


@jobs.handler("search.category_terms")
def rewrite_category_terms(conn: Connection, payload: dict) -> None:
    """Give up to TERMS_BATCH products of the categories their category's and department's
    current names, locking them in id order (locks.py: products, nothing else held); queue the
    next batch while there may be more."""
    rewritten = db.execute(
        conn,
        """
        WITH wanted AS (
            SELECT c.id, c.name || ' ' || d.name AS terms
            FROM categories AS c
            JOIN departments AS d ON d.id = c.department_id
            WHERE c.id = ANY(:ids)
        ),
        batch AS (
            SELECT p.id, wanted.terms
            FROM products AS p
            JOIN wanted ON wanted.id = p.category_id
            WHERE p.category_terms <> wanted.terms
            ORDER BY p.id
            LIMIT :batch
            FOR NO KEY UPDATE OF p
        )
        UPDATE products AS p
        SET category_terms = batch.terms
        FROM batch
        WHERE p.id = batch.id
        """,
        ids=payload["category_ids"],
        batch=TERMS_BATCH,
    )
    if rewritten == TERMS_BATCH:
        jobs.enqueue(conn, "search.category_terms", payload)
