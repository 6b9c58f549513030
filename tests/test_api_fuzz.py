"""Hostile input to every documented /api/v1 operation, with a token that has every scope: no answer
is a 5xx, and every error is problem+json. The operations come from the OpenAPI description, so an
operation added there is fuzzed without editing this test (test_api_docs keeps it in step with the
routes)."""

import pytest

from app.openapi import openapi_document
from tests import factories
from tests.api import bearer, make_token
from tests.test_fulfilment import buy, line_id

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "-1",
    "0",
    "1e999",
    "NaN",
    "9" * 40,
    "2999-12-31",
    "0001-01-01",
    "'; DROP TABLE offers; --",
    "%",
    "é" * 300,
    "a,b,c",
]
HOSTILE_JSON = [
    None,
    [],
    "text",
    0,
    {"price": None},
    {"price": "1e999"},
    {"price": {"amount": "1.00"}},
    {"price": {"amount": [], "currency": "USD"}},
    {"quantity": 2**70},
    {"quantity": "1"},
    {"active": None},
    {"product_id": -1, "quantity": 1},
    {"product_id": 2**64, "quantity": 1},
    {"product_id": 1, "quantity": 1, "unit_price": {"amount": "NaN", "currency": "USD"}},
    {"product_id": 1, "quantity": 1, "unit_price": "0.001"},
]
PATHS = openapi_document("http://localhost")["paths"]
OPERATIONS = [
    (path, method)
    for path, item in PATHS.items()
    for method in item
    if method in ("get", "post", "patch", "put", "delete")
]


@pytest.fixture
def world(app, actions):
    """A seller with an offer, an order line of it and an all-scope token; a path's product_id is that
    offer's product, its order_id that line."""
    seller = actions.create_user()
    product = factories.product(app, seller["id"])
    factories.offer(app, seller["id"], product["id"])
    buyer = actions.create_user(balance="500")
    purchase_id = buy(app, buyer, [(seller, product, 1)])
    app.config["API_RATE_LIMIT"] = 10_000  # every request here must reach its view, not the limit
    yield {
        "token": make_token(app, seller["id"], scopes=["read", "listings", "orders"]),
        "id": product["id"],
        "order_id": line_id(app, purchase_id, seller),
    }
    app.config["API_RATE_LIMIT"] = 300


def url_of(path: str, world, path_id: str | None = None) -> str:
    """The path with the world's ids (or `path_id` for every id) in it."""
    return path.replace("{product_id}", path_id or str(world["id"])).replace(
        "{order_id}", path_id or str(world["order_id"])
    )


def assert_handled(response):
    assert response.status_code < 500 and response.status_code != 429, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"


def parameter_names(item, operation) -> list[str]:
    return [p["name"] for p in item.get("parameters", []) + operation.get("parameters", []) if p["in"] == "query"]


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_hostile_query_values_are_never_a_5xx(client, world, path, method):
    item = PATHS[path]
    url = url_of(path, world)
    for name in parameter_names(item, item[method]) + ["limit", "cursor"]:
        for value in HOSTILE_TEXT:
            headers = bearer(world["token"]) | {"If-Match": '"x"', "Idempotency-Key": f"k-{name}-{len(value)}"}
            response = client.open(url, method=method.upper(), query_string={name: value}, headers=headers, json={})
            assert_handled(response)


@pytest.mark.parametrize(("path", "method"), [op for op in OPERATIONS if op[1] in ("post", "patch")])
def test_hostile_bodies_and_headers_are_never_a_5xx(client, world, path, method):
    url = url_of(path, world)
    etag = client.get(f"/api/v1/offers/{world['id']}", headers=bearer(world["token"])).headers["ETag"]
    for number, body in enumerate(HOSTILE_JSON):
        for extra in ({"If-Match": etag, "Idempotency-Key": f"body-{number}"}, {"If-Match": "*" * 300}):
            response = client.open(url, method=method.upper(), json=body, headers=bearer(world["token"]) | extra)
            assert_handled(response)
    for path_id in ("0", "-1", "99999999999999999999", "abc"):
        response = client.open(url_of(path, world, path_id), method=method.upper(), headers=bearer(world["token"]))
        assert_handled(response)
