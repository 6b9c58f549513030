"""A cached guest page served before Flask (issue 21).

A hit of the guest page cache (app/page_cache.py) is a dictionary lookup and one indexed query,
yet inside Flask it paid for the whole request machinery: the request context, Flask-Login, six
after-request functions, the session's save. That made it two to three times the CPU of a
one-query Flask page. This WSGI middleware sits in front of Flask and answers a hit itself:

- the same test for a guest (`page_cache.is_guest`) on the same session cookie, read with Flask's
  own session interface; a remember-me cookie or a personal session key goes on to Flask;
- the same version query (`Database.early_connection`: a replica's connection for guests, as in
  Flask), and what the page writes on every hit (a search that found nothing is counted), then on
  the primary;
- the same response (`page_cache.respond`) with the headers Flask's after-request functions add
  (security, Server-Timing, X-Request-ID), the same request log line and metrics, and the session
  saved by Flask's session interface when the visitor got a CSRF secret or a recently viewed id.

Anything else, a miss, a stale page or any failure here goes on to Flask, which renders as before:
this path may cost speed, never a page. `PAGE_CACHE_FAST_PATH = False` turns it off (the tests
compare both paths).
"""

import functools
import hashlib
import logging
import os
import time

import psycopg2
from flask import Flask, Response
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.exc import SQLAlchemyError

from app import http_cache, metrics, page_cache, request_log, security, timing
from app.models import page_cache as versions

# A request with any of these is answered through werkzeug's make_conditional (304s, ranges).
CONDITIONAL = frozenset(
    ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_RANGE")
)
PER_RESPONSE = {"content-length", "date", "set-cookie", "server-timing", "x-request-id"}  # not kept

_log = logging.getLogger(__name__)


class GuestFastPath:
    """WSGI middleware: serve a guest page cache hit without entering Flask."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and self.app.config["PAGE_CACHE_FAST_PATH"]:
            try:
                response = self.serve(environ)
            except (SQLAlchemyError, psycopg2.Error) as error:  # the database's trouble: Flask says so
                _log.warning("the guest fast path could not read: %s", str(error).strip().splitlines()[0])
                response = None
            except Exception:  # a failure here must cost speed, not the page: Flask renders it
                _log.exception("the guest fast path failed; Flask serves the request")
                response = None
            if response is not None:
                return response(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def serve(self, environ):
        """A WSGI app that answers with a fresh cached page, or None to let Flask answer."""
        started = time.perf_counter()
        app = self.app
        if not app.config["PAGE_CACHE_SECONDS"]:
            return None
        visitor_request = app.request_class(environ)
        entry = app.extensions["page_cache"].get(page_cache.cache_key(visitor_request))
        if not isinstance(entry, page_cache.Entry) or any(early is None for _, _, early in entry.actions):
            return None
        visitor_session = app.session_interface.open_session(app, visitor_request)
        if visitor_session is None or not page_cache.is_guest(app, visitor_request, visitor_session):
            return None
        statements, read_from = 0, None
        if entry.product_ids or entry.actions:
            # One connection: a page that writes on every hit reads its versions on the primary too.
            with app.extensions["bazaar_db"].early_connection(writes=bool(entry.actions)) as (connection, read_from):
                if entry.product_ids:
                    statements += 1
                    if versions.sum_versions_on(connection, entry.product_ids) != entry.version:
                        return None  # stale: Flask renders it anew
                for _function, args, early in entry.actions:
                    early(connection, *args)
                    statements += 1
        token = functools.partial(csrf_token, app, visitor_session)
        plain = CONDITIONAL.isdisjoint(environ)
        if plain:
            headers, body = self.plain(entry, visitor_request, token)
            response, status = functools.partial(send, headers, body), 200
        else:
            response = self.as_flask_would(entry, visitor_request, token)
            headers, status = response.headers, response.status_code
        page_cache.run_in_session(entry.session_actions, visitor_session)
        rid = request_log.request_id(visitor_request.headers)
        headers.extend(
            ((request_log.HEADER, rid), ("Server-Timing", timing.header(started, statements, read_from, True)))
        )
        headers.extend(session_cookie(app, visitor_session))
        method = visitor_request.method
        request_log.write_line(rid, method, entry.endpoint, status, started, statements, read_from, None)
        metrics.count_request(entry.endpoint, status, started, statements, read_from)
        return response

    @staticmethod
    def as_flask_would(entry: page_cache.Entry, visitor_request, token) -> Response:
        """page_cache.respond's response with what Flask's after-request functions add to a hit
        (app/http_cache.py's Vary, the security headers); Server-Timing and the request id apart."""
        response = page_cache.respond(entry, visitor_request, token)
        response.vary.add("Accept-Encoding")
        security.add_security_headers(response)
        return response

    def plain(self, entry: page_cache.Entry, visitor_request, token) -> tuple[list, bytes]:
        """The headers and body of an unconditional GET or HEAD. The headers are the same for every
        such request but the length, so they are made once through as_flask_would and kept."""
        compressed = not entry.has_token and http_cache.accepts_gzip(visitor_request)
        if entry.has_token:
            body = entry.body.replace(page_cache.TOKEN_PLACEHOLDER.encode(), token().encode())
        else:
            body = entry.gzipped if compressed else entry.body
        headers = entry.prepared.get(compressed)
        if headers is None:
            response = self.as_flask_would(entry, visitor_request, lambda: page_cache.TOKEN_PLACEHOLDER)
            headers = [(name, value) for name, value in response.headers.items() if name.lower() not in PER_RESPONSE]
            entry.prepared[compressed] = headers
        return [*headers, ("Content-Length", str(len(body)))], body


def send(headers: list, body: bytes, environ, start_response):
    """Start a 200 response and give its body (none for HEAD)."""
    start_response("200 OK", headers)
    return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]


def session_cookie(app: Flask, visitor_session) -> list[tuple[str, str]]:
    """The Set-Cookie header Flask's session interface gives this session (none if unchanged)."""
    jar = Response()
    app.session_interface.save_session(app, visitor_session, jar)
    return [("Set-Cookie", cookie) for cookie in jar.headers.getlist("Set-Cookie")]


def csrf_token(app: Flask, visitor_session) -> str:
    """This visitor's CSRF token, as Flask-WTF's generate_csrf makes it (a new secret in the
    session if it has none); a test checks that Flask-WTF accepts it."""
    field_name = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field_name not in visitor_session:
        visitor_session[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 - Flask-WTF's own
    return _csrf_serializer(app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key).dumps(visitor_session[field_name])


@functools.lru_cache(maxsize=4)
def _csrf_serializer(secret_key) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="wtf-csrf-token")


def init_app(app: Flask) -> None:
    """Put the fast path in front of Flask (inside WhiteNoise, which answers static files first)."""
    app.config.setdefault("PAGE_CACHE_FAST_PATH", True)
    app.wsgi_app = GuestFastPath(app, app.wsgi_app)
