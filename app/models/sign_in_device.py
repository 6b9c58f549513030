"""The browsers each user has signed in with, known by a hash of their User-Agent header."""

import hashlib

from sqlalchemy import Connection

from app import db

USER_AGENT_LENGTH = 300  # user_sessions.user_agent keeps this much, and the hash covers the same
RECENT = "90 days"  # a browser unseen for longer counts as new again


def hash_user_agent(user_agent: str) -> bytes:
    return hashlib.sha256(user_agent[:USER_AGENT_LENGTH].encode()).digest()


def note_sign_in(conn: Connection, user_id: int, user_agent: str) -> bool:
    """Note a sign-in from this browser; True if the account had not used it lately (or ever)."""
    row = db.fetch_one(
        conn,
        """
        WITH previous AS (
            SELECT last_seen_at
            FROM sign_in_devices
            WHERE user_id = :user_id
              AND user_agent_hash = :user_agent_hash
        )
        INSERT INTO sign_in_devices (user_id, user_agent_hash)
        VALUES (:user_id, :user_agent_hash)
        ON CONFLICT (user_id, user_agent_hash) DO UPDATE
        SET last_seen_at = now()
        RETURNING coalesce((SELECT last_seen_at FROM previous) < now() - CAST(:recent AS interval), true) AS is_new
        """,
        user_id=user_id,
        user_agent_hash=hash_user_agent(user_agent),
        recent=RECENT,
    )
    return row["is_new"]
