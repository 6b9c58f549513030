"""The seller API, /api/v1 (issue 19): JSON in and out, a personal access token on every request.

Conventions: money is a decimal string with its currency ({"amount": "12.50", "currency": "USD"}),
times are ISO 8601 with their offset, lists page with an opaque `cursor` and a `next` link, errors
are problem+json (app/problems.py), a PATCH needs the ETag it read in If-Match (428 without, 412
when stale), and anything not the caller's is a 404.
"""

import base64
import binascii
import hashlib
import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Blueprint, g, request, url_for

from app import api_auth, db, reports
from app.api_auth import current_caller, require_scope
from app.api_schemas import (
    CURRENCY,
    Departments,
    EventsQuery,
    InventoryEventPage,
    Offer,
    OfferChange,
    OfferPage,
    OrderLine,
    OrderLinePage,
    OrdersQuery,
    PageQuery,
    ProductPage,
    ProductsQuery,
    Sale,
    SaleRequest,
    SalesQuery,
    SalesReport,
    Shipment,
    StockChanges,
    StockResult,
    read_body,
    read_query,
)
from app.forms import time_zone_names
from app.inputs import MAX_ID
from app.models import analytics, api_token, catalog, catalog_page, fulfilment, inventory, offline_sale
from app.models import offer as offer_model
from app.models import order as order_model
from app.models import user as user_model
from app.openapi import Answer, openapi_document, operation
from app.pagination import MAX_PAGE
from app.problems import Problem
from app.query_args import local_day_bounds
from app.security import csrf

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookie authorizes this API, so there is no cross-site request to forge

DEFAULT_PAGE_SIZE = 50


PUBLIC_ENDPOINTS = {"api_v1.openapi"}


@bp.before_request
def authenticate():
    """Every request names its token (session cookies are ignored here), except for the description."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        g.api_caller = api_auth.authenticate()


@bp.after_request
def remember_write(response):
    """After a request that wrote, the token keeps the WAL position its next reads must see."""
    caller = g.get("api_caller")
    if caller is not None and db.request_wrote() and db.get_db().replicas:
        api_token.note_write(caller.token_id)
    return response


@bp.get("/openapi.json")
@operation("This description", {200: Answer("OpenAPI 3.1", media_type="application/json")}, public=True)
def openapi():
    """The OpenAPI 3.1 description of this API (public: it holds no data)."""
    return openapi_document(request.host_url.rstrip("/"))


def money(amount: Decimal | None) -> dict | None:
    """Money as the API writes it: a decimal string with two places and its currency."""
    if amount is None:
        return None
    return {"amount": f"{amount:.2f}", "currency": CURRENCY}


def iso(moment) -> str | None:
    """A timestamptz as ISO 8601 with its offset."""
    return moment.isoformat() if moment is not None else None


def offer_json(row) -> dict:
    """An offer as the API shows it."""
    return {
        "product_id": row["product_id"],
        "product_name": row["product_name"],
        "price": money(row["price"]),
        "sale_price": money(row["sale_price"]),
        "sale_ends_at": iso(row["sale_ends_at"]),
        "quantity": row["quantity"],
        "active": row["is_active"],
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "url": url_for("api_v1.get_offer", product_id=row["product_id"], _external=True),
    }


def encode_cursor(number: int, kind: str = "o") -> str:
    """An opaque cursor: the last product id a page of offers showed ("o"), or a search's next page ("p")."""
    return base64.urlsafe_b64encode(f"{kind}:{number}".encode()).decode().rstrip("=")


def decode_cursor(raw: str | None, kind: str = "o") -> int:
    """The number a cursor of this kind names (0: none given); 400 if it is not one this API made."""
    if not raw:
        return 0
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        found, _, number = text.partition(":")
        if found == kind and number.isdigit() and len(number) <= 19 and int(number) <= MAX_ID:
            return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise Problem(400, "Bad query parameter.", [{"field": "cursor", "message": "Use the cursor of a `next` link."}])


@bp.get("/offers")
@operation(
    "Your offers, active or not, in product order",
    {200: Answer("A page of offers.", OfferPage, ("Link",))},
    query=PageQuery,
    errors={400: "Bad limit or cursor."},
)
@require_scope("read")
def list_offers():
    """The caller's offers (active or not), in product order, a page at a time."""
    query = read_query(PageQuery)
    limit = query.limit or DEFAULT_PAGE_SIZE
    rows = offer_model.list_offers_after(current_caller().user_id, decode_cursor(query.cursor), limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    body = {"items": [offer_json(row) for row in rows], "next": None}
    headers = {}
    if more:
        body["next"] = url_for(
            "api_v1.list_offers", cursor=encode_cursor(rows[-1]["product_id"]), limit=limit, _external=True
        )
        headers["Link"] = f'<{body["next"]}>; rel="next"'
    return body, 200, headers


@bp.patch("/offers")
@operation(
    "Set the stock of up to 1,000 of your offers at once, all or none",
    {200: Answer("Saved.", StockResult)},
    body=StockChanges,
    errors={
        404: "Some products are not offered by you (in `errors`); nothing was saved.",
        409: "Some stocks are not the expected_quantity (in `errors`); nothing was saved.",
        422: "Items that cannot be used, in `errors`.",
    },
)
@require_scope("listings")
def set_stocks():
    """Set the stock of up to 1,000 of the caller's offers in one request, all or none."""
    changes = stock_changes(read_body(StockChanges))
    try:
        changed = offer_model.set_stocks(current_caller().user_id, changes)
    except offer_model.OffersNotFound as missing:
        errors = [
            {"field": f"product_id {product_id}", "message": "Not your offer."} for product_id in missing.product_ids
        ]
        raise Problem(404, str(missing), errors) from None
    except offer_model.StockMoved as moved:
        errors = [
            {"field": f"product_id {product_id}", "message": f"Stock is {quantity} now."}
            for product_id, quantity in sorted(moved.moved.items())
        ]
        raise Problem(409, str(moved), errors) from None
    return {"updated": len(changes), "changed": changed}


def stock_changes(body: StockChanges) -> dict[int, tuple[int, int | None]]:
    """The items as set_stocks' changes, by product; 422 if a product is named twice."""
    changes: dict[int, tuple[int, int | None]] = {}
    errors = []
    for index, item in enumerate(body.items):
        if item.product_id in changes:
            errors.append({"field": f"items[{index}].product_id", "message": "The id of a product you offer, once."})
        changes[item.product_id] = (item.quantity, item.expected_quantity)
    if errors:
        raise Problem(422, "Some fields cannot be used.", errors[:50])
    return changes


def get_offer_or_404(product_id: int):
    """The caller's offer of this product; anyone else's (or none) is a 404."""
    row = offer_model.get_offer(current_caller().user_id, product_id) if product_id <= MAX_ID else None
    if row is None:
        raise Problem(404, "You have no offer of this product.")
    return row


def _etag(row) -> str:
    return f'"{offer_model.offer_version(row)}"'


@bp.get("/offers/<int:product_id>")
@operation("One of your offers", {200: Answer("The offer.", Offer, ("ETag",))}, errors={404: "Not your offer."})
@require_scope("read")
def get_offer(product_id: int):
    """One of the caller's offers, with its ETag."""
    row = get_offer_or_404(product_id)
    return offer_json(row), 200, {"ETag": _etag(row)}


@bp.patch("/offers/<int:product_id>")
@operation(
    "Change price, stock or active (stock changes write an inventory event)",
    {200: Answer("The changed offer.", Offer, ("ETag",))},
    body=OfferChange,
    headers=("If-Match",),
    errors={404: "Not your offer.", 412: "The offer changed since the ETag in If-Match."},
)
@require_scope("listings")
def patch_offer(product_id: int):
    """Change price, stock quantity or active of the caller's offer; If-Match must name its ETag."""
    get_offer_or_404(product_id)
    if_match = request.headers.get("If-Match")
    if not if_match:
        raise Problem(428, "Send the offer's ETag (from GET) in If-Match, so a change made since is not overwritten.")
    changes = offer_changes(read_body(OfferChange))
    # "*" asks for no check (RFC 9110: any current version); otherwise the ETag, strong comparison.
    expected = None if if_match.strip() == "*" else if_match.strip().strip('"')
    try:
        found = offer_model.change_offer(current_caller().user_id, product_id, expected, **changes)
    except offer_model.VersionChanged as stale:
        raise Problem(412, str(stale)) from None
    if not found:
        raise Problem(404, "You have no offer of this product.")
    row = get_offer_or_404(product_id)
    return offer_json(row), 200, {"ETag": _etag(row)}


def offer_changes(body: OfferChange) -> dict:
    """The changes a PATCH body asks for, as change_offer's arguments; 422 if it names none."""
    names = {"price": "price", "quantity": "quantity", "active": "is_active"}
    changes = {names[name]: getattr(body, name) for name in body.model_fields_set}
    if not changes:
        raise Problem(422, "Nothing to change.", [{"field": "", "message": "Name price, quantity or active."}])
    return changes


# --- sales ---------------------------------------------------------------------------------------


def owner_time_zone(user_id: int) -> str:
    """The token owner's time zone if the SQL may use it, else UTC (sales group by its local days)."""
    row = user_model.get_user(user_id)
    name = row["time_zone"] if row is not None else "UTC"
    return name if name in time_zone_names() else "UTC"


@bp.get("/sales")
@operation(
    "Your sales (online and offline) grouped as GET /api/seller/sales groups them, filtered",
    {200: Answer("The table.", SalesReport)},
    query=SalesQuery,
    description=" ".join(SalesQuery.__doc__.split()),
    errors={
        400: "Bad group_by, dates or filters (each in `errors`).",
        404: "A product you have never offered, or a category that does not exist.",
    },
)
@require_scope("read")
def list_sales():
    """The caller's sales (order lines and offline sales) grouped as /api/seller/sales groups them,
    narrowed by the filters; a product that is not the caller's or a category that does not exist is a 404."""
    query = read_query(SalesQuery)
    user_id = current_caller().user_id
    time_zone = owner_time_zone(user_id)
    try:
        today = datetime.now(ZoneInfo(time_zone)).date()
        period = analytics.parse_period(query.from_, query.to, today, time_zone)
        grouping = analytics.parse_grouping(query.group_by)
        analytics.check_grouping_fits(grouping, period)
    except analytics.InvalidQuery as invalid:
        field = "group_by" if "group" in str(invalid).lower() else "from/to"
        raise Problem(400, "Bad query parameter.", [{"field": field, "message": str(invalid)}]) from None
    filters = sales_filters(query)
    if filters.product_id is not None or filters.category_id is not None:
        known = analytics.get_filter_targets(user_id, filters.product_id, filters.category_id)
        if filters.product_id is not None and not known["product_offered"]:
            raise Problem(404, "You have no offer of this product.")
        if filters.category_id is not None and not known["category_exists"]:
            raise Problem(404, "There is no such category.")
    return reports.sales_report(user_id, period, grouping, filters)


def sales_filters(query: SalesQuery) -> analytics.Filters:
    """The filters of GET /api/v1/sales; a 400 if the amounts are the wrong way round."""
    if query.min_amount is not None and query.max_amount is not None and query.min_amount > query.max_amount:
        raise Problem(
            400, "Bad query parameter.", [{"field": "min_amount", "message": "min_amount is above max_amount."}]
        )
    return analytics.Filters(
        product_id=query.product_id,
        category_id=query.category_id,
        statuses=query.status or (),
        min_amount=query.min_amount,
        max_amount=query.max_amount,
        buyer_country=query.buyer_country,
        channel=None if query.channel in (None, "online,offline") else query.channel,
    )


MAX_KEY_LENGTH = 255


def idempotency_key() -> str:
    """The request's Idempotency-Key: 1–255 visible ASCII characters (400 otherwise)."""
    key = request.headers.get("Idempotency-Key", "")
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(33 <= ord(character) <= 126 for character in key):
        message = f"Send an Idempotency-Key header: 1 to {MAX_KEY_LENGTH} visible ASCII characters, new per sale."
        raise Problem(400, "Idempotency-Key is required.", [{"field": "Idempotency-Key", "message": message}])
    return key


def sale_json(sale) -> dict:
    return {
        "id": sale["id"],
        "product_id": sale["product_id"],
        "quantity": sale["quantity"],
        "unit_price": money(sale["unit_price"]),
        "total": money(sale["unit_price"] * sale["quantity"]),
        "created_at": iso(sale["created_at"]),
    }


@bp.post("/sales")
@operation(
    "Record an offline sale (stock goes down, inventory event 'offline sale')",
    {201: Answer("The sale (the first one recorded with this key, on a replay).", Sale, ("Idempotent-Replayed",))},
    body=SaleRequest,
    headers=("Idempotency-Key",),
    errors={
        400: "No Idempotency-Key, or the body is not a JSON object.",
        404: "You have no offer of this product.",
        409: "Not enough stock.",
        422: "Fields that cannot be used, or the key was used for another request.",
    },
)
@require_scope("orders")
def record_sale():
    """Record an offline sale: stock goes down with an inventory event; once per Idempotency-Key."""
    key = idempotency_key()
    sale = read_body(SaleRequest).model_dump()
    canonical = {**sale, "unit_price": None if sale["unit_price"] is None else str(sale["unit_price"])}
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()
    try:
        row, recorded = offline_sale.record_sale(current_caller().user_id, key=key, digest=digest, **sale)
    except offline_sale.NoSuchOffer as refusal:
        raise Problem(404, str(refusal)) from None
    except (offline_sale.NotEnoughStock, offline_sale.KeyReused) as refusal:
        status = 409 if isinstance(refusal, offline_sale.NotEnoughStock) else 422
        raise Problem(status, str(refusal)) from None
    headers = {} if recorded else {"Idempotent-Replayed": "true"}
    return sale_json(row), 201, headers


# --- the catalog ---------------------------------------------------------------------------------


@bp.get("/categories")
@operation("Every department with its categories", {200: Answer("All of them.", Departments)})
@require_scope("read")
def list_categories():
    """Every department with its categories (a few hundred at most: one response, no pages)."""
    tree = catalog.list_categories()
    return {
        "items": [
            {
                "id": department.id,
                "name": department.name,
                "slug": department.slug,
                "categories": [
                    {"id": category.id, "name": category.name, "slug": category.slug}
                    for category in department.categories
                ],
            }
            for department in tree.departments
        ]
    }


def product_json(row) -> dict:
    """A product of the catalog as the API shows it."""
    return {
        "id": row["id"],
        "name": row["name"],
        "category_id": row["category_id"],
        "min_price": money(row["min_price"]),
        "offer_count": row["offer_count"],
        "total_stock": row["total_stock"],
        "rating_avg": None if row["rating_avg"] is None else f"{row['rating_avg']:.2f}",
        "rating_count": row["rating_count"],
        "units_sold": row["units_sold"],
        "created_at": iso(row["created_at"]),
    }


@bp.get("/products")
@operation(
    "The catalog search of /products",
    {200: Answer("A page of products (24).", ProductPage, ("Link",))},
    query=ProductsQuery,
    errors={400: "Bad cursor.", 503: "The search took too long."},
)
@require_scope("read")
def search_products():
    """The catalog search of /products, with its parameters (q, department, category, min_price,
    max_price, min_rating, in_stock, include_unavailable, sort), a page at a time."""
    criteria = catalog.read_criteria(request.args, catalog.list_categories())
    number = decode_cursor(request.args.get("cursor"), "p") or 1
    if number > MAX_PAGE:
        raise Problem(400, "Bad query parameter.", [{"field": "cursor", "message": "Use the cursor of a `next` link."}])
    results = catalog_page.find_products(criteria, number)
    if results.too_slow:
        raise Problem(503, "The search took too long. Narrow it and try again.", headers={"Retry-After": "1"})
    page = results.page
    body = {
        "items": [product_json(row) for row in page.items],
        "total": results.total,
        "total_is_estimate": results.total_is_estimate,
        "corrected_query": results.corrected_query,
        "notes": list(criteria.notes),
        "next": None,
    }
    if page.number < min(page.pages, MAX_PAGE) and page.number == number:
        body["next"] = url_for(
            "api_v1.search_products", **criteria.to_args(), cursor=encode_cursor(number + 1, "p"), _external=True
        )
    return body, 200, {"Link": f'<{body["next"]}>; rel="next"'} if body["next"] else {}


# --- orders --------------------------------------------------------------------------------------


def order_line_json(line) -> dict:
    """One of the caller's order lines as the API shows it (as /seller/orders does: no other seller's lines)."""
    return {
        "id": line["id"],
        "purchase_id": line["purchase_id"],
        "product_id": line["product_id"],
        "product_name": line["product_name"],
        "quantity": line["quantity"],
        "unit_price": money(line["unit_price"]),
        "line_total": money(line["line_total"]),
        "status": line["status"],
        "buyer_name": line["buyer_name"],
        "ship_to": line["ship_to"],
        "note": line["note"],
        "ordered_at": iso(line["ordered_at"]),
        "shipped_at": iso(line["shipped_at"]),
        "carrier": line["carrier"],
        "tracking_number": line["tracking_number"],
        "delivered_at": iso(line["delivered_at"]),
        "cancelled_at": iso(line["cancelled_at"]),
        "refunded_at": iso(line["refunded_at"]),
    }


def _next_link(body: dict, endpoint: str, cursor: str, **args) -> dict:
    """Put the `next` link of a page in the body; the matching Link header."""
    body["next"] = url_for(endpoint, cursor=cursor, **{k: v for k, v in args.items() if v is not None}, _external=True)
    return {"Link": f'<{body["next"]}>; rel="next"'}


@bp.get("/orders")
@operation(
    "Your order lines as a seller, newest first",
    {200: Answer("A page of order lines.", OrderLinePage, ("Link",))},
    query=OrdersQuery,
    errors={400: "Bad status, dates, limit or cursor."},
)
@require_scope("orders")
def list_orders():
    """The caller's order lines as a seller, newest first, filtered by status and local dates."""
    query = read_query(OrdersQuery)
    user_id = current_caller().user_id
    limit = query.limit or DEFAULT_PAGE_SIZE
    if query.from_ is not None and query.to is not None and query.from_ > query.to:
        raise Problem(400, "Bad query parameter.", [{"field": "from", "message": "from comes after to."}])
    bounds = local_day_bounds(query.from_, query.to, ZoneInfo(owner_time_zone(user_id)))
    after = decode_cursor(query.cursor, "l")
    rows = fulfilment.list_lines_after(
        user_id, after, limit + 1, query.status, bounds.get("starts_at"), bounds.get("ends_at")
    )
    more = len(rows) > limit
    rows = rows[:limit]
    body = {"items": [order_line_json(row) for row in rows], "next": None}
    headers = {}
    if more:
        headers = _next_link(
            body,
            "api_v1.list_orders",
            encode_cursor(rows[-1]["id"], "l"),
            limit=limit,
            status=query.status,
            **{"from": request.args.get("from"), "to": request.args.get("to")},
        )
    return body, 200, headers


def get_line_or_404(order_id: int):
    """One of the caller's order lines as a seller; anyone else's (or none) is a 404."""
    line = fulfilment.get_line(current_caller().user_id, order_id) if order_id <= MAX_ID else None
    if line is None:
        raise Problem(404, "You have no order line with this id.")
    return line


@bp.post("/orders/<int:order_id>/ship")
@operation(
    "Mark one of your placed lines shipped (the buyer is e-mailed the carrier and tracking number)",
    {200: Answer("The shipped line.", OrderLine)},
    body=Shipment,
    errors={404: "Not your order line.", 409: "The line is not placed (already shipped, or cancelled)."},
)
@require_scope("orders")
def ship_order(order_id: int):
    """Mark one of the caller's placed lines shipped with its carrier and tracking number (the buyer is mailed)."""
    user_id = current_caller().user_id
    get_line_or_404(order_id)
    shipment = read_body(Shipment)
    carrier, tracking = shipment.carrier, shipment.tracking_number or None
    if not order_model.mark_shipped(user_id, [order_id], carrier, tracking):
        status = fulfilment.get_line(user_id, order_id)["status"]
        raise Problem(409, f"Only a placed line can be shipped; this one is {status}.")
    return order_line_json(fulfilment.get_line(user_id, order_id))


# --- inventory events ----------------------------------------------------------------------------


def inventory_event_json(row) -> dict:
    return {
        "id": row["id"],
        "product_id": row["product_id"],
        "delta": row["delta"],
        "quantity_after": row["quantity_after"],
        "reason": row["reason"],
        "order_id": row["order_id"],
        "created_at": iso(row["created_at"]),
    }


@bp.get("/inventory-events")
@operation(
    "Your inventory events (every change of your offers' stock), newest first",
    {200: Answer("A page of events.", InventoryEventPage, ("Link",))},
    query=EventsQuery,
    errors={400: "Bad product_id, limit or cursor.", 404: "You have no offer (and no events) of this product."},
)
@require_scope("read")
def list_inventory_events():
    """The caller's inventory events (every stock change of their offers), newest first."""
    query = read_query(EventsQuery)
    user_id = current_caller().user_id
    limit = query.limit or DEFAULT_PAGE_SIZE
    product_id = query.product_id
    if product_id is not None and not inventory.has_events(user_id, product_id):
        raise Problem(404, "You have no offer of this product.")
    after = decode_cursor(query.cursor, "e")
    rows = inventory.list_events_after(user_id, after, limit + 1, product_id)
    more = len(rows) > limit
    rows = rows[:limit]
    body = {"items": [inventory_event_json(row) for row in rows], "next": None}
    headers = {}
    if more:
        headers = _next_link(
            body, "api_v1.list_inventory_events", encode_cursor(rows[-1]["id"], "e"), limit=limit, product_id=product_id
        )
    return body, 200, headers
