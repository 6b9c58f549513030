"""Image uploads within bounds: at most 12 megapixels, bombs refused before decoding, and a few
uploads of one user decoded at once across every app server (PostgreSQL advisory locks)."""

import io
import struct
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor, wait

import pytest
from PIL import Image

from app import images
from app.db import Database
from app.models import upload_slot
from tests.conftest import query_one
from tests.test_seller_products import create, maker, picture  # noqa: F401 - maker is a fixture


def blank_png(size: tuple[int, int]) -> bytes:
    """A black-and-white PNG of `size`: a few kilobytes for millions of pixels."""
    output = io.BytesIO()
    Image.new("1", size).save(output, format="PNG")
    return output.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` × `height` pixels, in under a hundred bytes: a
    decompression bomb, written by hand since Pillow would take seconds to compress the real one."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit grey, no interlace
    pixels = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_a_photo_of_12_megapixels_is_accepted_and_one_pixel_row_more_is_not():
    processed = images.process_upload(io.BytesIO(blank_png((4000, 3000))))
    assert (processed.width, processed.height) == (800, 600)
    with pytest.raises(images.ImageRejected, match="at most 12 megapixels"):
        images.process_upload(io.BytesIO(bomb_png(4000, 3001)))


def test_a_large_jpeg_is_decoded_only_as_large_as_needed():
    photo = io.BytesIO()
    Image.new("RGB", (4000, 3000), (90, 120, 200)).save(photo, format="JPEG")
    processed = images.process_upload(io.BytesIO(photo.getvalue()))
    assert (processed.width, processed.height) == (800, 600)


@pytest.mark.parametrize("size", [(20_000, 20_000), (200_000, 100), (4001, 3000)])
def test_a_decompression_bomb_is_a_form_error_and_stores_nothing(app, actions, maker, size):  # noqa: F811
    bomb = bomb_png(*size)
    assert len(bomb) < 100
    response = create(actions, maker, bomb)
    assert response.status_code == 400
    assert "too many pixels: upload one of at most 12 megapixels" in response.get_data(as_text=True)
    assert query_one(app, "SELECT count(*) AS n FROM images")["n"] == 0


@pytest.mark.concurrency
def test_upload_slots_are_shared_by_every_app_server(app, database_url):
    """Another server (its own engine) holds both of user 41's slots: this one refuses 41's upload
    at once, still processes user 42's, and processes 41's again once those transactions end."""
    other_server = Database(database_url)
    try:
        with other_server.engine.begin() as first, other_server.engine.begin() as second:
            assert upload_slot.take_slot(first, 41, images.MAX_PROCESSING_PER_USER) == 1
            assert upload_slot.take_slot(second, 41, images.MAX_PROCESSING_PER_USER) == 2
            with app.app_context():
                with pytest.raises(images.ImageRejected, match="still being processed"):
                    images.process_upload_for(41, io.BytesIO(picture()))
                assert images.process_upload_for(42, io.BytesIO(picture())).width == 800
        with app.app_context():
            assert images.process_upload_for(41, io.BytesIO(picture())).width == 800
    finally:
        other_server.engine.dispose()


@pytest.mark.concurrency
def test_three_uploads_of_one_user_at_once_two_are_processed_one_refused(app):
    entered = threading.Semaphore(0)
    release = threading.Event()

    class SlowUpload(io.BytesIO):
        """An upload that arrives slowly: it holds its slot until the test lets it go on."""

        def read(self, *args):
            entered.release()
            release.wait(10)
            return super().read(*args)

    barrier = threading.Barrier(3)

    def upload():
        with app.app_context():
            barrier.wait()
            try:
                images.process_upload_for(7, SlowUpload(picture()))
            except images.ImageRejected as rejected:
                return str(rejected)
            return "processed"

    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(upload) for _ in range(3)]
        assert entered.acquire(timeout=10) and entered.acquire(timeout=10)
        refused, _ = wait(futures, timeout=10, return_when="FIRST_COMPLETED")
        release.set()
        results = [future.result(timeout=10) for future in futures]
    assert len(refused) == 1
    assert results.count("processed") == 2
    assert "still being processed" in next(iter(refused)).result()
