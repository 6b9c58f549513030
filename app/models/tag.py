"""Product tags: words a product's creator picks (at most MAX_TAGS), lower-case and trimmed
(the /tags/<tag> page's queries are in search.py).

A tag is 1-30 letters, digits, spaces or hyphens: no HTML metacharacter is ever stored (and every
page autoescapes anyway).
"""

import re

from sqlalchemy import Connection

from app import db
from app.inputs import InvalidInput

MAX_TAGS = 10
MAX_TAG_LENGTH = 30
_TAG = re.compile(r"^[^\W_]([^\W_]|[ -])*$")


def normalise_tag(raw: str) -> str:
    """One tag as stored: lower-case, trimmed, single spaces."""
    return " ".join(raw.split()).lower()


def parse_tags(raw: str | None) -> list[str]:
    """Tags typed as a comma-separated list, normalised, repeats dropped (order kept);
    InvalidInput says what is wrong."""
    tags: dict[str, None] = {}
    for part in (raw or "").split(","):
        tag = normalise_tag(part)
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise InvalidInput(f"Keep each tag to {MAX_TAG_LENGTH} characters (“{tag[:MAX_TAG_LENGTH]}…” is longer).")
        if not _TAG.match(tag) or tag.endswith((" ", "-")):
            raise InvalidInput("A tag may have letters, digits, spaces and hyphens only.")
        tags[tag] = None
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"A product may have at most {MAX_TAGS} tags; you gave {len(tags)}.")
    return list(tags)


def is_valid_tag(tag: str) -> bool:
    """Whether a tag from a URL could be stored (so a query is worth running)."""
    try:
        return parse_tags(tag) == [tag]
    except InvalidInput:
        return False


def replace_tags(conn: Connection, product_id: int, tags: list[str]) -> None:
    """Make the product's tags exactly `tags` (its row is locked by the caller)."""
    db.execute(
        conn,
        "DELETE FROM product_tags WHERE product_id = :product_id AND tag <> ALL(:tags)",
        product_id=product_id,
        tags=tags,
    )
    db.execute(
        conn,
        """
        INSERT INTO product_tags (product_id, tag)
        SELECT :product_id, tag
        FROM unnest(CAST(:tags AS text[])) AS chosen(tag)
        ON CONFLICT DO NOTHING
        """,
        product_id=product_id,
        tags=tags,
    )
