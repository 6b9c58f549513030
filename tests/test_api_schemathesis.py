"""Schemathesis runs the OpenAPI description (GET /api/v1/openapi.json) against the app in-process (WSGI):
every documented operation property-based, then sequences of calls along the description's links
(stateful). No answer may be a 5xx, and every answer must be documented: its status code, its
Content-Type, its headers and its body's schema. The operations come from the description the app
serves, so an operation added to app/openapi.py is tested here without editing this file.

The examples are bounded so the file stays well inside CI's time, and Hypothesis is derandomized
(the same examples every run, no example database written).
"""

import io
import json
from contextlib import ExitStack, contextmanager

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.models import order
from app.models.api_token import SCOPES
from app.openapi import openapi_document
from tests import factories
from tests.api import bearer, make_token
from tests.conftest import query_one
from tests.test_api_catalog_writes import png
from tests.test_fulfilment import buy, line_id

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 12  # with the boundary cases Schemathesis adds: ~1,000 requests, the suite stays in budget
SCENARIOS = 15
STEPS_PER_SCENARIO = 6
DETERMINISTIC = {"derandomize": True, "database": None, "deadline": None, "print_blob": False}


class World:
    """A seller (an administrator, so the token may have every scope) with products of their own, offers,
    order lines (one placed, one whose return the buyer asked for), inventory events, an offline sale and a
    picture; a rival seller's product, offer and line, which must stay 404."""

    def __init__(self, app, actions, client) -> None:
        seller = actions.create_user()
        query_one(app, "UPDATE users SET role = 'administrator' WHERE id = :u RETURNING id", u=seller["id"])
        rival = actions.create_user()
        buyer = actions.create_user(balance="1000")
        self.token = make_token(app, seller["id"], scopes=SCOPES)
        category = factories.category(app)
        products = [factories.product(app, seller["id"], category_id=category["id"]) for _ in range(3)]
        factories.offer(app, seller["id"], products[0]["id"], price="12.50", quantity=1_000_000)
        factories.offer(app, seller["id"], products[1]["id"], price="3.00", quantity=0)
        factories.offer(app, seller["id"], products[2]["id"], price="99.99", quantity=5, is_active=False)
        rival_product = factories.product(app, rival["id"])
        factories.offer(app, rival["id"], rival_product["id"])
        returned = buy(app, buyer, [(seller, products[0], 1), (rival, rival_product, 1)])
        placed = buy(app, buyer, [(seller, products[0], 2)])  # the newest line: GET /orders' first
        self.order_ids = [line_id(app, placed, seller), line_id(app, returned, seller)]
        self.rival_order_id = line_id(app, returned, rival)
        shipment = {"carrier": "UPS", "tracking_number": "1Z 999"}
        response = client.post(f"/api/v1/orders/{self.order_ids[1]}/ship", json=shipment, headers=self.headers)
        assert response.status_code == 200
        with app.test_request_context():
            order.confirm_receipt(self.order_ids[1], returned, buyer["id"])
            order.request_return(self.order_ids[1], returned, buyer["id"], "Chipped.")
        sale = {"product_id": products[0]["id"], "quantity": 1}
        response = client.post("/api/v1/sales", json=sale, headers=self.headers | {"Idempotency-Key": "stall-1"})
        assert response.status_code == 201
        picture = {"image": (io.BytesIO(png()), "lamp.png"), "alt_text": "A lamp"}
        url = f"/api/v1/products/{products[0]['id']}/images"
        response = client.post(url, data=picture, headers=self.headers, content_type="multipart/form-data")
        assert response.status_code == 201
        self.known = {
            "product_id": [*(product["id"] for product in products), rival_product["id"], NO_ID],
            "order_id": [*self.order_ids, self.rival_order_id, NO_ID],
            "category_id": [category["id"], rival_product["category_id"], NO_ID],
            "department_id": [category["department_id"], NO_ID],
            "entry_id": [response.get_json()["images"][0]["id"], NO_ID],
        }

    @property
    def headers(self) -> dict:
        # identity: Schemathesis' WSGI transport hands checks the raw body, and the app gzips larger
        # JSON for clients that accept it (app/http_cache.py), as an HTTP client would undo.
        return bearer(self.token) | {"Accept-Encoding": "identity"}

    def aim(self, case) -> None:
        """Point the ids a case names (in its path, query or body) at this world's rows, and some at the
        rival's or at none, so the examples reach the views' work, not only their 404s. Values of the wrong
        type are left alone: they are the invalid examples."""
        body = case.body if isinstance(case.body, dict) else {}
        items = body.get("items") if isinstance(body.get("items"), list) else []
        for place in [case.path_parameters, case.query, body, *items]:
            for name, choices in self.known.items():
                if isinstance(place, dict) and _is_id(place.get(name)) and place[name] not in choices:
                    place[name] = choices[place[name] % len(choices)]


NO_ID = 2**31 - 1


def _is_id(value) -> bool:
    return type(value) is int and value >= 1


@contextmanager
def rolled_back(app):
    """Run a block on a SAVEPOINT of the test's pinned connection and roll it back, so that every example
    and every sequence starts from the same world (and a failure replays the same way when Hypothesis
    shrinks it)."""
    savepoint = app.extensions["bazaar_db"].pinned.begin_nested()
    try:
        yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()


@pytest.fixture
def world(app, actions, client):
    app.config["API_RATE_LIMIT"] = 100_000  # every request here must reach its view, not the limit
    yield World(app, actions, client)
    app.config["API_RATE_LIMIT"] = 300


# The description the app serves at /api/v1/openapi.json (the view returns this same document for its
# host; the test client's is http://localhost). It is read at collection, so each operation is a test of
# its own. (Schemathesis' fixture-loaded schemas, schemathesis.pytest.from_fixture, fail on pytest 9.2:
# they rename the test node through an attribute pytest 9.2 no longer has.)
schema = schemathesis.openapi.from_dict(openapi_document("http://localhost"))
# Sequences send valid requests only (the property-based test sends the invalid ones): a missing token or
# a mangled field would end a sequence at its first step.
stateful_schema = schemathesis.openapi.from_dict(
    openapi_document("http://localhost"),
    config=schemathesis.Config.from_dict({"phases": {"stateful": {"generation": {"mode": "positive"}}}}),
)


def test_the_description_tested_is_the_one_served(client):
    served = client.get("/api/v1/openapi.json").get_json()
    assert served == json.loads(json.dumps(openapi_document("http://localhost")))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    **DETERMINISTIC,
)
def test_every_operation_answers_as_documented(case, app, world):
    """Property-based: examples from each operation's parameters and body (valid and invalid ones, the
    documented examples, and the coverage phase's boundary values)."""
    if case.media_type == "multipart/form-data" and not isinstance(case.body, dict):
        return  # Werkzeug's test client encodes only a mapping as multipart (an invalid body crashes it, not us)
    world.aim(case)
    with rolled_back(app):
        case.call_and_validate(app=app, headers=world.headers, checks=CHECKS)


def test_sequences_along_the_links_answer_as_documented(app, world):
    """Stateful: sequences of calls, each feeding values of an answer to the next request as the links say.
    The in-process calls run on the test's pinned connection, so they see the world's rows; each
    sequence's changes are rolled back after it."""

    class Workflow(stateful_schema.as_state_machine()):
        def setup(self):
            self.scenario = ExitStack()
            self.scenario.enter_context(rolled_back(app))

        def teardown(self):
            self.scenario.close()

        def before_call(self, case):
            world.aim(case)

        def get_call_kwargs(self, case):
            return {"app": app, "headers": world.headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Workflow.run(
        settings=settings(
            Workflow.TestCase.settings,
            max_examples=SCENARIOS,
            stateful_step_count=STEPS_PER_SCENARIO,
            **DETERMINISTIC,
        )
    )
