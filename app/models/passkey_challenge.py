"""WebAuthn challenges, kept in PostgreSQL so any server can check them, and used once.

The browser gets the challenge (and its signed session cookie keeps a copy); the row keeps its
sha256. Verifying deletes the row, so a replayed response finds nothing.
"""

import hashlib

from app import db
from app.models import rate_limit

LIFETIME = "5 minutes"
SWEEP_BATCH = 100  # each new challenge removes at most this many expired ones
# Challenges one network address may ask for: plenty for people, a ceiling for a script filling the table.
PER_ADDRESS = rate_limit.Limit("passkey_challenge", limit=60, window_seconds=5 * 60)


def hash_challenge(challenge: bytes) -> bytes:
    return hashlib.sha256(challenge).digest()


def create_challenge(
    purpose: str, challenge: bytes, address: str, user_id: int | None = None, passkey_name: str | None = None
) -> int | None:
    """Store a challenge for registering a passkey (with its user and name) or signing in with one;
    if the address asked for too many lately, store nothing and return the seconds to wait."""
    with db.transaction() as conn:
        if wait := rate_limit.hit(conn, PER_ADDRESS, address):
            return wait
        # Expired challenges are swept a batch at a time by whoever makes a new one.
        db.execute(
            conn,
            """
            DELETE FROM passkey_challenges
            WHERE id IN (
                SELECT id
                FROM passkey_challenges
                WHERE expires_at <= now()
                ORDER BY expires_at
                LIMIT :batch
                FOR UPDATE SKIP LOCKED
            )
            """,
            batch=SWEEP_BATCH,
        )
        db.execute(
            conn,
            """
            INSERT INTO passkey_challenges (purpose, user_id, challenge_hash, passkey_name, expires_at)
            VALUES (:purpose, :user_id, :challenge_hash, :passkey_name, now() + CAST(:lifetime AS interval))
            """,
            purpose=purpose,
            user_id=user_id,
            challenge_hash=hash_challenge(challenge),
            passkey_name=passkey_name,
            lifetime=LIFETIME,
        )
    return None


def take_challenge(purpose: str, challenge: bytes, user_id: int | None = None):
    """Use up a live challenge of this purpose (and user); return its row, or None if unknown, used or expired."""
    return db.run_returning(
        """
        DELETE FROM passkey_challenges
        WHERE challenge_hash = :challenge_hash
          AND purpose = :purpose
          AND user_id IS NOT DISTINCT FROM :user_id
          AND expires_at > now()
        RETURNING id, user_id, passkey_name
        """,
        challenge_hash=hash_challenge(challenge),
        purpose=purpose,
        user_id=user_id,
    )
