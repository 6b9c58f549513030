"""Errors of the seller API as RFC 9457 problem details (application/problem+json).

Every error under /api/v1 — raised by a view, a missing route, a wrong method or the token
check — leaves as a problem object with `type`, `title`, `status` and `detail`; bad input adds
`errors`, one entry per field: {"field": …, "message": …}.
"""

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"
API_PREFIX = "/api/v1"

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class Problem(HTTPException):
    """An API error with its status, a sentence for the caller and optional field errors and headers."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: list[dict] | None = None,
        headers: dict | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = status
        self.detail = detail
        self.errors = errors or []
        self.extra_headers = headers or {}


def is_api_request() -> bool:
    """True when the request's path is under /api/v1 (also for URLs no route matches)."""
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def problem_response(status: int, detail: str, errors: list[dict] | None = None, headers: dict | None = None):
    """The problem+json response for a status and its detail."""
    body = {"type": "about:blank", "title": TITLES.get(status, f"Error {status}"), "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response: Response = jsonify(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(error: HTTPException):
    """A Werkzeug or Problem error as problem+json (Allow is kept on a 405)."""
    if isinstance(error, Problem):
        return problem_response(error.code, error.detail, error.errors, error.extra_headers)
    status = error.code or 500
    custom = error.description != type(error).description
    detail = error.description if custom else TITLES.get(status, "That did not work.")
    headers = {name: value for name, value in error.get_headers() if name in ("Allow", "Retry-After")}
    return problem_response(status, detail, headers=headers)
