"""Coupons: a seller's own (/seller/coupons: create, pause, uses and the discount given) and a
buyer's (/account/coupons: thank-you coupons given to them and the coupons they used)."""

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.forms import EmptyForm
from app.forms_promotions import CouponForm, new_coupon_form
from app.inputs import MAX_ID
from app.models import coupon
from app.pagination import Page, requested_page

bp = Blueprint("coupons", __name__)

USES_PAGE_SIZE = 25
COUNTDOWN_HOURS = 48  # a coupon or sale closer than this to its end shows a countdown


@bp.before_request
@login_required
def require_login():
    """Every page here belongs to the signed-in seller or buyer."""


@bp.app_template_filter("ends_in")
def ends_in(moment: datetime | None) -> str:
    """ "ends in 5 h 20 min" when `moment` is less than COUNTDOWN_HOURS away, else ""."""
    if moment is None:
        return ""
    left = moment - datetime.now(UTC)
    if left.total_seconds() <= 0 or left.total_seconds() > COUNTDOWN_HOURS * 3600:
        return ""
    hours, minutes = divmod(int(left.total_seconds()) // 60, 60)
    return f"ends in {hours} h {minutes} min" if hours else f"ends in {minutes} min"


@bp.app_template_global("coupon_status")
def coupon_status(row) -> str:
    """One word for a coupon's state now: paused, scheduled, expired, used up or running."""
    return coupon.status_now(row, datetime.now(UTC))


@bp.app_template_global("coupon_words")
def coupon_words(row) -> dict:
    """What a coupon is, in words, for the pages: its discount and what it covers."""
    return {"discount": coupon.describe_discount(row), "scope": coupon.describe_scope(row)}


def uses_page(coupon_id: int) -> Page:
    """The requested page of a coupon's uses (coupons/_uses.html shows it)."""
    number = requested_page()
    return Page(
        coupon.list_uses(coupon_id, USES_PAGE_SIZE, (number - 1) * USES_PAGE_SIZE),
        number,
        USES_PAGE_SIZE,
        coupon.count_uses(coupon_id),
    )


def get_own_coupon_or_404(coupon_id: int):
    """The signed-in seller's coupon; anyone else's is a 404, never a hint it exists."""
    row = coupon.get_coupon(coupon_id, current_user.id) if coupon_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def _render_seller_list(form: CouponForm, status: int = 200):
    return render_template(
        "coupons/seller_list.html",
        coupons=coupon.list_issued(current_user.id),
        form=form,
        toggle_form=EmptyForm(),
        active="coupons.seller_index",
    ), status


def _new_form(**kwargs) -> CouponForm:
    return new_coupon_form(CouponForm, **kwargs)


@bp.get("/seller/coupons")
def seller_index():
    return _render_seller_list(_new_form(formdata=None))


@bp.post("/seller/coupons")
def create():
    form = _new_form()
    if not form.validate_on_submit():
        return _render_seller_list(form, 400)
    fields = form.coupon_fields()
    listed = fields["scope_product_ids"]
    if listed:
        foreign = set(listed) - coupon.offered_products(current_user.id, listed)
        if foreign:
            form.product_ids.errors.append(
                f"You do not sell {', '.join(str(number) for number in sorted(foreign))}: list only your own products."
            )
            return _render_seller_list(form, 400)
    try:
        coupon_id = coupon.create_coupon(current_user.id, form.code.data, **fields)
    except coupon.CodeTaken:
        form.code.errors.append(f"The code {form.code.data} is taken: choose another.")
        return _render_seller_list(form, 400)
    flash(f"Coupon {form.code.data} is created.", "success")
    return redirect(url_for("coupons.seller_show", coupon_id=coupon_id))


@bp.get("/seller/coupons/<int:coupon_id>")
def seller_show(coupon_id: int):
    row = get_own_coupon_or_404(coupon_id)
    return render_template(
        "coupons/seller_show.html",
        coupon=row,
        uses=uses_page(coupon_id),
        discount_given=coupon.get_discount_given(coupon_id),
        toggle_form=EmptyForm(),
        active="coupons.seller_index",
    )


@bp.post("/seller/coupons/<int:coupon_id>/pause")
def pause(coupon_id: int):
    return _set_paused(coupon_id, True)


@bp.post("/seller/coupons/<int:coupon_id>/resume")
def resume(coupon_id: int):
    return _set_paused(coupon_id, False)


def _set_paused(coupon_id: int, paused: bool):
    row = get_own_coupon_or_404(coupon_id)
    if not EmptyForm().validate_on_submit():
        abort(400, "This form has expired. Reload the page and try again.")
    coupon.set_paused(coupon_id, current_user.id, paused)
    flash(f"{row['code']} is {'paused: buyers cannot use it' if paused else 'running again'}.", "success")
    return redirect(url_for("coupons.seller_show", coupon_id=coupon_id))


@bp.get("/account/coupons")
def mine():
    return render_template(
        "coupons/mine.html",
        given=coupon.list_given_to_buyer(current_user.id),
        used=coupon.list_used_by_buyer(current_user.id),
    )
