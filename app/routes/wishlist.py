"""The wishlist (/account/wishlist): hearts on cards and product pages add and remove; the page
compares today's price and stock with when each product was added and moves one to the cart.
Guests keep theirs in the session (app/guest_wishlist.py) until they sign in."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import db, guest_cart, guest_wishlist
from app.forms_lists import WishlistAlertsForm, WishlistItemForm
from app.models import cart, wishlist
from app.pagination import Page, requested_page
from app.urls import safe_next

bp = Blueprint("wishlist", __name__, url_prefix="/account/wishlist")

PAGE_SIZE = 24


@bp.app_template_global()
def in_wishlist(product_id: int) -> bool:
    """Whether the visitor's wishlist holds the product: the signed-in user's ids come with their
    session's row (SIGNED_IN_USER_COLUMNS), a guest's from the session."""
    if "wishlist_ids" not in g:
        g.wishlist_ids = set(
            current_user.wishlist_ids if current_user.is_authenticated else guest_wishlist.product_ids()
        )
    return product_id in g.wishlist_ids


def _back() -> str:
    return safe_next(request.form.get("next")) or url_for("wishlist.show")


def _refused(message: str, status: int):
    """A change the wishlist could not make: say why, with a way back, and a 4xx status."""
    return render_template("cart/refused.html", message=message, back=_back()), status


def _product_form() -> WishlistItemForm:
    form = WishlistItemForm()
    if not form.validate_on_submit():
        abort(
            400, next(iter(error for errors in form.errors.values() for error in errors), "That request was not valid.")
        )
    return form


@bp.get("")
def show():
    page_number = requested_page()
    if current_user.is_authenticated:
        offset = (page_number - 1) * PAGE_SIZE
        rows = wishlist.list_items(current_user.id, PAGE_SIZE, offset)
        # A first page that is not full holds the whole list: no need to count it.
        full = page_number > 1 or len(rows) == PAGE_SIZE
        total = wishlist.count_items(current_user.id) if full else len(rows)
        alerts_form = WishlistAlertsForm(formdata=None, data={"alerts": current_user.wishlist_alerts})
    else:
        every = wishlist.list_guest_items(guest_wishlist.items())
        rows, total = every[(page_number - 1) * PAGE_SIZE : page_number * PAGE_SIZE], len(every)
        alerts_form = None
    return render_template(
        "wishlist/show.html",
        items=Page(list(rows), page_number, PAGE_SIZE, total),
        alerts_form=alerts_form,
        max_items=wishlist.MAX_ITEMS if current_user.is_authenticated else guest_wishlist.MAX_GUEST_ITEMS,
    )


@bp.post("/add")
def add():
    form = _product_form()
    product = wishlist.get_product_for_wishlist(form.product_id.data)
    if product is None:
        return _refused("That product is not in the catalog.", 404)
    try:
        added = (
            wishlist.add(current_user.id, product["id"])
            if current_user.is_authenticated
            else guest_wishlist.add(product)
        )
    except wishlist.WishlistError as error:
        return _refused(str(error), 409)
    flash(f"{product['name']} {'added to' if added else 'is already on'} your wishlist.", "success")
    return redirect(_back())


@bp.post("/remove")
def remove():
    form = _product_form()
    product_id = form.product_id.data
    removed = (
        wishlist.remove(current_user.id, product_id)
        if current_user.is_authenticated
        else guest_wishlist.remove(product_id)
    )
    # Removing twice (a double click, a second tab) is not an error: the product is off the list either way.
    flash("Removed from your wishlist." if removed else "That product was not on your wishlist.", "success")
    return redirect(_back())


@bp.post("/move-to-cart")
def move_to_cart():
    """Put one of the cheapest offer in the cart and take the product off the wishlist."""
    form = _product_form()
    product_id = form.product_id.data
    signed_in = current_user.is_authenticated
    if not in_wishlist(product_id):
        return _refused("That product is not on your wishlist.", 404)
    offer = wishlist.get_cheapest_offer(product_id, current_user.id if signed_in else 0)
    if offer is None:
        return _refused("No seller has this product in stock now: it stays on your wishlist.", 409)
    seller_id, offered_id = offer["seller_id"], offer["product_id"]  # the product, or one of its variants
    already = (
        cart.get_line_quantity(current_user.id, seller_id, offered_id)
        if signed_in
        else guest_cart.quantity_of(seller_id, offered_id)
    )
    try:
        quantity = cart.check_can_add(offer, current_user.id if signed_in else None, 1, already)
    except cart.CartError as error:
        return _refused(str(error), 409)
    if signed_in:
        with db.transaction():  # both or neither: a product never leaves the wishlist without reaching the cart
            cart.set_line(current_user.id, seller_id, offered_id, quantity)
            wishlist.remove(current_user.id, product_id)
    else:
        try:
            guest_cart.set_line(seller_id, offered_id, quantity)
        except cart.CartError as error:  # the guest cart is full
            return _refused(str(error), 409)
        guest_wishlist.remove(product_id)
    flash(f"Moved {offer['product_name']} to your cart.", "success")
    return redirect(_back())


@bp.post("/alerts")
@login_required
def alerts():
    form = WishlistAlertsForm()
    if not form.validate_on_submit():
        abort(400, "That request was not valid. Reload the page and try again.")
    wishlist.set_alerts(current_user.id, form.alerts.data)
    flash(
        "We will e-mail you when something on your wishlist gets cheaper or is back in stock (at most once a day each)."
        if form.alerts.data
        else "No more wishlist e-mails.",
        "success",
    )
    return redirect(url_for("wishlist.show"))
