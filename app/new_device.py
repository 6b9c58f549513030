"""Telling a user by e-mail when their account is signed in from a browser it has not used lately."""

from datetime import UTC, datetime

from app import db, mail
from app.models import sign_in_device
from app.templating import device_name


def note_sign_in(user, user_agent: str, ip_address: str, alert: bool) -> None:
    """Remember the browser; if `alert` and it is new to the account, queue "New sign-in" in the same transaction."""
    with db.transaction() as conn:
        is_new = sign_in_device.note_sign_in(conn, user["id"], user_agent)
        if alert and is_new:
            mail.send(
                conn,
                "new_sign_in",
                user["email"],
                name=user["full_name"],
                device=device_name(user_agent),
                ip_address=ip_address or "an unknown address",
                signed_in_at=datetime.now(UTC).strftime("%d %B %Y, %H:%M UTC"),
                security_link=mail.absolute_url("account_security.show"),
            )
