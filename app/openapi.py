"""The OpenAPI 3.1 description of the seller API (/api/v1/openapi.json, shown by Swagger UI at /api/docs).

Kept by hand next to the views rather than generated: the views read JSON with plain checks, not
marshmallow or pydantic schemas, so apispec or flask-smorest would need a second copy of every
schema anyway, and a dependency for it. tests/test_api_docs.py keeps this honest: every /api/v1
route and method is described here and nothing else is, and the documented fields of offers,
sales, products, order lines and inventory events are exactly those the views write.
"""

from app.forms_seller import MAX_PRICE, MAX_QUANTITY
from app.models.order import STATUS_NAMES as ORDER_STATUSES

# A price the API takes: 0.01 to 1,000,000.00 (MAX_PRICE), in whole cents.
PRICE_PATTERN = r"^(?:0\.(?:0[1-9]|[1-9][0-9])|[1-9][0-9]{0,5}\.[0-9]{2}|1000000\.00)$"
# An amount the API writes: a total (quantity x unit price, up to 1,000,000 x 1,000,000.00) has up to 13 digits.
AMOUNT_PATTERN = r"^[0-9]{1,13}\.[0-9]{2}$"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/problem+json": {"schema": _ref("Problem")}}}
    if headers:
        response["headers"] = headers
    return response


def _json(description: str, schema: dict, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


ERRORS = {
    "401": _problem(
        "No token, or an unknown, revoked or expired one.",
        {"WWW-Authenticate": {"required": True, "schema": {"type": "string", "pattern": "^Bearer "}}},
    ),
    "403": _problem("The token lacks the scope this request needs."),
    "429": _problem(
        "Too many requests with this token; see Retry-After.",
        {"Retry-After": {"required": True, "description": "Seconds to wait.", "schema": {"type": "integer"}}},
    ),
}
CURSOR = {"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "From a `next` link."}
PRODUCT_ID = {"name": "product_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
ORDER_ID = {"name": "order_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}
ETAG = {"ETag": {"schema": {"type": "string"}, "description": "Send it back in If-Match to change the offer."}}

SCHEMAS = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                },
            },
        },
    },
    "Money": {
        "type": "object",
        "required": ["amount", "currency"],
        "properties": {
            "amount": {"type": "string", "pattern": AMOUNT_PATTERN, "examples": ["12.50"]},
            "currency": {"type": "string", "const": "USD"},
        },
    },
    "Price": {
        "type": "object",
        "description": "A price sent as money: the currency may be left out.",
        "additionalProperties": False,
        "required": ["amount"],
        "properties": {
            "amount": {"type": "string", "pattern": PRICE_PATTERN, "examples": ["12.50"]},
            "currency": {"type": "string", "const": "USD"},
        },
    },
    "Offer": {
        "type": "object",
        "required": [
            "product_id",
            "product_name",
            "price",
            "sale_price",
            "sale_ends_at",
            "quantity",
            "active",
            "created_at",
            "updated_at",
            "url",
        ],
        "properties": {
            "product_id": {"type": "integer"},
            "product_name": {"type": "string"},
            "price": _ref("Money"),
            "sale_price": {"oneOf": [_ref("Money"), {"type": "null"}]},
            "sale_ends_at": {"type": ["string", "null"], "format": "date-time"},
            "quantity": {"type": "integer", "minimum": 0},
            "active": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "url": {"type": "string", "format": "uri"},
        },
    },
    "OfferChange": {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "price": {
                "oneOf": [{"type": "string", "pattern": PRICE_PATTERN}, _ref("Price")],
                "description": f"0.01 to {MAX_PRICE}, whole cents.",
            },
            "quantity": {"type": "integer", "minimum": 0, "maximum": MAX_QUANTITY},
            "active": {"type": "boolean"},
        },
    },
    "StockChanges": {
        "type": "object",
        "additionalProperties": False,
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1000,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["product_id", "quantity"],
                    "properties": {
                        "product_id": {"type": "integer", "minimum": 1},
                        "quantity": {"type": "integer", "minimum": 0, "maximum": MAX_QUANTITY},
                        "expected_quantity": {
                            "type": ["integer", "null"],
                            "minimum": 0,
                            "maximum": MAX_QUANTITY,
                            "description": "The stock you read: 409 if it moved since (null or left out: no check).",
                        },
                    },
                },
            }
        },
    },
    "SaleRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["product_id", "quantity"],
        "properties": {
            "product_id": {"type": "integer", "minimum": 1},
            "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
            "unit_price": {
                "oneOf": [{"type": "string", "pattern": PRICE_PATTERN}, _ref("Price"), {"type": "null"}],
                "description": "Default: the offer's price.",
            },
        },
    },
    "Sale": {
        "type": "object",
        "required": ["id", "product_id", "quantity", "unit_price", "total", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "product_id": {"type": "integer"},
            "quantity": {"type": "integer"},
            "unit_price": _ref("Money"),
            "total": _ref("Money"),
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "SalesReport": {
        "type": "object",
        "description": (
            "The table of GET /api/seller/sales (README, 'Sales API'), of the lines the filters leave: order lines "
            "(channel online) and offline sales recorded with POST /api/v1/sales (channel offline; each one order, "
            "no buyer). Totals and channels follow the filters."
        ),
        "required": ["group_by", "from", "to", "time_zone", "currency", "totals", "channels", "columns", "rows"],
        "properties": {
            "group_by": {"type": "string"},
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "time_zone": {"type": "string"},
            "currency": {"type": "string"},
            "totals": {"type": "object"},
            "channels": {
                "type": "object",
                "description": "The period's revenue, units and orders of each channel (they add up to the totals).",
                "required": ["online", "offline"],
                "properties": {
                    channel: {
                        "type": "object",
                        "required": ["revenue", "units", "orders"],
                        "properties": {
                            "revenue": {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$"},
                            "units": {"type": "integer"},
                            "orders": {"type": "integer"},
                        },
                    }
                    for channel in ("online", "offline")
                },
            },
            "columns": {"type": "array", "items": {"type": "string"}},
            "rows": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Department": {
        "type": "object",
        "required": ["id", "name", "slug", "categories"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "slug": {"type": "string"},
            "categories": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "name", "slug"],
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "slug": {"type": "string"}},
                },
            },
        },
    },
    "Product": {
        "type": "object",
        "required": [
            "id",
            "name",
            "category_id",
            "min_price",
            "offer_count",
            "total_stock",
            "rating_avg",
            "rating_count",
            "units_sold",
            "created_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "category_id": {"type": "integer"},
            "min_price": {"oneOf": [_ref("Money"), {"type": "null"}]},
            "offer_count": {"type": "integer"},
            "total_stock": {"type": "integer"},
            "rating_avg": {"type": ["string", "null"]},
            "rating_count": {"type": "integer"},
            "units_sold": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "OrderLine": {
        "type": "object",
        "description": "One of your lines of a purchase (never another seller's lines or the purchase's total).",
        "required": [
            "id",
            "purchase_id",
            "product_id",
            "product_name",
            "quantity",
            "unit_price",
            "line_total",
            "status",
            "buyer_name",
            "ship_to",
            "note",
            "ordered_at",
            "shipped_at",
            "carrier",
            "tracking_number",
            "delivered_at",
            "cancelled_at",
            "refunded_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "purchase_id": {"type": "integer"},
            "product_id": {"type": "integer"},
            "product_name": {"type": "string"},
            "quantity": {"type": "integer"},
            "unit_price": _ref("Money"),
            "line_total": _ref("Money"),
            "status": {"type": "string", "enum": list(ORDER_STATUSES)},
            "buyer_name": {"type": "string"},
            "ship_to": {"type": ["string", "null"], "description": "The address the purchase is sent to."},
            "note": {"type": ["string", "null"], "description": "The buyer's note."},
            "ordered_at": {"type": "string", "format": "date-time"},
            "shipped_at": {"type": ["string", "null"], "format": "date-time"},
            "carrier": {"type": ["string", "null"]},
            "tracking_number": {"type": ["string", "null"]},
            "delivered_at": {"type": ["string", "null"], "format": "date-time"},
            "cancelled_at": {"type": ["string", "null"], "format": "date-time"},
            "refunded_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "Shipment": {
        "type": "object",
        "additionalProperties": False,
        "required": ["carrier"],
        "properties": {
            "carrier": {"type": "string", "minLength": 1, "maxLength": 60, "examples": ["UPS"]},
            "tracking_number": {
                "type": ["string", "null"],
                "maxLength": 60,
                "pattern": "^(?:[A-Za-z0-9][A-Za-z0-9 -]*)?$",
            },
        },
    },
    "InventoryEvent": {
        "type": "object",
        "required": ["id", "product_id", "delta", "quantity_after", "reason", "order_id", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "product_id": {"type": "integer"},
            "delta": {"type": "integer", "description": "The change of stock: negative for a sale."},
            "quantity_after": {"type": "integer"},
            "reason": {
                "type": "string",
                "examples": ["initial", "restock", "adjustment", "sale", "cancellation", "return", "offline sale"],
            },
            "order_id": {"type": ["integer", "null"], "description": "The order line that moved the stock."},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
}


def _page_of(schema: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "next"],
        "properties": {"items": {"type": "array", "items": _ref(schema)}, "next": {"type": ["string", "null"]}},
    }


PATHS = {
    "/api/v1/offers": {
        "get": {
            "summary": "Your offers, active or not, in product order",
            "x-scope": "read",
            "parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
                CURSOR,
            ],
            "responses": {"200": _json("A page of offers.", _page_of("Offer")), "400": _problem("Bad limit or cursor.")}
            | ERRORS,
        },
        "patch": {
            "summary": "Set the stock of up to 1,000 of your offers at once, all or none",
            "x-scope": "listings",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("StockChanges")}}},
            "responses": {
                "200": _json(
                    "Saved.",
                    {
                        "type": "object",
                        "required": ["updated", "changed"],
                        "properties": {"updated": {"type": "integer"}, "changed": {"type": "integer"}},
                    },
                ),
                "400": _problem("The body is not a JSON object with items."),
                "404": _problem("Some products are not offered by you (in `errors`); nothing was saved."),
                "409": _problem("Some stocks are not the expected_quantity (in `errors`); nothing was saved."),
                "422": _problem("Items that cannot be used, in `errors`."),
            }
            | ERRORS,
        },
    },
    "/api/v1/offers/{product_id}": {
        "parameters": [PRODUCT_ID],
        "get": {
            "summary": "One of your offers",
            "x-scope": "read",
            "responses": {"200": _json("The offer.", _ref("Offer"), ETAG), "404": _problem("Not your offer.")} | ERRORS,
        },
        "patch": {
            "summary": "Change price, stock or active (stock changes write an inventory event)",
            "x-scope": "listings",
            "parameters": [{"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("OfferChange")}}},
            "responses": {
                "200": _json("The changed offer.", _ref("Offer"), ETAG),
                "400": _problem("The body is not a JSON object."),
                "404": _problem("Not your offer."),
                "412": _problem("The offer changed since the ETag in If-Match."),
                "422": _problem("Fields that cannot be used, in `errors`."),
                "428": _problem("If-Match is missing."),
            }
            | ERRORS,
        },
    },
    "/api/v1/sales": {
        "get": {
            "summary": "Your sales (online and offline) grouped as GET /api/seller/sales groups them, filtered",
            "description": (
                "Filters combine (AND). Without `status`, cancelled lines are left out. `status` and `buyer_country` "
                "exist only for online order lines: either one leaves offline sales out."
            ),
            "x-scope": "read",
            "parameters": [
                {"name": "group_by", "in": "query", "schema": {"type": "string", "default": "month"}},
                {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                {
                    "name": "product_id",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1},
                    "description": "A product you offer (or offered); its variants' sales count with it. 404 if not.",
                },
                {
                    "name": "category_id",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1},
                    "description": "Sales of products in this category (none sold: empty; no such category: 404).",
                },
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"type": "string", "examples": ["delivered", "shipped,delivered"]},
                    "description": "Order line statuses, comma-separated: "
                    + ", ".join(ORDER_STATUSES)
                    + ". Online only.",
                },
                {
                    "name": "min_amount",
                    "in": "query",
                    "schema": {"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$"},
                    "description": "Lines (or offline sales) whose total is at least this, in USD.",
                },
                {
                    "name": "max_amount",
                    "in": "query",
                    "schema": {"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$"},
                    "description": "Lines (or offline sales) whose total is at most this, in USD.",
                },
                {
                    "name": "buyer_country",
                    "in": "query",
                    "schema": {"type": "string", "pattern": "^[A-Za-z]{2}$", "examples": ["DE"]},
                    "description": (
                        "ISO 3166-1 alpha-2 code of the country the purchase was delivered to. Online only; "
                        "purchases whose address names no known country never match."
                    ),
                },
                {
                    "name": "channel",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["online", "offline", "online,offline"]},
                    "description": "online: order lines; offline: sales POSTed to /api/v1/sales (default both).",
                },
            ],
            "responses": {
                "200": _json("The table.", _ref("SalesReport")),
                "400": _problem("Bad group_by, dates or filters (each in `errors`)."),
                "404": _problem("A product you have never offered, or a category that does not exist."),
            }
            | ERRORS,
        },
        "post": {
            "summary": "Record an offline sale (stock goes down, inventory event 'offline sale')",
            "x-scope": "orders",
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
                    "description": "1 to 255 visible ASCII characters, new per sale.",
                }
            ],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("SaleRequest")}}},
            "responses": {
                "201": _json(
                    "The sale (the first one recorded with this key, on a replay).",
                    _ref("Sale"),
                    {"Idempotent-Replayed": {"schema": {"type": "string", "const": "true"}}},
                ),
                "400": _problem("No Idempotency-Key, or the body is not a JSON object."),
                "404": _problem("You have no offer of this product."),
                "409": _problem("Not enough stock."),
                "422": _problem("Fields that cannot be used, or the key was used for another request."),
            }
            | ERRORS,
        },
    },
    "/api/v1/categories": {
        "get": {
            "summary": "Every department with its categories",
            "x-scope": "read",
            "responses": {
                "200": _json(
                    "All of them.",
                    {"type": "object", "properties": {"items": {"type": "array", "items": _ref("Department")}}},
                )
            }
            | ERRORS,
        }
    },
    "/api/v1/products": {
        "get": {
            "summary": "The catalog search of /products",
            "x-scope": "read",
            "parameters": [
                {"name": name, "in": "query", "schema": {"type": "string"}}
                for name in (
                    "q",
                    "department",
                    "category",
                    "min_price",
                    "max_price",
                    "min_rating",
                    "in_stock",
                    "include_unavailable",
                    "sort",
                )
            ]
            + [CURSOR],
            "responses": {
                "200": _json(
                    "A page of products (24).",
                    _page_of("Product")
                    | {
                        "properties": _page_of("Product")["properties"]
                        | {
                            "total": {"type": "integer"},
                            "total_is_estimate": {"type": "boolean"},
                            "corrected_query": {"type": ["string", "null"]},
                            "notes": {"type": "array", "items": {"type": "string"}},
                        }
                    },
                ),
                "400": _problem("Bad cursor."),
                "503": _problem("The search took too long."),
            }
            | ERRORS,
        }
    },
    "/api/v1/orders": {
        "get": {
            "summary": "Your order lines as a seller, newest first",
            "x-scope": "orders",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(ORDER_STATUSES)}},
                {
                    "name": "from",
                    "in": "query",
                    "schema": {"type": "string", "format": "date"},
                    "description": "Ordered on or after this day (your time zone).",
                },
                {
                    "name": "to",
                    "in": "query",
                    "schema": {"type": "string", "format": "date"},
                    "description": "Ordered on or before this day (your time zone).",
                },
                LIMIT,
                CURSOR,
            ],
            "responses": {
                "200": _json("A page of order lines.", _page_of("OrderLine")),
                "400": _problem("Bad status, dates, limit or cursor."),
            }
            | ERRORS,
        }
    },
    "/api/v1/orders/{order_id}/ship": {
        "parameters": [ORDER_ID],
        "post": {
            "summary": "Mark one of your placed lines shipped (the buyer is e-mailed the carrier and tracking number)",
            "x-scope": "orders",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Shipment")}}},
            "responses": {
                "200": _json("The shipped line.", _ref("OrderLine")),
                "400": _problem("The body is not a JSON object."),
                "404": _problem("Not your order line."),
                "409": _problem("The line is not placed (already shipped, or cancelled)."),
                "422": _problem("Fields that cannot be used, in `errors`."),
            }
            | ERRORS,
        },
    },
    "/api/v1/inventory-events": {
        "get": {
            "summary": "Your inventory events (every change of your offers' stock), newest first",
            "x-scope": "read",
            "parameters": [
                {"name": "product_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                LIMIT,
                CURSOR,
            ],
            "responses": {
                "200": _json("A page of events.", _page_of("InventoryEvent")),
                "400": _problem("Bad product_id, limit or cursor."),
                "404": _problem("You have no offer (and no events) of this product."),
            }
            | ERRORS,
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This description",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
        }
    },
}


# Catalog writes and product details (app/routes/api_v1_catalog.py), new offers, sales and returns
# (app/routes/api_v1_selling.py).

LOCATION = {"Location": {"schema": {"type": "string"}, "description": "The new resource's address."}}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "schema": {"type": "string"},
    "description": "The ETag you read (or `*` for any version).",
}
CATEGORY_ID = {"name": "category_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
ENTRY_ID = {"name": "entry_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
TEXT_LIST = {
    "type": "array",
    "minItems": 1,
    "maxItems": 3,
    "items": {"type": "string", "minLength": 1, "maxLength": 40},
}
ATTRIBUTES = {
    "type": "object",
    "additionalProperties": {"type": ["string", "integer"]},
    "description": "Values of the attributes the category defines (GET /api/v1/categories), by key.",
}
LABELS = {
    "brand": {"type": ["string", "null"], "maxLength": 60},
    "tags": {"type": "array", "maxItems": 10, "items": {"type": "string", "maxLength": 30}},
}

SCHEMAS |= {
    "Category": {
        "type": "object",
        "required": ["id", "name", "slug", "department_id"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "slug": {"type": "string", "description": "Never changes: links to the category keep working."},
            "department_id": {"type": "integer"},
        },
    },
    "NewCategory": {
        "type": "object",
        "additionalProperties": False,
        "required": ["department_id", "name"],
        "properties": {
            "department_id": {"type": "integer", "minimum": 1},
            "name": {"type": "string", "minLength": 1, "maxLength": 60},
        },
    },
    "CategoryChange": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 60}},
    },
    "ProductDetail": {
        "type": "object",
        "required": [
            "id",
            "name",
            "description",
            "category_id",
            "brand",
            "tags",
            "attributes",
            "parent_id",
            "options",
            "variants",
            "images",
            "min_price",
            "max_price",
            "offer_count",
            "total_stock",
            "rating_avg",
            "rating_count",
            "created_by_you",
            "created_at",
            "page_url",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "category_id": {"type": "integer"},
            "brand": {"type": ["string", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
            "parent_id": {"type": ["integer", "null"], "description": "On a variant: its product."},
            "options": {"type": "array", "items": {"type": "string"}, "description": "e.g. Colour, Size."},
            "variants": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "option_values", "min_price", "offer_count", "total_stock"],
                    "properties": {
                        "id": {"type": "integer", "description": "Offer it with POST /api/v1/offers."},
                        "option_values": {"type": "array", "items": {"type": "string"}},
                        "min_price": {"oneOf": [_ref("Money"), {"type": "null"}]},
                        "offer_count": {"type": "integer"},
                        "total_stock": {"type": "integer"},
                    },
                },
            },
            "images": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "position", "alt_text", "url", "thumbnail_url"],
                    "properties": {
                        "id": {"type": "integer"},
                        "position": {"type": "integer"},
                        "alt_text": {"type": "string"},
                        "url": {"type": ["string", "null"], "description": "null for a drawn demo picture."},
                        "thumbnail_url": {"type": ["string", "null"]},
                    },
                },
            },
            "min_price": {"oneOf": [_ref("Money"), {"type": "null"}]},
            "max_price": {"oneOf": [_ref("Money"), {"type": "null"}]},
            "offer_count": {"type": "integer"},
            "total_stock": {"type": "integer"},
            "rating_avg": {"type": ["string", "null"]},
            "rating_count": {"type": "integer"},
            "created_by_you": {"type": "boolean", "description": "Only a product's creator may change it."},
            "created_at": {"type": "string", "format": "date-time"},
            "page_url": {"type": "string", "format": "uri"},
        },
    },
    "NewProduct": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "category_id"],
        "description": "With price and quantity: for sale at once, as your first offer. With options: "
        "add its variants next, then offer them.",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": {"type": "string", "maxLength": 5000},
            "category_id": {"type": "integer", "minimum": 1},
            "attributes": ATTRIBUTES,
            "price": {"oneOf": [{"type": "string", "pattern": PRICE_PATTERN}, _ref("Price")]},
            "quantity": {"type": "integer", "minimum": 0, "maximum": MAX_QUANTITY},
            "options": TEXT_LIST,
        }
        | LABELS,
    },
    "ProductChange": {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": {"type": "string", "maxLength": 5000},
            "category_id": {"type": "integer", "minimum": 1},
            "attributes": ATTRIBUTES,
        }
        | LABELS,
    },
    "NewVariant": {
        "type": "object",
        "additionalProperties": False,
        "required": ["option_values"],
        "properties": {"option_values": TEXT_LIST | {"description": "One value per option, in order."}},
    },
    "NewImage": {
        "type": "object",
        "required": ["image"],
        "properties": {
            "image": {"type": "string", "format": "binary", "description": "PNG, JPEG or WebP, up to 5 MB."},
            "alt_text": {"type": "string", "maxLength": 250},
        },
    },
    "NewOffer": {
        "type": "object",
        "additionalProperties": False,
        "required": ["product_id", "price", "quantity"],
        "properties": {
            "product_id": {"type": "integer", "minimum": 1},
            "price": {"oneOf": [{"type": "string", "pattern": PRICE_PATTERN}, _ref("Price")]},
            "quantity": {"type": "integer", "minimum": 0, "maximum": MAX_QUANTITY},
        },
    },
    "SaleStart": {
        "type": "object",
        "additionalProperties": False,
        "required": ["sale_price"],
        "properties": {
            "sale_price": {"oneOf": [{"type": "string", "pattern": PRICE_PATTERN}, _ref("Price")]},
            "ends_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "ReturnAcceptance": {
        "type": "object",
        "additionalProperties": False,
        "required": ["restock"],
        "properties": {"restock": {"type": "boolean", "description": "The item came back sellable."}},
    },
    "ReturnRefusal": {
        "type": "object",
        "additionalProperties": False,
        "required": ["reason"],
        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 500}},
    },
}


def _body(schema: str, media_type: str = "application/json") -> dict:
    return {"required": True, "content": {media_type: {"schema": _ref(schema)}}}


PRODUCT = _json("The product.", _ref("ProductDetail"), ETAG)
NOT_YOURS = _problem("You did not create a product with this id.")
OFFER = _json("The offer.", _ref("Offer"), ETAG)
LINE = _json("The line.", _ref("OrderLine"))

PATHS |= {
    "/api/v1/categories/{category_id}": {
        "parameters": [CATEGORY_ID],
        "get": {
            "summary": "One category",
            "x-scope": "read",
            "responses": {"200": _json("The category.", _ref("Category"), ETAG), "404": _problem("No such category.")}
            | ERRORS,
        },
        "patch": {
            "summary": "Rename a category (administrators; its slug stays)",
            "x-scope": "admin",
            "parameters": [IF_MATCH],
            "requestBody": _body("CategoryChange"),
            "responses": {
                "200": _json("The renamed category.", _ref("Category"), ETAG),
                "400": _problem("The body is not a JSON object."),
                "404": _problem("No such category."),
                "409": _problem("Its department has a category of that name."),
                "412": _problem("The category changed since the ETag in If-Match."),
                "422": _problem("Fields that cannot be used, in `errors`."),
                "428": _problem("If-Match is missing."),
            }
            | ERRORS,
        },
    },
    "/api/v1/products/{product_id}": {
        "parameters": [PRODUCT_ID],
        "get": {
            "summary": "One product with its brand, tags, attributes, variants and images",
            "x-scope": "read",
            "responses": {"200": PRODUCT, "404": _problem("No such product.")} | ERRORS,
        },
        "patch": {
            "summary": "Change a product you created: name, description, category, brand, tags, attributes",
            "x-scope": "listings",
            "parameters": [IF_MATCH],
            "requestBody": _body("ProductChange"),
            "responses": {
                "200": PRODUCT,
                "400": _problem("The body is not a JSON object."),
                "404": NOT_YOURS,
                "409": _problem("This is a variant: change its product."),
                "412": _problem("The product changed since the ETag in If-Match."),
                "422": _problem("Fields that cannot be used, in `errors`."),
                "428": _problem("If-Match is missing."),
            }
            | ERRORS,
        },
    },
    "/api/v1/products/{product_id}/variants": {
        "parameters": [PRODUCT_ID],
        "post": {
            "summary": "Add a variant to a product you created with options",
            "x-scope": "listings",
            "requestBody": _body("NewVariant"),
            "responses": {
                "201": _json("The new variant (a product whose parent_id is the product).", _ref("ProductDetail"))
                | {"headers": ETAG | LOCATION},
                "400": _problem("The body is not a JSON object."),
                "404": NOT_YOURS,
                "409": _problem("The product has no options, is sold as it is, has this variant, or has 100."),
                "422": _problem("Fields that cannot be used, in `errors`."),
            }
            | ERRORS,
        },
    },
    "/api/v1/products/{product_id}/images": {
        "parameters": [PRODUCT_ID],
        "post": {
            "summary": "Add an image to the end of the gallery of a product you created (at most 8)",
            "x-scope": "listings",
            "requestBody": _body("NewImage", "multipart/form-data"),
            "responses": {
                "201": PRODUCT,
                "404": NOT_YOURS,
                "409": _problem("The gallery has 8 images."),
                "422": _problem("No image, not an image we take (too large, too many pixels), or bad alt text."),
            }
            | ERRORS,
        },
    },
    "/api/v1/products/{product_id}/images/{entry_id}": {
        "parameters": [PRODUCT_ID, ENTRY_ID],
        "delete": {
            "summary": "Take an image out of the gallery of a product you created",
            "x-scope": "listings",
            "responses": {"204": {"description": "Removed."}, "404": _problem("No such image of your product.")}
            | ERRORS,
        },
    },
    "/api/v1/offers/{product_id}/sale": {
        "parameters": [PRODUCT_ID],
        "put": {
            "summary": "Put your offer on sale below its usual price, until ends_at or until you end it",
            "x-scope": "listings",
            "requestBody": _body("SaleStart"),
            "responses": {
                "200": OFFER,
                "400": _problem("The body is not a JSON object."),
                "404": _problem("Not your offer."),
                "409": _problem("The sale price is not below the usual one, the end is past, or the offer is removed."),
                "422": _problem("Fields that cannot be used, in `errors`."),
            }
            | ERRORS,
        },
        "delete": {
            "summary": "End your offer's sale now",
            "x-scope": "listings",
            "responses": {"200": OFFER, "404": _problem("Not your offer."), "409": _problem("It is not on sale.")}
            | ERRORS,
        },
    },
    "/api/v1/orders/{order_id}/return/accept": {
        "parameters": [ORDER_ID],
        "post": {
            "summary": "Accept a buyer's return: they are refunded at once; restock puts the units back",
            "x-scope": "orders",
            "requestBody": _body("ReturnAcceptance"),
            "responses": {
                "200": LINE,
                "400": _problem("The body is not a JSON object."),
                "404": _problem("Not your order line."),
                "409": _problem("No return of this line is waiting for your answer."),
                "422": _problem("Fields that cannot be used, in `errors`."),
            }
            | ERRORS,
        },
    },
    "/api/v1/orders/{order_id}/return/refuse": {
        "parameters": [ORDER_ID],
        "post": {
            "summary": "Refuse a buyer's return, saying why",
            "x-scope": "orders",
            "requestBody": _body("ReturnRefusal"),
            "responses": {
                "200": LINE,
                "400": _problem("The body is not a JSON object."),
                "404": _problem("Not your order line."),
                "409": _problem("No return of this line is waiting for your answer."),
                "422": _problem("Fields that cannot be used, in `errors`."),
            }
            | ERRORS,
        },
    },
}
PATHS["/api/v1/categories"]["post"] = {
    "summary": "Create a category in a department (administrators)",
    "x-scope": "admin",
    "requestBody": _body("NewCategory"),
    "responses": {
        "201": _json("The new category.", _ref("Category"), ETAG | LOCATION),
        "400": _problem("The body is not a JSON object."),
        "404": _problem("No such department."),
        "409": _problem("The department has a category of that name."),
        "422": _problem("Fields that cannot be used, in `errors`."),
    }
    | ERRORS,
}
PATHS["/api/v1/products"]["post"] = {
    "summary": "Create a product: for sale at once (price, quantity) or with options for variants",
    "x-scope": "listings",
    "requestBody": _body("NewProduct"),
    "responses": {
        "201": _json("The new product.", _ref("ProductDetail"), ETAG | LOCATION),
        "400": _problem("The body is not a JSON object."),
        "422": _problem("Fields that cannot be used, in `errors`."),
    }
    | ERRORS,
}
PATHS["/api/v1/offers"]["post"] = {
    "summary": "Start offering a product (or a variant) of the catalog at your price",
    "x-scope": "listings",
    "requestBody": _body("NewOffer"),
    "responses": {
        "201": _json("Your new offer.", _ref("Offer"), ETAG | LOCATION),
        "400": _problem("The body is not a JSON object."),
        "404": _problem("No such product."),
        "409": _problem("You offer it already, or it comes in variants (offer a variant)."),
        "422": _problem("Fields that cannot be used, in `errors`."),
    }
    | ERRORS,
}


def _link(path: str, method: str, description: str, parameters: dict | None = None, body: dict | None = None) -> dict:
    """An OpenAPI link to the operation at `path` and `method` (operationRef: a JSON pointer into PATHS)."""
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
# OpenAPI links: which values of an answer a client may feed to which next request (Swagger UI shows
# them; Schemathesis' stateful test, tests/test_api_schemathesis.py, follows them).
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


def _add_links(paths: dict, links: dict) -> None:
    """Put each set of links on the answer it follows (kept apart from PATHS so the operations stay short)."""
    for (path, method, status), named in links.items():
        responses = paths[path][method]["responses"]
        responses[status] = responses[status] | {"links": named}  # a copy: answers may be shared


_add_links(PATHS, LINKS)


def openapi_document(server_url: str) -> dict:
    """The whole description, its server being this site's /api/v1 address."""
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
        "servers": [{"url": server_url}],
        "security": [{"token": []}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer", "bearerFormat": "bzr_…"}},
            "schemas": SCHEMAS,
        },
        "paths": PATHS,
    }
