"""The seller API's selling actions (issue 19), on the /api/v1 blueprint of api_v1.py and under its
conventions: start offering a product, put an offer on sale or end its sale, answer a return.

Each calls the model function the seller's pages call, so the rules, locks (app/models/locks.py)
and ledger rows are the same whichever way a seller works.
"""

from datetime import datetime

from flask import url_for

from app.api_auth import current_caller, require_scope
from app.forms_seller import MAX_QUANTITY
from app.inputs import MAX_ID, has_control_characters
from app.models import offer, order, sale
from app.problems import Problem
from app.routes.api_v1 import _etag, bp, get_line_or_404, get_offer_or_404, offer_json, order_line_json
from app.routes.api_v1 import _parse_money as parse_money
from app.routes.api_v1_catalog import json_body

# --- offers --------------------------------------------------------------------------------------


@bp.post("/offers")
@require_scope("listings")
def create_offer():
    """Start selling a product of the catalog (or a variant of one) at your price, with your stock."""
    body, errors = json_body({"product_id", "price", "quantity"}, "a new offer")
    product_id, quantity = body.get("product_id"), body.get("quantity")
    if type(product_id) is not int or not 1 <= product_id <= MAX_ID:
        errors.append({"field": "product_id", "message": "The id of a product of the catalog."})
    price = parse_money(body.get("price"))
    if price is None:
        errors.append({"field": "price", "message": 'A decimal string of whole cents, e.g. "12.50".'})
    if type(quantity) is not int or not 0 <= quantity <= MAX_QUANTITY:
        errors.append({"field": "quantity", "message": f"A whole number from 0 to {MAX_QUANTITY}."})
    if errors:
        raise Problem(422, "Some fields cannot be used.", errors)
    try:
        offer.add_offer(current_caller().user_id, product_id, price, quantity)
    except offer.ProductNotFound:
        raise Problem(404, "There is no product with this id.") from None
    except offer.ProductHasVariants:
        raise Problem(409, "This product comes in variants: offer one of its variants (GET its product).") from None
    except offer.AlreadyOffered:
        raise Problem(409, "You offer this product already: change that offer (PATCH) instead.") from None
    row = get_offer_or_404(product_id)
    headers = {"ETag": _etag(row), "Location": url_for("api_v1.get_offer", product_id=product_id)}
    return offer_json(row), 201, headers


def _parse_instant(value) -> datetime | None:
    """An ISO 8601 date-time with its offset, or None if it is not one."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None and 2000 <= moment.year <= 9000 else None


@bp.put("/offers/<int:product_id>/sale")
@require_scope("listings")
def start_sale(product_id: int):
    """Put your offer on sale at a price below its usual one, until `ends_at` (or until you end it)."""
    get_offer_or_404(product_id)
    body, errors = json_body({"sale_price", "ends_at"}, "a sale")
    sale_price = parse_money(body.get("sale_price"))
    if sale_price is None:
        errors.append({"field": "sale_price", "message": 'A decimal string of whole cents, e.g. "9.99".'})
    ends_at = None
    if body.get("ends_at") is not None:
        ends_at = _parse_instant(body["ends_at"])
        if ends_at is None:
            message = "A date and time with its offset, e.g. 2027-01-31T18:00:00Z."
            errors.append({"field": "ends_at", "message": message})
    if errors:
        raise Problem(422, "Some fields cannot be used.", errors)
    try:
        sale.start_sale(current_caller().user_id, product_id, sale_price, ends_at)
    except sale.SaleRefused as refused:
        raise Problem(409, str(refused)) from None
    row = get_offer_or_404(product_id)
    return offer_json(row), 200, {"ETag": _etag(row)}


@bp.delete("/offers/<int:product_id>/sale")
@require_scope("listings")
def end_sale(product_id: int):
    """End your offer's sale now (its usual price applies again)."""
    get_offer_or_404(product_id)
    if not sale.end_sale(current_caller().user_id, product_id):
        raise Problem(409, "This offer is not on sale.")
    row = get_offer_or_404(product_id)
    return offer_json(row), 200, {"ETag": _etag(row)}


# --- returns -------------------------------------------------------------------------------------

MAX_REASON = 500


@bp.post("/orders/<int:order_id>/return/accept")
@require_scope("orders")
def accept_return(order_id: int):
    """Accept the buyer's return: they are refunded at once; `restock` puts the units back in stock."""
    get_line_or_404(order_id)
    body, errors = json_body({"restock"}, "a return's acceptance")
    if type(body.get("restock")) is not bool:
        errors.append({"field": "restock", "message": "true if the item came back sellable, else false."})
    if errors:
        raise Problem(422, "Some fields cannot be used.", errors)
    try:
        order.accept_return(order_id, current_caller().user_id, restock=body["restock"])
    except order.NoSuchLine:
        raise Problem(404, "You have no order line with this id.") from None
    except order.TransitionRefused as refused:
        raise Problem(409, str(refused)) from None
    return order_line_json(get_line_or_404(order_id))


@bp.post("/orders/<int:order_id>/return/refuse")
@require_scope("orders")
def refuse_return(order_id: int):
    """Refuse the buyer's return, telling them why (the line stays delivered)."""
    get_line_or_404(order_id)
    body, errors = json_body({"reason"}, "a return's refusal")
    reason = body.get("reason")
    reason = reason.strip() if isinstance(reason, str) else None
    if not reason or len(reason) > MAX_REASON or has_control_characters(reason):
        errors.append({"field": "reason", "message": f"Tell the buyer why: 1 to {MAX_REASON} characters."})
    if errors:
        raise Problem(422, "Some fields cannot be used.", errors)
    try:
        order.refuse_return(order_id, current_caller().user_id, reason)
    except order.NoSuchLine:
        raise Problem(404, "You have no order line with this id.") from None
    except order.TransitionRefused as refused:
        raise Problem(409, str(refused)) from None
    return order_line_json(get_line_or_404(order_id))
