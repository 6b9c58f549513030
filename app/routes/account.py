"""The signed-in user's private pages: profile, password and balance."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.forms import PasswordChangeForm, ProfileForm, TimeZoneForm, TopUpForm, WithdrawForm
from app.forms_account import ChangeEmailForm, CodeForm, ResendCodeForm
from app.models import account_email, balance
from app.models import session as session_model
from app.models import user as user_model
from app.models.rate_limit import wait_in_words
from app.pagination import Page, requested_page
from app.passwords import hash_password, verify_password
from app.templating import money
from app.urls import safe_next

bp = Blueprint("account", __name__, url_prefix="/account")

LEDGER_PAGE_SIZE = 20


@bp.before_request
@login_required
def require_login():
    """Every page here belongs to the signed-in user."""


def _render_profile(profile_form=None, password_form=None, time_zone_form=None, status=200):
    if profile_form is None:
        profile_form = ProfileForm(data={"full_name": current_user.full_name, "address": current_user.address})
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
        user_model.update_profile(current_user.id, form.full_name.data, form.address.data)
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
    # Where a top-up returns to: the cart sends its "not enough balance" readers here with ?next=.
    back = safe_next(request.values.get("next"))
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
        back=back,
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
            return redirect(safe_next(request.form.get("next")) or url_for("account.balance_page"))
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


# The e-mail address: verify it, or change it (the new one proves itself with a code first).

VERIFY_FLOW = "verify_email"  # session key: {"flow": token, "email": address} of a code sent to verify
CHANGE_FLOW = "change_email"  # session key: {"flow": token, "email": new address} of a change in progress


def _code_page(title: str, email: str, form, resend_url: str, restart_url: str | None = None, status: int = 200):
    """The page that asks for the code sent to `email`."""
    return render_template(
        "auth/enter_code.html",
        title=title,
        email=email,
        form=form,
        resend_form=ResendCodeForm(),
        resend_url=resend_url,
        restart_url=restart_url,
    ), status


@bp.route("/verify-email", methods=["GET", "POST"])
def verify_email():
    if current_user.email_verified_at:
        flash("Your e-mail address is confirmed.", "info")
        return redirect(url_for("account.profile"))
    pending = session.get(VERIFY_FLOW)
    if not pending or pending["email"] != current_user.email:
        return render_template("account/verify_email.html", form=ResendCodeForm())
    form = CodeForm()
    status = 400 if form.errors else 200
    if form.validate_on_submit():
        outcome = account_email.confirm_verification(pending["flow"], form.code.data, current_user.id)
        if outcome.status == "ok":
            session.pop(VERIFY_FLOW, None)
            flash("Your e-mail address is confirmed. You can place orders now.", "success")
            return redirect(url_for("cart.show"))
        status = form.refuse(outcome)
    elif form.errors:
        status = 400
    resend_url = url_for("account.send_verification_code")
    return _code_page("Confirm your e-mail", current_user.email, form, resend_url, status=status)


@bp.post("/verify-email/send")
def send_verification_code():
    if not ResendCodeForm().validate_on_submit() or current_user.email_verified_at:
        return redirect(url_for("account.verify_email"))
    pending = session.get(VERIFY_FLOW)
    if pending and pending["email"] == current_user.email:
        resent = account_email.resend_code("verify", pending["flow"], current_user.id)
        if resent.status != "gone":
            ResendCodeForm.announce(resent, current_user.email)
            return redirect(url_for("account.verify_email"))
    started = account_email.start_verification(current_user.id, current_user.email)
    if started.wait:
        flash(f"Too many e-mails went to your address lately. Try again in {wait_in_words(started.wait)}.", "warning")
    else:
        session[VERIFY_FLOW] = {"flow": started.flow_token, "email": current_user.email}
        flash(f"We sent a 6-digit code to {current_user.email}.", "success")
    return redirect(url_for("account.verify_email"))


@bp.route("/email", methods=["GET", "POST"])
def change_email():
    form = ChangeEmailForm()
    if not form.validate_on_submit():
        return render_template("account/change_email.html", form=form), 400 if form.errors else 200
    if wait := account_email.count_password_check(current_user.id):
        form.form_errors.append(f"Too many password checks. Try again in {wait_in_words(wait)}.")
        return render_template("account/change_email.html", form=form), 429, {"Retry-After": str(wait)}
    if not verify_password(current_user.password_hash, form.current_password.data):
        form.current_password.errors.append("This is not your current password.")
    elif form.email.data.lower() == current_user.email.lower():
        form.email.errors.append("This is already your e-mail address.")
    else:
        started = account_email.start_email_change(current_user.id, form.email.data)
        if not started.wait:
            session[CHANGE_FLOW] = {"flow": started.flow_token, "email": form.email.data}
            return redirect(url_for("account.confirm_email_change"))
        wait = wait_in_words(started.wait)
        form.form_errors.append(f"Too many e-mails went to that address lately. Try again in {wait}.")
        return render_template("account/change_email.html", form=form), 429, {"Retry-After": str(started.wait)}
    return render_template("account/change_email.html", form=form), 400


@bp.route("/email/confirm", methods=["GET", "POST"])
def confirm_email_change():
    pending = session.get(CHANGE_FLOW)
    if not pending:
        return redirect(url_for("account.change_email"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        old_email = current_user.email
        outcome = account_email.confirm_email_change(pending["flow"], form.code.data, current_user.id)
        if outcome.status == "ok":
            session.pop(CHANGE_FLOW, None)
            flash(f"Your e-mail address is now {pending['email']}. We told {old_email} about the change.", "success")
            return redirect(url_for("account.profile"))
        status = form.refuse(outcome)
    elif form.errors:
        status = 400
    return _code_page(
        "Confirm your new e-mail",
        pending["email"],
        form,
        url_for("account.resend_email_change_code"),
        url_for("account.cancel_email_change"),
        status,
    )


@bp.post("/email/resend")
def resend_email_change_code():
    pending = session.get(CHANGE_FLOW)
    if pending and ResendCodeForm().validate_on_submit():
        ResendCodeForm.announce(
            account_email.resend_code("change_email", pending["flow"], current_user.id), pending["email"]
        )
    return redirect(url_for("account.confirm_email_change"))


@bp.post("/email/cancel")
def cancel_email_change():
    if ResendCodeForm().validate_on_submit():
        session.pop(CHANGE_FLOW, None)
        flash("The change of e-mail address is cancelled.", "info")
    return redirect(url_for("account.profile"))
