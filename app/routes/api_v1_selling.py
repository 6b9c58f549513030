"""The seller API's selling actions (issue 19), on the /api/v1 blueprint of api_v1.py and under its
conventions: start offering a product, put an offer on sale or end its sale, answer a return.

Each calls the model function the seller's pages call, so the rules, locks (app/models/locks.py)
and ledger rows are the same whichever way a seller works.
"""

from flask import url_for

from app.api_auth import current_caller, require_scope
from app.api_schemas import NewOffer, Offer, OrderLine, ReturnAcceptance, ReturnRefusal, SaleStart, read_body
from app.models import offer, order, sale
from app.openapi import Answer, operation
from app.problems import Problem
from app.routes.api_v1 import _etag, bp, get_line_or_404, get_offer_or_404, offer_json, order_line_json

# --- offers --------------------------------------------------------------------------------------


OFFER = Answer("The offer.", Offer, ("ETag",))
NOT_YOUR_OFFER = "Not your offer."


@bp.post("/offers")
@operation(
    "Start offering a product (or a variant) of the catalog at your price",
    {201: Answer("Your new offer.", Offer, ("ETag", "Location"))},
    body=NewOffer,
    errors={404: "No such product.", 409: "You offer it already, or it comes in variants (offer a variant)."},
)
@require_scope("listings")
def create_offer():
    """Start selling a product of the catalog (or a variant of one) at your price, with your stock."""
    body = read_body(NewOffer)
    product_id = body.product_id
    try:
        offer.add_offer(current_caller().user_id, product_id, body.price, body.quantity)
    except offer.ProductNotFound:
        raise Problem(404, "There is no product with this id.") from None
    except offer.ProductHasVariants:
        raise Problem(409, "This product comes in variants: offer one of its variants (GET its product).") from None
    except offer.AlreadyOffered:
        raise Problem(409, "You offer this product already: change that offer (PATCH) instead.") from None
    row = get_offer_or_404(product_id)
    headers = {"ETag": _etag(row), "Location": url_for("api_v1.get_offer", product_id=product_id)}
    return offer_json(row), 201, headers


@bp.put("/offers/<int:product_id>/sale")
@operation(
    "Put your offer on sale below its usual price, until ends_at or until you end it",
    {200: OFFER},
    body=SaleStart,
    errors={
        404: NOT_YOUR_OFFER,
        409: "The sale price is not below the usual one, the end is past, or the offer is removed.",
    },
)
@require_scope("listings")
def start_sale(product_id: int):
    """Put your offer on sale at a price below its usual one, until `ends_at` (or until you end it)."""
    get_offer_or_404(product_id)
    body = read_body(SaleStart)
    try:
        sale.start_sale(current_caller().user_id, product_id, body.sale_price, body.ends_at)
    except sale.SaleRefused as refused:
        raise Problem(409, str(refused)) from None
    row = get_offer_or_404(product_id)
    return offer_json(row), 200, {"ETag": _etag(row)}


@bp.delete("/offers/<int:product_id>/sale")
@operation("End your offer's sale now", {200: OFFER}, errors={404: NOT_YOUR_OFFER, 409: "It is not on sale."})
@require_scope("listings")
def end_sale(product_id: int):
    """End your offer's sale now (its usual price applies again)."""
    get_offer_or_404(product_id)
    if not sale.end_sale(current_caller().user_id, product_id):
        raise Problem(409, "This offer is not on sale.")
    row = get_offer_or_404(product_id)
    return offer_json(row), 200, {"ETag": _etag(row)}


# --- returns -------------------------------------------------------------------------------------

LINE = Answer("The line.", OrderLine)
RETURN_ERRORS = {404: "Not your order line.", 409: "No return of this line is waiting for your answer."}


@bp.post("/orders/<int:order_id>/return/accept")
@operation(
    "Accept a buyer's return: they are refunded at once; restock puts the units back",
    {200: LINE},
    body=ReturnAcceptance,
    errors=RETURN_ERRORS,
)
@require_scope("orders")
def accept_return(order_id: int):
    """Accept the buyer's return: they are refunded at once; `restock` puts the units back in stock."""
    get_line_or_404(order_id)
    restock = read_body(ReturnAcceptance).restock
    try:
        order.accept_return(order_id, current_caller().user_id, restock=restock)
    except order.NoSuchLine:
        raise Problem(404, "You have no order line with this id.") from None
    except order.TransitionRefused as refused:
        raise Problem(409, str(refused)) from None
    return order_line_json(get_line_or_404(order_id))


@bp.post("/orders/<int:order_id>/return/refuse")
@operation("Refuse a buyer's return, saying why", {200: LINE}, body=ReturnRefusal, errors=RETURN_ERRORS)
@require_scope("orders")
def refuse_return(order_id: int):
    """Refuse the buyer's return, telling them why (the line stays delivered)."""
    get_line_or_404(order_id)
    reason = read_body(ReturnRefusal).reason
    try:
        order.refuse_return(order_id, current_caller().user_id, reason)
    except order.NoSuchLine:
        raise Problem(404, "You have no order line with this id.") from None
    except order.TransitionRefused as refused:
        raise Problem(409, str(refused)) from None
    return order_line_json(get_line_or_404(order_id))
