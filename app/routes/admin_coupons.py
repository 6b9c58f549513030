"""Console: the platform's coupons (administrators). The searchable list with uses and the
discount given, a new coupon, one coupon's uses and history, pause and resume."""

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, url_for

from app import charts
from app.forms_admin import ReasonForm
from app.forms_promotions import PlatformCouponForm, new_coupon_form
from app.inputs import MAX_ID
from app.models import admin_coupons, audit, coupon
from app.models.admin_query import AdminRefused
from app.routes.admin import actor, bp
from app.routes.admin_listing import CSV_LIMIT, csv_response, page_of, read_listing, wants_csv
from app.routes.coupons import uses_page

HISTORY_SHOWN = 10

COUPON_COLUMNS = (
    charts.Column("id", "Coupon", "count"),
    charts.Column("code", "Code"),
    charts.Column("status", "Status"),
    charts.Column("discount", "Discount"),
    charts.Column("scope", "Covers"),
    charts.Column("min_spend", "Minimum spend", "money"),
    charts.Column("for_thanks", "Thank-you"),
    charts.Column("starts_at", "Starts (UTC)"),
    charts.Column("ends_at", "Ends (UTC)"),
    charts.Column("max_uses", "Total uses allowed", "count"),
    charts.Column("per_buyer_limit", "Uses per buyer", "count"),
    charts.Column("uses", "Uses", "count"),
    charts.Column("discount_given", "Discount given", "money"),
    charts.Column("description", "Description"),
    charts.Column("created_at", "Created (UTC)"),
)


def _in_words(rows) -> list[dict]:
    """The rows with their status, discount and scope in words, as the page and the CSV show them."""
    now = datetime.now(UTC)
    return [
        dict(row)
        | {
            "status": coupon.status_now(row, now),
            "discount": coupon.describe_discount(row),
            "scope": coupon.describe_scope(row),
        }
        for row in rows
    ]


def _listing():
    return read_listing(admin_coupons.SORTS, "created", filters=admin_coupons.FILTERS)


def _render_list(form: PlatformCouponForm, status: int = 200):
    listing = _listing()
    page = page_of(
        listing,
        admin_coupons.count_coupons,
        lambda chosen, limit, offset: _in_words(admin_coupons.list_coupons(chosen, limit, offset)),
    )
    return render_template("admin/coupons.html", page=page, listing=listing, form=form), status


@bp.get("/coupons")
def coupons():
    if wants_csv():
        rows = _in_words(admin_coupons.list_coupons(_listing(), CSV_LIMIT, 0))
        return csv_response("platform-coupons", COUPON_COLUMNS, rows)
    return _render_list(new_coupon_form(PlatformCouponForm, formdata=None))


def _unknown_rows(form: PlatformCouponForm, fields: dict) -> bool:
    """Note on the form a seller or listed products that do not exist; True if there were any."""
    if fields["scope_seller_id"] and admin_coupons.missing_ids("users", [fields["scope_seller_id"]]):
        form.seller_id.errors.append(f"There is no user {fields['scope_seller_id']}.")
    missing = admin_coupons.missing_ids("products", fields["scope_product_ids"]) if fields["scope_product_ids"] else []
    if missing:
        form.product_ids.errors.append(f"There is no product {', '.join(str(number) for number in missing)}.")
    return bool(form.seller_id.errors or form.product_ids.errors)


@bp.post("/coupons")
def create_coupon():
    form = new_coupon_form(PlatformCouponForm)
    if not form.validate_on_submit():
        return _render_list(form, 400)
    fields = form.coupon_fields()
    if _unknown_rows(form, fields):
        return _render_list(form, 400)
    try:
        coupon_id = admin_coupons.create_platform_coupon(form.code.data, fields, actor())
    except coupon.CodeTaken:
        form.code.errors.append(f"The code {form.code.data} is taken: choose another.")
        return _render_list(form, 400)
    flash(f"Platform coupon {form.code.data} is created.", "success")
    return redirect(url_for("admin.coupon", coupon_id=coupon_id))


def get_platform_coupon_or_404(coupon_id: int):
    """The platform's coupon, or a 404 (a seller's coupon is not the console's to change)."""
    row = coupon.get_coupon(coupon_id, None) if coupon_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def _render_coupon(coupon_id: int, status: int = 200, form=None, failed_action=None):
    row = get_platform_coupon_or_404(coupon_id)
    return render_template(
        "admin/coupon.html",
        coupon=row,
        uses=uses_page(coupon_id),
        discount_given=coupon.get_discount_given(coupon_id),
        history=audit.list_for_target("coupon", coupon_id, HISTORY_SHOWN),
        action_form=form or ReasonForm(),
        failed_action=failed_action,
    ), status


@bp.get("/coupons/<int:coupon_id>", endpoint="coupon")
def coupon_page(coupon_id: int):
    return _render_coupon(coupon_id)


@bp.post("/coupons/<int:coupon_id>/<any(pause, resume):action>")
def pause_coupon(coupon_id: int, action: str):
    get_platform_coupon_or_404(coupon_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _render_coupon(coupon_id, 400, form, action)
    try:
        code = admin_coupons.set_paused(coupon_id, action == "pause", form.reason.data, actor())
    except AdminRefused as refusal:
        flash(str(refusal), "danger")
    else:
        flash(f"{code} is {'paused: buyers cannot use it' if action == 'pause' else 'running again'}.", "success")
    return redirect(url_for("admin.coupon", coupon_id=coupon_id))
