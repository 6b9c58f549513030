"""The seller API's selling actions (issue 19): offering a catalog product, sales on an offer,
answering returns — each someone else's id a 404, each bad field a 422 that changes nothing."""

from decimal import Decimal

import pytest

from app.models import order
from tests import factories
from tests.api import bearer, make_token
from tests.conftest import query_one
from tests.test_api_catalog_writes import fields_of, problem
from tests.test_fulfilment import buy, line, line_id


@pytest.fixture
def shop(app, actions):
    """Sam sells a lamp; Rita made a vase nobody sells yet; Bea bought two lamps, delivered."""
    sam = actions.create_user(full_name="Sam Seller")
    rita = actions.create_user(full_name="Rita Rival")
    bea = actions.create_user(full_name="Bea Buyer", balance="500")
    lamp = factories.product(app, sam["id"], name="Desk Lamp")
    vase = factories.product(app, rita["id"], name="Glass Vase")
    factories.offer(app, sam["id"], lamp["id"], price="25.00", quantity=10)
    purchase_id = buy(app, bea, [(sam, lamp, 2)])
    lamp_line = line_id(app, purchase_id, sam)
    with app.test_request_context():
        order.mark_shipped(sam["id"], [lamp_line], "UPS", None)
        order.confirm_receipt(lamp_line, purchase_id, bea["id"])
    return {
        "sam": sam,
        "rita": rita,
        "bea": bea,
        "lamp": lamp,
        "vase": vase,
        "purchase_id": purchase_id,
        "line": lamp_line,
        "token": make_token(app, sam["id"]),
        "rita_token": make_token(app, rita["id"]),
        "reader": make_token(app, sam["id"], scopes=("read",)),
    }


def offer_row(app, seller_id, product_id):
    return query_one(
        app,
        "SELECT price, quantity, sale_price FROM offers WHERE seller_id = :s AND product_id = :p",
        s=seller_id,
        p=product_id,
    )


# --- offers --------------------------------------------------------------------------------------


def test_a_seller_offers_a_catalog_product_once(app, client, shop):
    body = {"product_id": shop["vase"]["id"], "price": "39.50", "quantity": 3}
    created = client.post("/api/v1/offers", json=body, headers=bearer(shop["token"]))
    assert created.status_code == 201 and created.headers["ETag"]
    assert created.get_json()["price"] == {"amount": "39.50", "currency": "USD"}
    assert created.headers["Location"].endswith(f"/api/v1/offers/{shop['vase']['id']}")
    assert offer_row(app, shop["sam"]["id"], shop["vase"]["id"])["quantity"] == 3
    again = client.post("/api/v1/offers", json=body, headers=bearer(shop["token"]))
    assert "already" in problem(again, 409)["detail"]
    problem(client.post("/api/v1/offers", json=body | {"product_id": 2**62}, headers=bearer(shop["token"])), 404)
    problem(client.post("/api/v1/offers", json=body, headers=bearer(shop["reader"])), 403)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"product_id": "1", "price": "1.00", "quantity": 1}, {"product_id"}),
        ({"product_id": 1, "price": "0.00", "quantity": 1}, {"price"}),
        ({"product_id": 1, "price": "NaN", "quantity": -1}, {"price", "quantity"}),
        ({"product_id": 1, "price": "1e9", "quantity": 1.5}, {"price", "quantity"}),
        ({"product_id": 1, "price": "1.00", "quantity": 1, "seller_id": 2}, {"seller_id"}),
    ],
)
def test_a_bad_new_offer_is_refused_by_field(app, client, shop, body, fields):
    body = body | ({"product_id": shop["vase"]["id"]} if body["product_id"] == 1 else {})
    assert fields_of(problem(client.post("/api/v1/offers", json=body, headers=bearer(shop["token"])), 422)) == fields
    assert offer_row(app, shop["sam"]["id"], shop["vase"]["id"]) is None


def test_a_sale_starts_below_the_usual_price_and_ends(app, client, shop):
    url = f"/api/v1/offers/{shop['lamp']['id']}/sale"
    headers = bearer(shop["token"])
    started = client.put(url, json={"sale_price": "19.99", "ends_at": "2999-01-01T00:00:00+00:00"}, headers=headers)
    assert started.status_code == 200, started.get_data(as_text=True)
    assert started.get_json()["sale_price"] == {"amount": "19.99", "currency": "USD"}
    assert started.get_json()["sale_ends_at"].startswith("2999-01-01T00:00:00")
    assert offer_row(app, shop["sam"]["id"], shop["lamp"]["id"])["sale_price"] == Decimal("19.99")
    assert (
        "below the usual price"
        in problem(client.put(url, json={"sale_price": "25.00"}, headers=headers), 409)["detail"]
    )
    past = client.put(url, json={"sale_price": "9.00", "ends_at": "2001-01-01T00:00:00Z"}, headers=headers)
    assert "future" in problem(past, 409)["detail"]
    for bad in ({"sale_price": "-1"}, {"sale_price": "5.00", "ends_at": "tomorrow"}, {"sale_price": "5", "x": 1}):
        problem(client.put(url, json=bad, headers=headers), 422)
    problem(client.put(url, json={"sale_price": "5.00", "ends_at": "2999-01-01T00:00:00"}, headers=headers), 422)
    rival_url = f"/api/v1/offers/{shop['lamp']['id']}/sale"
    problem(client.delete(rival_url, headers=bearer(shop["rita_token"])), 404)
    ended = client.delete(url, headers=headers)
    assert ended.status_code == 200 and ended.get_json()["sale_price"] is None
    problem(client.delete(url, headers=headers), 409)


# --- returns -------------------------------------------------------------------------------------


def ask_return(app, shop, reason="Scratched."):
    with app.test_request_context():
        order.request_return(shop["line"], shop["purchase_id"], shop["bea"]["id"], reason)


def test_accepting_a_return_refunds_the_buyer_and_restocks(app, client, shop):
    url = f"/api/v1/orders/{shop['line']}/return/accept"
    problem(client.post(url, json={"restock": True}, headers=bearer(shop["token"])), 409)  # nothing asked yet
    ask_return(app, shop)
    problem(client.post(url, json={"restock": True}, headers=bearer(shop["rita_token"])), 404)
    problem(client.post(url, json={"restock": True}, headers=bearer(shop["reader"])), 403)
    assert fields_of(problem(client.post(url, json={"restock": "yes"}, headers=bearer(shop["token"])), 422)) == {
        "restock"
    }
    assert line(app, shop["line"])["status"] == "return_requested"
    accepted = client.post(url, json={"restock": True}, headers=bearer(shop["token"]))
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    assert accepted.get_json()["status"] == "refunded" and accepted.get_json()["refunded_at"]
    assert offer_row(app, shop["sam"]["id"], shop["lamp"]["id"])["quantity"] == 10  # 8 left + 2 back
    reasons = query_one(
        app,
        "SELECT array_agg(reason ORDER BY id) AS r FROM inventory_events WHERE seller_id = :s",
        s=shop["sam"]["id"],
    )["r"]
    assert reasons[-1] == "return"
    problem(client.post(url, json={"restock": True}, headers=bearer(shop["token"])), 409)


def test_refusing_a_return_tells_the_buyer_why(app, client, shop):
    url = f"/api/v1/orders/{shop['line']}/return/refuse"
    ask_return(app, shop)
    for bad in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": "a\x00b"}, {"reason": 5}):
        assert fields_of(problem(client.post(url, json=bad, headers=bearer(shop["token"])), 422)) == {"reason"}, bad
    problem(client.post(url, json={"reason": "No."}, headers=bearer(shop["rita_token"])), 404)
    refused = client.post(url, json={"reason": "<b>Used</b> and worn."}, headers=bearer(shop["token"]))
    assert refused.status_code == 200 and refused.get_json()["status"] == "return_refused"
    assert line(app, shop["line"])["refuse_reason"] == "<b>Used</b> and worn."
    problem(client.post(url, json={"reason": "Again."}, headers=bearer(shop["token"])), 409)
    problem(
        client.post("/api/v1/orders/999999999/return/refuse", json={"reason": "x"}, headers=bearer(shop["token"])), 404
    )
