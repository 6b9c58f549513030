"""Recently viewed products: a row on the home and product pages, the whole list, and "Clear"."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from app import page_cache, recently_viewed_session
from app.forms import EmptyForm
from app.inputs import MAX_ID, whole_number
from app.models import recently_viewed
from app.urls import safe_next

bp = Blueprint("recently_viewed", __name__, url_prefix="/recently-viewed")

SHOWN = 6  # cards in the row on the home and product pages


def for_page(product_id: int | None = None):
    """The products a page shows under "Recently viewed" (none of them `product_id`, whose view
    this records), or None while rendering for the guest cache: that page is every guest's, so it
    carries a placeholder that the script fills from this visitor's session."""
    if page_cache.is_guest_render():
        if product_id:
            page_cache.in_every_session(recently_viewed_session.record, product_id)
        return None
    if current_user.is_authenticated:
        if product_id:
            return recently_viewed.record_and_list(current_user.id, product_id, SHOWN)
        return recently_viewed.list_for_user(current_user.id, SHOWN)
    if product_id:
        recently_viewed_session.record(session, product_id)
    others = [seen for seen in recently_viewed_session.product_ids() if seen != product_id]
    return recently_viewed.list_products(others[:SHOWN])


@bp.get("")
def show():
    """All the remembered products (at most KEEP: no pages needed)."""
    products = (
        recently_viewed.list_for_user(current_user.id, recently_viewed.KEEP)
        if current_user.is_authenticated
        else recently_viewed.list_products(recently_viewed_session.product_ids())
    )
    return render_template("recently_viewed/show.html", products=products, clear_form=EmptyForm(formdata=None))


@bp.get("/fragment")
def fragment():
    """The row for a cached guest page (no layout), without the page's own product (?exclude=)."""
    exclude = whole_number(request.args.get("exclude"), 0, MAX_ID) or 0
    if current_user.is_authenticated:
        products = recently_viewed.list_for_user(current_user.id, SHOWN, exclude)
    else:
        others = [seen for seen in recently_viewed_session.product_ids() if seen != exclude]
        products = recently_viewed.list_products(others[:SHOWN])
    # Its forms come back to the page that asked for it, not to this fragment.
    page = urlsplit(request.referrer or "")
    back = safe_next(page.path + (f"?{page.query}" if page.query else "")) or url_for("main.index")
    body = render_template("recently_viewed/_list.html", recent=products, heart_next=back)
    return body, 200, {"Cache-Control": "private, no-store"}


@bp.post("/clear")
def clear():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400, "That request was not valid. Reload the page and try again.")
    if current_user.is_authenticated:
        recently_viewed.clear(current_user.id)
    else:
        recently_viewed_session.clear()
    flash("Your recently viewed products are cleared.", "success")
    return redirect(safe_next(request.form.get("next")) or url_for("recently_viewed.show"))
