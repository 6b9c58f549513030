"""Sale prices: a seller's sale page, what the catalog, product page and cart show, what checkout
charges, and the job that ends sales (through the offer update, so summaries and caches follow)."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.models import checkout, sale
from tests import factories
from tests.conftest import query_one


def value(app, sql, **params):
    return next(iter(query_one(app, sql, **params).values()))


@pytest.fixture
def lamp(app, actions):
    """A seller signed in with a lamp at 50.00, and a cheaper rival offer at 45.00."""
    rival = actions.create_user(full_name="Rival")
    seller = actions.signed_in_user(full_name="Sam Seller")
    product = factories.product(app, seller["id"], name="Sale Lamp")
    factories.offer(app, seller["id"], product["id"], price="50.00", quantity=5)
    factories.offer(app, rival["id"], product["id"], price="45.00", quantity=5)
    return {"seller": seller, "rival": rival, "product": product}


def start(actions, product_id, **form):
    return actions.post(f"/seller/inventory/{product_id}/sale", form)


def test_a_sale_lowers_the_price_everywhere_and_checkout_charges_it(app, actions, client, lamp):
    product_id = lamp["product"]["id"]
    assert start(actions, product_id, sale_price="40.00").status_code == 302
    summary = query_one(app, "SELECT min_price, min_price_before_sale FROM products WHERE id = :id", id=product_id)
    assert summary["min_price"] == Decimal("40.00") and summary["min_price_before_sale"] == Decimal("45.00")
    page = client.get(f"/products/{product_id}").get_data(as_text=True)
    assert "$40.00" in page and "<s" in page and "−20%" in page
    # A buyer's cart and checkout take the sale price.
    actions.logout()
    buyer = actions.signed_in_user(balance="100.00")
    actions.post("/cart/add", {"product_id": product_id, "seller_id": lamp["seller"]["id"], "quantity": "1"})
    cart_page = client.get("/cart").get_data(as_text=True)
    assert "$40.00" in cart_page and "$50.00" in cart_page
    with app.test_request_context():
        placed = checkout.place_order(buyer["id"], checkout.new_token())
    assert value(app, "SELECT unit_price FROM orders WHERE purchase_id = :p", p=placed.purchase_id) == Decimal("40.00")


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"sale_price": "50.00"}, 409, "below the usual price, $50.00"),
        ({"sale_price": "60"}, 409, "below the usual price"),
        ({"sale_price": "39.999"}, 400, "at most two decimals"),
        ({"sale_price": "-1"}, 400, "at most two decimals"),
        ({"sale_price": "0"}, 400, "from $0.01"),
        ({"sale_price": "<b>9</b>"}, 400, "at most two decimals"),
        ({"sale_price": "40", "ends_at": "2020-01-01T10:00"}, 400, "in the future"),
        ({"sale_price": "40", "ends_at": "tomorrow"}, 400, "like 2026-12-24"),
    ],
)
def test_bad_sales_are_form_errors_and_change_nothing(app, actions, lamp, form, status, message):
    response = start(actions, lamp["product"]["id"], **form)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert value(app, "SELECT count(*) FROM offers WHERE sale_price IS NOT NULL") == 0


def test_only_the_seller_puts_their_offer_on_sale(app, actions, lamp):
    product_id = lamp["product"]["id"]
    actions.logout()
    actions.signed_in_user()
    assert actions.client.get(f"/seller/inventory/{product_id}/sale").status_code == 404
    assert start(actions, product_id, sale_price="10").status_code == 404
    assert actions.client.post(f"/seller/inventory/{product_id}/sale", data={"sale_price": "10"}).status_code in (
        400,
        404,
    )
    assert value(app, "SELECT count(*) FROM offers WHERE sale_price IS NOT NULL") == 0


def test_a_sale_ends_at_its_time_and_the_job_clears_it_through_the_offer_update(app, actions, lamp):
    product_id, seller_id = lamp["product"]["id"], lamp["seller"]["id"]
    ends = datetime.now(UTC) + timedelta(days=1)
    assert start(actions, product_id, sale_price="30.00", ends_at=ends.strftime("%Y-%m-%dT%H:%M")).status_code == 302
    page = actions.client.get(f"/seller/inventory/{product_id}/sale").get_data(as_text=True)
    assert re.search(r"ends in (23|24) h", page)  # the countdown, under 48 hours
    versions = "SELECT coalesce(max(version), 0) FROM page_cache_versions WHERE product_id = :id"
    version = value(app, versions, id=product_id)
    query_one(
        app,
        "UPDATE offers SET sale_ends_at = now() - interval '1 minute' WHERE seller_id = :s RETURNING 1",
        s=seller_id,
    )
    # Past its end the sale is no longer charged, even before the job runs...
    assert value(
        app, "SELECT offer_price_now(price, sale_price, sale_ends_at) FROM offers WHERE seller_id = :s", s=seller_id
    ) == Decimal("50.00")
    with app.test_request_context(), app.extensions["bazaar_db"].transaction() as conn:
        assert sale.end_expired(conn) == 1
        assert sale.end_expired(conn) == 0
    # ...and the job takes it off the offer, the summary and the cached pages.
    assert value(app, "SELECT sale_price FROM offers WHERE seller_id = :s", s=seller_id) is None
    assert value(app, "SELECT min_price FROM products WHERE id = :id", id=product_id) == Decimal("45.00")
    assert value(app, versions, id=product_id) > version


def test_ending_a_sale_and_lowering_the_usual_price_below_it(app, actions, lamp):
    product_id = lamp["product"]["id"]
    start(actions, product_id, sale_price="40.00")
    assert actions.post(f"/seller/inventory/{product_id}/sale/end").status_code == 302
    assert value(app, "SELECT min_price FROM products WHERE id = :id", id=product_id) == Decimal("45.00")
    start(actions, product_id, sale_price="40.00")
    response = actions.post(
        f"/seller/inventory/{product_id}", {"price": "35.00", "quantity": "5", "expected_quantity": "5"}
    )
    assert response.status_code == 302
    row = query_one(app, "SELECT price, sale_price FROM offers WHERE seller_id = :s", s=lamp["seller"]["id"])
    assert row["price"] == Decimal("35.00") and row["sale_price"] is None  # the sale is over


def test_price_sorts_use_the_sale_price(app, actions, client, lamp):
    other = factories.product(app, lamp["rival"]["id"], name="Plain Lamp")
    factories.offer(app, lamp["rival"]["id"], other["id"], price="42.00", quantity=5)
    start(actions, lamp["product"]["id"], sale_price="41.00")
    page = client.get("/products?q=lamp&sort=price_asc").get_data(as_text=True)
    assert page.index("Sale Lamp") < page.index("Plain Lamp")
