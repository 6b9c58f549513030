"""Recently viewed products: each signed-in user's last KEEP product pages, newest first.

A view is recorded by the product page in the same statement that reads what to show beside it
(record_and_list), so the page gains one statement, not three. Guests keep the ids in their
session instead (app/recently_viewed_session.py).
"""

from collections.abc import Sequence

from sqlalchemy import RowMapping

from app import db
from app.models.search import CARD_COLUMNS

KEEP = 20  # products remembered per user

# The user's latest viewed listed products as cards, but :product_id (the page's own, or 0).
_LATEST = f"""
        SELECT {CARD_COLUMNS}
        FROM recently_viewed AS r
        JOIN products AS p ON p.id = r.product_id
        WHERE r.user_id = :user_id
          AND r.product_id <> :product_id
          AND p.status = 'listed'
        ORDER BY r.viewed_at DESC, r.product_id
        LIMIT :limit
"""  # noqa: S608 - a fixed column list


def record_and_list(user_id: int, product_id: int, limit: int) -> Sequence[RowMapping]:
    """Record that the user viewed the product, drop what falls past KEEP, and return the `limit`
    latest other listed products (as cards).

    The three parts run in one statement: its snapshot is taken before the upsert, so the list
    (which leaves the current product out anyway) and the trim both read the rows as they were;
    the trim keeps the KEEP - 1 newest others, which with this product makes KEEP."""
    return db.all(
        f"""
        WITH viewed AS (
            INSERT INTO recently_viewed AS r (user_id, product_id)
            VALUES (:user_id, :product_id)
            ON CONFLICT (user_id, product_id) DO UPDATE
            SET viewed_at = clock_timestamp()
        ),
        trimmed AS (
            DELETE FROM recently_viewed
            WHERE user_id = :user_id
              AND product_id IN (
                  SELECT product_id
                  FROM recently_viewed
                  WHERE user_id = :user_id
                    AND product_id <> :product_id
                  ORDER BY viewed_at DESC, product_id
                  OFFSET :keep - 1
              )
        )
        {_LATEST}
        """,  # noqa: S608 - a fixed column list
        user_id=user_id,
        product_id=product_id,
        keep=KEEP,
        limit=limit,
    )


def list_for_user(user_id: int, limit: int, exclude: int = 0) -> Sequence[RowMapping]:
    """The user's latest viewed listed products (as cards), but `exclude`."""
    return db.all(_LATEST, user_id=user_id, product_id=exclude, limit=limit)


def list_products(product_ids: list[int]) -> Sequence[RowMapping]:
    """A guest's session ids (newest first) as cards, in that order, listed products only."""
    if not product_ids:
        return []
    return db.all(
        f"""
        SELECT {CARD_COLUMNS}
        FROM unnest(CAST(:product_ids AS bigint[])) WITH ORDINALITY AS g(product_id, position)
        JOIN products AS p ON p.id = g.product_id
        WHERE p.status = 'listed'
        ORDER BY g.position
        """,  # noqa: S608 - a fixed column list
        product_ids=product_ids,
    )


def clear(user_id: int) -> int:
    """Forget every product the user viewed; return how many."""
    return db.run("DELETE FROM recently_viewed WHERE user_id = :user_id", user_id=user_id)
