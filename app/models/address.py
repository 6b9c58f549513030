"""The address book: a user's delivery addresses, one of them the default.

Every write locks the owner's users row first (locks.lock_users), the one mutex of a user's
address book: two "make default" or two first addresses at once then wait for each other
instead of meeting on the unique index of defaults. Nothing else is locked meanwhile, so this
never takes part in the money writers' order (app/models/locks.py).
"""

from sqlalchemy import Connection

from app import db
from app.models import locks

MAX_ADDRESSES = 20  # per user

# What a form sends, in the order the address reads.
FIELDS = ("full_name", "line1", "line2", "city", "postal_code", "country", "phone")


class AddressBookFull(Exception):
    """The user has MAX_ADDRESSES addresses already."""


def list_addresses(user_id: int):
    """The user's addresses, the default first, then oldest first."""
    return db.all(
        """
        SELECT id, full_name, line1, line2, city, postal_code, country, phone, is_default
        FROM addresses
        WHERE user_id = :user_id
        ORDER BY is_default DESC, id
        """,
        user_id=user_id,
    )


def get_address(address_id: int, user_id: int):
    """The user's address, or None if there is none or it is someone else's."""
    return db.one(
        """
        SELECT id, full_name, line1, line2, city, postal_code, country, phone, is_default
        FROM addresses
        WHERE id = :address_id
          AND user_id = :user_id
        """,
        address_id=address_id,
        user_id=user_id,
    )


def get_delivery_address(conn: Connection, user_id: int, address_id: int | None):
    """At checkout: the user's chosen address, their default when none is chosen, or None."""
    return db.fetch_one(
        conn,
        """
        SELECT id, full_name, line1, line2, city, postal_code, country, phone
        FROM addresses
        WHERE user_id = :user_id
          AND (id = :address_id OR (CAST(:address_id AS bigint) IS NULL AND is_default))
        """,
        user_id=user_id,
        address_id=address_id,
    )


def get_profile_address(conn: Connection, user_id: int) -> str:
    """The user's name and profile address, as a label (for a buyer with no address book yet)."""
    row = db.fetch_one(conn, "SELECT full_name, address FROM users WHERE id = :user_id", user_id=user_id)
    return f"{row['full_name']}\n{row['address']}"


def format_address(address) -> str:
    """The address as the lines of a label: name, street, city and code, country, phone."""
    city = " ".join(part for part in (address["postal_code"], address["city"]) if part)
    phone = f"Phone: {address['phone']}" if address["phone"] else ""
    parts = (address["full_name"], address["line1"], address["line2"], city, address["country"], phone)
    return "\n".join(part for part in parts if part)


@db.retry_on_conflict
def add_address(user_id: int, values: dict, make_default: bool) -> int:
    """Add an address (the default if asked, or if it is the first); return its id."""
    with db.transaction() as conn:
        locks.lock_users(conn, [user_id])
        count = db.fetch_one(conn, "SELECT count(*) AS n FROM addresses WHERE user_id = :user_id", user_id=user_id)
        if count["n"] >= MAX_ADDRESSES:
            raise AddressBookFull()
        if make_default:
            _clear_default(conn, user_id)
        return db.fetch_one(
            conn,
            """
            INSERT INTO addresses (user_id, full_name, line1, line2, city, postal_code, country, phone, is_default)
            VALUES (:user_id, :full_name, :line1, :line2, :city, :postal_code, :country, :phone,
                    :make_default OR :first)
            RETURNING id
            """,
            user_id=user_id,
            make_default=make_default,
            first=count["n"] == 0,
            **{name: values.get(name) or "" for name in FIELDS},
        )["id"]


def update_address(address_id: int, user_id: int, values: dict) -> bool:
    """Change the user's address; False if it is not theirs (or was deleted meanwhile)."""
    return (
        db.run(
            """
            UPDATE addresses
            SET full_name = :full_name, line1 = :line1, line2 = :line2, city = :city,
                postal_code = :postal_code, country = :country, phone = :phone
            WHERE id = :address_id
              AND user_id = :user_id
            """,
            address_id=address_id,
            user_id=user_id,
            **{name: values.get(name) or "" for name in FIELDS},
        )
        == 1
    )


@db.retry_on_conflict
def make_default(address_id: int, user_id: int) -> bool:
    """Make the user's address their default; False if it is not theirs."""
    with db.transaction() as conn:
        locks.lock_users(conn, [user_id])
        if not db.fetch_one(
            conn, "SELECT 1 FROM addresses WHERE id = :id AND user_id = :user_id", id=address_id, user_id=user_id
        ):
            return False
        _clear_default(conn, user_id)
        db.execute(conn, "UPDATE addresses SET is_default = true WHERE id = :id", id=address_id)
        return True


@db.retry_on_conflict
def delete_address(address_id: int, user_id: int) -> bool:
    """Delete the user's address (purchases keep their own copy); the oldest left becomes the
    default if it was. False if it is not theirs."""
    with db.transaction() as conn:
        locks.lock_users(conn, [user_id])
        deleted = db.fetch_one(
            conn,
            "DELETE FROM addresses WHERE id = :id AND user_id = :user_id RETURNING is_default",
            id=address_id,
            user_id=user_id,
        )
        if deleted is None:
            return False
        if deleted["is_default"]:
            db.execute(
                conn,
                """
                UPDATE addresses
                SET is_default = true
                WHERE id = (SELECT min(id) FROM addresses WHERE user_id = :user_id)
                """,
                user_id=user_id,
            )
        return True


def _clear_default(conn: Connection, user_id: int) -> None:
    """No address of the user's is the default (the caller sets the new one)."""
    db.execute(conn, "UPDATE addresses SET is_default = false WHERE user_id = :user_id AND is_default", user_id=user_id)
