"""Flask-Login wiring: who is signed in, looked up in PostgreSQL on each request.

The session cookie (and the remember-me cookie) carry only a random session token; the row
in user_sessions decides whether it still signs anyone in. So signing out, a password change,
"sign out everywhere" or a suspension end a session on every server at once, and a copied
cookie stops working with it. The app keeps no state of its own.
"""

from flask import Flask, request, session
from flask_login import LoginManager, UserMixin, login_user, logout_user, user_loaded_from_cookie

from app import new_device
from app.models import session as session_model

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"

CSRF_SESSION_KEY = "csrf_token"  # where Flask-WTF keeps the session's CSRF secret
TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)


class SignedInUser(UserMixin):
    """The signed-in user's row; its id for Flask-Login is the session token."""

    def __init__(self, row, token: str) -> None:
        self.row = row
        self.id = row["id"]
        self.session_token = token

    def __getattr__(self, name: str):
        try:
            return self.row[name]
        except KeyError:
            raise AttributeError(name) from None

    def get_id(self) -> str:
        return self.session_token


@login_manager.user_loader
def load_user(token: str) -> SignedInUser | None:
    """The user of a live session token, or None (signed out, expired or never issued)."""
    if len(token) != TOKEN_LENGTH:
        return None
    row = session_model.get_session_user(token)
    if row is None:
        return None
    if row["session_needs_touch"]:
        session_model.touch_session(row["session_id"], row["session_remember"])
    return SignedInUser(row, token)


def sign_in(user_id: int, remember: bool = False, alert_new_device: bool = False) -> SignedInUser:
    """Start a new session in the cookies, with a fresh CSRF secret; alert_new_device: e-mail if the browser is new."""
    user_agent = request.headers.get("User-Agent", "")
    token = session_model.create_session(user_id, remember, user_agent, request.remote_addr or "")
    user = SignedInUser(session_model.get_session_user(token), token)
    new_device.note_sign_in(user.row, user_agent, request.remote_addr or "", alert=alert_new_device)
    session.pop(CSRF_SESSION_KEY, None)
    login_user(user, remember=remember)
    return user


def sign_out(user: SignedInUser) -> None:
    """End this session everywhere and forget the cookie's contents, CSRF secret included."""
    session_model.end_session(user.session_token)
    logout_user()
    session.clear()


def _rotate_remembered_session(sender, user: SignedInUser, **extra) -> None:
    """A remember-me cookie was used: replace its token, so a stolen copy works once at most."""
    session_model.end_session(user.session_token)
    rotated = sign_in(user.id, remember=True)
    session_model.clear_reauthentication(rotated.session_id)  # a cookie, not a password, made it
    user.session_token = rotated.session_token


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    user_loaded_from_cookie.connect(_rotate_remembered_session, app)
