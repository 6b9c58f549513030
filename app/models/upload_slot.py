"""Slots for decoding uploaded images: at most a few per user at once, on all app servers together.

A slot is a transaction-level advisory lock in PostgreSQL, so every server sees the same ones
and a slot is given back when its transaction ends, even if the server dies mid-decode.
"""

from sqlalchemy import Connection

from app import db

# pg_try_advisory_xact_lock(namespace, hashtext(user:slot)); login_failure.py and rate_limit.py
# use other namespaces of the 7_301_0xx range.
UPLOAD_SLOT_LOCK = 7_301_020


def take_slot(conn: Connection, user_id: int, slots: int) -> int | None:
    """Take one of the user's `slots` upload slots for the rest of `conn`'s transaction; return
    its number, or None when all are taken.

    No ORDER BY: the slots are tried in generate_series order and LIMIT stops at the first one
    taken, so a request never holds two.
    """
    row = db.fetch_one(
        conn,
        """
        SELECT slot
        FROM generate_series(1, :slots) AS slot
        WHERE pg_try_advisory_xact_lock(:namespace, hashtext(CAST(:user_id AS text) || ':' || slot))
        LIMIT 1
        """,
        slots=slots,
        namespace=UPLOAD_SLOT_LOCK,
        user_id=user_id,
    )
    return row["slot"] if row else None
