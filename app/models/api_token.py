"""Personal access tokens for the seller API: created and revoked at /account/tokens, checked on
every /api/v1 request (app/routes/api_v1.py).

A token is `bzr_` and 43 URL-safe characters from secrets.token_urlsafe(32) (256 bits): the
prefix lets secret scanners and people recognise it. Only its SHA-256 is stored; a random
256-bit secret needs no slow hash, and a lookup by hash is one index probe. Every query that a
person's page runs is scoped to the owner in its WHERE clause.
"""

import hashlib
import secrets
from datetime import datetime

from app import db

PREFIX = "bzr_"
SCOPES = ("read", "listings", "orders", "admin")
DISPLAY_LENGTH = len(PREFIX) + 6  # what the list shows: "bzr_AbCdEf…"
MAX_TOKEN_LENGTH = 200  # longer Authorization values are refused before hashing


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh secret token with the recognisable prefix."""
    return PREFIX + secrets.token_urlsafe(32)


def create_token(user_id: int, name: str, scopes: list[str], expires_at: datetime) -> tuple[int, str]:
    """Store a new token for the user; return its id and the token itself (shown once, never stored)."""
    token = new_token()
    row = db.run_returning(
        """
        INSERT INTO api_tokens (user_id, name, scopes, token_hash, display_prefix, expires_at)
        VALUES (:user_id, :name, :scopes, :token_hash, :display_prefix, :expires_at)
        RETURNING id
        """,
        user_id=user_id,
        name=name,
        scopes=list(scopes),
        token_hash=hash_token(token),
        display_prefix=token[:DISPLAY_LENGTH],
        expires_at=expires_at,
    )
    return row["id"], token


def list_tokens(user_id: int):
    """The user's tokens, newest first, with whether each still works."""
    return db.all(
        """
        SELECT id, name, scopes, display_prefix, created_at, expires_at, last_used_at, revoked_at,
               (revoked_at IS NULL AND expires_at > now()) AS is_live
        FROM api_tokens
        WHERE user_id = :user_id
        ORDER BY created_at DESC, id DESC
        """,
        user_id=user_id,
    )


def get_token(user_id: int, token_id: int):
    """One of the user's tokens, or None (someone else's is None too)."""
    return db.one(
        """
        SELECT id, name, scopes, display_prefix, created_at, expires_at, last_used_at, revoked_at
        FROM api_tokens
        WHERE id = :token_id
          AND user_id = :user_id
        """,
        token_id=token_id,
        user_id=user_id,
    )


def revoke_token(user_id: int, token_id: int) -> bool:
    """Revoke one of the user's tokens at once; False if it was revoked already or is not theirs."""
    return (
        db.run(
            """
            UPDATE api_tokens
            SET revoked_at = now()
            WHERE id = :token_id
              AND user_id = :user_id
              AND revoked_at IS NULL
            """,
            token_id=token_id,
            user_id=user_id,
        )
        == 1
    )


def use_token(token: str):
    """The live token matching `token`, with its owner, noting it as used now; None if no token
    matches, or it is revoked, expired, or its owner is suspended."""
    if not token.startswith(PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    # Bookkeeping: the request's reads may still come from a replica (app/replicas.py).
    with db.bookkeeping() as conn:
        return db.fetch_one(
            conn,
            """
            UPDATE api_tokens AS t
            SET last_used_at = now()
            FROM users AS u
            WHERE t.token_hash = :token_hash
              AND t.revoked_at IS NULL
              AND t.expires_at > now()
              AND u.id = t.user_id
              AND u.suspended_at IS NULL
            RETURNING t.id, t.user_id, t.scopes, u.role, CAST(t.last_write_lsn AS text) AS last_write_lsn
            """,
            token_hash=hash_token(token),
        )


def note_write(token_id: int) -> None:
    """Remember the primary's WAL position after a request of this token that wrote: its next reads
    come from a replica only once that replica has replayed this far (read-your-writes)."""
    with db.bookkeeping() as conn:
        db.execute(
            conn,
            "UPDATE api_tokens SET last_write_lsn = pg_current_wal_lsn() WHERE id = :token_id",
            token_id=token_id,
        )
