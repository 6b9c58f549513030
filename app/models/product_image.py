"""A product's gallery: up to MAX_IMAGES pictures in order, each with alt text (issue 17).

An entry is an uploaded image (image_id) or a drawn view (drawn_view 1..4, app/pictures.py:
the demo's galleries, no stored bytes). Positions run 1..n without gaps. Every change locks the
product row first (FOR NO KEY UPDATE, filtered by its creator: someone else's product changes
nothing), so two uploads cannot both become the 8th, and then sets products.image_id to the
uploaded image at position 1 (the cover that cards read from the product row alone). Updating the
product row also bumps its page-cache version (migration 0011).
"""

from collections.abc import Sequence

from sqlalchemy import Connection, RowMapping

from app import db
from app.images import ProcessedImage
from app.models import image as image_model

MAX_IMAGES = 8
MAX_ALT_TEXT = 250
GALLERY_FULL = f"A product shows at most {MAX_IMAGES} images: remove one before adding another."
GALLERY_CHANGED = "The gallery changed meanwhile (in another tab?): look at it again and retry."


class GalleryRefused(Exception):
    """The change cannot be made; the message says why, for the user."""


def list_gallery(product_id: int) -> Sequence[RowMapping]:
    """The product's entries in order, with each uploaded image's sizes."""
    return db.all(
        """
        SELECT g.id, g.position, g.image_id, g.drawn_view, g.alt_text,
               i.width, i.height,
               coalesce(i.thumbnail_width, i.width) AS thumbnail_width,
               coalesce(i.thumbnail_height, i.height) AS thumbnail_height
        FROM product_images AS g
        LEFT JOIN images AS i ON i.id = g.image_id
        WHERE g.product_id = :product_id
        ORDER BY g.position
        """,
        product_id=product_id,
    )


def count_images(product_id: int) -> int:
    """How many entries the product's gallery has."""
    return db.value("SELECT count(*) FROM product_images WHERE product_id = :product_id", product_id=product_id)


def get_gallery_image(product_id: int, image_id: int, thumbnail: bool) -> RowMapping | None:
    """The bytes of an image in the product's gallery (its thumbnail, or its display size when it has
    none), or None: an image no gallery shows is not served."""
    return db.one(
        """
        SELECT i.content_type,
               CASE WHEN :thumbnail THEN coalesce(i.thumbnail, i.data) ELSE i.data END AS data
        FROM product_images AS g
        JOIN images AS i ON i.id = g.image_id
        WHERE g.product_id = :product_id
          AND g.image_id = :image_id
        """,
        product_id=product_id,
        image_id=image_id,
        thumbnail=thumbnail,
    )


def add_image(product_id: int, creator_id: int, image: ProcessedImage, alt_text: str) -> bool:
    """Add an uploaded image at the end of the creator's product's gallery; False if the product is
    not theirs. Raises GalleryRefused when the gallery is full."""
    with db.transaction() as conn:
        count = _lock_and_count(conn, product_id, creator_id)
        if count is None:
            return False
        if count >= MAX_IMAGES:
            raise GalleryRefused(GALLERY_FULL)
        image_id = image_model.insert_image(conn, creator_id, image)
        db.execute(
            conn,
            """
            INSERT INTO product_images (product_id, position, image_id, alt_text)
            VALUES (:product_id, :position, :image_id, :alt_text)
            """,
            product_id=product_id,
            position=count + 1,
            image_id=image_id,
            alt_text=alt_text,
        )
        _set_cover(conn, product_id)
        return True


def remove_image(product_id: int, creator_id: int, entry_id: int) -> bool:
    """Remove an entry from the creator's product's gallery and close the gap; False if there is no
    such entry in a product of theirs. The uploaded image goes too once nothing shows it."""
    with db.transaction() as conn:
        if _lock_and_count(conn, product_id, creator_id) is None:
            return False
        removed = db.fetch_one(
            conn,
            """
            DELETE FROM product_images
            WHERE id = :entry_id
              AND product_id = :product_id
            RETURNING position, image_id
            """,
            entry_id=entry_id,
            product_id=product_id,
        )
        if removed is None:
            return False
        db.execute(
            conn,
            """
            UPDATE product_images
            SET position = position - 1
            WHERE product_id = :product_id
              AND position > :position
            """,
            product_id=product_id,
            position=removed["position"],
        )
        _set_cover(conn, product_id)
        if removed["image_id"]:
            image_model.delete_unused_image(conn, removed["image_id"], creator_id)
        return True


def reorder(product_id: int, creator_id: int, entry_ids: list[int]) -> bool:
    """Put the creator's product's entries in the order of `entry_ids`, which must name each of them
    once (GalleryRefused otherwise); False if the product is not theirs."""
    with db.transaction() as conn:
        if _lock_and_count(conn, product_id, creator_id) is None:
            return False
        current = db.fetch_all(
            conn, "SELECT id FROM product_images WHERE product_id = :product_id", product_id=product_id
        )
        if sorted(entry_ids) != sorted(row["id"] for row in current):
            raise GalleryRefused(GALLERY_CHANGED)
        # One statement: the deferrable unique (product_id, position) is checked at its end.
        db.execute(
            conn,
            """
            UPDATE product_images AS g
            SET position = wanted.position
            FROM unnest(CAST(:entry_ids AS bigint[])) WITH ORDINALITY AS wanted (id, position)
            WHERE g.id = wanted.id
              AND g.product_id = :product_id
              AND g.position <> wanted.position
            """,
            entry_ids=entry_ids,
            product_id=product_id,
        )
        _set_cover(conn, product_id)
        return True


def set_alt_text(product_id: int, creator_id: int, entry_id: int, alt_text: str) -> bool:
    """Change an entry's alt text; False if there is no such entry in a product of the creator's."""
    with db.transaction() as conn:
        if _lock_and_count(conn, product_id, creator_id) is None:
            return False
        changed = db.execute(
            conn,
            """
            UPDATE product_images
            SET alt_text = :alt_text
            WHERE id = :entry_id
              AND product_id = :product_id
            """,
            entry_id=entry_id,
            product_id=product_id,
            alt_text=alt_text,
        )
        _set_cover(conn, product_id)  # the product's version changes, so cached pages show the new text
        return changed == 1


def replace_cover(conn: Connection, product_id: int, image_id: int) -> None:
    """Make an uploaded image position 1 of a product locked by the caller (the product form's
    "Replace the image"): it takes the place of what was there, or starts the gallery."""
    # Not ON CONFLICT: a deferrable unique constraint cannot arbitrate; the caller's lock on the
    # product keeps the two statements from racing.
    replaced = db.execute(
        conn,
        """
        UPDATE product_images
        SET image_id = :image_id, drawn_view = NULL, alt_text = ''
        WHERE product_id = :product_id
          AND position = 1
        """,
        product_id=product_id,
        image_id=image_id,
    )
    if not replaced:
        db.execute(
            conn,
            "INSERT INTO product_images (product_id, position, image_id) VALUES (:product_id, 1, :image_id)",
            product_id=product_id,
            image_id=image_id,
        )


def _lock_and_count(conn: Connection, product_id: int, creator_id: int) -> int | None:
    """Lock the creator's product, then count its entries; None if it is not theirs.

    Two statements: a count in the locking statement would be read from the snapshot taken before
    the lock was granted, and miss the picture that the transaction it waited for had just added."""
    locked = db.fetch_one(
        conn,
        """
        SELECT id
        FROM products
        WHERE id = :product_id
          AND creator_id = :creator_id
        FOR NO KEY UPDATE
        """,
        product_id=product_id,
        creator_id=creator_id,
    )
    if locked is None:
        return None
    return db.fetch_one(
        conn, "SELECT count(*) AS entries FROM product_images WHERE product_id = :product_id", product_id=product_id
    )["entries"]


def _set_cover(conn: Connection, product_id: int) -> None:
    """products.image_id := the uploaded image at position 1 (NULL when that is drawn or absent)."""
    db.execute(
        conn,
        """
        UPDATE products
        SET image_id = (SELECT image_id FROM product_images WHERE product_id = :product_id AND position = 1),
            updated_at = now()
        WHERE id = :product_id
        """,
        product_id=product_id,
    )
