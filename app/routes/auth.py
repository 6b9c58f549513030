"""Register (with a code sent by e-mail), sign in, sign out, and reset a forgotten password."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from app import second_factor
from app.forms import LoginForm, RegisterForm
from app.forms_account import CodeForm, ForgotPasswordForm, NewPasswordForm, ResendCodeForm
from app.login import sign_in, sign_out
from app.models import account_email, login_failure, password_reset, totp
from app.models import user as user_model
from app.models.rate_limit import wait_in_words as _wait
from app.passwords import hash_password, verify_password
from app.urls import safe_next

bp = Blueprint("auth", __name__)

REGISTRATION = "registration"  # session key: the sign-up waiting for its code
RESET_REQUESTED = "reset_requested_for"  # session key: the address a reset link was asked for
RESET_TOKEN = "reset_token"  # noqa: S105 - a session key: the token of the reset link that was opened
RESET_TOKEN_MAX_LENGTH = 100  # ours are 43 characters

REGISTER_THROTTLE_MESSAGES = {
    "address": "Too many sign-ups from your network address. Try again in {wait}.",
    "email": "Too many e-mails were sent to this address lately. Try again in {wait}.",
}

THROTTLE_MESSAGES = {
    "account": "Too many failed sign-ins to this account from your address. Try again in {wait}.",
    "address": "Too many failed sign-ins from your network address. Try again in {wait}.",
}


def _after_sign_in():
    """Where to go once signed in: a safe `next` on this site, else home."""
    return redirect(safe_next(request.args.get("next")) or url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if not form.validate_on_submit():
        return render_template("auth/register.html", form=form), 400 if form.errors else 200
    # Hashed before anyone knows whether the address is taken, so both answers take as long.
    password_hash = hash_password(form.password.data)
    started = account_email.start_registration(
        form.email.data, form.full_name.data, form.address.data, password_hash, request.remote_addr or "unknown"
    )
    if started.wait:
        form.form_errors.append(REGISTER_THROTTLE_MESSAGES[started.limit].format(wait=_wait(started.wait)))
        return render_template("auth/register.html", form=form), 429, {"Retry-After": str(started.wait)}
    # The same answer for a new and a taken address: the owner of a taken one hears by e-mail.
    session[REGISTRATION] = {
        "flow": started.flow_token,
        "email": form.email.data,
        "next": safe_next(request.args.get("next")),
    }
    return redirect(url_for("auth.confirm_registration"))


@bp.route("/register/confirm", methods=["GET", "POST"])
def confirm_registration():
    pending = session.get(REGISTRATION)
    if not pending:
        return redirect(url_for("auth.register"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        outcome = account_email.confirm_registration(pending["flow"], form.code.data)
        if outcome.status == "ok":
            session.pop(REGISTRATION, None)
            sign_in(outcome.row["id"])
            flash(f"Your e-mail is confirmed. Welcome to Bazaar, {outcome.row['full_name']}!", "success")
            return redirect(pending.get("next") or url_for("main.index"))
        status = form.refuse(outcome)
    elif form.errors:
        status = 400
    return render_template(
        "auth/enter_code.html",
        title="Confirm your e-mail",
        email=pending["email"],
        form=form,
        resend_form=ResendCodeForm(),
        resend_url=url_for("auth.resend_registration_code"),
        restart_url=url_for("auth.restart_registration"),
    ), status


@bp.post("/register/resend")
def resend_registration_code():
    pending = session.get(REGISTRATION)
    if not pending:
        return redirect(url_for("auth.register"))
    if ResendCodeForm().validate_on_submit():
        ResendCodeForm.announce(account_email.resend_code("register", pending["flow"]), pending["email"])
    return redirect(url_for("auth.confirm_registration"))


@bp.post("/register/restart")
def restart_registration():
    # A POST with CSRF, like every change: forget the sign-up in progress and start again.
    if ResendCodeForm().validate_on_submit():
        session.pop(REGISTRATION, None)
    return redirect(url_for("auth.register"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return _after_sign_in()
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.errors else 200

    email = form.email.data.lower()
    address = request.remote_addr or "unknown"
    # The attempt counts as a failure from here on, unless the password proves right below.
    throttle = login_failure.begin_attempt(email, address, login_failure.Limits.from_config(current_app.config))
    if throttle:
        form.form_errors.append(THROTTLE_MESSAGES[throttle.limit].format(wait=_wait(throttle.retry_after)))
        return render_template("auth/login.html", form=form), 429, {"Retry-After": str(throttle.retry_after)}

    row = user_model.get_user_by_email(email)
    # An unknown e-mail costs one hash check too and gets the same answer (and the same limits).
    if not verify_password(row["password_hash"] if row else None, form.password.data):
        form.form_errors.append("E-mail or password is incorrect.")
        return render_template("auth/login.html", form=form), 400

    login_failure.forget_failures(email, address)
    if totp.is_enabled(row["id"]):
        return second_factor.redirect_to_second_step(row["id"], form.remember.data)
    sign_in(row["id"], remember=form.remember.data, alert_new_device=True)
    flash(f"Welcome back, {row['full_name']}.", "success")
    return _after_sign_in()


@bp.post("/logout")
def logout():
    # A POST, so CSRFProtect guards it: no other site can sign a user out.
    if current_user.is_authenticated:
        sign_out(current_user)
    flash("You are signed out.", "info")
    return redirect(url_for("main.index"))


# Password reset: ask for a link, open it, set a new password.


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/forgot_password.html", form=form), 400 if form.errors else 200
    wait = password_reset.request_reset(form.email.data, request.remote_addr or "unknown")
    if wait:
        form.form_errors.append(f"Too many reset requests. Try again in {_wait(wait)}.")
        return render_template("auth/forgot_password.html", form=form), 429, {"Retry-After": str(wait)}
    # The same answer whether or not an account uses the address.
    session[RESET_REQUESTED] = form.email.data
    return redirect(url_for("auth.forgot_password_sent"))


@bp.get("/forgot-password/sent")
def forgot_password_sent():
    email = session.get(RESET_REQUESTED)
    if not email:
        return redirect(url_for("auth.forgot_password"))
    return render_template("auth/forgot_password_sent.html", email=email, lifetime=password_reset.LIFETIME)


@bp.get("/reset-password/<token>")
def reset_link(token: str):
    address = request.remote_addr or "unknown"
    if wait := password_reset.bad_link_wait(address):
        message = f"Too many invalid reset links were opened from your network address. Try again in {_wait(wait)}."
        return render_template("auth/reset_invalid.html", message=message), 429, {"Retry-After": str(wait)}
    if len(token) > RESET_TOKEN_MAX_LENGTH or password_reset.get_usable_reset(token) is None:
        password_reset.count_bad_link(address)
        return render_template("auth/reset_invalid.html"), 404
    # Off the URL and into the session: the token leaves no trace in history or Referer headers.
    session[RESET_TOKEN] = token
    return redirect(url_for("auth.reset_password"))


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password():
    token = session.get(RESET_TOKEN)
    reset = password_reset.get_usable_reset(token) if token else None
    if reset is None:
        session.pop(RESET_TOKEN, None)
        return render_template("auth/reset_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        user = password_reset.reset_password(token, hash_password(form.password.data))
        session.pop(RESET_TOKEN, None)
        if user is None:  # used by a request that came a moment before this one
            return render_template("auth/reset_invalid.html"), 404
        if current_user.is_authenticated:
            logout_user()  # its session row is gone with every other: drop the cookie's claim too
        flash(
            "Your password is changed and every device signed in to your account is signed out. "
            "Sign in with the new password.",
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, email=reset["email"]), 400 if form.errors else 200
