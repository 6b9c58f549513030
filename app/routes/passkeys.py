"""Passkeys (WebAuthn): adding and removing them on /account/security, and signing in with one.

The browser half is app/static/js/passkeys.js. Its JSON requests carry the page's CSRF token in
the X-CSRFToken header (CSRFProtect checks it). Each ceremony gets a fresh challenge, stored in
PostgreSQL (and in the signed session cookie, tying it to this browser) and used once.
"""

import ipaddress
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from werkzeug.datastructures import MultiDict

from app.forms import EmptyForm
from app.forms_security import PasskeyNameForm
from app.inputs import MAX_ID
from app.login import sign_in
from app.models import passkey, passkey_challenge
from app.models.rate_limit import wait_in_words
from app.urls import safe_next

bp = Blueprint("passkeys", __name__)

RP_NAME = "Bazaar"
TIMEOUT_MS = 120_000
# Where the signed session cookie keeps this browser's open challenge, per ceremony.
CHALLENGE_KEYS = {"register": "passkey_register_challenge", "sign_in": "passkey_sign_in_challenge"}
# What a malformed or forged browser response makes the library (or its decoders) raise.
BAD_RESPONSE_ERRORS = (WebAuthnException, ValueError, TypeError, KeyError, IndexError, AttributeError)
EXPIRED = "This passkey request has expired or was used already. Try again."


def relying_party() -> tuple[str, str]:
    """The relying party id (host name) and origin: from WEBAUTHN_RP_ID / WEBAUTHN_ORIGIN, else the request."""
    origin = current_app.config.get("WEBAUTHN_ORIGIN") or f"{request.scheme}://{request.host}"
    rp_id = current_app.config.get("WEBAUTHN_RP_ID") or urlsplit(origin).hostname or ""
    return rp_id, origin


def _error(message: str, status: int = 400, headers: dict | None = None):
    response = jsonify(error=message)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _refusal_for_host(rp_id: str):
    """An error if passkeys cannot work at this address (browsers refuse IP addresses as an RP id)."""
    try:
        ipaddress.ip_address(rp_id)
    except ValueError:
        return None
    return _error("Passkeys need the site's name in the address bar, not an IP address: use localhost, for instance.")


def _json_body() -> dict:
    """The request's JSON object, or 400."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(_error("Send a JSON object."))
    return body


def _new_challenge(purpose: str, **row) -> bytes:
    """A fresh challenge, stored for this browser; or a 429 if its address asked for too many."""
    challenge = secrets.token_bytes(32)
    if wait := passkey_challenge.create_challenge(purpose, challenge, request.remote_addr or "unknown", **row):
        message = f"Too many passkey requests from your network address. Try again in {wait_in_words(wait)}."
        abort(_error(message, 429, {"Retry-After": str(wait)}))
    session[CHALLENGE_KEYS[purpose]] = bytes_to_base64url(challenge)
    return challenge


def _take_challenge(purpose: str, user_id: int | None = None):
    """This browser's open challenge of the purpose, used up now: (challenge, row) or (None, None)."""
    stored = session.pop(CHALLENGE_KEYS[purpose], None)
    if not isinstance(stored, str):
        return None, None
    challenge = base64url_to_bytes(stored)
    row = passkey_challenge.take_challenge(purpose, challenge, user_id)
    return (challenge, row) if row else (None, None)


@bp.post("/account/security/passkeys/options")
@login_required
def registration_options():
    body = _json_body()
    name = body.get("name")
    form = PasskeyNameForm(formdata=MultiDict({"name": name if isinstance(name, str) else ""}))
    if not form.validate():
        return _error(" ".join(form.name.errors))
    rp_id, _ = relying_party()
    if refusal := _refusal_for_host(rp_id):
        return refusal
    challenge = _new_challenge("register", user_id=current_user.id, passkey_name=form.name.data)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_id=passkey.get_or_create_user_handle(current_user.id),
        user_name=current_user.email,
        user_display_name=current_user.full_name,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=credential_id)
            for credential_id in passkey.list_credential_ids(current_user.id)
        ],
    )
    return current_app.response_class(options_to_json(options), mimetype="application/json")


@bp.post("/account/security/passkeys")
@login_required
def register():
    credential = _json_body().get("credential")
    challenge, row = _take_challenge("register", current_user.id)
    if row is None:
        return _error(EXPIRED)
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except BAD_RESPONSE_ERRORS:
        return _error("The browser's answer could not be verified. Try again.")
    transports = credential.get("response", {}).get("transports") if isinstance(credential, dict) else None
    try:
        passkey.create_passkey(
            current_user.id,
            row["passkey_name"],
            verified.credential_id,
            verified.credential_public_key,
            verified.sign_count,
            rp_id,
            [str(item)[:32] for item in transports[:10]] if isinstance(transports, list) else [],
            verified.credential_backed_up,
        )
    except passkey.PasskeyTaken:
        return _error("This passkey is registered already.", 409)
    flash(f"Passkey “{row['passkey_name']}” added. You can sign in with it instead of your password.", "success")
    return jsonify(redirect=url_for("account_security.show"))


@bp.get("/account/security/passkeys/<int:passkey_id>/remove")
@login_required
def confirm_remove(passkey_id: int):
    """Say what removing the passkey changes before doing it; the page's button POSTs below."""
    row = passkey.get_passkey(current_user.id, passkey_id) if passkey_id <= MAX_ID else None
    if row is None:
        abort(404)
    others = len(passkey.list_passkeys(current_user.id)) - 1
    return render_template("account/remove_passkey.html", passkey=row, others=others, form=EmptyForm())


@bp.post("/account/security/passkeys/<int:passkey_id>/remove")
@login_required
def remove(passkey_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not passkey.delete_passkey(current_user.id, passkey_id):
        abort(404)
    flash("The passkey is removed: it no longer signs you in.", "success")
    return redirect(url_for("account_security.show"))


@bp.post("/login/passkey/options")
def sign_in_options():
    rp_id, _ = relying_party()
    if refusal := _refusal_for_host(rp_id):
        return refusal
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=_new_challenge("sign_in"),
        timeout=TIMEOUT_MS,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return current_app.response_class(options_to_json(options), mimetype="application/json")


@bp.post("/login/passkey")
def sign_in_with_passkey():
    body = _json_body()
    credential = body.get("credential")
    challenge, row = _take_challenge("sign_in")
    if row is None:
        return _error(EXPIRED)
    try:
        found = passkey.get_passkey_by_credential_id(base64url_to_bytes(credential["rawId"]))
    except BAD_RESPONSE_ERRORS:
        return _error("The browser's answer could not be verified. Try again.")
    if found is None:
        return _error("This passkey is not registered on Bazaar. Sign in with your password, then add it.")
    rp_id, origin = relying_party()
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(found["public_key"]),
            credential_current_sign_count=found["sign_count"],
            require_user_verification=True,
        )
        user_handle = credential["response"].get("userHandle")
        if user_handle and base64url_to_bytes(user_handle) != bytes(found["user_handle"]):
            raise WebAuthnException("the passkey names another user")
    except BAD_RESPONSE_ERRORS:
        return _error("The passkey's answer could not be verified. Try again.")
    passkey.record_use(found["id"], verified.new_sign_count, verified.credential_backed_up)
    user = sign_in(found["user_id"], remember=body.get("remember") is True, alert_new_device=True)
    flash(f"Welcome back, {user.full_name}.", "success")
    next_page = body.get("next")
    return jsonify(redirect=safe_next(next_page if isinstance(next_page, str) else None) or url_for("main.index"))
