"""Console: users. The searchable list, one user's page (purchases, sales, offers, reviews,
ledger, history), and what an administrator changes: role, suspension, balance."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app import charts
from app.forms import EmptyForm
from app.forms_admin import BalanceAdjustmentForm, ReasonForm, RoleForm
from app.models import admin_users, audit, balance, review
from app.models.admin_query import AdminRefused
from app.routes.admin import actor, bp
from app.routes.admin_listing import CSV_LIMIT, csv_response, page_of, read_listing, wants_csv
from app.templating import money

MAX_ID = 2**63 - 1
SHOWN = 10  # rows of each kind on a user's page; the user's own pages have the rest

USER_COLUMNS = (
    charts.Column("id", "User", "count"),
    charts.Column("full_name", "Name"),
    charts.Column("email", "E-mail"),
    charts.Column("role", "Role"),
    charts.Column("balance", "Balance", "money"),
    charts.Column("created_at", "Joined (UTC)"),
    charts.Column("suspended_at", "Suspended (UTC)"),
)


@bp.get("/users")
def users():
    listing = read_listing(admin_users.SORTS, "joined", filters=admin_users.FILTERS)
    if wants_csv():
        return csv_response("users", USER_COLUMNS, admin_users.list_users(listing, CSV_LIMIT, 0))
    page = page_of(listing, admin_users.count_users, admin_users.list_users)
    return render_template("admin/users.html", page=page, listing=listing)


def get_user_or_404(user_id: int):
    """The user the page is about, or a 404."""
    row = admin_users.get_user_overview(user_id) if user_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def _render_user(user_id: int, status: int = 200, **forms):
    """A user's page; `forms` replace the blank ones (to show a refused form's errors)."""
    user = get_user_or_404(user_id)
    blank = {
        "suspend_form": ReasonForm(prefix="suspend"),
        "reactivate_form": ReasonForm(prefix="reactivate"),
        "role_form": RoleForm(prefix="role", data={"role": user["role"]}),
        "balance_form": BalanceAdjustmentForm(prefix="balance"),
    }
    return render_template(
        "admin/user.html",
        user=user,
        purchases=admin_users.list_recent_purchases(user_id, SHOWN),
        sales=admin_users.list_recent_sales(user_id, SHOWN),
        offers=admin_users.list_offers(user_id, SHOWN),
        reviews=review.list_by_author(user_id, SHOWN, 0),
        ledger=balance.list_ledger_entries(user_id, SHOWN, 0),
        history=audit.list_for_target("user", user_id, SHOWN),
        shown=SHOWN,
        empty_form=EmptyForm(),
        **(blank | forms),
    ), status


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    return _render_user(user_id)


def _refused(user_id: int, message: str):
    flash(message, "danger")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/suspend")
def suspend_user(user_id: int):
    get_user_or_404(user_id)
    form = ReasonForm(prefix="suspend")
    if not form.validate_on_submit():
        return _render_user(user_id, 400, suspend_form=form)
    if user_id == current_user.id:
        return _refused(user_id, "You cannot suspend yourself.")
    try:
        held = admin_users.set_suspended(user_id, True, form.reason.data, actor())
    except AdminRefused as refusal:
        return _refused(user_id, str(refusal))
    flash(
        f"Suspended: signed out everywhere, {held} {'offer' if held == 1 else 'offers'} taken off the catalog.",
        "success",
    )
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/reactivate")
def reactivate_user(user_id: int):
    get_user_or_404(user_id)
    form = ReasonForm(prefix="reactivate")
    if not form.validate_on_submit():
        return _render_user(user_id, 400, reactivate_form=form)
    try:
        active = admin_users.set_suspended(user_id, False, form.reason.data, actor())
    except AdminRefused as refusal:
        return _refused(user_id, str(refusal))
    flash(f"Reactivated: {active} {'offer' if active == 1 else 'offers'} back in the catalog.", "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/role")
def set_role(user_id: int):
    get_user_or_404(user_id)
    form = RoleForm(prefix="role")
    if not form.validate_on_submit():
        return _render_user(user_id, 400, role_form=form)
    if user_id == current_user.id:
        return _refused(user_id, "Another administrator must change your own role.")
    changed = admin_users.set_role(user_id, form.role.data, actor(), form.reason.data or "")
    flash(f"Role set to {form.role.data}." if changed else "The user has that role already.", "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/balance")
def adjust_balance(user_id: int):
    get_user_or_404(user_id)
    form = BalanceAdjustmentForm(prefix="balance")
    if not form.validate_on_submit():
        return _render_user(user_id, 400, balance_form=form)
    try:
        new_balance = admin_users.adjust_balance(user_id, form.amount.data, form.reason.data, actor())
    except balance.InsufficientFunds as short:
        form.amount.errors.append(f"The balance is only {money(short.balance)}: it cannot go below zero.")
        return _render_user(user_id, 400, balance_form=form)
    except balance.BalanceCeiling:
        form.amount.errors.append(f"A balance may not pass {money(balance.MAX_BALANCE)}.")
        return _render_user(user_id, 400, balance_form=form)
    flash(f"Balance adjusted by {money(form.amount.data)}: it is {money(new_balance)} now.", "success")
    return redirect(url_for("admin.user", user_id=user_id))
