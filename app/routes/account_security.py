"""/account/security: where the user is signed in, signing those sessions out, and the page that
also holds two-factor sign-in (app/routes/two_factor.py) and passkeys (app/routes/passkeys.py)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.forms import EmptyForm
from app.forms_security import PasskeyNameForm, RecoveryCodesForm, TwoFactorDisableForm
from app.inputs import MAX_ID
from app.login import sign_out
from app.models import passkey, recovery_code, totp
from app.models import session as session_model

bp = Blueprint("account_security", __name__, url_prefix="/account/security")


@bp.before_request
@login_required
def require_login():
    """Every page here belongs to the signed-in user."""


def render_security_page(disable_form=None, recovery_form=None, status: int = 200):
    """The security page, with a two-factor form the user just sent back with its errors."""
    two_factor = totp.get_totp(current_user.id)
    enabled = two_factor is not None and two_factor["enabled_at"] is not None
    return render_template(
        "account/security.html",
        sessions=session_model.list_sessions(current_user.id),
        current_session_id=current_user.session_id,
        form=EmptyForm(),
        two_factor_enabled_at=two_factor["enabled_at"] if enabled else None,
        recovery_codes_left=recovery_code.count_unused(current_user.id) if enabled else 0,
        disable_form=disable_form or TwoFactorDisableForm(),
        recovery_form=recovery_form or RecoveryCodesForm(),
        passkeys=passkey.list_passkeys(current_user.id),
        passkey_form=PasskeyNameForm(),
    ), status


@bp.get("")
def show():
    return render_security_page()


@bp.get("/sessions/<int:session_id>/sign-out")
def confirm_sign_out_session(session_id: int):
    """Say which browser signing out ends before doing it; the page's button POSTs below."""
    row = session_model.get_session(current_user.id, session_id) if session_id <= MAX_ID else None
    if row is None:
        abort(404)
    return render_template(
        "account/sign_out_session.html", row=row, this_browser=session_id == current_user.session_id, form=EmptyForm()
    )


@bp.post("/sessions/<int:session_id>/sign-out")
def sign_out_session(session_id: int):
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if session_id == current_user.session_id:
        sign_out(current_user)
        flash("You are signed out.", "info")
        return redirect(url_for("main.index"))
    if not session_model.end_session_by_id(current_user.id, session_id):
        abort(404)
    flash("That session is signed out.", "success")
    return redirect(url_for("account_security.show"))


@bp.get("/sign-out-everywhere")
def confirm_sign_out_everywhere():
    others = [row for row in session_model.list_sessions(current_user.id) if row["id"] != current_user.session_id]
    return render_template("account/sign_out_everywhere.html", others=others, form=EmptyForm())


@bp.post("/sign-out-everywhere")
def sign_out_everywhere():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    ended = session_model.end_all_sessions(current_user.id, except_token=current_user.session_token)
    flash(f"Signed out of {ended} other session{'s' if ended != 1 else ''}. This one stays signed in.", "success")
    return redirect(url_for("account_security.show"))
