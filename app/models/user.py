"""Users: accounts, profiles and passwords."""

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from app import db


class EmailTaken(Exception):
    """Another account already uses this e-mail (compared ignoring case)."""


def _is_email_conflict(error: IntegrityError) -> bool:
    return getattr(error.orig.diag, "constraint_name", None) == "users_email_key"


# The signed-in user's row plus the counts the navbar shows (app/models/session.py joins it to the session).
SIGNED_IN_USER_COLUMNS = """
    u.*,
    (SELECT coalesce(sum(quantity), 0)
     FROM cart_lines
     WHERE user_id = u.id AND NOT saved_for_later) AS cart_count,
    (SELECT count(*)
     FROM messages
     WHERE recipient_id = u.id AND read_at IS NULL) AS unread_messages,
    (SELECT count(*)
     FROM orders
     WHERE seller_id = u.id AND fulfilled_at IS NULL AND cancelled_at IS NULL) AS pending_count,
    -- For the hearts on cards (at most wishlist.MAX_ITEMS, an index-only scan): no statement of their own.
    ARRAY(SELECT product_id FROM wishlist_items WHERE user_id = u.id) AS wishlist_ids
"""


def create_user(email: str, full_name: str, address: str, password_hash: str, verified: bool = False) -> int:
    """Create an account and return its id; raise EmailTaken if the e-mail is in use."""
    with db.transaction() as conn:
        return insert_user(conn, email, full_name, address, password_hash, verified)


def insert_user(
    conn: Connection, email: str, full_name: str, address: str, password_hash: str, verified: bool = False
) -> int:
    """Create an account in the caller's transaction and return its id; raise EmailTaken if the
    e-mail is in use (under a savepoint, so the caller's transaction stays usable)."""
    try:
        with conn.begin_nested():
            return db.fetch_one(
                conn,
                """
                INSERT INTO users (email, full_name, address, password_hash, email_verified_at)
                VALUES (:email, :full_name, :address, :password_hash, CASE WHEN :verified THEN now() END)
                RETURNING id
                """,
                email=email,
                full_name=full_name,
                address=address,
                password_hash=password_hash,
                verified=verified,
            )["id"]
    except IntegrityError as error:
        if _is_email_conflict(error):
            raise EmailTaken(email) from None
        raise


def get_user(user_id: int):
    """The whole row of one user, or None."""
    return db.one("SELECT * FROM users WHERE id = :user_id", user_id=user_id)


def get_user_by_email(email: str):
    """The user with this e-mail, ignoring case, or None."""
    return db.one("SELECT * FROM users WHERE lower(email) = lower(:email)", email=email)


def get_public_profile(user_id: int):
    """What anyone may see of a user: never e-mail, address or balance."""
    return db.one(
        """
        SELECT id, full_name, created_at, seller_rating_count,
               round(seller_rating_sum::numeric / nullif(seller_rating_count, 0), 1) AS seller_rating
        FROM users
        WHERE id = :user_id
        """,
        user_id=user_id,
    )


def update_profile(user_id: int, full_name: str, address: str) -> None:
    """Change a user's name and address (the e-mail changes only through a code: app/models/account_email.py)."""
    db.run(
        """
        UPDATE users
        SET full_name = :full_name, address = :address
        WHERE id = :user_id
        """,
        user_id=user_id,
        full_name=full_name,
        address=address,
    )


def update_password_hash(user_id: int, password_hash: str) -> None:
    """Store a new password hash for the user."""
    db.run(
        "UPDATE users SET password_hash = :password_hash WHERE id = :user_id",
        user_id=user_id,
        password_hash=password_hash,
    )


def update_time_zone(user_id: int, time_zone: str) -> None:
    """Store the IANA time zone the user's dates and analytics are shown in."""
    db.run("UPDATE users SET time_zone = :time_zone WHERE id = :user_id", user_id=user_id, time_zone=time_zone)


def get_user_by_email_for_update(conn: Connection, email: str):
    """The user with this e-mail (ignoring case), locked for the caller's transaction; or None.
    FOR NO KEY UPDATE, as app/models/locks.py takes users: rows that refer to the user (a sale's
    order line, a ledger row) still get their foreign key's KEY SHARE meanwhile."""
    return db.fetch_one(conn, "SELECT * FROM users WHERE lower(email) = lower(:email) FOR NO KEY UPDATE", email=email)


def mark_email_verified(conn: Connection, user_id: int, email: str):
    """Note that the user proved `email`, if it is still theirs; return the user's row, or None."""
    return db.fetch_one(
        conn,
        """
        UPDATE users
        SET email_verified_at = coalesce(email_verified_at, now())
        WHERE id = :user_id
          AND lower(email) = lower(:email)
        RETURNING *
        """,
        user_id=user_id,
        email=email,
    )


def switch_email(conn: Connection, user_id: int, new_email: str):
    """Give the user the (proven) address `new_email`; return the old address, or None if the user is gone.

    Raise EmailTaken if another account took it meanwhile (under a savepoint, so the caller's
    transaction stays usable).
    """
    try:
        with conn.begin_nested():
            row = db.fetch_one(
                conn,
                """
                UPDATE users AS u
                SET email = :new_email, email_verified_at = now()
                FROM (SELECT id, email FROM users WHERE id = :user_id FOR UPDATE) AS old
                WHERE u.id = old.id
                RETURNING old.email AS old_email
                """,
                user_id=user_id,
                new_email=new_email,
            )
    except IntegrityError as error:
        if _is_email_conflict(error):
            raise EmailTaken(new_email) from None
        raise
    return row["old_email"] if row else None


def set_password_and_verify(conn: Connection, user_id: int, password_hash: str):
    """Store a new password hash, reached through a link sent to the user's address (which proves
    it too); return the user's row."""
    return db.fetch_one(
        conn,
        """
        UPDATE users
        SET password_hash = :password_hash, email_verified_at = coalesce(email_verified_at, now())
        WHERE id = :user_id
        RETURNING *
        """,
        user_id=user_id,
        password_hash=password_hash,
    )
