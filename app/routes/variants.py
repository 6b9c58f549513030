"""Products that come in options, in the seller center: create one, add its variants.

A variant is offered like any product (seller.new_offer with the variant's id); the product
itself is never offered (offer.add_offer refuses it).
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.forms_variants import NewProductWithOptionsForm, VariantForm, split_list
from app.inputs import MAX_ID
from app.models import variant
from app.routes.seller import _category_choices, _details

bp = Blueprint("variants", __name__, url_prefix="/seller/products")


@bp.before_request
@login_required
def require_login():
    """Every page here is a seller's own."""


def _own_product_or_404(product_id: int):
    """The signed-in user's product, or 404 (another creator's product is not theirs to change)."""
    row = variant.get_own_product(product_id, current_user.id) if 0 < product_id <= MAX_ID else None
    if row is None or row["parent_id"] is not None:
        abort(404)
    return row


@bp.get("/new-with-options")
def new_product():
    form = NewProductWithOptionsForm()
    form.category_id.choices = _category_choices()
    return render_template("seller/product_with_options.html", form=form)


@bp.post("/new-with-options")
def create_product():
    form = NewProductWithOptionsForm()
    form.category_id.choices = _category_choices()
    if not form.validate_on_submit():
        return render_template("seller/product_with_options.html", form=form), 400
    product_id = variant.create_product_with_options(current_user.id, _details(form), split_list(form.options.data))
    flash(f"{form.name.data} is created. Add its variants, then sell them.", "success")
    return redirect(url_for("variants.show", product_id=product_id))


@bp.get("/<int:product_id>/variants")
def show(product_id: int):
    product = _own_product_or_404(product_id)
    return _render(product, VariantForm())


def _render(product, form, status: int = 200):
    variants = variant.list_variants(product["id"])
    return render_template("seller/variants.html", product=product, variants=variants, form=form), status


@bp.post("/<int:product_id>/variants")
def add(product_id: int):
    product = _own_product_or_404(product_id)
    form = VariantForm()
    if not form.validate_on_submit():
        return _render(product, form, 400)
    values = split_list(form.values.data)
    try:
        variant.add_variant(current_user.id, product_id, split_list(form.options.data), values)
    except variant.VariantRefused as refused:
        form.values.errors.append(str(refused))
        return _render(product, form, 409)
    flash(f"Variant {variant.variant_label(values)} is added.", "success")
    return redirect(url_for("variants.show", product_id=product_id))
