"""Flask-Login wiring: who is signed in, loaded from PostgreSQL on each request."""

import hashlib

from flask import Flask
from flask_login import LoginManager, UserMixin

from app.models import user as user_model

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"


class SignedInUser(UserMixin):
    """The signed-in user's row. Its session id embeds a fingerprint of the password hash,
    so changing the password signs out every other session and remembered device."""

    def __init__(self, row) -> None:
        self.row = row
        self.id = row["id"]

    def __getattr__(self, name: str):
        try:
            return self.row[name]
        except KeyError:
            raise AttributeError(name) from None

    def get_id(self) -> str:
        return f"{self.row['id']}.{password_fingerprint(self.row['password_hash'])}"


def password_fingerprint(password_hash: str) -> str:
    """A short, non-reversible tag that changes whenever the password does."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


@login_manager.user_loader
def load_user(session_id: str) -> SignedInUser | None:
    """Find the user named in the session cookie, if the password has not changed since."""
    user_id, _, fingerprint = session_id.partition(".")
    if not user_id.isdigit() or len(user_id) > 18:
        return None
    row = user_model.get_signed_in_user(int(user_id))
    if row is None or password_fingerprint(row["password_hash"]) != fingerprint:
        return None
    return SignedInUser(row)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
