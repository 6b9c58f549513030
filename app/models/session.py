"""Signed-in sessions, kept in PostgreSQL so that any server can end them.

The cookie carries a random token (secrets.token_urlsafe); the table keeps only its sha256,
so a stolen copy of the table signs nobody in. A session slides forward while it is used:
a day for an ordinary sign-in, 30 days for "remember me".
"""

import hashlib
import secrets

from app import db
from app.models.user import SIGNED_IN_USER_COLUMNS

IDLE_LIFETIME = {False: "1 day", True: "30 days"}  # by `remember`
TOUCH_AFTER = "5 minutes"  # last_seen_at is written at most this often, not on every request
REAUTHENTICATE_AFTER = "15 minutes"  # console actions need the password typed this recently


class AccountSuspended(Exception):
    """The account is suspended: no new session is made for it."""


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def create_session(user_id: int, remember: bool, user_agent: str, ip_address: str) -> str:
    """Start a session for the user and return its token (shown to no one but the cookie)."""
    token = secrets.token_urlsafe(32)
    with db.transaction() as conn:
        # Sweep this user's expired sessions while we are here, so the table stays small.
        db.execute(conn, "DELETE FROM user_sessions WHERE user_id = :user_id AND expires_at <= now()", user_id=user_id)
        # A suspended account gets no session, whichever way in it took (password, two-factor, passkey).
        created = db.execute(
            conn,
            """
            INSERT INTO user_sessions (user_id, token_hash, remember, user_agent, ip_address, expires_at)
            SELECT id, :token_hash, :remember, :user_agent, :ip_address, now() + CAST(:lifetime AS interval)
            FROM users
            WHERE id = :user_id
              AND suspended_at IS NULL
            """,
            user_id=user_id,
            token_hash=hash_token(token),
            remember=remember,
            user_agent=user_agent[:300],
            ip_address=ip_address[:64],
            lifetime=IDLE_LIFETIME[remember],
        )
    if not created:
        raise AccountSuspended(user_id)
    return token


def get_session_user(token: str):
    """The signed-in user (with the navbar counts) of a live session token, and the session's facts; or None.

    A suspended user's sessions sign nobody in, not even a copied cookie of one."""
    return db.one(
        f"""
        SELECT {SIGNED_IN_USER_COLUMNS},
               s.id AS session_id,
               s.remember AS session_remember,
               s.last_seen_at < now() - CAST(:touch_after AS interval) AS session_needs_touch,
               coalesce(s.reauthenticated_at > now() - CAST(:reauthenticate_after AS interval), FALSE)
                   AS session_recently_authenticated
        FROM user_sessions AS s
        JOIN users AS u ON u.id = s.user_id
        WHERE s.token_hash = :token_hash
          AND s.expires_at > now()
          AND u.suspended_at IS NULL
        """,  # noqa: S608 - a fixed column list from user.py
        token_hash=hash_token(token),
        touch_after=TOUCH_AFTER,
        reauthenticate_after=REAUTHENTICATE_AFTER,
    )


def mark_reauthenticated(session_id: int, user_id: int) -> None:
    """Note that the session's owner typed their password again just now."""
    db.run(
        "UPDATE user_sessions SET reauthenticated_at = now() WHERE id = :session_id AND user_id = :user_id",
        session_id=session_id,
        user_id=user_id,
    )


def clear_reauthentication(session_id: int) -> None:
    """Note that nobody typed a password for this session (a remember-me cookie made it)."""
    db.run("UPDATE user_sessions SET reauthenticated_at = NULL WHERE id = :session_id", session_id=session_id)


def touch_session(session_id: int, remember: bool) -> None:
    """Note that the session is in use and push its expiry forward."""
    db.run(
        """
        UPDATE user_sessions
        SET last_seen_at = now(),
            expires_at = now() + CAST(:lifetime AS interval)
        WHERE id = :session_id
        """,
        session_id=session_id,
        lifetime=IDLE_LIFETIME[remember],
    )


def end_session(token: str) -> None:
    """Sign one session out (its cookie stops working on every server)."""
    db.run("DELETE FROM user_sessions WHERE token_hash = :token_hash", token_hash=hash_token(token))


def end_session_by_id(user_id: int, session_id: int) -> bool:
    """Sign out one of the user's own sessions; False if it was not theirs or is gone."""
    return db.run("DELETE FROM user_sessions WHERE id = :id AND user_id = :user_id", id=session_id, user_id=user_id) > 0


def end_all_sessions(user_id: int, except_token: str | None = None) -> int:
    """Sign the user out everywhere (but the session `except_token`, if given); return how many ended."""
    return db.run(
        """
        DELETE FROM user_sessions
        WHERE user_id = :user_id
          AND token_hash IS DISTINCT FROM :keep
        """,
        user_id=user_id,
        keep=hash_token(except_token) if except_token else None,
    )


def get_session(user_id: int, session_id: int):
    """One of the user's live sessions, as list_sessions shows it; None if it is not theirs or has ended."""
    return db.one(
        """
        SELECT id, remember, user_agent, ip_address, created_at, last_seen_at, expires_at
        FROM user_sessions
        WHERE id = :session_id
          AND user_id = :user_id
          AND expires_at > now()
        """,
        session_id=session_id,
        user_id=user_id,
    )


def list_sessions(user_id: int, limit: int = 50):
    """The user's live sessions, most recently used first."""
    return db.all(
        """
        SELECT id, remember, user_agent, ip_address, created_at, last_seen_at, expires_at
        FROM user_sessions
        WHERE user_id = :user_id
          AND expires_at > now()
        ORDER BY last_seen_at DESC
        LIMIT :limit
        """,
        user_id=user_id,
        limit=limit,
    )
