"""Passkeys (WebAuthn credentials): each user's public keys, and the random handle that names the user to them."""

import secrets

from sqlalchemy.exc import IntegrityError

from app import db


class PasskeyTaken(Exception):
    """This credential is already registered (to this account or another)."""


def get_or_create_user_handle(user_id: int) -> bytes:
    """The user's WebAuthn user handle: 32 random bytes, made on first use, then always the same."""
    row = db.run_returning(
        """
        INSERT INTO passkey_user_handles (user_id, handle)
        VALUES (:user_id, :handle)
        ON CONFLICT (user_id) DO UPDATE SET handle = passkey_user_handles.handle
        RETURNING handle
        """,
        user_id=user_id,
        handle=secrets.token_bytes(32),
    )
    return bytes(row["handle"])


def create_passkey(
    user_id: int,
    name: str,
    credential_id: bytes,
    public_key: bytes,
    sign_count: int,
    rp_id: str,
    transports: list[str],
    backed_up: bool,
) -> int:
    """Register a verified credential for the user; raise PasskeyTaken if it is known already."""
    try:
        row = db.run_returning(
            """
            INSERT INTO passkeys (user_id, name, credential_id, public_key, sign_count, rp_id, transports, backed_up)
            VALUES (:user_id, :name, :credential_id, :public_key, :sign_count, :rp_id, :transports, :backed_up)
            RETURNING id
            """,
            user_id=user_id,
            name=name,
            credential_id=credential_id,
            public_key=public_key,
            sign_count=sign_count,
            rp_id=rp_id,
            transports=transports,
            backed_up=backed_up,
        )
    except IntegrityError as error:
        if getattr(error.orig.diag, "constraint_name", None) == "passkeys_credential_id_key":
            raise PasskeyTaken from None
        raise
    return row["id"]


def list_passkeys(user_id: int):
    """The user's passkeys, oldest first."""
    return db.all(
        """
        SELECT id, name, backed_up, created_at, last_used_at
        FROM passkeys
        WHERE user_id = :user_id
        ORDER BY created_at, id
        """,
        user_id=user_id,
    )


def get_passkey(user_id: int, passkey_id: int):
    """One of the user's passkeys, as list_passkeys shows it; None if it is not theirs."""
    return db.one(
        """
        SELECT id, name, backed_up, created_at, last_used_at
        FROM passkeys
        WHERE id = :id
          AND user_id = :user_id
        """,
        id=passkey_id,
        user_id=user_id,
    )


def list_credential_ids(user_id: int) -> list[bytes]:
    """The credential ids of the user's passkeys (so the browser does not register one twice)."""
    rows = db.all("SELECT credential_id FROM passkeys WHERE user_id = :user_id", user_id=user_id)
    return [bytes(row["credential_id"]) for row in rows]


def get_passkey_by_credential_id(credential_id: bytes):
    """A passkey with its owner's user handle, by the credential id the browser sent; or None."""
    return db.one(
        """
        SELECT p.id, p.user_id, p.public_key, p.sign_count, p.rp_id, h.handle AS user_handle
        FROM passkeys AS p
        JOIN passkey_user_handles AS h ON h.user_id = p.user_id
        WHERE p.credential_id = :credential_id
        """,
        credential_id=credential_id,
    )


def record_use(passkey_id: int, sign_count: int, backed_up: bool) -> None:
    """Note a sign-in with the passkey and the authenticator's new signature counter."""
    db.run(
        """
        UPDATE passkeys
        SET sign_count = greatest(sign_count, :sign_count),
            backed_up = :backed_up,
            last_used_at = now()
        WHERE id = :id
        """,
        id=passkey_id,
        sign_count=sign_count,
        backed_up=backed_up,
    )


def delete_passkey(user_id: int, passkey_id: int) -> bool:
    """Remove one of the user's passkeys; False if it was not theirs or is gone."""
    return db.run("DELETE FROM passkeys WHERE id = :id AND user_id = :user_id", id=passkey_id, user_id=user_id) > 0
