"""A buyer's purchases: the list with filters, one purchase, and cancelling a line."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.forms import EmptyForm
from app.models import purchase
from app.pagination import Page, requested_page
from app.templating import money

bp = Blueprint("purchases", __name__, url_prefix="/purchases")

PAGE_SIZE = 20


@bp.before_request
@login_required
def require_login():
    """A buyer's purchases are theirs alone."""


@bp.get("")
def index():
    filters, problems = purchase.parse_filters(request.args)
    for problem in problems:
        flash(problem, "warning")
    page_number = requested_page()
    total = purchase.count_purchases(current_user.id, filters)
    rows = purchase.list_purchases(current_user.id, filters, PAGE_SIZE, (page_number - 1) * PAGE_SIZE)
    return render_template(
        "purchases/index.html",
        purchases=Page(rows, page_number, PAGE_SIZE, total),
        filters=filters,
        sellers=purchase.list_sellers_bought_from(current_user.id),
        filtering=bool(filters),
    )


def get_purchase_or_404(purchase_id: int):
    """The signed-in buyer's purchase; anyone else's is a 404, never a hint it exists."""
    row = purchase.get_purchase(purchase_id, current_user.id) if purchase_id < 2**63 else None
    if row is None:
        abort(404)
    return row


@bp.get("/<int:purchase_id>")
def show(purchase_id: int):
    return _render_purchase(get_purchase_or_404(purchase_id))


def _render_purchase(row, status: int = 200):
    lines = purchase.list_lines(row["id"], current_user.id)
    return render_template("purchases/show.html", purchase=row, lines=lines), status


@bp.get("/<int:purchase_id>/lines/<int:order_id>/cancel")
def confirm_cancel_line(purchase_id: int, order_id: int):
    """Say what cancelling the line gives back before doing it; the page's button POSTs below."""
    row = get_purchase_or_404(purchase_id)
    line = next((line for line in purchase.list_lines(row["id"], current_user.id) if line["id"] == order_id), None)
    if line is None:
        abort(404)
    if line["cancelled_at"] or line["fulfilled_at"]:
        flash(f"This line is already {'cancelled' if line['cancelled_at'] else 'fulfilled'}.", "info")
        return redirect(url_for("purchases.show", purchase_id=purchase_id))
    return render_template("purchases/cancel_line.html", purchase=row, line=line, cancel_form=EmptyForm())


@bp.post("/<int:purchase_id>/lines/<int:order_id>/cancel")
def cancel_line(purchase_id: int, order_id: int):
    row = get_purchase_or_404(purchase_id)
    if order_id >= 2**63:
        abort(404)
    try:
        refunded = purchase.cancel_line(order_id, purchase_id, current_user.id)
    except purchase.CancelFailed as failure:
        flash(str(failure), "danger")
        return _render_purchase(row, 409)
    flash(f"Line cancelled: {money(refunded)} is back in your balance.", "success")
    return redirect(url_for("purchases.show", purchase_id=purchase_id))
