"""GET /api/v1/offers, GET and PATCH /api/v1/offers/<product_id> (issue 19)."""

import re

import pytest

from tests import factories
from tests.api import bearer, make_token
from tests.conftest import query_one

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


@pytest.fixture
def shop(app, actions):
    """A seller with three offers and a token; a rival with their own offer."""
    seller = actions.create_user()
    rival = actions.create_user()
    products = [factories.product(app, seller["id"], name=f"Item {n}") for n in range(3)]
    for number, product in enumerate(products):
        factories.offer(app, seller["id"], product["id"], price=f"{number + 1}.50", quantity=5)
    rival_product = factories.product(app, rival["id"])
    factories.offer(app, rival["id"], rival_product["id"])
    return {
        "seller": seller,
        "products": products,
        "rival_product": rival_product,
        "token": make_token(app, seller["id"]),
    }


def stock(app, seller_id, product_id):
    return query_one(
        app,
        """
        SELECT o.quantity, o.price, o.is_active,
               (SELECT coalesce(sum(delta), 0) FROM inventory_events AS e
                WHERE e.seller_id = o.seller_id AND e.product_id = o.product_id) AS events_total,
               (SELECT array_agg(reason ORDER BY id) FROM inventory_events AS e
                WHERE e.seller_id = o.seller_id AND e.product_id = o.product_id) AS reasons
        FROM offers AS o WHERE o.seller_id = :s AND o.product_id = :p
        """,
        s=seller_id,
        p=product_id,
    )


def test_the_list_pages_with_a_next_link_and_shows_only_mine(client, shop):
    first = client.get("/api/v1/offers?limit=2", headers=bearer(shop["token"]))
    assert first.status_code == 200 and first.mimetype == "application/json"
    body = first.get_json()
    assert [item["product_id"] for item in body["items"]] == [p["id"] for p in shop["products"][:2]]
    assert body["items"][0]["price"] == {"amount": "1.50", "currency": "USD"}
    assert ISO_WITH_OFFSET.match(body["items"][0]["updated_at"])
    assert first.headers["Link"] == f'<{body["next"]}>; rel="next"'
    second = client.get(body["next"], headers=bearer(shop["token"])).get_json()
    assert [item["product_id"] for item in second["items"]] == [shop["products"][2]["id"]]
    assert second["next"] is None


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=201", "limit=abc", "limit=1" + "0" * 30, "cursor=%%%", "cursor=bzpw"]
)
def test_bad_list_parameters_are_400(client, shop, query):
    response = client.get(f"/api/v1/offers?{query}", headers=bearer(shop["token"]))
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["field"] in ("limit", "cursor")


def test_one_offer_has_an_etag(client, shop):
    product_id = shop["products"][0]["id"]
    response = client.get(f"/api/v1/offers/{product_id}", headers=bearer(shop["token"]))
    assert response.status_code == 200
    assert response.get_json()["quantity"] == 5
    assert re.match(r'^"[0-9a-f]{20}"$', response.headers["ETag"])


def read(client, shop, product_id):
    return client.get(f"/api/v1/offers/{product_id}", headers=bearer(shop["token"]))


def patch(client, shop, product_id, body, etag):
    headers = bearer(shop["token"]) | ({"If-Match": etag} if etag else {})
    return client.patch(f"/api/v1/offers/{product_id}", json=body, headers=headers)


def test_patch_changes_price_stock_and_active_with_an_inventory_event(app, client, shop):
    product_id = shop["products"][0]["id"]
    etag = read(client, shop, product_id).headers["ETag"]
    response = patch(client, shop, product_id, {"price": "7.25", "quantity": 12}, etag)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["price"]["amount"] == "7.25" and response.headers["ETag"] != etag
    row = stock(app, shop["seller"]["id"], product_id)
    assert (row["quantity"], str(row["price"]), row["events_total"]) == (12, "7.25", 12)
    assert row["reasons"] == ["initial", "restock"]
    response = patch(client, shop, product_id, {"quantity": 3, "active": False}, response.headers["ETag"])
    assert response.status_code == 200 and response.get_json()["active"] is False
    row = stock(app, shop["seller"]["id"], product_id)
    assert (row["quantity"], row["events_total"], row["reasons"][-1], row["is_active"]) == (3, 3, "adjustment", False)


def test_a_price_as_money_object_is_accepted(client, shop):
    product_id = shop["products"][1]["id"]
    etag = read(client, shop, product_id).headers["ETag"]
    response = patch(client, shop, product_id, {"price": {"amount": "3.00", "currency": "USD"}}, etag)
    assert response.status_code == 200 and response.get_json()["price"]["amount"] == "3.00"


def test_patch_without_if_match_is_428_and_stale_is_412(app, client, shop):
    product_id = shop["products"][0]["id"]
    assert patch(client, shop, product_id, {"quantity": 1}, None).status_code == 428
    etag = read(client, shop, product_id).headers["ETag"]
    assert patch(client, shop, product_id, {"quantity": 4}, etag).status_code == 200
    stale = patch(client, shop, product_id, {"quantity": 9}, etag)
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    assert stock(app, shop["seller"]["id"], product_id)["quantity"] == 4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price": "0"}, "price"),
        ({"price": "-1.00"}, "price"),
        ({"price": 12.5}, "price"),
        ({"price": "1.005"}, "price"),
        ({"price": "NaN"}, "price"),
        ({"price": "1E+999999"}, "price"),
        ({"price": "1000000.01"}, "price"),
        ({"price": {"amount": "1.00", "currency": "EUR"}}, "price"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"quantity": 10**30}, "quantity"),
        ({"active": "yes"}, "active"),
        ({"colour": "red"}, "colour"),
        ({}, ""),
    ],
)
def test_bad_patch_bodies_are_422_with_field_details(app, client, shop, body, field):
    product_id = shop["products"][0]["id"]
    etag = read(client, shop, product_id).headers["ETag"]
    response = patch(client, shop, product_id, body, etag)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in [error["field"] for error in response.get_json()["errors"]]
    assert stock(app, shop["seller"]["id"], product_id)["quantity"] == 5


@pytest.mark.parametrize("data", ["not json", "[1, 2]", "null", '{"quantity": '])
def test_a_body_that_is_not_a_json_object_is_400(client, shop, data):
    product_id = shop["products"][0]["id"]
    etag = read(client, shop, product_id).headers["ETag"]
    headers = bearer(shop["token"]) | {"If-Match": etag, "Content-Type": "application/json"}
    response = client.patch(f"/api/v1/offers/{product_id}", data=data, headers=headers)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_a_product_id_past_bigint_is_404(client, shop):
    response = client.get("/api/v1/offers/99999999999999999999999", headers=bearer(shop["token"]))
    assert response.status_code == 404


def test_if_match_star_changes_whatever_the_version_and_a_weak_tag_never_matches(app, client, shop):
    product_id = shop["products"][0]["id"]
    etag = read(client, shop, product_id).headers["ETag"]
    assert patch(client, shop, product_id, {"quantity": 6}, f"W/{etag}").status_code == 412
    assert patch(client, shop, product_id, {"quantity": 7}, "*").status_code == 200
    assert stock(app, shop["seller"]["id"], product_id)["quantity"] == 7
