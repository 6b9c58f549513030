"""Sale prices of a seller's offer: /seller/inventory/<product_id>/sale (start, change, end)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.forms import EmptyForm
from app.forms_promotions import SaleForm
from app.inputs import MAX_ID
from app.models import sale
from app.templating import money

bp = Blueprint("sales", __name__, url_prefix="/seller/inventory")


@bp.before_request
@login_required
def require_login():
    """Only a signed-in seller changes their offers."""


def get_offer_or_404(product_id: int):
    """The signed-in seller's offer of this product; anyone else's is a 404."""
    row = sale.get_offer_sale(current_user.id, product_id) if product_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def _render(offer, form: SaleForm, status: int = 200):
    return render_template(
        "seller/sale.html", offer=offer, form=form, end_form=EmptyForm(), active="seller.inventory"
    ), status


@bp.get("/<int:product_id>/sale")
def show(product_id: int):
    offer = get_offer_or_404(product_id)
    form = SaleForm(formdata=None, data={"sale_price": offer["sale_price"], "ends_at": offer["sale_ends_at"]})
    return _render(offer, form)


@bp.post("/<int:product_id>/sale")
def start(product_id: int):
    offer = get_offer_or_404(product_id)
    form = SaleForm()
    if not form.validate_on_submit():
        return _render(offer, form, 400)
    try:
        sale.start_sale(current_user.id, product_id, form.sale_price.data, form.ends_at.data)
    except sale.SaleRefused as refusal:
        form.sale_price.errors.append(str(refusal))
        return _render(get_offer_or_404(product_id), form, 409)
    flash(f"{offer['product_name']} is on sale at {money(form.sale_price.data)}.", "success")
    return redirect(url_for("sales.show", product_id=product_id))


@bp.post("/<int:product_id>/sale/end")
def end(product_id: int):
    offer = get_offer_or_404(product_id)
    if not EmptyForm().validate_on_submit():
        abort(400, "This form has expired. Reload the page and try again.")
    if sale.end_sale(current_user.id, product_id):
        flash(f"The sale of {offer['product_name']} is over: it sells at {money(offer['price'])} again.", "success")
    else:
        flash("This offer is not on sale.", "info")
    return redirect(url_for("sales.show", product_id=product_id))
