"""Uploaded images, stored in PostgreSQL so that every app server can serve them."""

from sqlalchemy import Connection

from app import db
from app.images import ProcessedImage


def insert_image(conn: Connection, uploader_id: int, image: ProcessedImage) -> int:
    """Store a processed image inside the caller's transaction; return its id."""
    row = db.fetch_one(
        conn,
        """
        INSERT INTO images (uploader_id, content_type, width, height, data,
                            thumbnail, thumbnail_width, thumbnail_height)
        VALUES (:uploader_id, :content_type, :width, :height, :data,
                :thumbnail, :thumbnail_width, :thumbnail_height)
        RETURNING id
        """,
        uploader_id=uploader_id,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        data=image.data,
        thumbnail=image.thumbnail,
        thumbnail_width=image.thumbnail_width,
        thumbnail_height=image.thumbnail_height,
    )
    return row["id"]


def delete_unused_image(conn: Connection, image_id: int, uploader_id: int) -> None:
    """Delete the uploader's image once no product shows it any more (after a replacement or a
    removal from a gallery)."""
    db.execute(
        conn,
        """
        DELETE FROM images
        WHERE id = :image_id
          AND uploader_id = :uploader_id
          AND NOT EXISTS (SELECT 1 FROM products WHERE image_id = :image_id)
          AND NOT EXISTS (SELECT 1 FROM product_images WHERE image_id = :image_id)
        """,
        image_id=image_id,
        uploader_id=uploader_id,
    )


def get_image(image_id: int):
    """An image's bytes and type, or None."""
    return db.one(
        "SELECT id, content_type, width, height, data, created_at FROM images WHERE id = :image_id",
        image_id=image_id,
    )
