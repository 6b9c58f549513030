"""What signed-out visitors see, served from a per-process cache (issue 21).

The home, catalog and product pages of a visitor with no personal state (no sign-in, no cart,
no flash message: nothing in the session but a CSRF secret) are the same for every such
visitor, so each gunicorn worker keeps the rendered page for PAGE_CACHE_SECONDS. A page notes
the products it shows (`show_products`); every hit re-reads the sum of their version numbers
(one indexed query, app/models/page_cache.py) and re-renders when a product, one of its offers
or one of its reviews changed (triggers bump the version in the same transaction as the change).
The versions are read in the same REPEATABLE READ snapshot as the page's data, so a page is
never stored as current for a change it did not see. What the versions do not cover (a new
product entering a list, a seller renaming themselves) shows within PAGE_CACHE_SECONDS.

Every visitor's search also keeps its 1 % sample here (`kept`): estimates that never decide which rows a
page shows, so they may be up to PAGE_CACHE_SECONDS old.

A cached page carries no flash message or user data, and no visitor's CSRF token: it renders
with TOKEN_PLACEHOLDER where the token goes, and each hit writes in that visitor's own token (a
bytes replace), so a guest adds to the cart in one click. Such a page is sent uncompressed and
without an ETag, as every page with a token is (app/http_cache.py: BREACH). A page is stored only
if the render touched no session. Signed-in visitors never get one. Why per process and not
Redis: docs/PERFORMANCE.md.
"""

import functools
import gzip
import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from cachetools import TTLCache
from flask import Flask, Request, Response, current_app, g, request, session
from flask_wtf.csrf import generate_csrf

from app import db, http_cache
from app.models import page_cache as versions

# A CSRF secret is not personal state; nor are recently viewed ids, which a cached page leaves to a
# script (app/recently_viewed_session.py), so guests who look at products keep getting cached pages;
# nor Flask-Login's `_fresh: False`, which its session protection writes into any non-empty session
# without a sign-in the first time a page reads current_user (it kept such guests out of the cache).
ALLOWED_SESSION_KEYS = frozenset({"csrf_token", "recently_viewed", "_fresh"})
TOKEN_PLACEHOLDER = "__bazaar_csrf_token__"  # noqa: S105 - a marker, not a secret: each hit writes its own token
GZIP_LEVEL = 6


@dataclass(frozen=True)
class Entry:
    """One rendered page and what it was rendered from."""

    body: bytes
    gzipped: bytes
    content_type: str
    etag: str
    last_modified: datetime
    product_ids: tuple[int, ...]
    version: int
    actions: tuple = ()  # (function, args, early) run again on every hit: see on_every_request
    session_actions: tuple = ()  # (function, args) run on every hit's session: see in_every_session
    has_token: bool = False  # holds TOKEN_PLACEHOLDER: each hit writes in its visitor's token
    endpoint: str = "none"  # the view's, for the request log and metrics of hits served early
    # Headers of its plain (unconditional) responses, made once by app/guest_fast_path.py.
    prepared: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped) + 200


class PageCache:
    """A size-bounded TTL cache of rendered pages; each worker process has its own."""

    def __init__(self, seconds: int, max_bytes: int) -> None:
        self.entries: TTLCache = TTLCache(maxsize=max_bytes, ttl=seconds, getsizeof=lambda entry: entry.size)
        self.lock = threading.Lock()  # TTLCache is not thread-safe (the dev server and tests use threads)

    def get(self, key: str) -> "Entry | Shared | Kept | None":
        with self.lock:
            return self.entries.get(key)

    def put(self, key: str, entry: "Entry | Shared | Kept") -> None:
        if entry.size > self.entries.maxsize:
            return
        with self.lock:
            self.entries[key] = entry

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


@dataclass(frozen=True)
class Shared:
    """Data that every visitor of a page sees the same (a product and its sellers), and what it shows."""

    value: Any
    product_ids: tuple[int, ...]
    version: int
    size: int = 20_000  # a rough bound: rows of one product page


def shared(key: str, compute: Callable[[], tuple[Any, Iterable[int]]]) -> Any:
    """`compute()`'s value, kept per process for every visitor, signed in or not, while the products
    it names (its second item) keep their versions: one version query instead of computing."""
    if not current_app.config["PAGE_CACHE_SECONDS"]:
        return compute()[0]
    cache = get_cache()
    entry = cache.get("shared " + key)
    if entry is not None and versions.sum_versions(entry.product_ids) == entry.version:
        return entry.value
    with db.get_db().snapshot():
        value, product_ids = compute()
        product_ids = tuple(sorted(set(product_ids)))
        version = versions.sum_versions(product_ids)
    cache.put("shared " + key, Shared(value, product_ids, version))
    return value


@dataclass(frozen=True)
class Kept:
    """A value computed from the catalog that may be a little old (see kept)."""

    value: Any
    size: int


def kept(key: str, compute: Callable[[], list]) -> Any:
    """`compute()`'s value (a list of rows), kept per process for PAGE_CACHE_SECONDS under `key`.
    For estimates only: the search's 1 % sample (its counts per category and tier, and the facets
    among its rows), which is a guess already and steers how a page is found, never which rows it
    shows; the rows and exact counts are read fresh on every request. Repeating it for each request
    of a popular search cost 11–23 ms of a ~55 ms page at a million products."""
    if not current_app.config["PAGE_CACHE_SECONDS"]:
        return compute()
    cache = get_cache()
    entry = cache.get(key)
    if entry is None:
        value = compute()
        entry = Kept(value, 200 + 700 * len(value))  # a row is a dict of ~8 small values
        cache.put(key, entry)
    return entry.value


def get_cache() -> PageCache:
    return current_app.extensions["page_cache"]


def is_guest_request() -> bool:
    """A GET by a visitor with no sign-in, no remember-me cookie and nothing personal in the session."""
    return is_guest(current_app, request, session)


def is_guest(app: Flask, visitor_request: Request, visitor_session: Mapping) -> bool:
    """is_guest_request for a request and session given (app/guest_fast_path.py has no Flask context)."""
    if visitor_request.method not in ("GET", "HEAD") or not app.config["PAGE_CACHE_SECONDS"]:
        return False
    if app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in visitor_request.cookies:
        return False
    return set(visitor_session.keys()) <= ALLOWED_SESSION_KEYS


def is_guest_render() -> bool:
    """True while a page is rendered for the guest cache (templates leave out per-session parts)."""
    return g.get("guest_render", False)


def show_products(product_ids: Iterable[int]) -> None:
    """Note the products a page shows: a change to any of them makes the cached page stale."""
    if "guest_products" in g:
        g.guest_products.update(product_ids)


def on_every_request(function: Callable, *args, early: Callable | None = None) -> None:
    """Run function(*args) for this request and for every later one served the same page from the
    cache (a search with no results is counted each time). In a guest render it runs after the
    read-only snapshot closes, since it may write. `early(dbapi_connection, *args)` does the same
    on a driver connection to the primary, for hits served before Flask (app/guest_fast_path.py);
    without it those go to Flask."""
    if is_guest_render():
        g.guest_actions.append((function, args, early))
    else:
        function(*args)


def in_every_session(function: Callable, *args) -> None:
    """Run function(session, *args) on this request's session and on the session of every later
    request served the same page from the cache (a product page records its view). It may change
    only the session: a hit served before Flask (app/guest_fast_path.py) runs it too."""
    if is_guest_render():
        g.guest_session_actions.append((function, args))
    else:
        function(session, *args)


def _run(actions) -> None:
    for function, args, _early in actions:
        function(*args)


def run_in_session(actions, visitor_session: MutableMapping) -> None:
    for function, args in actions:
        function(visitor_session, *args)


def cache_key(visitor_request: Request | None = None) -> str:
    """The path and its query parameters in a fixed order (the order in the URL does not matter)."""
    visitor_request = visitor_request or request
    return visitor_request.path + "?" + urlencode(sorted(visitor_request.args.items(multi=True)))


def for_guests(view: Callable) -> Callable:
    """Serve the view from the guest cache to guests; everyone else gets it rendered as usual."""

    @functools.wraps(view)
    def cached_view(*args, **kwargs):
        if not is_guest_request():
            return view(*args, **kwargs)
        cache = get_cache()
        key = cache_key()
        entry = cache.get(key)
        if entry is not None and (not entry.product_ids or versions.sum_versions(entry.product_ids) == entry.version):
            g.page_cache = "hit"
            _run(entry.actions)
            run_in_session(entry.session_actions, session)
            return respond(entry)
        g.page_cache = "miss"
        rendered = render_for_guests(view, args, kwargs)
        if isinstance(rendered, Entry):
            cache.put(key, rendered)
            return respond(rendered)
        return rendered

    return cached_view


def render_for_guests(view: Callable, args, kwargs) -> Entry | Response:
    """Render the view as a guest page in one snapshot; an Entry if it may be cached, else the response."""
    g.guest_render, g.guest_products, g.guest_actions, g.guest_session_actions = True, set(), [], []
    try:
        with db.get_db().snapshot():
            response = current_app.make_response(view(*args, **kwargs))
            product_ids = tuple(sorted(g.guest_products))
            version = versions.sum_versions(product_ids) if product_ids else 0
    finally:
        g.guest_render = False
    _run(g.guest_actions)
    run_in_session(g.guest_session_actions, session)
    if response.status_code != 200 or response.is_streamed or not set(session.keys()) <= ALLOWED_SESSION_KEYS:
        return response  # an error, or the render flashed or signed in: nothing to share
    body = response.get_data()
    token_field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if any(secret and str(secret).encode() in body for secret in (g.get(token_field), session.get(token_field))):
        return response  # a template printed this visitor's CSRF token after all
    has_token = TOKEN_PLACEHOLDER.encode() in body
    return Entry(
        body=body,
        gzipped=b"" if has_token else gzip.compress(body, GZIP_LEVEL, mtime=0),
        content_type=response.content_type,
        etag=hashlib.sha256(body).hexdigest()[:24],
        last_modified=datetime.now(UTC).replace(microsecond=0),
        product_ids=product_ids,
        version=version,
        actions=tuple(g.guest_actions),
        session_actions=tuple(g.guest_session_actions),
        has_token=has_token,
        endpoint=request.url_rule.endpoint if request.url_rule is not None else "none",
    )


def respond(entry: Entry, visitor_request: Request | None = None, token: Callable[[], str] = generate_csrf) -> Response:
    """The cached page (gzipped if the client takes it), or 304 if the client's copy is current; a
    page with forms gets this visitor's CSRF token (`token()`), uncompressed and always whole."""
    visitor_request = visitor_request or request
    if entry.has_token:
        body = entry.body.replace(TOKEN_PLACEHOLDER.encode(), token().encode())
        response = Response(body, content_type=entry.content_type)
        response.vary.update(("Cookie", "Accept-Encoding"))
        response.cache_control.private = True
        response.cache_control.no_store = True  # a copy kept by the browser would hold an old token
        return response
    compressed = http_cache.accepts_gzip(visitor_request)
    response = Response(entry.gzipped if compressed else entry.body, content_type=entry.content_type)
    response.set_etag(entry.etag + ("-gz" if compressed else ""))
    response.last_modified = entry.last_modified
    if compressed:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.update(("Cookie", "Accept-Encoding"))
    # Browsers keep it but ask each time (ETag): a sign-in must not show a stale guest page.
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response.make_conditional(visitor_request)


def _guest_template_context() -> dict:
    """While rendering for the cache: a placeholder for the CSRF token (each hit writes in its own),
    and a flag for base.html, whose token in <meta> (for scripts) a guest page does without."""
    if is_guest_render():
        return {"csrf_token": lambda: TOKEN_PLACEHOLDER, "guest_render": True}
    return {"guest_render": False}


def init_app(app: Flask) -> None:
    # Off in tests unless a test turns it on: other tests change lists between requests.
    seconds = 0 if app.testing else int(os.environ.get("BAZAAR_PAGE_CACHE_SECONDS", "30"))
    app.config.setdefault("PAGE_CACHE_SECONDS", seconds)
    app.config.setdefault("PAGE_CACHE_BYTES", 32 * 1024 * 1024)
    app.extensions["page_cache"] = PageCache(app.config["PAGE_CACHE_SECONDS"] or 1, app.config["PAGE_CACHE_BYTES"])
    app.context_processor(_guest_template_context)
