"""Who is calling the seller API: a personal access token in `Authorization: Bearer …`.

Session cookies never authorize /api/v1 (a page's cookie would carry CSRF risk into a JSON API
that takes no CSRF token), so every request, read or write, names its token. Each token is
limited to API_RATE_LIMIT requests per API_RATE_WINDOW seconds, counted in PostgreSQL
(app/models/rate_limit.py), so the limit holds across app servers.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import current_app, g, request

from app import db
from app.models import api_token, rate_limit
from app.problems import Problem

BEARER_CHALLENGE = 'Bearer realm="bazaar-api"'


@dataclass(frozen=True)
class ApiCaller:
    token_id: int
    user_id: int
    scopes: frozenset[str]
    role: str


def _unauthorized(detail: str, error: str = "invalid_token") -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": f'{BEARER_CHALLENGE}, error="{error}"'})


def authenticate() -> ApiCaller:
    """The caller of this request, counted against its token's rate limit; raise a 401 or 429 Problem."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(
            401,
            "Send a personal access token (create one at /account/tokens) as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": BEARER_CHALLENGE},
        )
    row = api_token.use_token(token.strip())
    if row is None:
        raise _unauthorized("This token is unknown, revoked or expired.")
    _count_request(row["id"])
    db.read_past(row["last_write_lsn"])  # the token's own last write, for read-your-writes
    return ApiCaller(row["id"], row["user_id"], frozenset(row["scopes"]), row["role"])


def _count_request(token_id: int) -> None:
    """Count one request against the token's limit; a 429 with Retry-After when it is reached."""
    rule = rate_limit.Limit(
        "api token", current_app.config.get("API_RATE_LIMIT", 300), current_app.config.get("API_RATE_WINDOW", 60)
    )
    with db.bookkeeping() as conn:
        wait = rate_limit.hit(conn, rule, str(token_id))
    if wait is not None:
        raise Problem(
            429,
            f"This token made {rule.limit} requests in {rule.window_seconds} s. Wait {wait} s.",
            headers={"Retry-After": str(wait)},
        )


def current_caller() -> ApiCaller:
    """The authenticated caller of this API request."""
    return g.api_caller


def require_scope(scope: str) -> Callable:
    """A view decorator: 403 unless the token has `scope` (admin also needs an administrator)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            caller = current_caller()
            if scope not in caller.scopes:
                raise Problem(403, f"This token lacks the '{scope}' scope this request needs.")
            if scope == "admin" and caller.role != "administrator":
                raise Problem(403, "Only an administrator's token may use the 'admin' scope.")
            return view(*args, **kwargs)

        wrapped.required_scope = scope
        return wrapped

    return decorator
