"""Brands: a name unique whatever its case, and a slug for the catalog's filter links.

A product's creator names its brand (seller center, admin): an existing brand is found by its
name in any case, and a new name makes a new brand in the same transaction as the product.
"""

import hashlib
import re
import unicodedata
from collections.abc import Sequence

from sqlalchemy import Connection, RowMapping

from app import db
from app.inputs import InvalidInput

MAX_NAME_LENGTH = 60
LISTED_BRANDS = 2_000  # the form's suggestions: every brand of the demo, the most used at scale
# Letters and digits of any script, spaces and the punctuation brand names use ("Salt & Thyme").
_NAME = re.compile(r"^[\w][\w &'.+-]*$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def clean_brand_name(raw: str | None) -> str | None:
    """A brand name as typed, trimmed with single spaces, or None when empty; InvalidInput says
    what is wrong with one that cannot be a brand."""
    name = " ".join((raw or "").split())
    if not name:
        return None
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"Keep the brand's name to {MAX_NAME_LENGTH} characters.")
    if not _NAME.match(name) or "_" in name:
        raise InvalidInput("A brand's name may have letters, digits, spaces and & ' . + - only.")
    return name


def slug_for(name: str) -> str:
    """A URL slug for a brand name: ASCII letters and digits joined by hyphens, or a hash for a
    name with none (a name in another script)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = _NOT_SLUG.sub("-", ascii_name).strip("-")[:60]
    return slug or "brand-" + hashlib.sha256(name.lower().encode()).hexdigest()[:12]


def list_brand_names() -> Sequence[RowMapping]:
    """Brand names for the product form's suggestions, most used first."""
    return db.all(
        """
        SELECT b.name
        FROM brands AS b
        ORDER BY (SELECT count(*) FROM products AS p WHERE p.brand_id = b.id) DESC, b.name
        LIMIT :limit
        """,
        limit=LISTED_BRANDS,
    )


def get_brand_by_slug(slug: str) -> RowMapping | None:
    """The brand with this slug, or None."""
    return db.one("SELECT id, name, slug FROM brands WHERE slug = :slug", slug=slug[:80])


def find_or_create_brand(conn: Connection, name: str, user_id: int) -> int:
    """The id of the brand called `name` in any case, made now if there is none. A second writer of
    the same new name waits on the unique index and then finds the first one's brand."""
    slug = slug_for(name)
    for candidate in (slug, f"{slug[:50]}-{hashlib.sha256(name.lower().encode()).hexdigest()[:8]}"):
        db.execute(
            conn,
            """
            INSERT INTO brands (name, slug, created_by)
            VALUES (:name, :slug, :user_id)
            ON CONFLICT DO NOTHING
            """,
            name=name,
            slug=candidate,
            user_id=user_id,
        )
        found = db.fetch_one(conn, "SELECT id FROM brands WHERE lower(name) = lower(:name)", name=name)
        if found:
            return found["id"]
    raise InvalidInput("That brand's name is too like another's; add a word to tell them apart.")
