"""Uploaded product images: checked by their content with Pillow, resized and re-encoded.

The bytes a user sends are never stored or served as they came: an image is decoded,
turned upright, fitted within STANDARD_SIZE (and again within THUMBNAIL_SIZE) and written anew
as WebP, which drops any metadata (EXIF location, comments) and anything hidden after the
picture. Fitted, never cropped: a 400 × 300 photo stays 4:3, and pages letterbox it.
"""

import io
import math
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from app import db
from app.models import upload_slot

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
STANDARD_SIZE = (800, 800)
THUMBNAIL_SIZE = (320, 320)  # the gallery's thumbnails and every small picture (cards, cart)
# Decoding takes memory and CPU by the pixel, whatever the file size: refuse before decoding.
# 12 megapixels (4000 × 3000) is a phone camera's whole photo, far more than the 800 × 800 shown.
MAX_PIXELS = 12_000_000
TOO_MANY_PIXELS = "The image has too many pixels: upload one of at most 12 megapixels, such as 4000 × 3000."
# Uploads of one user decoded at once, across every app server: one user cannot fill the workers.
MAX_PROCESSING_PER_USER = 2
ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
OUTPUT_CONTENT_TYPE = "image/webp"


class ImageRejected(Exception):
    """The upload is not an image we accept; the message says why, for the user."""


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    content_type: str
    width: int
    height: int
    thumbnail: bytes
    thumbnail_width: int
    thumbnail_height: int


def process_upload(stream: BinaryIO) -> ProcessedImage:
    """Check an uploaded file and return it re-encoded at the standard size, or raise ImageRejected."""
    data = stream.read(MAX_UPLOAD_BYTES + 1)
    if not data:
        raise ImageRejected("The image file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRejected("The image is larger than 5 MB. Upload a smaller one.")
    image_format = _verified_format(data)
    if image_format not in ACCEPTED_FORMATS:
        raise ImageRejected(f"{image_format} images are not accepted: upload a JPEG, PNG or WebP image.")
    return _reencode(data)


def process_upload_for(uploader_id: int, stream: BinaryIO) -> ProcessedImage:
    """process_upload in one of the uploader's MAX_PROCESSING_PER_USER slots (upload_slot.py);
    raise ImageRejected at once when all of them are busy."""
    with db.transaction() as conn:
        if upload_slot.take_slot(conn, uploader_id, MAX_PROCESSING_PER_USER) is None:
            raise ImageRejected("Your other uploads are still being processed. Wait a moment and try again.")
        return process_upload(stream)


def _verified_format(data: bytes) -> str:
    """The format Pillow finds in the bytes, after checking the file is not truncated or broken."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise ImageRejected(TOO_MANY_PIXELS)
                probe.verify()
                return probe.format or "Unknown"
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageRejected(TOO_MANY_PIXELS) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected("This file is not a picture we can read: upload a JPEG, PNG or WebP image.") from None


def _reencode(data: bytes) -> ProcessedImage:
    """Decode, turn upright, fit within STANDARD_SIZE and THUMBNAIL_SIZE and write both as WebP."""
    try:
        with Image.open(io.BytesIO(data)) as original:
            # A JPEG can be decoded straight at 1/2, 1/4 or 1/8 of its size: only as large as the
            # picture fitted within STANDARD_SIZE needs (a square, so turning it changes nothing).
            original.draft(None, _fitted_size(original.size))
            image = ImageOps.exif_transpose(original)
            image = image.convert("RGBA" if _has_transparency(image) else "RGB")
    except (OSError, SyntaxError, ValueError):
        # verify() checks structure only; pixel data can still be corrupt.
        raise ImageRejected("This image is damaged and cannot be read. Upload another one.") from None
    image.thumbnail(STANDARD_SIZE, Image.Resampling.LANCZOS)
    small = image.copy()
    small.thumbnail(THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    return ProcessedImage(
        _webp(image), OUTPUT_CONTENT_TYPE, image.width, image.height, _webp(small), small.width, small.height
    )


def _webp(image: Image.Image) -> bytes:
    output = io.BytesIO()
    image.save(output, format="WEBP", quality=85, method=4)
    return output.getvalue()


def _fitted_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size of a picture of `size` fitted within STANDARD_SIZE (never enlarged)."""
    scale = min(STANDARD_SIZE[0] / size[0], STANDARD_SIZE[1] / size[1], 1)
    return math.ceil(size[0] * scale), math.ceil(size[1] * scale)


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
