"""Two-factor sign-in: the code step after the password, and turning it on and off on /account/security."""

import segno
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app import second_factor
from app.forms_security import RecoveryCodesForm, TwoFactorCodeForm, TwoFactorConfirmForm, TwoFactorDisableForm
from app.login import TOKEN_LENGTH, sign_in
from app.models import login_failure, pending_sign_in, totp
from app.models.rate_limit import wait_in_words
from app.passwords import verify_password
from app.routes.account_security import render_security_page
from app.routes.auth import THROTTLE_MESSAGES
from app.second_factor import PENDING_KEY, Result
from app.urls import safe_next

bp = Blueprint("two_factor", __name__)

EXPIRED_MESSAGE = "Your sign-in has expired. Enter your password again."


def _current_pending():
    """The pending sign-in this browser holds, or None."""
    token = session.get(PENDING_KEY)
    if not isinstance(token, str) or len(token) != TOKEN_LENGTH:
        return None
    return pending_sign_in.get_pending(token)


def after_sign_in():
    """Where to go once signed in: a safe `next` on this site, else home."""
    return redirect(safe_next(request.args.get("next")) or url_for("main.index"))


def _back_to_password(message: str, category: str = "info"):
    session.pop(PENDING_KEY, None)
    flash(message, category)
    return redirect(url_for("auth.login", next=request.args.get("next")))


@bp.route("/login/two-factor", methods=["GET", "POST"])
def sign_in_step():
    if current_user.is_authenticated:
        return after_sign_in()
    pending = _current_pending()
    if pending is None:
        return _back_to_password(EXPIRED_MESSAGE)
    form = TwoFactorCodeForm()
    if not form.validate_on_submit():
        return render_template("auth/two_factor.html", form=form), 400 if form.errors else 200

    limits = second_factor.Limits.from_config(current_app.config)
    outcome = second_factor.check_code(pending["id"], pending["user_id"], form.code.data, limits)
    if outcome.result is Result.SIGNED_IN:
        session.pop(PENDING_KEY, None)
        user = sign_in(outcome.user_id, remember=outcome.remember, alert_new_device=True)
        flash(f"Welcome back, {user.full_name}.", "success")
        if outcome.recovery_code_used:
            flash("You used a recovery code: each works once. Get new ones on the Security page.", "warning")
        return after_sign_in()
    if outcome.result is Result.DROPPED:
        return _back_to_password("Too many wrong codes. Enter your password again to get new tries.", "danger")
    if outcome.result is Result.GONE:
        return _back_to_password(EXPIRED_MESSAGE)
    if outcome.result is Result.LOCKED:
        form.form_errors.append(
            f"Too many wrong codes for this account. Try again in {wait_in_words(outcome.retry_after)}, "
            "or use a passkey if you have one."
        )
        return render_template("auth/two_factor.html", form=form), 429, {"Retry-After": str(outcome.retry_after)}
    tries = f"{outcome.attempts_left} {'try' if outcome.attempts_left == 1 else 'tries'} left"
    if outcome.result is Result.REUSED:
        form.code.errors.append(f"That code was used already. Wait for the next one in your app ({tries}).")
    else:
        form.code.errors.append(f"That code is not right. Check the app's clock, or use a recovery code ({tries}).")
    return render_template("auth/two_factor.html", form=form), 400


@bp.post("/account/security/two-factor/setup")
@login_required
def start_setup():
    if not totp.start_setup(current_user.id, totp.new_secret()):
        flash("Two-factor sign-in is on already.", "info")
        return redirect(url_for("account_security.show"))
    return redirect(url_for("two_factor.setup"))


def _render_setup(form: TwoFactorConfirmForm, status: int = 200):
    row = totp.get_totp(current_user.id)
    if row is None or row["enabled_at"] is not None:
        return redirect(url_for("account_security.show"))
    secret = totp.decrypt_secret(current_user.id, row["secret_encrypted"])
    if secret is None:
        # Sealed under another SECRET_KEY: it cannot be shown, so start afresh.
        return redirect(url_for("account_security.show"))
    qr_code = segno.make(totp.provisioning_uri(secret, current_user.email), error="m")
    return render_template(
        "account/two_factor_setup.html",
        form=form,
        qr_data_uri=qr_code.svg_data_uri(scale=5, border=2, dark="#000", light="#fff"),
        secret_groups=[secret[index : index + 4] for index in range(0, len(secret), 4)],
    ), status


@bp.get("/account/security/two-factor/setup")
@login_required
def setup():
    return _render_setup(TwoFactorConfirmForm())


@bp.post("/account/security/two-factor/confirm")
@login_required
def confirm_setup():
    form = TwoFactorConfirmForm()
    if not form.validate_on_submit():
        return _render_setup(form, 400)
    row = totp.get_totp(current_user.id)
    if row is None or row["enabled_at"] is not None:
        flash("Start again: that setup is no longer open.", "info")
        return redirect(url_for("account_security.show"))
    codes = second_factor.confirm_setup(current_user.id, form.code.data)
    if codes is None:
        form.code.errors.append("That code is not right. Enter the 6 digits the app shows now.")
        return _render_setup(form, 400)
    flash("Two-factor sign-in is on. Signing in now asks for a code from your app.", "success")
    # Shown in this response only (the page is never cached): the server keeps only hashes.
    return render_template("account/recovery_codes.html", codes=codes)


def _password_refusal(field) -> tuple[str, int] | None:
    """Check the signed-in user's password under the sign-in limits; a refusal (message, status) or None."""
    email = current_user.email.lower()
    address = request.remote_addr or "unknown"
    throttle = login_failure.begin_attempt(email, address, login_failure.Limits.from_config(current_app.config))
    if throttle:
        return THROTTLE_MESSAGES[throttle.limit].format(wait=wait_in_words(throttle.retry_after)), 429
    if not verify_password(current_user.password_hash, field.data):
        return "This is not your password.", 400
    login_failure.forget_failures(email, address)
    return None


def _refuse_unless_password(form, form_key: str):
    """None once the form's password proves right; else the security page showing why not."""
    if not form.validate_on_submit():
        return render_security_page(**{form_key: form}, status=400)
    refusal = _password_refusal(form.password)
    if refusal is None:
        return None
    form.password.errors.append(refusal[0])
    return render_security_page(**{form_key: form}, status=refusal[1])


@bp.post("/account/security/two-factor/disable")
@login_required
def disable():
    if refused := _refuse_unless_password(TwoFactorDisableForm(), "disable_form"):
        return refused
    second_factor.disable(current_user.id)
    flash("Two-factor sign-in is off. Signing in asks only for your password.", "success")
    return redirect(url_for("account_security.show"))


@bp.post("/account/security/two-factor/recovery-codes")
@login_required
def replace_recovery_codes():
    if refused := _refuse_unless_password(RecoveryCodesForm(), "recovery_form"):
        return refused
    codes = second_factor.replace_recovery_codes(current_user.id)
    if codes is None:
        flash("Turn two-factor sign-in on first.", "info")
        return redirect(url_for("account_security.show"))
    flash("Here are your new recovery codes. The old ones no longer work.", "success")
    return render_template("account/recovery_codes.html", codes=codes)
