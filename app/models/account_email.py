"""Proving an address by a code: registration, verifying later, and changing the account's e-mail.

Each step is one transaction: the account, the code (app/models/email_code.py), the limit
counts and the e-mail (app/mail.py outbox) commit together or not at all.

An address that already has an account gets the same treatment as a new one, as seen from the
browser (issue 12, no account enumeration): the same page asks for a code, the same limits
count, but no code can match (a stand-in row) and the owner is told by e-mail instead.
"""

from dataclasses import dataclass

from sqlalchemy import Connection

from app import db, mail
from app.models import email_code, rate_limit
from app.models import user as user_model

REGISTER_PER_ADDRESS = rate_limit.Limit("register-address", 20, 60 * 60)
# Code and notice e-mails to one address, however asked for: bounds both mail bombing and guessing
# (6 codes × 5 tries an hour against a million possible codes).
MAILS_PER_EMAIL = rate_limit.Limit("code-mail", 6, 60 * 60)
PASSWORD_CHECKS_PER_USER = rate_limit.Limit("password-check", 10, 60 * 60)

# Which e-mail a code of each purpose sends, for a real code and for a stand-in.
CODE_MAILS = {
    ("register", False): "verify_code",
    ("register", True): "register_taken",
    ("verify", False): "verify_code",
    ("change_email", False): "change_email_code",
    ("change_email", True): "change_email_taken",
}


@dataclass(frozen=True)
class Started:
    """A flow that sent its e-mail (flow_token set), or a limit that holds (wait in seconds)."""

    flow_token: str | None = None
    wait: int | None = None
    limit: str | None = None  # "address" (network address) or "email"


@dataclass(frozen=True)
class Resent:
    """A new code sent ("sent"), too soon or over a limit ("wait"), or the flow is over ("gone")."""

    status: str
    wait: int = 0


def _send_code(conn: Connection, purpose: str, email: str, flow_token: str, user_id: int | None, stand_in: bool):
    """Issue the flow's code and queue its e-mail (a notice instead of a code for a stand-in)."""
    code = email_code.insert_code(conn, purpose, email, flow_token, user_id, stand_in)
    mail.send(
        conn,
        CODE_MAILS[(purpose, stand_in)],
        email,
        code=code,
        minutes=email_code.LIFETIME_MINUTES,
        sign_in_link=mail.absolute_url("auth.login"),
        reset_link=mail.absolute_url("auth.forgot_password"),
    )


def start_registration(email: str, full_name: str, address: str, password_hash: str, ip_address: str) -> Started:
    """Create an unverified account and send it a code; for a taken address, tell its owner instead."""
    with db.transaction() as conn:
        if wait := rate_limit.hit(conn, REGISTER_PER_ADDRESS, ip_address):
            return Started(wait=wait, limit="address")
        if wait := rate_limit.hit(conn, MAILS_PER_EMAIL, email.lower()):
            return Started(wait=wait, limit="email")
        try:
            user_id = user_model.insert_user(conn, email, full_name, address, password_hash)
        except user_model.EmailTaken:
            user_id = None
        flow_token = email_code.new_flow_token()
        _send_code(conn, "register", email, flow_token, user_id, stand_in=user_id is None)
    return Started(flow_token=flow_token)


def start_verification(user_id: int, email: str) -> Started:
    """Send a signed-in user a code for the address they have."""
    with db.transaction() as conn:
        if wait := rate_limit.hit(conn, MAILS_PER_EMAIL, email.lower()):
            return Started(wait=wait, limit="email")
        flow_token = email_code.new_flow_token()
        _send_code(conn, "verify", email, flow_token, user_id, stand_in=False)
    return Started(flow_token=flow_token)


def start_email_change(user_id: int, new_email: str) -> Started:
    """Send a code to the address a signed-in user wants; if another account has it, tell that owner instead."""
    with db.transaction() as conn:
        if wait := rate_limit.hit(conn, MAILS_PER_EMAIL, new_email.lower()):
            return Started(wait=wait, limit="email")
        taken = user_model.get_user_by_email_for_update(conn, new_email) is not None
        flow_token = email_code.new_flow_token()
        _send_code(conn, "change_email", new_email, flow_token, user_id, stand_in=taken)
    return Started(flow_token=flow_token)


def resend_code(purpose: str, flow_token: str, user_id: int | None = None) -> Resent:
    """Send the flow a new code (the same kind of e-mail as its first), after the cool-down."""
    with db.transaction() as conn:
        row = email_code.get_current_code(conn, purpose, flow_token, user_id)
        if row is None or row["used_at"] is not None:  # none, or already used: the flow is over
            return Resent("gone")
        if wait := email_code.cooldown_left(row):
            return Resent("wait", wait)
        if wait := rate_limit.hit(conn, MAILS_PER_EMAIL, row["email"].lower()):
            return Resent("wait", wait)
        _send_code(conn, purpose, row["email"], flow_token, row["user_id"], row["stand_in"])
    return Resent("sent")


def confirm_registration(flow_token: str, code: str) -> email_code.Outcome:
    """Check a registration code; on success the account's address is verified (outcome.row: the user)."""
    with db.transaction() as conn:
        outcome = email_code.check(conn, "register", flow_token, code)
        if outcome.status != "ok":
            return outcome
        user = user_model.mark_email_verified(conn, outcome.row["user_id"], outcome.row["email"])
    return email_code.Outcome("ok", user) if user else email_code.Outcome("gone")


def confirm_verification(flow_token: str, code: str, user_id: int) -> email_code.Outcome:
    """Check a signed-in user's code; on success their address is verified."""
    with db.transaction() as conn:
        outcome = email_code.check(conn, "verify", flow_token, code, user_id)
        if outcome.status != "ok":
            return outcome
        user = user_model.mark_email_verified(conn, user_id, outcome.row["email"])
    return email_code.Outcome("ok", user) if user else email_code.Outcome("gone")


def confirm_email_change(flow_token: str, code: str, user_id: int) -> email_code.Outcome:
    """Check the code sent to the new address; on success switch to it and tell the old address.

    Status "taken" if another account took the address meanwhile (the code is used up).
    """
    with db.transaction() as conn:
        outcome = email_code.check(conn, "change_email", flow_token, code, user_id)
        if outcome.status != "ok":
            return outcome
        new_email = outcome.row["email"]
        try:
            old_email = user_model.switch_email(conn, user_id, new_email)
        except user_model.EmailTaken:
            return email_code.Outcome("taken", outcome.row)
        if old_email is None:
            return email_code.Outcome("gone")
        mail.send(
            conn, "email_changed", old_email, new_email=new_email, reset_link=mail.absolute_url("auth.forgot_password")
        )
    return outcome


def count_password_check(user_id: int) -> int | None:
    """Count one check of a signed-in user's password (to change the e-mail); seconds to wait if over the limit."""
    with db.transaction() as conn:
        return rate_limit.hit(conn, PASSWORD_CHECKS_PER_USER, str(user_id))
