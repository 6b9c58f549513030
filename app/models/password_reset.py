"""Password reset by a link sent to the account's address: single use, valid for an hour.

The link carries a random token (secrets.token_urlsafe, 256 bits); only its sha256 is stored.
Asking for a link gives the same answer whether or not an account uses the address. Setting
the new password uses the link up (and every other open link of the account), proves the
address, and ends every session of the account.
"""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import Connection

from app import db, jobs, mail
from app.models import rate_limit
from app.models import session as session_model
from app.models import user as user_model

LIFETIME = "1 hour"
KEPT = "1 day"  # after expiry, before the periodic prune removes a link
PER_EMAIL = rate_limit.Limit("reset-email", 3, 60 * 60)
PER_ADDRESS = rate_limit.Limit("reset-address", 20, 60 * 60)
# Bad links tried from one network address: far more than a person mistypes, far fewer than guessing needs.
BAD_LINKS_PER_ADDRESS = rate_limit.Limit("reset-bad-link", 20, 60 * 60)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def request_reset(email: str, ip_address: str) -> int | None:
    """Send a reset link if an account uses `email`; return seconds to wait if a limit holds, else None.

    The limits count every request, whether or not the address has an account, so they reveal nothing.
    """
    with db.transaction() as conn:
        wait = rate_limit.hit(conn, PER_ADDRESS, ip_address) or rate_limit.hit(conn, PER_EMAIL, email.lower())
        if wait:
            return wait
        user = user_model.get_user_by_email_for_update(conn, email)
        if user is not None:
            token = secrets.token_urlsafe(32)
            insert_reset(conn, user["id"], user["email"], hash_token(token))
            link = mail.absolute_url("auth.reset_link", token=token)
            mail.send(conn, "password_reset", user["email"], name=user["full_name"], link=link, lifetime=LIFETIME)
    return None


def insert_reset(conn: Connection, user_id: int, email: str, token_hash: bytes) -> None:
    """Store a new reset link (its token's hash)."""
    db.execute(
        conn,
        """
        INSERT INTO password_resets (user_id, email, token_hash, expires_at)
        VALUES (:user_id, :email, :token_hash, now() + CAST(:lifetime AS interval))
        """,
        user_id=user_id,
        email=email,
        token_hash=token_hash,
        lifetime=LIFETIME,
    )


def get_usable_reset(token: str):
    """The open, unexpired reset link of this token, if the account still has the address it was sent to; or None."""
    return db.one(
        """
        SELECT r.id, r.user_id, u.email
        FROM password_resets AS r
        JOIN users AS u ON u.id = r.user_id
        WHERE r.token_hash = :token_hash
          AND r.used_at IS NULL
          AND r.expires_at > now()
          AND lower(u.email) = lower(r.email)
        """,
        token_hash=hash_token(token),
    )


def bad_link_wait(ip_address: str) -> int | None:
    """Seconds this network address must wait after too many bad links (None: it may try)."""
    with db.get_db().connect() as conn:
        wait = rate_limit.get_wait(conn, BAD_LINKS_PER_ADDRESS, ip_address)
    return int(wait) if wait and wait > 0 else None


def count_bad_link(ip_address: str) -> None:
    """Note one unknown, used or expired link opened from this network address."""
    with db.transaction() as conn:
        rate_limit.hit(conn, BAD_LINKS_PER_ADDRESS, ip_address)


def use_reset(conn: Connection, token_hash: bytes):
    """Use a reset link up, if it is still open; return its user_id, or None.

    One conditional UPDATE: of two requests with the same link, exactly one gets the row.
    """
    return db.fetch_one(
        conn,
        """
        UPDATE password_resets AS r
        SET used_at = now()
        FROM users AS u
        WHERE r.token_hash = :token_hash
          AND r.used_at IS NULL
          AND r.expires_at > now()
          AND u.id = r.user_id
          AND lower(u.email) = lower(r.email)
        RETURNING r.user_id
        """,
        token_hash=token_hash,
    )


def retire_resets(conn: Connection, user_id: int) -> None:
    """Close every other open reset link of the account."""
    db.execute(
        conn,
        "UPDATE password_resets SET used_at = now() WHERE user_id = :user_id AND used_at IS NULL",
        user_id=user_id,
    )


def reset_password(token: str, password_hash: str):
    """Set a new password through a reset link; return the user's row, or None if the link is not usable.

    The account's sessions all end: whoever knew the old password is signed out everywhere.
    """
    with db.transaction() as conn:
        reset = use_reset(conn, hash_token(token))
        if reset is None:
            return None
        retire_resets(conn, reset["user_id"])
        user = user_model.set_password_and_verify(conn, reset["user_id"], password_hash)
        mail.send(conn, "password_changed", user["email"], name=user["full_name"], link=_forgot_link())
    session_model.end_all_sessions(user["id"])
    return user


def _forgot_link() -> str:
    return mail.absolute_url("auth.forgot_password")


def delete_old_resets(conn: Connection) -> int:
    """Remove links that expired a while ago."""
    return db.execute(conn, "DELETE FROM password_resets WHERE expires_at < now() - CAST(:kept AS interval)", kept=KEPT)


@jobs.periodic("password_resets.prune", every=timedelta(hours=1))
def prune_resets(conn: Connection, payload: dict) -> None:
    """Periodic: forget long-expired links."""
    delete_old_resets(conn)
