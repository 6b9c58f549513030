"""The seller API's stock writers (offline sale, PATCH of an offer) take their locks in the order of
app/models/locks.py: lined up on one product with the site's own writers, they wait, never
deadlock (the set-up of tests/test_lock_order.py). Outside the per-test transaction."""

import logging
import uuid

import pytest

from app.models import checkout, offer, offline_sale, purchase
from tests.test_checkout_concurrency import assert_books_balance
from tests.test_lock_order import WRITERS, queued_behind, shop  # noqa: F401 - `shop` is a fixture

pytestmark = pytest.mark.concurrency


def _offline_sale(shop):  # noqa: F811 - the fixture's value, as in test_lock_order
    seller_id, product_id = shop["seller"]["id"], shop["product"]["id"]
    return lambda: offline_sale.record_sale(seller_id, product_id, 1, None, uuid.uuid4().hex, "digest")


def _api_patch(shop):  # noqa: F811
    seller_id, product_id = shop["seller"]["id"], shop["product"]["id"]

    def change():
        version = offer.offer_version(offer.get_offer(seller_id, product_id))
        return offer.change_offer(seller_id, product_id, version, quantity=25, price=None)

    return change


def _bulk_stock(shop):  # noqa: F811
    seller_id, product_id = shop["seller"]["id"], shop["product"]["id"]
    return lambda: offer.set_stocks(seller_id, {product_id: (30, None)})


API_WRITERS = WRITERS | {"offline sale": _offline_sale, "api patch": _api_patch, "bulk stock": _bulk_stock}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("cancel", "offline sale"),
        ("offline sale", "checkout"),
        ("checkout", "offline sale"),
        ("cancel", "api patch"),
        ("api patch", "checkout"),
        ("offline sale", "api patch"),
        ("api patch", "offline sale"),
        ("cancel", "bulk stock"),
        ("bulk stock", "checkout"),
        ("offline sale", "bulk stock"),
    ],
)
def test_api_writers_wait_for_the_sites_writers_instead_of_deadlocking(app, shop, caplog, first, second):  # noqa: F811
    caplog.set_level(logging.WARNING)
    outcomes = queued_behind(
        app, "products", shop["product"]["id"], API_WRITERS[first](shop), API_WRITERS[second](shop)
    )
    refusals = (checkout.CheckoutFailed, purchase.CancelFailed, offer.OfferError, offline_sale.SaleRefused)
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception) and not isinstance(outcome, refusals)]
    assert not [record for record in caplog.records if "retry" in record.getMessage()]
    assert_books_balance(app)
