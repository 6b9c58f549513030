"""GET /api/v1/sales (the analytics table) and POST /api/v1/sales (offline sales, idempotent)."""

from datetime import UTC, datetime

import pytest

from tests import factories, sales
from tests.api import bearer, make_token
from tests.conftest import query_one


@pytest.fixture
def stall(app, actions):
    """A seller with an offer of 5 units and an orders-scoped token; a rival with their own offer."""
    seller = actions.create_user()
    rival = actions.create_user()
    product = factories.product(app, seller["id"])
    factories.offer(app, seller["id"], product["id"], price="4.00", quantity=5)
    rival_product = factories.product(app, rival["id"])
    factories.offer(app, rival["id"], rival_product["id"])
    return {
        "seller": seller,
        "product": product,
        "rival_product": rival_product,
        "token": make_token(app, seller["id"], scopes=["read", "orders"]),
    }


def post_sale(client, token, body, key="key-1"):
    headers = bearer(token) | ({"Idempotency-Key": key} if key is not None else {})
    return client.post("/api/v1/sales", json=body, headers=headers)


def offer_state(app, seller_id, product_id):
    return query_one(
        app,
        """
        SELECT o.quantity,
               (SELECT sum(delta) FROM inventory_events AS e
                WHERE e.seller_id = o.seller_id AND e.product_id = o.product_id) AS events_total,
               (SELECT array_agg(reason ORDER BY id) FROM inventory_events AS e
                WHERE e.seller_id = o.seller_id AND e.product_id = o.product_id) AS reasons
        FROM offers AS o WHERE o.seller_id = :s AND o.product_id = :p
        """,
        s=seller_id,
        p=product_id,
    )


def test_an_offline_sale_takes_stock_with_an_inventory_event(app, client, stall):
    response = post_sale(client, stall["token"], {"product_id": stall["product"]["id"], "quantity": 2})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["quantity"] == 2 and body["unit_price"] == {"amount": "4.00", "currency": "USD"}
    assert body["total"]["amount"] == "8.00" and "Idempotent-Replayed" not in response.headers
    state = offer_state(app, stall["seller"]["id"], stall["product"]["id"])
    assert (state["quantity"], state["events_total"], state["reasons"]) == (3, 3, ["initial", "offline sale"])


def test_replaying_a_key_returns_the_first_sale_and_sells_once(app, client, stall):
    body = {"product_id": stall["product"]["id"], "quantity": 1, "unit_price": "3.50"}
    first = post_sale(client, stall["token"], body)
    again = post_sale(client, stall["token"], body)
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert offer_state(app, stall["seller"]["id"], stall["product"]["id"])["quantity"] == 4
    other = post_sale(client, stall["token"], body | {"quantity": 2})
    assert other.status_code == 422 and "different request" in other.get_json()["detail"]


def test_more_than_the_stock_is_409_and_nothing_changes(app, client, stall):
    response = post_sale(client, stall["token"], {"product_id": stall["product"]["id"], "quantity": 6})
    assert response.status_code == 409 and response.get_json()["detail"] == "Only 5 in stock."
    assert offer_state(app, stall["seller"]["id"], stall["product"]["id"])["quantity"] == 5


def test_another_sellers_product_is_404(app, client, stall):
    response = post_sale(client, stall["token"], {"product_id": stall["rival_product"]["id"], "quantity": 1})
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_recording_a_sale_needs_the_orders_scope(app, client, stall):
    token = make_token(app, stall["seller"]["id"], scopes=["read", "listings"])
    response = post_sale(client, token, {"product_id": stall["product"]["id"], "quantity": 1})
    assert response.status_code == 403


@pytest.mark.parametrize("key", [None, "", "with space", "x" * 256, "é"])
def test_a_missing_or_bad_idempotency_key_is_400(client, stall, key):
    response = post_sale(client, stall["token"], {"product_id": stall["product"]["id"], "quantity": 1}, key=key)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 1}, "product_id"),
        ({"product_id": "1", "quantity": 1}, "product_id"),
        ({"product_id": 2**63, "quantity": 1}, "product_id"),
        ({"product_id": 1, "quantity": 0}, "quantity"),
        ({"product_id": 1, "quantity": 1.0}, "quantity"),
        ({"product_id": 1, "quantity": 1, "unit_price": "-2"}, "unit_price"),
        ({"product_id": 1, "quantity": 1, "note": "x"}, "note"),
    ],
)
def test_bad_sale_bodies_are_422(client, stall, body, field):
    response = post_sale(client, stall["token"], body)
    assert response.status_code == 422
    assert field in [error["field"] for error in response.get_json()["errors"]]


def test_sales_are_grouped_as_the_analytics_api_groups_them(app, client, actions, stall):
    buyer = actions.create_user(balance="100")
    category = query_one(app, "SELECT * FROM categories WHERE id = :c", c=stall["product"]["category_id"])
    sales.buy(app, buyer, [(stall["seller"], stall["product"], category, 2)], datetime(2025, 3, 4, 12, tzinfo=UTC))
    query = "group_by=product&from=2025-01-01&to=2025-12-31"
    response = client.get(f"/api/v1/sales?{query}", headers=bearer(stall["token"]))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["rows"][0]["product_id"] == stall["product"]["id"]
    assert (body["rows"][0]["revenue"], body["rows"][0]["units"]) == ("8.00", 2)
    actions.login(stall["seller"]["email"])
    assert actions.client.get(f"/api/seller/sales?{query}").get_json() == body


@pytest.mark.parametrize("query", ["group_by=colour", "from=2025-13-01", "from=2025-01-01&to=2024-01-01"])
def test_bad_sales_queries_are_400(app, client, stall, query):
    response = client.get(f"/api/v1/sales?{query}", headers=bearer(stall["token"]))
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_db_checks_offline_sales_invariant_holds_and_an_event_without_its_sale_breaks_it(app, client, stall):
    """db/check.py: each offer's offline sales add up to its 'offline sale' inventory events."""
    from db.check import INVARIANTS

    [query] = [sql for name, sql in INVARIANTS if name.startswith("offline_sales:")]
    post_sale(client, stall["token"], {"product_id": stall["product"]["id"], "quantity": 2})
    assert query_one(app, query)["count"] == 0
    query_one(
        app,
        """
        INSERT INTO inventory_events (seller_id, product_id, delta, quantity_after, reason)
        VALUES (:s, :p, -1, 2, 'offline sale') RETURNING id
        """,
        s=stall["seller"]["id"],
        p=stall["product"]["id"],
    )
    assert query_one(app, query)["count"] == 1
