"""Helpers for the seller API's tests: tokens made through the model, requests that carry them."""

from datetime import UTC, datetime, timedelta

from app.models import api_token


def make_token(app, user_id: int, scopes=("read", "listings", "orders"), days: int = 30, name: str = "tool") -> str:
    """A live token for the user (the plaintext, as the page shows it once)."""
    with app.test_request_context():
        _token_id, token = api_token.create_token(user_id, name, list(scopes), datetime.now(UTC) + timedelta(days=days))
    return token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
