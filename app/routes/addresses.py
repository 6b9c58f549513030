"""The address book at /account/addresses: add, edit, delete, choose the default.

Checkout's review page links here ("Add a new address") with ?next=, and comes back after saving.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.forms import EmptyForm
from app.forms_orders import AddressForm
from app.inputs import MAX_ID
from app.models import address
from app.urls import safe_next

bp = Blueprint("addresses", __name__, url_prefix="/account/addresses")


@bp.before_request
@login_required
def require_login():
    """An address book is its owner's alone."""


def get_address_or_404(address_id: int):
    """The signed-in user's address; anyone else's is a 404, never a hint it exists."""
    row = address.get_address(address_id, current_user.id) if address_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def _back() -> str:
    return safe_next(request.values.get("next")) or url_for("addresses.index")


@bp.get("")
def index():
    return render_template(
        "account/addresses.html", addresses=address.list_addresses(current_user.id), action_form=EmptyForm()
    )


def _render_form(form: AddressForm, entry=None, status: int = 200):
    return render_template("account/address_form.html", form=form, entry=entry, back=_back()), status


@bp.get("/new")
def new():
    form = AddressForm(formdata=None)
    if not address.list_addresses(current_user.id):
        # The first address starts from the profile's, which is where orders went so far.
        form.full_name.data = current_user.full_name
        form.line1.data = current_user.address
        form.make_default.data = True
    return _render_form(form)


@bp.post("/new")
def create():
    form = AddressForm()
    if not form.validate_on_submit():
        return _render_form(form, status=400)
    try:
        address.add_address(current_user.id, form.values(), form.make_default.data)
    except address.AddressBookFull:
        form.full_name.errors.append(f"You have {address.MAX_ADDRESSES} addresses: delete one to add another.")
        return _render_form(form, status=409)
    flash("Address saved.", "success")
    return redirect(_back())


@bp.get("/<int:address_id>/edit")
def edit(address_id: int):
    entry = get_address_or_404(address_id)
    return _render_form(AddressForm(formdata=None, data=dict(entry)), entry)


@bp.post("/<int:address_id>/edit")
def update(address_id: int):
    entry = get_address_or_404(address_id)
    form = AddressForm()
    if not form.validate_on_submit():
        return _render_form(form, entry, 400)
    if not address.update_address(address_id, current_user.id, form.values()):
        abort(404)
    if form.make_default.data and not entry["is_default"]:
        address.make_default(address_id, current_user.id)
    flash("Address saved. Orders placed before keep the address they were sent to.", "success")
    return redirect(_back())


def _action(change, done: str):
    """A POST-only button on the list: check its CSRF token, apply `change`, say `done`."""
    if not EmptyForm().validate_on_submit():
        abort(400, "This form is out of date. Reload the page and try again.")
    if not change():
        abort(404)
    flash(done, "success")
    return redirect(url_for("addresses.index"))


@bp.post("/<int:address_id>/default")
def make_default(address_id: int):
    get_address_or_404(address_id)
    return _action(lambda: address.make_default(address_id, current_user.id), "Default address changed.")


@bp.get("/<int:address_id>/delete")
def confirm_delete(address_id: int):
    """Show the address and what deleting it changes before doing it; the page's button POSTs below."""
    entry = get_address_or_404(address_id)
    return render_template("account/delete_address.html", entry=entry, form=EmptyForm())


@bp.post("/<int:address_id>/delete")
def delete(address_id: int):
    get_address_or_404(address_id)
    return _action(lambda: address.delete_address(address_id, current_user.id), "Address deleted.")
