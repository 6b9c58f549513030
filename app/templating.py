"""Jinja filters and globals shared by every template."""

import threading
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cachetools import LRUCache
from flask import Flask, request, url_for
from flask_login import current_user


def money(amount: Decimal | int | None) -> str:
    """$1,234.50 — the one way money is shown."""
    if amount is None:
        return "—"
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(Decimal(amount)):,.2f}"


def spec_number(number: float | int | Decimal | None) -> str:
    """A specification's number as written in a shop: 15.6, 1,200, 0.5 (no trailing zeros)."""
    if number is None:
        return "—"
    value = Decimal(str(number)).normalize()
    return f"{value:,f}" if value == value.to_integral() else f"{value:f}"


def user_time_zone() -> ZoneInfo:
    """The signed-in user's time zone (UTC for guests or an unknown name)."""
    name = getattr(current_user, "time_zone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(moment: datetime | None, style: str = "datetime") -> str:
    """A UTC timestamp shown in the user's time zone."""
    if moment is None:
        return ""
    local = moment.astimezone(user_time_zone())
    if style == "date":
        return local.strftime("%b %d, %Y").replace(" 0", " ")
    return local.strftime("%b %d, %Y %H:%M %Z").replace(" 0", " ", 1)


BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_name(user_agent: str) -> str:
    """ "Firefox on Windows" from a User-Agent header, or a short form of the header itself."""
    browser = next((name for marker, name in BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return (browser or system or user_agent[:60] or "Unknown browser").strip()


def url_with(**changes) -> str:
    """The current URL with some query parameters replaced (None removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    query = urlencode(args)
    return request.path + (f"?{query}" if query else "")


# URLs the templates built, by endpoint and values. Building one through Werkzeug's routing costs
# about 15 µs, and a page builds 30-80 (the navigation bar alone 33): a tenth of a product page's
# rendering. What url_for returns depends only on these and the fixed URL map (the one url_defaults
# hook, app/http_cache.py, maps a static name to its hashed name, fixed at start).
_built_urls: LRUCache = LRUCache(maxsize=16384)
_built_urls_lock = threading.Lock()


def template_url_for(endpoint: str, **values) -> str:
    """url_for for templates, each distinct URL built once per process. Relative endpoints
    (".index") and url_for's own options (_external, _anchor …) go straight to url_for."""
    if endpoint.startswith(".") or any(name.startswith("_") for name in values):
        return url_for(endpoint, **values)
    # The value's type is part of the key: True == 1, but they build "True" and "1".
    key = (request.script_root, endpoint, *((name, type(value), value) for name, value in sorted(values.items())))
    try:
        with _built_urls_lock:
            url = _built_urls.get(key)
    except TypeError:  # an unhashable value (a list): build it every time
        return url_for(endpoint, **values)
    if url is None:
        url = url_for(endpoint, **values)
        with _built_urls_lock:
            _built_urls[key] = url
    return url


def precompile(app: Flask) -> None:
    """Compile every template now, once the blueprints' filters are registered. Otherwise each
    worker compiles a template the first time it renders it: 20-100 ms each, several a page, paid by
    the first visitors of every page on every worker (issue 20: first signed-in pages took 1-1.5 s)."""
    if not app.config.get("PRECOMPILE_TEMPLATES", True):
        return
    for name in app.jinja_env.list_templates(filter_func=lambda name: name.endswith((".html", ".svg"))):
        app.jinja_env.get_template(name)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["device_name"] = device_name
    app.jinja_env.filters["spec_number"] = spec_number
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["url_for"] = template_url_for
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
