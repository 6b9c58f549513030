"""The signed-in user's private pages: profile, password and balance."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.forms import PasswordChangeForm, ProfileForm, TimeZoneForm, TopUpForm, WithdrawForm
from app.models import balance
from app.models import session as session_model
from app.models import user as user_model
from app.pagination import Page, requested_page
from app.passwords import hash_password, verify_password
from app.templating import money

bp = Blueprint("account", __name__, url_prefix="/account")

LEDGER_PAGE_SIZE = 20


@bp.before_request
@login_required
def require_login():
    """Every page here belongs to the signed-in user."""


def _render_profile(profile_form=None, password_form=None, time_zone_form=None, status=200):
    if profile_form is None:
        profile_form = ProfileForm(
            data={"full_name": current_user.full_name, "email": current_user.email, "address": current_user.address}
        )
    return render_template(
        "account/profile.html",
        profile_form=profile_form,
        password_form=password_form or PasswordChangeForm(),
        time_zone_form=time_zone_form or TimeZoneForm(data={"time_zone": current_user.time_zone}),
    ), status


@bp.get("")
def profile():
    return _render_profile()


@bp.post("/profile")
def update_profile():
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            user_model.update_profile(current_user.id, form.full_name.data, form.address.data, form.email.data)
        except user_model.EmailTaken:
            form.email.errors.append("Another account uses this e-mail.")
        else:
            flash("Your profile is saved.", "success")
            return redirect(url_for("account.profile"))
    return _render_profile(profile_form=form, status=400)


@bp.post("/password")
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append("This is not your current password.")
        else:
            user_model.update_password_hash(current_user.id, hash_password(form.password.data))
            # Whoever knew the old password may be signed in elsewhere: end every other session.
            session_model.end_all_sessions(current_user.id, except_token=current_user.session_token)
            flash("Your password is changed. Other devices have been signed out.", "success")
            return redirect(url_for("account.profile"))
    return _render_profile(password_form=form, status=400)


@bp.post("/time-zone")
def update_time_zone():
    form = TimeZoneForm()
    if form.validate_on_submit():
        user_model.update_time_zone(current_user.id, form.time_zone.data)
        flash(f"Dates are now shown in {form.time_zone.data} time.", "success")
        return redirect(url_for("account.profile"))
    return _render_profile(time_zone_form=form, status=400)


def _render_balance(top_up_form=None, withdraw_form=None, status=200):
    page_number = requested_page()
    total = balance.count_ledger_entries(current_user.id)
    entries = balance.list_ledger_entries(current_user.id, LEDGER_PAGE_SIZE, (page_number - 1) * LEDGER_PAGE_SIZE)
    return render_template(
        "account/balance.html",
        balance=current_user.balance,
        ledger=Page(entries, page_number, LEDGER_PAGE_SIZE, total),
        # The form not submitted starts empty: it must not show the other form's rejected amount.
        top_up_form=top_up_form or TopUpForm(formdata=None),
        withdraw_form=withdraw_form or WithdrawForm(formdata=None),
    ), status


@bp.get("/balance")
def balance_page():
    return _render_balance()


@bp.post("/balance/top-up")
def top_up():
    form = TopUpForm()
    if form.validate_on_submit():
        try:
            applied = balance.top_up(current_user.id, form.amount.data, form.request_token.data)
        except balance.BalanceCeiling:
            form.amount.errors.append(f"A balance may not exceed {money(balance.MAX_BALANCE)}.")
        else:
            done = "This top-up was already made" if applied.repeated else f"Added {money(form.amount.data)}"
            flash(f"{done}. Your balance is {money(applied.balance)}.", "success")
            return redirect(url_for("account.balance_page"))
    return _render_balance(top_up_form=form, status=400)


@bp.post("/balance/withdraw")
def withdraw():
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            applied = balance.withdraw(current_user.id, form.amount.data, form.request_token.data)
        except balance.InsufficientFunds as error:
            form.amount.errors.append(
                f"You cannot withdraw {money(form.amount.data)}: your balance is {money(error.balance)}."
            )
        else:
            done = "This withdrawal was already made" if applied.repeated else f"Withdrew {money(form.amount.data)}"
            flash(f"{done}. Your balance is {money(applied.balance)}.", "success")
            return redirect(url_for("account.balance_page"))
    return _render_balance(withdraw_form=form, status=400)
