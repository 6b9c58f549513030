"""Register, sign in and sign out."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.forms import LoginForm, RegisterForm
from app.login import sign_in, sign_out
from app.models import login_failure
from app.models import user as user_model
from app.passwords import hash_password, verify_password
from app.urls import safe_next

bp = Blueprint("auth", __name__)

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
    if form.validate_on_submit():
        try:
            user_id = user_model.create_user(
                form.email.data, form.full_name.data, form.address.data, hash_password(form.password.data)
            )
        except user_model.EmailTaken:
            form.email.errors.append("An account with this e-mail already exists. Sign in instead?")
        else:
            sign_in(user_id)
            flash(f"Welcome to Bazaar, {form.full_name.data}!", "success")
            return _after_sign_in()
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


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
    sign_in(row["id"], remember=form.remember.data)
    flash(f"Welcome back, {row['full_name']}.", "success")
    return _after_sign_in()


@bp.post("/logout")
def logout():
    # A POST, so CSRFProtect guards it: no other site can sign a user out.
    if current_user.is_authenticated:
        sign_out(current_user)
    flash("You are signed out.", "info")
    return redirect(url_for("main.index"))


def _wait(seconds: int) -> str:
    """A wait as people say it: "40 seconds", "1 minute", "15 minutes" (rounded up)."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
