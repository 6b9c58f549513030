"""Row locks in the one order every money or stock writer follows:
cart lines → offers (by product, seller) → products (by id) → users (by id).

FOR NO KEY UPDATE, not FOR UPDATE: inserts that reference these rows (orders, ledger rows,
inventory events) take KEY SHARE locks through their foreign keys, which NO KEY UPDATE
does not wait for — so two checkouts cannot deadlock over a buyer's or seller's row.
"""

from collections.abc import Iterable

from sqlalchemy import Connection

from app import db


def lock_products(conn: Connection, product_ids: Iterable[int]) -> None:
    """Lock product rows (their catalog summaries are about to change), in id order."""
    db.execute(
        conn, "SELECT 1 FROM products WHERE id = ANY(:ids) ORDER BY id FOR NO KEY UPDATE", ids=sorted(set(product_ids))
    )


def lock_users(conn: Connection, user_ids: Iterable[int]) -> None:
    """Lock user rows (their balances are about to change), in id order."""
    db.execute(
        conn, "SELECT 1 FROM users WHERE id = ANY(:ids) ORDER BY id FOR NO KEY UPDATE", ids=sorted(set(user_ids))
    )
