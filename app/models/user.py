"""Users: accounts, profiles and passwords."""

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
     WHERE seller_id = u.id AND fulfilled_at IS NULL AND cancelled_at IS NULL) AS pending_count
"""


def create_user(email: str, full_name: str, address: str, password_hash: str) -> int:
    """Create an account and return its id; raise EmailTaken if the e-mail is in use."""
    try:
        row = db.run_returning(
            """
            INSERT INTO users (email, full_name, address, password_hash)
            VALUES (:email, :full_name, :address, :password_hash)
            RETURNING id
            """,
            email=email,
            full_name=full_name,
            address=address,
            password_hash=password_hash,
        )
        return row["id"]
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


def update_profile(user_id: int, full_name: str, address: str, email: str) -> None:
    """Change a user's name, address and e-mail; raise EmailTaken if the e-mail is in use."""
    try:
        db.run(
            """
            UPDATE users
            SET full_name = :full_name, address = :address, email = :email
            WHERE id = :user_id
            """,
            user_id=user_id,
            full_name=full_name,
            address=address,
            email=email,
        )
    except IntegrityError as error:
        if _is_email_conflict(error):
            raise EmailTaken(email) from None
        raise


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
