"""Personal access tokens for the seller API: /account/tokens (create, list, revoke)."""

from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.forms import EmptyForm
from app.forms_api import TokenForm
from app.inputs import MAX_ID
from app.models import api_token

bp = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")


@bp.before_request
@login_required
def require_login():
    """Tokens belong to the signed-in user."""


def _render(form: TokenForm, new_token: str | None = None, status: int = 200):
    return render_template(
        "account/tokens.html",
        form=form,
        tokens=api_token.list_tokens(current_user.id),
        new_token=new_token,
    ), status


@bp.get("")
def index():
    return _render(TokenForm(formdata=None))


@bp.post("")
def create():
    """Create a token and show it once, on this response (it is never stored, nor shown again)."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _render(form, status=400)
    if "admin" in form.scopes.data and current_user.role != "administrator":
        form.scopes.errors.append("Only administrators may give a token the admin scope.")
        return _render(form, status=400)
    expires_at = datetime.now(UTC) + timedelta(days=int(form.expires_in_days.data))
    _token_id, token = api_token.create_token(current_user.id, form.name.data, form.scopes.data, expires_at)
    flash(f"Token “{form.name.data}” created. Copy it now: it is shown only once.", "success")
    return _render(TokenForm(formdata=None), new_token=token)


def get_token_or_404(token_id: int):
    """One of the signed-in user's tokens; anyone else's is a 404."""
    row = api_token.get_token(current_user.id, token_id) if token_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


@bp.get("/<int:token_id>/revoke")
def confirm_revoke(token_id: int):
    return render_template("account/revoke_token.html", token=get_token_or_404(token_id), form=EmptyForm())


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    token = get_token_or_404(token_id)
    if not EmptyForm().validate_on_submit():
        abort(400, "This form has expired. Reload the page and try again.")
    if api_token.revoke_token(current_user.id, token_id):
        flash(f"Token “{token['name']}” is revoked: requests with it are refused from now on.", "success")
    else:
        flash("This token was revoked already.", "info")
    return redirect(url_for("api_tokens.index"))
