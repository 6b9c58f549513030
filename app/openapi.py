"""The OpenAPI 3.1 description of the seller API (/api/v1/openapi.json, shown by Swagger UI at /api/docs),
generated from the code.

- The paths and methods are the blueprint's routes (Flask's URL map), with their path parameters.
- Each view says what it does with `@operation(...)`: its summary, request body, query and header
  parameters, answers and errors. Its scope is the one `require_scope` checks.
- The schemas are written by pydantic from the models of app/api_schemas.py, the same models the views
  validate request bodies with.

A route without `@operation` fails the description's build (and so the suite), so none goes undescribed.
"""

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.api_schemas import ANSWER_MODELS, REQUEST_MODELS, ref

API_PREFIX = "/api/v1"
JSON = "application/json"
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Answer:
    """A successful answer: its description, its body's model (None: no body, or one no model
    describes, of `media_type`) and its headers' names."""

    description: str
    model: type[BaseModel] | None = None
    headers: tuple[str, ...] = ()
    media_type: str | None = None  # JSON when there is a model


@dataclass(frozen=True)
class Operation:
    summary: str
    answers: dict[int, Answer]
    errors: dict[int, str] = field(default_factory=dict)
    body: type[BaseModel] | None = None
    body_media_type: str = JSON
    query: type[BaseModel] | None = None
    headers: tuple[str, ...] = ()
    description: str | None = None
    public: bool = False


def operation(summary: str, answers: dict[int, Answer], **details: Any):
    """A view decorator: describe the view's operation (see Operation) for the OpenAPI description."""

    def describe(view):
        view.openapi_operation = Operation(summary, answers, **details)
        return view

    return describe


# Headers, as parameters a request sends or headers an answer carries.
REQUEST_HEADERS = {
    "If-Match": {
        "required": True,
        "schema": {"type": "string"},
        "description": "The ETag you read (or `*` for any version).",
    },
    "Idempotency-Key": {
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
        "description": "1 to 255 visible ASCII characters, new per sale.",
    },
}
ANSWER_HEADERS = {
    "ETag": {"schema": {"type": "string"}, "description": "Send it back in If-Match to change it."},
    "Location": {"schema": {"type": "string"}, "description": "The new resource's address."},
    "Link": {"schema": {"type": "string"}, "description": 'The next page: <…>; rel="next".'},
    "Idempotent-Replayed": {"schema": {"type": "string", "const": "true"}, "description": "A replayed key."},
    "Retry-After": {"required": True, "schema": {"type": "integer"}, "description": "Seconds to wait."},
    "WWW-Authenticate": {"required": True, "schema": {"type": "string", "pattern": "^Bearer "}},
}
TOKEN_ERRORS = {
    401: ("No token, or an unknown, revoked or expired one.", ("WWW-Authenticate",)),
    403: ("The token lacks the scope this request needs.", ()),
    429: ("Too many requests with this token; see Retry-After.", ("Retry-After",)),
}
BODY_ERRORS = {400: "The body is not a JSON object.", 422: "Fields that cannot be used, in `errors`."}


def _headers(names) -> dict:
    return {name: ANSWER_HEADERS[name] for name in names}


def _problem(description: str, headers=()) -> dict:
    answer = {"description": description, "content": {PROBLEM: {"schema": ref("Problem")}}}
    if headers:
        answer["headers"] = _headers(headers)
    return answer


def _answer(answer: Answer) -> dict:
    described: dict = {"description": answer.description}
    if answer.model is not None:
        described["content"] = {answer.media_type or JSON: {"schema": ref(answer.model.__name__)}}
    elif answer.media_type is not None:
        described["content"] = {answer.media_type: {}}
    if answer.headers:
        described["headers"] = _headers(answer.headers)
    return described


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = _tidy(model.model_json_schema(by_alias=True))
    required = set(schema.get("required", ()))
    parameters = []
    for name, property_schema in schema["properties"].items():
        parameter = {"name": name, "in": "query", "schema": property_schema}
        if "description" in property_schema:
            parameter["description"] = property_schema.pop("description")
        if name in required:
            parameter["required"] = True
        parameters.append(parameter)
    return parameters


def _path_parameters(rule) -> list[dict]:
    """Each <int:name> of the route: a positive integer (the API's ids)."""
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
        for name in sorted(rule.arguments, key=rule.rule.index)
    ]


def _describe(rule, described: Operation, scope: str | None) -> dict:
    result: dict = {"summary": described.summary, "operationId": rule.endpoint.removeprefix("api_v1.")}
    if described.description:
        result["description"] = described.description
    if described.public:
        result["security"] = []
    else:
        result["x-scope"] = scope
    parameters = _path_parameters(rule)
    parameters += [{"name": name, "in": "header"} | REQUEST_HEADERS[name] for name in described.headers]
    if described.query is not None:
        parameters += _query_parameters(described.query)
    if parameters:
        result["parameters"] = parameters
    if described.body is not None:
        content = {described.body_media_type: {"schema": ref(described.body.__name__)}}
        result["requestBody"] = {"required": True, "content": content}
    answers = {str(status): _answer(answer) for status, answer in described.answers.items()}
    errors = (BODY_ERRORS if described.body is not None and described.body_media_type == JSON else {}) | (
        {428: "If-Match is missing."} if "If-Match" in described.headers else {}
    )
    for status, description in sorted((errors | described.errors).items()):
        answers[str(status)] = _problem(description)
    if not described.public:
        for status, (description, headers) in TOKEN_ERRORS.items():
            answers[str(status)] = _problem(description, headers)
    result["responses"] = answers
    return result


def _tidy(node: Any) -> Any:
    """Pydantic's JSON Schema without its generated titles and its `default: null` (a field left out)."""
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    if not isinstance(node, dict):
        return node
    tidied = {}
    for key, value in node.items():
        if (key == "title" and isinstance(value, str)) or (key == "default" and value is None):
            continue
        if key == "description" and isinstance(value, str):
            value = " ".join(value.split())  # a docstring's lines as one paragraph
        if key in ("properties", "$defs"):
            tidied[key] = {name: _tidy(schema) for name, schema in value.items()}
        else:
            tidied[key] = _tidy(value)
    return tidied


def component_schemas() -> dict:
    """Every model's JSON Schema, named as the models are; requests as validated, answers as written."""
    models = [(model, "validation") for model in REQUEST_MODELS]
    models += [(model, "serialization") for model in ANSWER_MODELS]
    _, schemas = models_json_schema(models, ref_template="#/components/schemas/{model}")
    return _tidy(schemas["$defs"])


def _api_routes() -> list:
    """(rule, view) of each /api/v1 route, from a bare app holding only the API's blueprint."""
    from app.routes import api_v1, api_v1_catalog, api_v1_selling  # noqa: F401 - the latter add their routes

    bare = Flask(__name__)
    bare.register_blueprint(api_v1.bp)
    rules = [rule for rule in bare.url_map.iter_rules() if rule.rule.startswith(API_PREFIX)]
    return [(rule, bare.view_functions[rule.endpoint]) for rule in sorted(rules, key=lambda rule: rule.rule)]


def openapi_path(rule) -> str:
    return rule.rule.replace("<int:", "{").replace(">", "}")


def describe_paths(routes) -> dict:
    """The description's paths of (rule, view) pairs; LookupError for a view without @operation."""
    paths: dict = {}
    for rule, view in routes:
        described = getattr(view, "openapi_operation", None)
        if described is None:
            raise LookupError(f"{rule.endpoint} ({rule.rule}) has no @operation: describe it for the API's users")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            scope = getattr(view, "required_scope", None)
            paths.setdefault(openapi_path(rule), {})[method.lower()] = _describe(rule, described, scope)
    return paths


@cache
def _document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Bazaar seller API",
            "version": "1",
            "description": (
                "Personal access tokens from /account/tokens, sent as `Authorization: Bearer bzr_…`. "
                "Each operation's `x-scope` names the scope it needs. Errors are problem+json (RFC 9457)."
            ),
        },
        "security": [{"token": []}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer", "bearerFormat": "bzr_…"}},
            "schemas": component_schemas(),
        },
        "paths": _add_links(describe_paths(_api_routes())),
    }


def openapi_document(server_url: str) -> dict:
    """The whole description, its server being this site's address (built once per process)."""
    return _document() | {"servers": [{"url": server_url}]}


# --- links ---------------------------------------------------------------------------------------
# Which values of an answer a client may feed to which next request (Swagger UI shows them;
# Schemathesis' stateful test, tests/test_api_schemathesis.py, follows them).


def _link(path: str, method: str, description: str, parameters: dict | None = None, body: dict | None = None) -> dict:
    """An OpenAPI link to the operation at `path` and `method` (operationRef: a JSON pointer into the paths)."""
    link = {"operationRef": "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method}
    link["description"] = description
    if parameters:
        link["parameters"] = parameters
    if body:
        link["requestBody"] = body
    return link


OFFER_PATH = "/api/v1/offers/{product_id}"
EVENTS_PATH = "/api/v1/inventory-events"
SAME_OFFER_AT_ITS_ETAG = {"product_id": "$request.path.product_id", "header.If-Match": "$response.header.ETag"}
LINKS = {
    ("/api/v1/offers", "get", "200"): {
        "GetOffer": _link(OFFER_PATH, "get", "The first offer.", {"product_id": "$response.body#/items/0/product_id"}),
        "ListEvents": _link(
            EVENTS_PATH, "get", "The first offer's stock history.", {"product_id": "$response.body#/items/0/product_id"}
        ),
    },
    (OFFER_PATH, "get", "200"): {
        "ChangeOffer": _link(
            OFFER_PATH, "patch", "Change this offer, naming the version read.", SAME_OFFER_AT_ITS_ETAG
        ),
        "SetStock": _link(
            "/api/v1/offers",
            "patch",
            "Set its stock in bulk, expecting the quantity read.",
            body={
                "items": [
                    {
                        "product_id": "$request.path.product_id",
                        "quantity": "$response.body#/quantity",
                        "expected_quantity": "$response.body#/quantity",
                    }
                ]
            },
        ),
        "RecordSale": _link(
            "/api/v1/sales", "post", "Sell one offline.", body={"product_id": "$request.path.product_id", "quantity": 1}
        ),
        "ListEvents": _link(EVENTS_PATH, "get", "Its stock history.", {"product_id": "$request.path.product_id"}),
    },
    (OFFER_PATH, "patch", "200"): {
        "ChangeOffer": _link(OFFER_PATH, "patch", "Change it again, naming the new version.", SAME_OFFER_AT_ITS_ETAG),
        "ListEvents": _link(EVENTS_PATH, "get", "Its stock history.", {"product_id": "$request.path.product_id"}),
    },
    ("/api/v1/sales", "post", "201"): {
        "GetOffer": _link(OFFER_PATH, "get", "The offer sold from.", {"product_id": "$response.body#/product_id"}),
        "ListEvents": _link(
            EVENTS_PATH, "get", "Its 'offline sale' event.", {"product_id": "$response.body#/product_id"}
        ),
    },
    ("/api/v1/orders", "get", "200"): {
        "ShipOrder": _link(
            "/api/v1/orders/{order_id}/ship",
            "post",
            "Ship the newest line.",
            {"order_id": "$response.body#/items/0/id"},
        ),
    },
    ("/api/v1/orders/{order_id}/ship", "post", "200"): {
        "GetOffer": _link(OFFER_PATH, "get", "The offer of the line.", {"product_id": "$response.body#/product_id"}),
    },
    (EVENTS_PATH, "get", "200"): {
        "GetOffer": _link(
            OFFER_PATH, "get", "The offer of the newest event.", {"product_id": "$response.body#/items/0/product_id"}
        ),
    },
}


def _add_links(paths: dict) -> dict:
    """Put each set of links on the answer it follows."""
    for (path, method, status), named in LINKS.items():
        paths[path][method]["responses"][status]["links"] = named
    return paths
