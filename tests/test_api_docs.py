"""The OpenAPI description (/api/v1/openapi.json) and Swagger UI (/api/docs) of the seller API."""

import re

from app.openapi import SCHEMAS
from tests import factories
from tests.api import bearer, make_token
from tests.test_fulfilment import buy

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def documented_operations(spec) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "patch", "put", "delete")
    }


def routed_operations(app) -> set[tuple[str, str]]:
    operations = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            operations |= {(path, method) for method in rule.methods - IGNORED_METHODS}
    return operations


def test_the_description_is_public_openapi_3_1_and_covers_every_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0" and spec["servers"] == [{"url": "http://localhost"}]
    assert documented_operations(spec) == routed_operations(app)


def test_every_operation_but_the_description_names_its_scope_and_the_token_errors(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or path.endswith("openapi.json"):
                continue
            assert operation["x-scope"] in ("read", "listings", "orders", "admin"), (path, method)
            assert {"401", "403", "429"} <= set(operation["responses"]), (path, method)


def test_documented_fields_are_exactly_those_the_api_writes(app, client, actions):
    seller = actions.create_user()
    product = factories.product(app, seller["id"])
    factories.offer(app, seller["id"], product["id"])
    token = make_token(app, seller["id"])
    offer = client.get(f"/api/v1/offers/{product['id']}", headers=bearer(token)).get_json()
    assert set(offer) == set(SCHEMAS["Offer"]["properties"]) == set(SCHEMAS["Offer"]["required"])
    headers = bearer(token) | {"Idempotency-Key": "docs"}
    sale = client.post("/api/v1/sales", json={"product_id": product["id"], "quantity": 1}, headers=headers).get_json()
    assert set(sale) == set(SCHEMAS["Sale"]["properties"]) == set(SCHEMAS["Sale"]["required"])
    found = client.get("/api/v1/products?include_unavailable=1", headers=bearer(token)).get_json()["items"]
    assert set(found[0]) == set(SCHEMAS["Product"]["properties"]) == set(SCHEMAS["Product"]["required"])
    problem = client.get("/api/v1/offers?limit=0", headers=bearer(token)).get_json()
    assert set(problem) <= set(SCHEMAS["Problem"]["properties"])


def test_documented_order_line_and_inventory_event_fields_are_those_the_api_writes(app, client, actions):
    seller = actions.create_user()
    buyer = actions.create_user(balance="500")
    product = factories.product(app, seller["id"])
    factories.offer(app, seller["id"], product["id"])
    buy(app, buyer, [(seller, product, 1)])
    token = make_token(app, seller["id"])
    lines = client.get("/api/v1/orders", headers=bearer(token)).get_json()["items"]
    fields = SCHEMAS["OrderLine"]
    assert lines and set(lines[0]) == set(fields["properties"]) == set(fields["required"])
    shipped = client.post(f"/api/v1/orders/{lines[0]['id']}/ship", json={"carrier": "UPS"}, headers=bearer(token))
    assert shipped.status_code == 200 and set(shipped.get_json()) == set(fields["properties"])
    events = client.get("/api/v1/inventory-events", headers=bearer(token)).get_json()["items"]
    fields = SCHEMAS["InventoryEvent"]
    assert events and set(events[0]) == set(fields["properties"]) == set(fields["required"])


def test_swagger_ui_is_vendored_and_runs_under_the_csp(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="/static/' in attributes and not body.strip() for attributes, body in scripts)
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', page)).replace("/static/", "")
    for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        asset = client.get(url)
        asset.close()
        assert asset.status_code == 200, url
    assert 'data-spec-url="/api/v1/openapi.json"' in page
