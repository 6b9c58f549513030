"""Checkout: the review page (items by seller, shipping, address, note, total) and "Place order".

"Proceed to checkout" on the cart opens the review; its form carries the one-time token, so a
double-submitted "Place order" buys once (checkout.place_order). POST /cart/checkout, the old
address of "Place order", places the order the same way, with the buyer's default address and
each seller's cheapest shipping unless the form names others.
"""

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from app import cart_promotions
from app.forms_orders import CheckoutReviewForm, shipping_choices
from app.models import address, cart, checkout, shipping

bp = Blueprint("checkout", __name__)


@bp.before_request
@login_required
def require_login():
    """Only a signed-in buyer checks out (a guest's cart comes along when they sign in)."""


def _problem(form) -> str:
    return next(iter(error for errors in form.errors.values() for error in errors), "That request was not valid.")


def _quote(lines, wanted: dict[int, int]) -> tuple[list[shipping.Choice], Decimal]:
    """Each seller's shipping for the active lines, and the total (lines and fees), as checkout prices them."""
    subtotals: dict[int, Decimal] = {}
    for line in lines:
        subtotals[line["seller_id"]] = subtotals.get(line["seller_id"], Decimal("0.00")) + line["line_total"]
    methods = shipping.list_active_methods(subtotals)
    try:
        choices = shipping.choose(methods, subtotals, wanted)
    except shipping.ShippingUnavailable as unavailable:
        flash(str(unavailable), "warning")
        choices = shipping.choose(methods, subtotals, {})
    total = sum(subtotals.values(), Decimal("0.00")) + sum((choice.fee for choice in choices), Decimal("0.00"))
    return choices, total


def _render_review(form: CheckoutReviewForm, wanted: dict[int, int], status: int = 200):
    """The review page for the signed-in buyer's active cart lines, with `wanted` shipping methods."""
    lines = [line for line in cart.list_lines(current_user.id) if not line["saved_for_later"]]
    if not lines and status == 200:
        flash("Your cart is empty.", "info")
        return redirect(url_for("cart.show"))
    choices, total = _quote(lines, wanted)
    # Coupons and points from the cart, priced as checkout will: the total shown is what is paid.
    promotions = cart_promotions.quote(current_user.id, lines)
    total -= promotions.totals.subtotal - promotions.totals.paid
    addresses = address.list_addresses(current_user.id)
    if form.address_id.data is None and addresses:
        form.address_id.data = addresses[0]["id"]
    # The hidden total is what this page shows: "Place order" is refused if checkout finds another.
    form.expected_total.data = total
    form.expected_total.raw_data = None
    return render_template(
        "checkout/review.html",
        form=form,
        groups=[(choice, [line for line in lines if line["seller_id"] == choice.seller_id]) for choice in choices],
        addresses=addresses,
        total=total,
        promotions=promotions,
        shipping_total=sum((choice.fee for choice in choices), Decimal("0.00")),
        can_place=all(line["is_active"] and line["stock"] >= line["quantity"] for line in lines),
    ), status


@bp.get("/checkout")
def review():
    return _render_review(CheckoutReviewForm(formdata=None, data={"token": checkout.new_token()}), {})


@bp.post("/checkout")
@bp.post("/cart/checkout")
def place_order():
    form = CheckoutReviewForm()
    wanted = shipping_choices(request.form)
    if not form.validate_on_submit():
        flash(_problem(form), "danger")
        return _render_review(form, wanted, 400)
    if request.form.get("action") == "update":
        return _render_review(form, wanted)
    if not current_user.email_verified_at:
        # Orders only from proven addresses (issue 13): browsing and the cart stay open to everyone.
        link = Markup('<a class="alert-link" href="{}">Confirm it now</a>').format(url_for("account.verify_email"))
        flash(Markup("Confirm your e-mail address before you place an order. {}.").format(link), "warning")
        return _render_review(form, wanted, 403)
    try:
        placed = checkout.place_order(
            current_user.id,
            form.token.data,
            form.expected_total.data,
            address_id=form.address_id.data,
            shipping_methods=wanted,
            note=form.note.data or "",
            coupon_codes=cart_promotions.codes(),
            points_to_spend=cart_promotions.points(),
        )
    except checkout.CheckoutFailed as failure:
        for problem in failure.problems:
            flash(problem, "danger")
        return _render_review(form, wanted, 409)
    cart_promotions.clear()
    if placed.already_placed:
        flash("This order was already placed; you were charged once.", "info")
    else:
        flash("Thank you! Your order is placed.", "success")
    return redirect(url_for("purchases.show", purchase_id=placed.purchase_id))
