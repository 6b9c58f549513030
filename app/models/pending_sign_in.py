"""Pending sign-ins: a password accepted for an account with two-factor sign-in on, awaiting its code.

The browser holds a random token (in its signed session cookie); the row keeps its sha256, the
remember-me choice and the wrong codes tried, so the limit holds on every server and a copied
cookie gains no extra tries.
"""

import hashlib
import secrets

from sqlalchemy import Connection

from app import db

LIFETIME = "10 minutes"


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def create_pending(user_id: int, remember: bool) -> str:
    """Note that the user's password was right and return the token for the second step."""
    token = secrets.token_urlsafe(32)
    with db.transaction() as conn:
        # Sweep this user's expired rows while we are here, so the table stays small.
        db.execute(
            conn, "DELETE FROM pending_sign_ins WHERE user_id = :user_id AND expires_at <= now()", user_id=user_id
        )
        db.execute(
            conn,
            """
            INSERT INTO pending_sign_ins (user_id, token_hash, remember, expires_at)
            VALUES (:user_id, :token_hash, :remember, now() + CAST(:lifetime AS interval))
            """,
            user_id=user_id,
            token_hash=hash_token(token),
            remember=remember,
            lifetime=LIFETIME,
        )
    return token


def get_pending(token: str):
    """The live pending sign-in of a token (with the user's e-mail), or None."""
    return db.one(
        """
        SELECT p.id, p.user_id, p.remember, p.attempts, u.email
        FROM pending_sign_ins AS p
        JOIN users AS u ON u.id = p.user_id
        WHERE p.token_hash = :token_hash
          AND p.expires_at > now()
        """,
        token_hash=hash_token(token),
    )


def lock_pending(conn: Connection, pending_id: int):
    """The pending sign-in, locked, if it is still live; else None."""
    return db.fetch_one(
        conn,
        """
        SELECT id, user_id, remember, attempts
        FROM pending_sign_ins
        WHERE id = :id
          AND expires_at > now()
        FOR UPDATE
        """,
        id=pending_id,
    )


def add_attempt(conn: Connection, pending_id: int) -> int:
    """Count a wrong code against this sign-in; return how many it has had."""
    return db.fetch_one(
        conn,
        "UPDATE pending_sign_ins SET attempts = attempts + 1 WHERE id = :id RETURNING attempts",
        id=pending_id,
    )["attempts"]


def delete_pending(conn: Connection, pending_id: int) -> None:
    """Drop one pending sign-in (finished, or too many wrong codes)."""
    db.execute(conn, "DELETE FROM pending_sign_ins WHERE id = :id", id=pending_id)


def delete_all_pending(conn: Connection, user_id: int) -> None:
    """Drop every pending sign-in of the user (two-factor sign-in turned off)."""
    db.execute(conn, "DELETE FROM pending_sign_ins WHERE user_id = :user_id", user_id=user_id)
