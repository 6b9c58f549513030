"""The wishlist's cap under real concurrency: adds at once, each on its own connection, committing."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import text

from app.models import wishlist
from tests import factories

pytestmark = pytest.mark.concurrency


def test_adds_at_once_never_pass_the_cap(app, actions, monkeypatch):
    monkeypatch.setattr(wishlist, "MAX_ITEMS", 5)
    seller = actions.create_user()
    buyer = actions.create_user()
    products = [factories.product(app, seller["id"], name=f"Thing {number}") for number in range(12)]
    start = Barrier(len(products))

    def attempt(product):
        with app.test_request_context():
            start.wait()
            try:
                return wishlist.add(buyer["id"], product["id"])
            except wishlist.WishlistError:
                return False

    with ThreadPoolExecutor(max_workers=len(products)) as pool:
        results = list(pool.map(attempt, products))
    with app.extensions["bazaar_db"].engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM wishlist_items WHERE user_id = :u"), {"u": buyer["id"]}
        ).scalar()
    assert results.count(True) == 5 and count == 5
