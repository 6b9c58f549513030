"""One-time 6-digit codes sent by e-mail: to verify an address at registration, later, or when changing it.

A code belongs to a flow: a random token kept in the browser's session (only its sha256 is
stored), so a code works only where it was asked for. The code itself is stored as an HMAC
under SECRET_KEY (a plain hash of one of a million codes is reversed at once), compared in
constant time, valid for 15 minutes and 5 tries, and used once. Asking again issues a new code
and retires the old one.
"""

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Connection

from app import db, jobs

LIFETIME_MINUTES = 15
MAX_ATTEMPTS = 5
RESEND_COOLDOWN_SECONDS = 60
KEPT = "1 day"  # after expiry, before the periodic prune removes a code


@dataclass(frozen=True)
class Outcome:
    """What checking a code found: "ok", "wrong", "expired", "locked" (no tries left) or "gone"."""

    status: str
    row: Any = None
    tries_left: int = 0


def new_flow_token() -> str:
    """A random token for the session that ties a flow's codes to one browser."""
    return secrets.token_urlsafe(24)


def hash_flow(flow_token: str) -> bytes:
    return hashlib.sha256(flow_token.encode()).digest()


def hash_code(purpose: str, email: str, code: str) -> bytes:
    """The HMAC of a code under SECRET_KEY, bound to its purpose and address."""
    message = f"{purpose}\0{email.lower()}\0{code}".encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).digest()


def insert_code(
    conn: Connection, purpose: str, email: str, flow_token: str, user_id: int | None, stand_in: bool = False
) -> str | None:
    """Retire the flow's open codes and issue a new one; return it (None for a stand-in, which no code matches)."""
    flow_hash = hash_flow(flow_token)
    retire_codes(conn, flow_hash)
    code = None if stand_in else f"{secrets.randbelow(10**6):06d}"
    db.execute(
        conn,
        """
        INSERT INTO email_codes (purpose, stand_in, user_id, email, flow_hash, code_hash, expires_at)
        VALUES (:purpose, :stand_in, :user_id, :email, :flow_hash, :code_hash,
                now() + make_interval(mins => :lifetime))
        """,
        purpose=purpose,
        stand_in=stand_in,
        user_id=user_id,
        email=email,
        flow_hash=flow_hash,
        code_hash=secrets.token_bytes(32) if code is None else hash_code(purpose, email, code),
        lifetime=LIFETIME_MINUTES,
    )
    return code


def retire_codes(conn: Connection, flow_hash: bytes) -> None:
    """Mark a flow's unused codes used, so only the newest one works."""
    db.execute(
        conn,
        "UPDATE email_codes SET used_at = now() WHERE flow_hash = :flow_hash AND used_at IS NULL",
        flow_hash=flow_hash,
    )


def get_current_code(conn: Connection, purpose: str, flow_token: str, user_id: int | None = None):
    """The newest code of a flow (of this user, when given), locked, with whether it expired and
    its age in seconds; or None."""
    return db.fetch_one(
        conn,
        """
        SELECT *,
               expires_at <= now() AS expired,
               extract(epoch FROM now() - created_at) AS age_seconds
        FROM email_codes
        WHERE flow_hash = :flow_hash
          AND purpose = :purpose
          AND (CAST(:user_id AS bigint) IS NULL OR user_id = :user_id)
        ORDER BY id DESC
        LIMIT 1
        FOR UPDATE
        """,
        flow_hash=hash_flow(flow_token),
        purpose=purpose,
        user_id=user_id,
    )


def count_attempt(conn: Connection, code_id: int, matched: bool) -> None:
    """Count one try of a code; a right one also uses it up."""
    db.execute(
        conn,
        """
        UPDATE email_codes
        SET attempts = attempts + 1,
            used_at = CASE WHEN :matched THEN now() END
        WHERE id = :code_id
        """,
        code_id=code_id,
        matched=matched,
    )


def check(conn: Connection, purpose: str, flow_token: str, code: str, user_id: int | None = None) -> Outcome:
    """Try `code` against the flow's current code in the caller's transaction (which must commit
    even when the code is wrong, so that the try counts)."""
    row = get_current_code(conn, purpose, flow_token, user_id)
    if row is None or row["used_at"] is not None:
        return Outcome("gone")
    if row["expired"]:
        return Outcome("expired", row)
    if row["attempts"] >= MAX_ATTEMPTS:
        return Outcome("locked", row)
    # Compare digests in constant time; a stand-in never matches, whatever was typed.
    matched = hmac.compare_digest(bytes(row["code_hash"]), hash_code(purpose, row["email"], code))
    matched = matched and not row["stand_in"]
    count_attempt(conn, row["id"], matched)
    if matched:
        return Outcome("ok", row)
    return Outcome("wrong", row, MAX_ATTEMPTS - row["attempts"] - 1)


def cooldown_left(row) -> int:
    """Seconds before the flow may ask for another code."""
    return max(0, math.ceil(RESEND_COOLDOWN_SECONDS - float(row["age_seconds"])))


def delete_old_codes(conn: Connection) -> int:
    """Remove codes that expired a while ago."""
    return db.execute(conn, "DELETE FROM email_codes WHERE expires_at < now() - CAST(:kept AS interval)", kept=KEPT)


@jobs.periodic("email_codes.prune", every=timedelta(hours=1))
def prune_codes(conn: Connection, payload: dict) -> None:
    """Periodic: forget long-expired codes."""
    delete_old_codes(conn)
