"""Writers on different variants of one product all update the product's summary (the
products_family_summary trigger locks it): lined up behind a holder of the product's row, each
pair waits its turn instead of deadlocking, and the product's summary adds up its variants after.
Runs outside the per-test transaction (marker `concurrency`), as tests/test_lock_order.py does."""

import logging
from decimal import Decimal

import pytest

from app.models import cart, checkout, offer, purchase, review, variant
from tests import factories
from tests.test_checkout_concurrency import assert_books_balance
from tests.test_lock_order import fetch_value, queued_behind

pytestmark = pytest.mark.concurrency


@pytest.fixture
def family(app, actions):
    """A product in two sizes, both sold by one seller; a bought line of M to cancel; a shopper
    with both sizes in their cart."""
    seller = actions.create_user(full_name="Family Seller")
    parent = factories.product(app, seller["id"], name="Locked Boot")
    with app.app_context():
        medium = variant.add_variant(seller["id"], parent["id"], ["Size"], ["M"])
        large = variant.add_variant(seller["id"], parent["id"], ["Size"], ["L"])
    factories.offer(app, seller["id"], medium, "20.00", 20)
    factories.offer(app, seller["id"], large, "30.00", 20)
    buyer = actions.create_user(balance="200.00")
    shopper = actions.create_user(balance="200.00")
    with app.app_context():
        cart.set_line(buyer["id"], seller["id"], medium, 2)
        purchase_id = checkout.place_order(buyer["id"], checkout.new_token()).purchase_id
        cart.set_line(shopper["id"], seller["id"], medium, 1)
        cart.set_line(shopper["id"], seller["id"], large, 1)
    line_id = fetch_value(app, "SELECT id FROM orders WHERE purchase_id = :p", p=purchase_id)
    return {
        "seller": seller,
        "parent": parent["id"],
        "medium": medium,
        "large": large,
        "buyer": buyer,
        "shopper": shopper,
        "purchase_id": purchase_id,
        "line_id": line_id,
    }


WRITERS = {
    "checkout of both sizes": lambda f: lambda: checkout.place_order(f["shopper"]["id"], checkout.new_token()),
    "restock of L": lambda f: lambda: offer.update_offer(f["seller"]["id"], f["large"], Decimal("30.00"), 40, 20),
    "price of M": lambda f: lambda: offer.update_offer(f["seller"]["id"], f["medium"], Decimal("19.00"), 18, 18),
    "bulk stock of both": lambda f: (
        lambda: offer.set_stocks(f["seller"]["id"], {f["medium"]: (25, None), f["large"]: (25, None)})
    ),
    "cancel of M": lambda f: lambda: purchase.cancel_line(f["line_id"], f["purchase_id"], f["buyer"]["id"]),
    "review of the product": lambda f: (
        lambda: review.save_review("product", f["parent"], f["buyer"]["id"], 4, "Fine", "Fits.")
    ),
}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("restock of L", "checkout of both sizes"),
        ("checkout of both sizes", "cancel of M"),
        ("cancel of M", "restock of L"),
        ("price of M", "bulk stock of both"),
        ("review of the product", "checkout of both sizes"),
        ("cancel of M", "review of the product"),
    ],
)
def test_writers_on_two_variants_wait_instead_of_deadlocking(app, family, caplog, first, second):
    caplog.set_level(logging.WARNING)
    outcomes = queued_behind(app, "products", family["parent"], WRITERS[first](family), WRITERS[second](family))

    refusals = (checkout.CheckoutFailed, purchase.CancelFailed, offer.OfferError)
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception) and not isinstance(outcome, refusals)]
    assert not [record for record in caplog.records if "retry" in record.getMessage()]
    assert_books_balance(app)
    adds_up = fetch_value(
        app,
        """
        SELECT parent.total_stock = sum(child.total_stock)
           AND parent.offer_count = sum(child.offer_count)
           AND parent.units_sold = sum(child.units_sold)
           AND parent.max_price = max(child.min_price)
        FROM products AS parent
        JOIN products AS child ON child.parent_id = parent.id
        WHERE parent.id = :p
        GROUP BY parent.id
        """,
        p=family["parent"],
    )
    assert adds_up
