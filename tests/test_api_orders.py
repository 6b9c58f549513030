"""GET /api/v1/orders, POST /api/v1/orders/<id>/ship and GET /api/v1/inventory-events (issue 19)."""

import re

import pytest

from app.models import purchase
from tests import factories
from tests.api import bearer, make_token
from tests.journey import outbox
from tests.test_fulfilment import buy, line, line_id

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


@pytest.fixture
def shop(app, actions):
    """Sam sells a lamp (three lines: Bea's, Carl's, Bea's again), Rita a vase (one line); tokens for both."""
    sam = actions.create_user(full_name="Sam Seller")
    rita = actions.create_user(full_name="Rita Rival")
    category = factories.category(app)
    lamp = factories.product(app, sam["id"], category["id"], name="Desk Lamp")
    vase = factories.product(app, rita["id"], category["id"], name="Glass Vase")
    factories.offer(app, sam["id"], lamp["id"], price="25.00", quantity=10)
    factories.offer(app, rita["id"], vase["id"], price="40.00", quantity=10)
    bea = actions.create_user(full_name="Bea Buyer", address="12 Elm Street", balance="500")
    carl = actions.create_user(full_name="Carl Client", address="9 Oak Road", balance="500")
    first = buy(app, bea, [(sam, lamp, 2), (rita, vase, 1)])
    second = buy(app, carl, [(sam, lamp, 1)])
    third = buy(app, bea, [(sam, lamp, 1)])
    return {
        "sam": sam,
        "rita": rita,
        "bea": bea,
        "carl": carl,
        "lamp": lamp,
        "vase": vase,
        "second": second,
        "lines": [line_id(app, purchase_id, sam) for purchase_id in (third, second, first)],  # newest first
        "rita_line": line_id(app, first, rita),
        "token": make_token(app, sam["id"]),
        "rita_token": make_token(app, rita["id"]),
    }


def get(client, token, url, **query):
    return client.get(url, query_string=query, headers=bearer(token))


def ship(client, token, order_id, body):
    return client.post(f"/api/v1/orders/{order_id}/ship", json=body, headers=bearer(token))


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


# --- GET /api/v1/orders --------------------------------------------------------------------------


def test_orders_list_my_lines_newest_first_in_pages(client, shop):
    first = get(client, shop["token"], "/api/v1/orders", limit=2)
    assert first.status_code == 200 and first.mimetype == "application/json"
    body = first.get_json()
    assert [item["id"] for item in body["items"]] == shop["lines"][:2]
    item = body["items"][0]
    assert item["status"] == "placed" and item["product_name"] == "Desk Lamp" and item["buyer_name"] == "Bea Buyer"
    assert item["unit_price"] == {"amount": "25.00", "currency": "USD"}
    assert ISO_WITH_OFFSET.match(item["ordered_at"]) and item["shipped_at"] is None
    assert first.headers["Link"] == f'<{body["next"]}>; rel="next"'
    second = client.get(body["next"], headers=bearer(shop["token"])).get_json()
    assert [item["id"] for item in second["items"]] == shop["lines"][2:]
    assert second["next"] is None
    assert shop["rita_line"] not in [item["id"] for item in body["items"] + second["items"]]


def test_orders_filter_by_status_and_dates(app, client, shop):
    with app.app_context():
        purchase.cancel_line(shop["lines"][1], shop["second"], shop["carl"]["id"])
    cancelled = get(client, shop["token"], "/api/v1/orders", status="cancelled").get_json()["items"]
    assert [item["id"] for item in cancelled] == [shop["lines"][1]]
    placed = get(client, shop["token"], "/api/v1/orders", status="placed").get_json()["items"]
    assert [item["id"] for item in placed] == [shop["lines"][0], shop["lines"][2]]
    assert get(client, shop["token"], "/api/v1/orders", status="shipped").get_json()["items"] == []
    assert len(get(client, shop["token"], "/api/v1/orders", **{"from": "2000-01-01"}).get_json()["items"]) == 3
    assert get(client, shop["token"], "/api/v1/orders", to="2000-01-01").get_json()["items"] == []
    paged = get(client, shop["token"], "/api/v1/orders", status="placed", limit=1, **{"from": "2000-01-01"})
    next_url = paged.get_json()["next"]
    assert "status=placed" in next_url and "from=2000-01-01" in next_url
    rest = client.get(next_url, headers=bearer(shop["token"])).get_json()["items"]
    assert [item["id"] for item in rest] == [shop["lines"][2]]


@pytest.mark.parametrize(
    "query",
    [
        {"status": "lost"},
        {"status": ""},
        {"from": "yesterday"},
        {"to": "2025-02-30"},
        {"from": "2025-02-01", "to": "2025-01-01"},
        {"limit": "0"},
        {"cursor": "bzpw"},
        {"cursor": "bzox"},
    ],
)
def test_bad_order_queries_are_400(client, shop, query):
    assert_problem(get(client, shop["token"], "/api/v1/orders", **query), 400)


def test_a_cursor_of_another_sellers_line_shows_nothing_of_theirs(client, shop):
    from app.routes.api_v1 import encode_cursor

    body = get(client, shop["token"], "/api/v1/orders", cursor=encode_cursor(shop["rita_line"], "l")).get_json()
    assert body["items"] == [] and body["next"] is None


def test_orders_need_the_orders_scope(app, client, shop):
    assert assert_problem(client.get("/api/v1/orders"), 401)
    read_only = make_token(app, shop["sam"]["id"], scopes=["read"])
    assert "orders" in assert_problem(get(client, read_only, "/api/v1/orders"), 403)["detail"]
    assert assert_problem(ship(client, read_only, shop["lines"][0], {"carrier": "UPS"}), 403)
    assert line(app, shop["lines"][0])["status"] == "placed"


# --- POST /api/v1/orders/<id>/ship ---------------------------------------------------------------


def test_ship_marks_my_line_shipped_and_mails_the_buyer(app, client, shop):
    order_id = shop["lines"][1]
    response = ship(client, shop["token"], order_id, {"carrier": "UPS", "tracking_number": "1Z 999 AA1"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["id"] == order_id and body["status"] == "shipped" and body["carrier"] == "UPS"
    assert body["tracking_number"] == "1Z 999 AA1" and ISO_WITH_OFFSET.match(body["shipped_at"])
    row = line(app, order_id)
    assert row["status"] == "shipped" and row["fulfilled_at"] == row["shipped_at"]
    mails = outbox(app, "order_shipped", shop["carl"]["email"])
    assert len(mails) == 1 and "1Z 999 AA1" in mails[0]["text"]
    assert line(app, shop["lines"][0])["status"] == "placed"


def test_ship_without_tracking_number(app, client, shop):
    response = ship(client, shop["token"], shop["lines"][0], {"carrier": "Postal service"})
    assert response.status_code == 200 and response.get_json()["tracking_number"] is None


def test_shipping_twice_or_a_cancelled_line_is_409(app, client, shop):
    order_id = shop["lines"][0]
    assert ship(client, shop["token"], order_id, {"carrier": "UPS"}).status_code == 200
    shipped_at = line(app, order_id)["shipped_at"]
    assert "shipped" in assert_problem(ship(client, shop["token"], order_id, {"carrier": "DHL"}), 409)["detail"]
    row = line(app, order_id)
    assert row["carrier"] == "UPS" and row["shipped_at"] == shipped_at
    with app.app_context():
        purchase.cancel_line(shop["lines"][1], shop["second"], shop["carl"]["id"])
    assert (
        "cancelled" in assert_problem(ship(client, shop["token"], shop["lines"][1], {"carrier": "UPS"}), 409)["detail"]
    )
    assert line(app, shop["lines"][1])["shipped_at"] is None
    assert len(outbox(app, "order_shipped")) == 1


@pytest.mark.parametrize("order_id", ["rita", "0", "99999999", "99999999999999999999"])
def test_ship_another_sellers_or_no_line_is_404(app, client, shop, order_id):
    order_id = shop["rita_line"] if order_id == "rita" else order_id
    assert_problem(ship(client, shop["token"], order_id, {"carrier": "UPS"}), 404)
    assert line(app, shop["rita_line"])["status"] == "placed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "carrier"),
        ({"carrier": ""}, "carrier"),
        ({"carrier": "   "}, "carrier"),
        ({"carrier": 5}, "carrier"),
        ({"carrier": "U" * 61}, "carrier"),
        ({"carrier": "UP\x00S"}, "carrier"),
        ({"carrier": "UPS", "tracking_number": "1Z/99"}, "tracking_number"),
        ({"carrier": "UPS", "tracking_number": 123}, "tracking_number"),
        ({"carrier": "UPS", "tracking_number": "9" * 61}, "tracking_number"),
        ({"carrier": "UPS", "colour": "red"}, "colour"),
    ],
)
def test_bad_shipments_are_422_with_field_details(app, client, shop, body, field):
    problem = assert_problem(ship(client, shop["token"], shop["lines"][0], body), 422)
    assert field in [error["field"] for error in problem["errors"]]
    assert line(app, shop["lines"][0])["status"] == "placed"


@pytest.mark.parametrize("body", [None, [], "UPS"])
def test_a_shipment_that_is_not_an_object_is_400(client, shop, body):
    assert_problem(ship(client, shop["token"], shop["lines"][0], body), 400)


# --- GET /api/v1/inventory-events ----------------------------------------------------------------


def test_inventory_events_are_mine_newest_first_in_pages(app, client, shop):
    first = get(client, shop["token"], "/api/v1/inventory-events", limit=2)
    assert first.status_code == 200
    body = first.get_json()
    # The lamp's initial stock and three sales, newest first; none of Rita's.
    assert [item["reason"] for item in body["items"]] == ["sale", "sale"]
    assert body["items"][0]["order_id"] == shop["lines"][0] and body["items"][0]["delta"] == -1
    assert body["items"][0]["quantity_after"] == 6 and ISO_WITH_OFFSET.match(body["items"][0]["created_at"])
    assert first.headers["Link"] == f'<{body["next"]}>; rel="next"'
    second = client.get(body["next"], headers=bearer(shop["token"])).get_json()
    assert [item["reason"] for item in second["items"]] == ["sale", "initial"]
    assert second["next"] is None
    assert {item["product_id"] for item in body["items"] + second["items"]} == {shop["lamp"]["id"]}


def test_inventory_events_filter_by_product(app, client, shop):
    other = factories.product(app, shop["sam"]["id"], name="Other")
    factories.offer(app, shop["sam"]["id"], other["id"], quantity=3)
    items = get(client, shop["token"], "/api/v1/inventory-events", product_id=other["id"]).get_json()["items"]
    assert [(item["product_id"], item["reason"], item["delta"]) for item in items] == [(other["id"], "initial", 3)]
    paged = get(client, shop["token"], "/api/v1/inventory-events", product_id=shop["lamp"]["id"], limit=3).get_json()
    assert f"product_id={shop['lamp']['id']}" in paged["next"]
    rest = client.get(paged["next"], headers=bearer(shop["token"])).get_json()["items"]
    assert [item["reason"] for item in rest] == ["initial"]


def test_inventory_events_of_another_sellers_product_are_404(client, shop):
    assert_problem(get(client, shop["token"], "/api/v1/inventory-events", product_id=shop["vase"]["id"]), 404)
    assert_problem(get(client, shop["token"], "/api/v1/inventory-events", product_id="99999999"), 404)


@pytest.mark.parametrize(
    "query",
    [{"product_id": "abc"}, {"product_id": "0"}, {"product_id": "-1"}, {"product_id": "9" * 40}, {"cursor": "bzox"}],
)
def test_bad_inventory_event_queries_are_400(client, shop, query):
    assert_problem(get(client, shop["token"], "/api/v1/inventory-events", **query), 400)


def test_inventory_events_need_the_read_scope(app, client, shop):
    assert_problem(client.get("/api/v1/inventory-events"), 401)
    orders_only = make_token(app, shop["sam"]["id"], scopes=["orders"])
    assert "read" in assert_problem(get(client, orders_only, "/api/v1/inventory-events"), 403)["detail"]
