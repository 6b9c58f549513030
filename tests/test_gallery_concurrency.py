"""Gallery writes racing on one product: the product's row lock keeps the gallery at most 8 pictures,
its positions 1..n without gaps and its cover in step, whatever runs at once."""

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from app import images
from app.models import product_image
from db.check import INVARIANTS
from tests import factories
from tests.test_seller_products import picture

pytestmark = pytest.mark.concurrency


def racing(app, calls) -> list:
    """Run each call at the same moment, each on its own connection; return what each returned or raised."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        with app.app_context():
            barrier.wait()
            try:
                return call()
            except product_image.GalleryRefused as refused:
                return refused

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def gallery_invariants(app) -> list[tuple[str, int]]:
    with app.extensions["bazaar_db"].engine.connect() as connection:
        checks = [(name, query) for name, query in INVARIANTS if name.startswith(("product_images", "products: image"))]
        return [(name, connection.execute(text(query)).scalar()) for name, query in checks]


def product_with_pictures(app, actions, count: int):
    """A seller's product with `count` uploaded pictures (committed), the seller, and a processed picture."""
    seller = actions.create_user()
    product = factories.product(app, seller["id"])
    processed = images.process_upload(io.BytesIO(picture(size=(40, 30))))
    with app.app_context():
        for _ in range(count):
            product_image.add_image(product["id"], seller["id"], processed, "")
    return product, seller, processed


def test_two_uploads_racing_for_the_8th_place_add_one(app, actions):
    product, seller, processed = product_with_pictures(app, actions, 7)

    outcomes = racing(app, [lambda: product_image.add_image(product["id"], seller["id"], processed, "")] * 4)

    assert sorted(map(str, outcomes)) == ["A product shows at most 8 images: remove one before adding another."] * 3 + [
        "True"
    ]
    with app.app_context():
        assert [row["position"] for row in product_image.list_gallery(product["id"])] == list(range(1, 9))
    assert all(count == 0 for _, count in gallery_invariants(app))


def test_removals_reorders_and_uploads_at_once_keep_positions_contiguous_and_the_cover_in_step(app, actions):
    product, seller, processed = product_with_pictures(app, actions, 6)
    with app.app_context():
        ids = [row["id"] for row in product_image.list_gallery(product["id"])]

    calls = [
        lambda: product_image.remove_image(product["id"], seller["id"], ids[0]),
        lambda: product_image.remove_image(product["id"], seller["id"], ids[3]),
        lambda: product_image.reorder(product["id"], seller["id"], ids[::-1]),  # stale once a removal lands
        lambda: product_image.add_image(product["id"], seller["id"], processed, ""),
        lambda: product_image.set_alt_text(product["id"], seller["id"], ids[5], "The last one"),
    ]
    outcomes = racing(app, calls)

    assert outcomes[0] is True and outcomes[1] is True and outcomes[3] is True and outcomes[4] is True
    with app.app_context():
        positions = [row["position"] for row in product_image.list_gallery(product["id"])]
    assert positions == list(range(1, 6))  # 6 - 2 + 1
    assert all(count == 0 for _, count in gallery_invariants(app))
