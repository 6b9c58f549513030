"""Two-factor sign-in with time-based codes (TOTP, RFC 6238): each user's secret and its use.

The secret is stored encrypted (AES-GCM, key derived from SECRET_KEY, the user id as associated
data): the server must compute codes from it, so it cannot be hashed, but a copy of the table
alone computes nothing. A code is accepted for the current 30-second step or one step either
side (clock drift), and only for a step after the last one accepted, so no code works twice.
"""

import base64
import hmac
import os
import secrets
import time

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import Connection

from app import db

STEP_SECONDS = 30
DRIFT_STEPS = 1  # steps accepted either side of the current one
ISSUER = "Bazaar"


def current_time() -> float:
    """The clock codes are checked against (tests replace it to move time)."""
    return time.time()


def new_secret() -> str:
    """A random base32 secret of 160 bits, the length RFC 4226 recommends."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def _cipher() -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"bazaar totp secret v1").derive(
        current_app.config["SECRET_KEY"].encode()
    )
    return AESGCM(key)


def encrypt_secret(user_id: int, secret: str) -> bytes:
    """The secret sealed for this user: a 12-byte nonce, then the ciphertext and its tag."""
    nonce = os.urandom(12)
    return nonce + _cipher().encrypt(nonce, secret.encode(), str(user_id).encode())


def decrypt_secret(user_id: int, sealed: bytes) -> str | None:
    """The secret, or None if it was sealed for another user or under another SECRET_KEY."""
    sealed = bytes(sealed)
    try:
        return _cipher().decrypt(sealed[:12], sealed[12:], str(user_id).encode()).decode()
    except InvalidTag:
        return None


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step within the drift window whose code is `code`, or None."""
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int((current_time() if now is None else now) // STEP_SECONDS)
    found = None
    # Every step is compared (no early exit), each in constant time.
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            found = step
    return found


def start_setup(user_id: int, secret: str) -> bool:
    """Store a new pending secret (replacing an older pending one); False if two-factor is already on."""
    row = db.run_returning(
        """
        INSERT INTO user_totp (user_id, secret_encrypted)
        VALUES (:user_id, :sealed)
        ON CONFLICT (user_id) DO UPDATE
        SET secret_encrypted = EXCLUDED.secret_encrypted,
            last_used_step = NULL,
            failures = 0,
            failures_since = NULL,
            created_at = now()
        WHERE user_totp.enabled_at IS NULL
        RETURNING user_id
        """,
        user_id=user_id,
        sealed=encrypt_secret(user_id, secret),
    )
    return row is not None


def get_totp(user_id: int):
    """The user's TOTP row (pending or on), or None."""
    return db.one(
        """
        SELECT user_id, secret_encrypted, enabled_at, last_used_step, created_at
        FROM user_totp
        WHERE user_id = :user_id
        """,
        user_id=user_id,
    )


def is_enabled(user_id: int) -> bool:
    """True if the user signs in with a code after the password."""
    return bool(
        db.value(
            "SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = :user_id AND enabled_at IS NOT NULL)",
            user_id=user_id,
        )
    )


def lock_pending(conn: Connection, user_id: int):
    """The user's pending (not yet confirmed) TOTP row, locked; or None."""
    return db.fetch_one(
        conn,
        """
        SELECT user_id, secret_encrypted
        FROM user_totp
        WHERE user_id = :user_id
          AND enabled_at IS NULL
        FOR UPDATE
        """,
        user_id=user_id,
    )


def lock_enabled(conn: Connection, user_id: int, window_seconds: int):
    """The user's enabled TOTP row, locked, with its failures in the current window; or None."""
    return db.fetch_one(
        conn,
        """
        SELECT user_id, secret_encrypted, last_used_step,
               CASE WHEN failures_since > now() - make_interval(secs => :window) THEN failures ELSE 0 END
                   AS recent_failures,
               ceil(extract(epoch FROM failures_since + make_interval(secs => :window) - now()))::int
                   AS window_left_seconds
        FROM user_totp
        WHERE user_id = :user_id
          AND enabled_at IS NOT NULL
        FOR UPDATE
        """,
        user_id=user_id,
        window=window_seconds,
    )


def enable(conn: Connection, user_id: int, step: int) -> None:
    """Turn the pending secret on; the confirming code's step counts as used."""
    db.execute(
        conn,
        """
        UPDATE user_totp
        SET enabled_at = now(),
            last_used_step = :step
        WHERE user_id = :user_id
          AND enabled_at IS NULL
        """,
        user_id=user_id,
        step=step,
    )


def record_success(conn: Connection, user_id: int, step: int | None) -> None:
    """A right code (step given) or recovery code (step None): the failures are forgotten."""
    db.execute(
        conn,
        """
        UPDATE user_totp
        SET last_used_step = coalesce(:step, last_used_step),
            failures = 0,
            failures_since = NULL
        WHERE user_id = :user_id
        """,
        user_id=user_id,
        step=step,
    )


def record_failure(conn: Connection, user_id: int, window_seconds: int) -> None:
    """Count a wrong code against the account; a window that has passed starts over."""
    db.execute(
        conn,
        """
        UPDATE user_totp
        SET failures = CASE WHEN failures_since > now() - make_interval(secs => :window)
                            THEN failures + 1 ELSE 1 END,
            failures_since = CASE WHEN failures_since > now() - make_interval(secs => :window)
                                  THEN failures_since ELSE now() END
        WHERE user_id = :user_id
        """,
        user_id=user_id,
        window=window_seconds,
    )


def disable(conn: Connection, user_id: int) -> int:
    """Turn two-factor sign-in off (the secret is deleted); return the rows removed."""
    return db.execute(conn, "DELETE FROM user_totp WHERE user_id = :user_id", user_id=user_id)
