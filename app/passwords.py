"""Password hashing with Werkzeug, and a verify that costs the same for unknown users."""

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

_dummy_hashes: dict[str, str] = {}


def hash_password(password: str) -> str:
    """Hash a password with the configured method (scrypt unless tests ask otherwise)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown e-mail) still spend one hash's time."""
    if password_hash is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        # A constant per method, computed once per process: not state, just a cache.
        if method not in _dummy_hashes:
            _dummy_hashes[method] = generate_password_hash("not-a-password", method=method)
        check_password_hash(_dummy_hashes[method], password)
        return False
    return check_password_hash(password_hash, password)
