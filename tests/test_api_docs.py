"""The OpenAPI description (/api/v1/openapi.json) and Swagger UI (/api/docs) of the seller API."""

import re

import pytest
from flask import Flask

from app.api_auth import require_scope
from app.api_schemas import Offer, OfferChange
from app.openapi import Answer, component_schemas, describe_paths, openapi_document, operation
from tests import factories
from tests.api import bearer, make_token
from tests.test_fulfilment import buy

IGNORED_METHODS = {"HEAD", "OPTIONS"}

SCHEMAS = component_schemas()
SPEC = openapi_document("http://localhost")


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
        for method, described in item.items():
            if method == "parameters" or path.endswith("openapi.json"):
                continue
            assert described["x-scope"] in ("read", "listings", "orders", "admin"), (path, method)
            assert {"401", "403", "429"} <= set(described["responses"]), (path, method)


def test_a_route_without_its_operation_described_fails_the_build():
    bare = Flask(__name__)
    bare.add_url_rule("/api/v1/things/<int:thing_id>", "api_v1.get_thing", lambda thing_id: "")
    routes = [
        (rule, bare.view_functions[rule.endpoint])
        for rule in bare.url_map.iter_rules()
        if rule.rule != "/static/<path:filename>"
    ]
    with pytest.raises(LookupError, match="get_thing"):
        describe_paths(routes)


@operation("A thing", {200: Answer("The thing.", Offer)}, body=OfferChange, errors={404: "No such thing."})
@require_scope("read")
def _described_view(thing_id):
    return ""


def test_an_operation_is_written_from_its_view_models_and_scope():
    bare = Flask(__name__)
    bare.add_url_rule("/api/v1/things/<int:thing_id>", "api_v1.patch_thing", _described_view, methods=["PATCH"])
    rule = next(rule for rule in bare.url_map.iter_rules() if rule.endpoint == "api_v1.patch_thing")
    described = describe_paths([(rule, _described_view)])["/api/v1/things/{thing_id}"]["patch"]
    assert described["x-scope"] == "read" and described["operationId"] == "patch_thing"
    assert described["parameters"] == [
        {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
    ]
    assert described["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OfferChange"
    }
    assert described["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Offer"
    }
    assert set(described["responses"]) == {"200", "400", "401", "403", "404", "422", "429"}


def test_request_schemas_are_the_models_the_views_validate_with(client, app, actions):
    """The description's OfferChange is pydantic's schema of the model PATCH /offers/{id} validates with,
    and a 422 names the fields in the model's words."""
    assert SCHEMAS["OfferChange"]["properties"]["quantity"] == {"type": "integer", "minimum": 0, "maximum": 1_000_000}
    assert SCHEMAS["OfferChange"]["additionalProperties"] is False
    seller = actions.create_user()
    product = factories.product(app, seller["id"])
    factories.offer(app, seller["id"], product["id"])
    token = make_token(app, seller["id"], scopes=["read", "listings"])
    body = {"quantity": 1_000_001, "active": "yes", "colour": "red"}
    response = client.patch(f"/api/v1/offers/{product['id']}", json=body, headers=bearer(token) | {"If-Match": "*"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "quantity", "message": "A whole number from 0 to 1000000."},
        {"field": "active", "message": "true or false."},
        {"field": "colour", "message": "Not a field of an offer you can change."},
    ]


def test_query_parameters_are_read_through_the_models_the_description_is_written_from(client, app, actions):
    parameters = {p["name"]: p for p in SPEC["paths"]["/api/v1/orders"]["get"]["parameters"]}
    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert parameters["from"]["schema"] == {"type": "string", "format": "date"}
    token = make_token(app, actions.create_user()["id"], scopes=["orders"])
    response = client.get("/api/v1/orders?status=lost&from=2025-02-30&limit=5.0&colour=red", headers=bearer(token))
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {"field": "limit", "message": "A whole number 1–200."},
        {
            "field": "status",
            "message": "One of placed, shipped, delivered, return_requested, return_refused, refunded, cancelled.",
        },
        {"field": "from", "message": "The from date 2025-02-30 does not exist."},
    ]


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
