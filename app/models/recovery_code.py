"""Recovery codes: ten single-use codes that stand in for the authenticator app when it is lost.

Each is 80 random bits (16 base32 letters, shown as abcd-efgh-ijkl-mnop), so a plain sha256 is
enough to store it: nobody can try all of them against a stolen hash.
"""

import base64
import hashlib
import hmac
import re
import secrets

from sqlalchemy import Connection

from app import db

COUNT = 10
_CODE = re.compile(r"^[a-z2-7]{16}$")


def new_codes() -> list[str]:
    """Ten fresh codes, formatted for people: four groups of four letters and digits."""
    codes = []
    for _ in range(COUNT):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
        codes.append("-".join(raw[index : index + 4] for index in range(0, 16, 4)))
    return codes


def normalize(code: str) -> str | None:
    """A typed recovery code as stored (dashes and spaces dropped, lower case), or None if it is not one."""
    compact = re.sub(r"[\s-]", "", code).lower()
    return compact if _CODE.match(compact) else None


def hash_code(code: str) -> bytes:
    return hashlib.sha256(normalize(code).encode()).digest()


def replace_codes(conn: Connection, user_id: int, codes: list[str]) -> None:
    """Store the hashes of new codes; the old ones stop working."""
    db.execute(conn, "DELETE FROM recovery_codes WHERE user_id = :user_id", user_id=user_id)
    db.execute(
        conn,
        """
        INSERT INTO recovery_codes (user_id, code_hash)
        SELECT :user_id, unnest(CAST(:hashes AS bytea[]))
        """,
        user_id=user_id,
        hashes=[hash_code(code) for code in codes],
    )


def use_code(conn: Connection, user_id: int, code: str) -> bool:
    """Spend one of the user's unused codes if `code` is one; True if it was."""
    typed = hashlib.sha256(normalize(code).encode()).digest()
    unused = db.fetch_all(
        conn,
        """
        SELECT id, code_hash
        FROM recovery_codes
        WHERE user_id = :user_id
          AND used_at IS NULL
        """,
        user_id=user_id,
    )
    # Compare with every unused code, each in constant time, rather than looking the hash up.
    match = None
    for row in unused:
        if hmac.compare_digest(bytes(row["code_hash"]), typed):
            match = row["id"]
    if match is None:
        return False
    # used_at IS NULL again: the caller holds the user's TOTP row lock, but a code stays single use regardless.
    return (
        db.execute(
            conn,
            "UPDATE recovery_codes SET used_at = now() WHERE id = :id AND used_at IS NULL",
            id=match,
        )
        == 1
    )


def count_unused(user_id: int) -> int:
    """How many of the user's recovery codes are left."""
    return db.value(
        "SELECT count(*) FROM recovery_codes WHERE user_id = :user_id AND used_at IS NULL",
        user_id=user_id,
    )


def delete_codes(conn: Connection, user_id: int) -> None:
    """Remove all of the user's codes (two-factor sign-in turned off)."""
    db.execute(conn, "DELETE FROM recovery_codes WHERE user_id = :user_id", user_id=user_id)
