"""The cart: add, change, save for later; "Proceed to checkout" leads to the review (routes/checkout.py)."""

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import cart_promotions, guest_cart, page_cache
from app.forms import AddToCartForm, CartLineForm, CartQuantityForm, EmptyForm
from app.forms_lists import CartSelectionForm
from app.forms_promotions import ApplyCouponForm, RemoveCouponForm, UsePointsForm
from app.inputs import MAX_ID
from app.models import cart, recommendation
from app.templating import money
from app.urls import safe_next

bp = Blueprint("cart", __name__, url_prefix="/cart")


def _refused(message: str, back: str, status: int):
    """A change the cart could not make: say why, with a way back, and a 4xx status."""
    return render_template("cart/refused.html", message=message, back=back), status


def _form_problem(form) -> str:
    return next(iter(error for errors in form.errors.values() for error in errors), "That request was not valid.")


@bp.post("/add")
def add():
    form = AddToCartForm()
    product_page = f"/products/{form.product_id.data}" if form.product_id.data else url_for("main.index")
    back = safe_next(request.form.get("next")) or product_page
    if not form.validate_on_submit():
        return _refused(_form_problem(form), back, 400)
    seller_id, product_id, quantity = form.seller_id.data, form.product_id.data, form.quantity.data
    offer = cart.get_offer_for_cart(seller_id, product_id)
    signed_in = current_user.is_authenticated
    already = (
        cart.get_line_quantity(current_user.id, seller_id, product_id)
        if signed_in
        else guest_cart.quantity_of(seller_id, product_id)
    )
    try:
        new_quantity = cart.check_can_add(offer, current_user.id if signed_in else None, quantity, already)
        if signed_in:
            cart.set_line(current_user.id, seller_id, product_id, new_quantity)
        else:
            guest_cart.set_line(seller_id, product_id, new_quantity)
    except cart.CartError as error:
        return _refused(str(error), back, 409 if offer and offer["is_active"] else 404)
    if new_quantity < already + quantity:
        flash(
            f"Only {offer['stock']} available: your cart now has {new_quantity} of {offer['product_name']}.", "warning"
        )
    else:
        flash(f"Added {quantity} × {offer['product_name']} to your cart.", "success")
    return redirect(back)


@bp.get("")
@page_cache.for_guests
def show():
    """The cart. A guest's empty cart is the same page for every guest (the best sellers below
    it), so it comes from the guest cache; a guest with a cart has it in the session, and so never does."""
    return _render_cart()


def _render_cart(status: int = 200, **forms):
    """The cart page; flashed problems of a failed action show on it too, and `forms` (apply_form,
    points_form) with their errors."""
    if current_user.is_authenticated:
        lines = cart.list_lines(current_user.id)
    else:
        lines = cart.list_guest_lines(guest_cart.lines())
    active = [line for line in lines if not line["saved_for_later"]]
    saved = [line for line in lines if line["saved_for_later"]]
    total = sum((line["line_total"] for line in active), Decimal("0.00"))
    recommendations = recommendation.recommended_for_you(
        current_user.id if current_user.is_authenticated else None, [line["product_id"] for line in lines]
    )
    page_cache.show_products([*(line["product_id"] for line in lines), *(p["id"] for p in recommendations["products"])])
    return render_template(
        "cart/show.html",
        active=active,
        saved=saved,
        total=total,
        can_check_out=bool(active) and all(_line_ok(line) for line in active),
        **_promotion_context(active, **forms),
        selection_form=CartSelectionForm(formdata=None),
        recommendations=recommendations,
    ), status


def _line_ok(line) -> bool:
    return line["is_active"] and line["stock"] >= line["quantity"]


def _promotion_context(active, apply_form=None, points_form=None) -> dict:
    """A signed-in buyer's coupons and points priced on the active lines now, and their forms."""
    if not current_user.is_authenticated or not active:
        return {"promotions": None}
    quote = cart_promotions.quote(current_user.id, active)
    return {
        "promotions": quote,
        "line_promotions": {(line.seller_id, line.product_id): line for line in quote.lines},
        "apply_form": apply_form or ApplyCouponForm(formdata=None),
        "points_form": points_form or UsePointsForm(formdata=None, data={"points": quote.points}),
        "remove_coupon_form": RemoveCouponForm(formdata=None),
    }


def _line_action(change, success: str):
    """Apply `change(user_id, seller_id, product_id)` to a line of the signed-in user's cart."""
    form = CartLineForm()
    if not form.validate_on_submit():
        abort(400, _form_problem(form))
    if not change(current_user.id, form.seller_id.data, form.product_id.data):
        abort(404, "That line is not in your cart.")
    flash(success, "success")
    return redirect(url_for("cart.show"))


@bp.post("/update")
def update():
    form = CartQuantityForm()
    if not form.validate_on_submit():
        flash(_form_problem(form), "danger")
        return _render_cart(400)
    seller_id, product_id, quantity = form.seller_id.data, form.product_id.data, form.quantity.data
    signed_in = current_user.is_authenticated
    in_cart = (
        cart.get_line_quantity(current_user.id, seller_id, product_id)
        if signed_in
        else guest_cart.quantity_of(seller_id, product_id)
    )
    if not in_cart:
        abort(404, "That line is not in your cart.")
    offer = cart.get_offer_for_cart(seller_id, product_id)
    try:
        allowed = cart.check_can_set(offer, quantity)
    except cart.CartError as error:
        flash(str(error), "danger")
        return _render_cart(409)
    if signed_in:
        cart.update_quantity(current_user.id, seller_id, product_id, allowed)
    else:
        guest_cart.set_line(seller_id, product_id, allowed)
    if allowed < quantity:
        flash(f"Only {offer['stock']} available: your cart now has {allowed} of {offer['product_name']}.", "warning")
    else:
        flash("Quantity updated.", "success")
    return redirect(url_for("cart.show"))


@bp.post("/remove")
def remove():
    if current_user.is_authenticated:
        return _line_action(cart.remove_line, "Removed from your cart.")
    form = CartLineForm()
    if not form.validate_on_submit():
        abort(400, _form_problem(form))
    guest_cart.set_line(form.seller_id.data, form.product_id.data, 0)
    flash("Removed from your cart.", "success")
    return redirect(url_for("cart.show"))


@bp.post("/save-for-later")
@login_required
def save_for_later():
    return _line_action(
        lambda user_id, seller_id, product_id: cart.set_saved_for_later(user_id, seller_id, product_id, True),
        "Saved for later.",
    )


@bp.post("/move-to-cart")
@login_required
def move_to_cart():
    return _line_action(
        lambda user_id, seller_id, product_id: cart.set_saved_for_later(user_id, seller_id, product_id, False),
        "Moved to your cart.",
    )


def _active_lines():
    return [line for line in cart.list_lines(current_user.id) if not line["saved_for_later"]]


@bp.post("/coupon")
@login_required
def apply_coupon():
    form = ApplyCouponForm()
    if not form.validate_on_submit():
        return _render_cart(400, apply_form=form)
    code, active = form.code.data, _active_lines()
    if not active:
        form.code.errors.append("Your cart is empty: add what you want to buy first.")
        return _render_cart(409, apply_form=form)
    quote = cart_promotions.quote(current_user.id, active, extra_code=code)
    refusal = next((why for refused, why in quote.refused if refused == code), None)
    if refusal:
        form.code.errors.append(refusal)
        return _render_cart(409, apply_form=form)
    cart_promotions.add(code)
    applied = next(applied for applied in quote.applied if applied.coupon["code"] == code)
    flash(f"{code} applied: {money(applied.discount)} off.", "success")
    return redirect(url_for("cart.show"))


@bp.post("/coupon/remove")
@login_required
def remove_coupon():
    form = RemoveCouponForm()
    if not form.validate_on_submit():
        abort(400, _form_problem(form))
    if cart_promotions.remove(form.code.data):
        flash(f"{form.code.data} removed.", "success")
    return redirect(url_for("cart.show"))


@bp.post("/points")
@login_required
def use_points():
    form = UsePointsForm()
    if not form.validate_on_submit():
        return _render_cart(400, points_form=form)
    quote = cart_promotions.quote(current_user.id, _active_lines(), wanted_points=form.points.data)
    if quote.points_problem:
        form.points.errors.append(quote.points_problem)
        return _render_cart(409, points_form=form)
    cart_promotions.set_points(quote.points)
    used = f"{quote.points:,} points will pay {money(quote.totals.points_discount)}." if quote.points else ""
    flash(used or "No points used.", "success")
    return redirect(url_for("cart.show"))


MAX_SELECTED = 1000  # more checkboxes than any cart page shows: an edited form


def _chosen_lines(values: list[str]) -> list[tuple[int, int]] | None:
    """The checked "seller_id-product_id" values as pairs, or None if one is not such a value."""
    chosen = []
    for value in values[: MAX_SELECTED + 1]:
        seller, _, product = value.partition("-")
        if not (seller.isascii() and seller.isdigit() and product.isascii() and product.isdigit()):
            return None
        if len(seller) > 19 or len(product) > 19 or int(seller) > MAX_ID or int(product) > MAX_ID:
            return None
        chosen.append((int(seller), int(product)))
    return chosen if len(chosen) <= MAX_SELECTED else None


@bp.post("/select")
@login_required
def select():
    """ "Proceed to checkout" with the ticked lines: the others wait under "Saved for later"."""
    form = CartSelectionForm()
    chosen = _chosen_lines(form.lines.data or []) if form.validate_on_submit() else None
    if chosen is None:
        flash(_form_problem(form) if form.errors else "That selection is not valid. Reload your cart.", "danger")
        return _render_cart(400)
    try:
        moved = cart.keep_selected(current_user.id, chosen)
    except cart.CartError as error:
        flash(str(error), "danger")
        return _render_cart(409)
    if moved:
        flash(
            f"{moved} {'line waits' if moved == 1 else 'lines wait'} under “Saved for later”, still in your cart.",
            "info",
        )
    return redirect(url_for("checkout.review"))


@bp.route("/clear", methods=["GET", "POST"])
def clear():
    """Ask, then remove every line of the cart (saved for later too)."""
    form = EmptyForm()
    if request.method == "GET":
        lines = cart.list_lines(current_user.id) if current_user.is_authenticated else guest_cart.lines()
        if not lines:
            return redirect(url_for("cart.show"))
        return render_template("cart/clear.html", form=form, line_count=len(lines))
    if not form.validate_on_submit():
        abort(400, "That request was not valid. Reload your cart and try again.")
    if current_user.is_authenticated:
        cart.clear(current_user.id)
    else:
        guest_cart.clear()
    flash("Your cart is empty now.", "success")
    return redirect(url_for("cart.show"))
