"""One JSON line per request, with the request id that ties it to HAProxy's and the other servers' logs.

HAProxy sets X-Request-ID on every request (db/cluster.py); a request that comes without one (no
proxy, `flask run`) gets a new one here. The response carries it back in X-Request-ID, so a user
reporting an error can quote it. The line has no path or query string: those may hold a search a
person typed or a token from an e-mail link; the endpoint says which page it was.

    {"time": "2026-11-30T18:02:11.532Z", "level": "info", "logger": "app.request_log",
     "message": "request", "request_id": "6f1c…", "method": "GET", "endpoint": "catalog.product",
     "status": 200, "duration_ms": 12.41, "sql_statements": 4, "read_host": "replica1", "user_id": 17}

HAProxy's health checks (a request a second per server) are left out while they pass: they carry
X-Health-Check, and a /health answered 200 with it writes no line.

The stdlib's logging with the small formatter below: about twenty lines, where python-json-logger
would add a dependency for the same output. gunicorn's access log is off (gunicorn.conf.py), so a
request makes one line, not two.
"""

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, request

from app.metrics import endpoint_label

HEADER = "X-Request-ID"
PROBE_HEADER = "X-Health-Check"  # HAProxy's health checks carry it (db/cluster.py)
# What a request id from outside may look like (HAProxy's are UUIDs); anything else is replaced,
# so a client cannot write arbitrary text into the log.
VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

_log = logging.getLogger(__name__)


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time (UTC, ms), level, logger, message and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def request_id(headers=None) -> str:
    """This request's id: the one HAProxy (or another client) sent, if well formed, else a new one."""
    given = (request.headers if headers is None else headers).get(HEADER, "")
    return given if VALID_ID.fullmatch(given) else str(uuid.uuid4())


def _start() -> None:
    g.request_id = request_id()
    g.log_started = time.perf_counter()


def _signed_in_user_id() -> int | None:
    """The signed-in user's id if the request already loaded them (never a query of its own)."""
    user = g.get("_login_user")  # where Flask-Login keeps current_user once loaded
    return user.id if user is not None and user.is_authenticated else None


def log_request(response):
    """Echo the request id in the response and write the request's line."""
    if "request_id" not in g:
        return response
    response.headers[HEADER] = g.request_id
    if response.status_code == 200 and request.endpoint == "main.health" and PROBE_HEADER in request.headers:
        return response  # HAProxy's passing check, every second for every server: not worth a line
    write_line(
        g.request_id,
        request.method,
        endpoint_label(),
        response.status_code,
        g.log_started,
        g.get("sql_statements", 0),
        g.get("read_from", "primary"),
        _signed_in_user_id(),
    )
    return response


def write_line(
    rid: str, method: str, endpoint: str, status: int, started: float, statements: int, read_from: str, user_id
) -> None:
    """Write one request's line (also for a cached page served before Flask: app/guest_fast_path.py)."""
    fields = {
        "request_id": rid,
        "method": method,
        "endpoint": endpoint,
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        "sql_statements": statements,
        "read_host": read_from if statements else None,
        "user_id": user_id,
    }
    _log.info("request", extra={"fields": fields})


def init_app(app: Flask) -> None:
    """Give each request an id and log it as JSON on standard error (not in tests, which read the
    records themselves: BAZAAR_REQUEST_LOG=0 turns the lines off elsewhere)."""
    _log.setLevel(logging.INFO)
    _log.propagate = False
    if app.config["REQUEST_LOG"] and not app.testing and not _log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        _log.addHandler(handler)
    app.before_request(_start)
    app.after_request(log_request)
