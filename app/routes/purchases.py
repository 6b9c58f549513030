"""A buyer's purchases: the list with filters and its CSV, one purchase with each line's timeline,
its invoice, and the buyer's steps: cancel a line before it ships (after a confirmation page),
confirm receipt, ask to return, buy again."""

import csv
import io
from itertools import groupby

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.charts import safe_cell
from app.forms import EmptyForm
from app.forms_orders import ReturnRequestForm
from app.inputs import MAX_ID
from app.models import escrow, order, purchase
from app.pagination import Page, requested_page
from app.templating import local_time, money

bp = Blueprint("purchases", __name__)

PAGE_SIZE = 20


@bp.before_request
@login_required
def require_login():
    """A buyer's purchases are theirs alone."""


@bp.get("/purchases")
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


@bp.get("/purchases.csv")
def export():
    """Every line of the purchases the list's filters match, one row each."""
    filters, _ = purchase.parse_filters(request.args)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["Purchase", "Placed", "Product", "Seller", "Quantity", "Unit price", "Line total", "Coupon discount",
         "Paid with points", "Paid", "Status", "Shipped", "Carrier", "Tracking number", "Delivered", "Cancelled",
         "Refunded"]
    )  # fmt: skip
    for line in purchase.list_export_lines(current_user.id, filters):
        writer.writerow(
            [line["purchase_id"], local_time(line["created_at"]), safe_cell(line["product_name"]),
             safe_cell(line["seller_name"]), line["quantity"], line["unit_price"], line["line_total"],
             line["seller_discount"] + line["platform_discount"], line["points_discount"], line["paid"],
             order.STATUS_NAMES[line["status"]], local_time(line["shipped_at"]), safe_cell(line["carrier"] or ""),
             safe_cell(line["tracking_number"] or ""), local_time(line["delivered_at"]),
             local_time(line["cancelled_at"]), line["refunded_amount"]]
        )  # fmt: skip
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="purchases.csv"', "Cache-Control": "private, no-store"},
    )


def get_purchase_or_404(purchase_id: int):
    """The signed-in buyer's purchase; anyone else's is a 404, never a hint it exists."""
    row = purchase.get_purchase(purchase_id, current_user.id) if purchase_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def get_line_or_404(row, order_id: int):
    """A line of the buyer's purchase (as the purchase page shows it), else a 404."""
    line = next((line for line in purchase.list_lines(row["id"], current_user.id) if line["id"] == order_id), None)
    if line is None:
        abort(404)
    return line


@bp.get("/purchases/<int:purchase_id>")
def show(purchase_id: int):
    return _render_purchase(get_purchase_or_404(purchase_id))


def _by_seller(purchase_id: int) -> list[tuple]:
    """The purchase's lines by seller: (shipment, lines), the shipment being the first line (its
    method_name, fee … columns), or None for a purchase made before shipments were kept."""
    lines = purchase.list_lines(purchase_id, current_user.id)
    groups = [list(group) for _, group in groupby(lines, key=lambda line: line["seller_id"])]
    return [(group[0] if group[0]["method_name"] else None, group) for group in groups]


def _render_purchase(row, status: int = 200):
    return render_template(
        "purchases/show.html",
        purchase=row,
        groups=_by_seller(row["id"]),
        action_form=EmptyForm(),
        status_names=order.STATUS_NAMES,
        return_days=escrow.RETURN_WINDOW.days,
    ), status


@bp.get("/purchases/<int:purchase_id>/invoice")
def invoice(purchase_id: int):
    row = get_purchase_or_404(purchase_id)
    return render_template(
        "purchases/invoice.html", purchase=row, groups=_by_seller(row["id"]), status_names=order.STATUS_NAMES
    )


@bp.post("/purchases/<int:purchase_id>/buy-again")
def buy_again(purchase_id: int):
    row = get_purchase_or_404(purchase_id)
    if not EmptyForm().validate_on_submit():
        abort(400, "This form is out of date. Reload the page and try again.")
    added = purchase.buy_again(row["id"], current_user.id)
    if added:
        flash(f"Added {added} {'item' if added == 1 else 'items'} of purchase #{row['id']} to your cart.", "success")
    else:
        flash("Nothing of this purchase is for sale any more.", "warning")
    return redirect(url_for("cart.show"))


@bp.get("/purchases/<int:purchase_id>/lines/<int:order_id>/cancel")
def confirm_cancel_line(purchase_id: int, order_id: int):
    """Say what cancelling the line gives back before doing it; the page's button POSTs below."""
    row = get_purchase_or_404(purchase_id)
    line = get_line_or_404(row, order_id)
    if line["status"] != "placed":
        flash(f"This line is {order.STATUS_NAMES[line['status']].lower()}: it can no longer be cancelled.", "info")
        return redirect(url_for("purchases.show", purchase_id=purchase_id))
    return render_template("purchases/cancel_line.html", purchase=row, line=line, cancel_form=EmptyForm())


def _refused(row, message: str):
    """A step the line's state does not allow: the purchase page with the reason, and a 409."""
    flash(message, "danger")
    return _render_purchase(row, 409)


def _line_step(purchase_id: int, order_id: int, step):
    """Run the buyer's `step()` on a line of their purchase (a POST-only button): a 404 for a line not
    theirs, a 409 with the reason when its state does not allow it; otherwise what `step` returns."""
    row = get_purchase_or_404(purchase_id)
    if order_id > MAX_ID:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400, "This form is out of date. Reload the page and try again.")
    try:
        return step(), None
    except order.NoSuchLine:
        abort(404)
    except (purchase.CancelFailed, order.TransitionRefused) as refused:
        return None, _refused(row, str(refused))


@bp.post("/purchases/<int:purchase_id>/lines/<int:order_id>/cancel")
def cancel_line(purchase_id: int, order_id: int):
    cancelled, refusal = _line_step(
        purchase_id, order_id, lambda: purchase.cancel_line(order_id, purchase_id, current_user.id)
    )
    if refusal:
        return refusal
    refunded = cancelled.refunded + cancelled.fee_refunded
    fee = f", the shipping fee of {money(cancelled.fee_refunded)} included" if cancelled.fee_refunded else ""
    flash(f"Line cancelled: {money(refunded)} is back in your balance{fee}.", "success")
    return redirect(url_for("purchases.show", purchase_id=purchase_id))


@bp.post("/purchases/<int:purchase_id>/lines/<int:order_id>/receipt")
def confirm_receipt(purchase_id: int, order_id: int):
    _, refusal = _line_step(
        purchase_id, order_id, lambda: order.confirm_receipt(order_id, purchase_id, current_user.id)
    )
    if refusal:
        return refusal
    flash(
        f"Thank you: the line is delivered. You can ask to return it within {escrow.RETURN_WINDOW.days} days.",
        "success",
    )
    return redirect(url_for("purchases.show", purchase_id=purchase_id))


def _render_return(row, line, form, status: int = 200):
    return render_template(
        "purchases/return_line.html", purchase=row, line=line, form=form, return_days=escrow.RETURN_WINDOW.days
    ), status


@bp.get("/purchases/<int:purchase_id>/lines/<int:order_id>/return")
def return_form(purchase_id: int, order_id: int):
    row = get_purchase_or_404(purchase_id)
    line = get_line_or_404(row, order_id)
    if not line["can_return"]:
        flash("This line can no longer be returned." if line["delivered_at"] else "This line is not delivered yet.")
        return redirect(url_for("purchases.show", purchase_id=purchase_id))
    return _render_return(row, line, ReturnRequestForm(formdata=None))


@bp.post("/purchases/<int:purchase_id>/lines/<int:order_id>/return")
def request_return(purchase_id: int, order_id: int):
    row = get_purchase_or_404(purchase_id)
    line = get_line_or_404(row, order_id)
    form = ReturnRequestForm()
    if not form.validate_on_submit():
        return _render_return(row, line, form, 400)
    try:
        order.request_return(order_id, purchase_id, current_user.id, form.reason.data)
    except order.NoSuchLine:
        abort(404)
    except order.TransitionRefused as refused:
        return _refused(row, str(refused))
    flash("Return requested: the seller will answer, and we will write to you.", "success")
    return redirect(url_for("purchases.show", purchase_id=purchase_id))
