"""Uploaded product images: checked by their content with Pillow, resized and re-encoded.

The bytes a user sends are never stored or served as they came: an image is decoded,
turned upright, fitted within STANDARD_SIZE and written anew as WebP, which drops any
metadata (EXIF location, comments) and anything hidden after the picture.
"""

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
STANDARD_SIZE = (800, 800)
# Decoding a huge picture takes memory whatever the file size: refuse before decoding.
MAX_PIXELS = 40_000_000
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


def _verified_format(data: bytes) -> str:
    """The format Pillow finds in the bytes, after checking the file is not truncated or broken."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise ImageRejected("The image has too many pixels. Upload one under 40 megapixels.")
                probe.verify()
                return probe.format or "Unknown"
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageRejected("The image has too many pixels. Upload one under 40 megapixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected("This file is not a picture we can read: upload a JPEG, PNG or WebP image.") from None


def _reencode(data: bytes) -> ProcessedImage:
    """Decode, turn upright, fit within STANDARD_SIZE and write as WebP."""
    try:
        with Image.open(io.BytesIO(data)) as original:
            image = ImageOps.exif_transpose(original)
            image = image.convert("RGBA" if _has_transparency(image) else "RGB")
    except (OSError, SyntaxError, ValueError):
        # verify() checks structure only; pixel data can still be corrupt.
        raise ImageRejected("This image is damaged and cannot be read. Upload another one.") from None
    image.thumbnail(STANDARD_SIZE, Image.Resampling.LANCZOS)
    output = io.BytesIO()
    image.save(output, format="WEBP", quality=85, method=4)
    return ProcessedImage(output.getvalue(), OUTPUT_CONTENT_TYPE, image.width, image.height)


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
