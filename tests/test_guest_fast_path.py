"""A cached guest page served before Flask (app/guest_fast_path.py): a hit never enters Flask, yet
answers as Flask's path does (body, headers, cookie, 304), with this visitor's own CSRF token that
Flask-WTF accepts, a request log line and metrics; every request that is not a plain guest's, and
any failure, goes on to Flask."""

import logging

import pytest
from flask import request_started
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.models import page_cache as versions
from tests import test_metrics, test_page_cache
from tests.test_metrics import requests_of, scrape
from tests.test_page_cache import FORM_TOKEN, product_path, sign_in, without_tokens

cached, kettle, log_lines = test_page_cache.cached, test_page_cache.kettle, test_metrics.log_lines  # fixtures

# Headers whose values differ from one response to the next, whichever path served it.
VOLATILE = {"X-Request-ID", "Server-Timing", "Date", "Set-Cookie"}


@pytest.fixture
def flask_requests(app):
    """How many requests reached Flask while the test runs."""
    seen = []

    def note(sender, **extra):
        seen.append(1)

    request_started.connect(note, app)
    try:
        yield seen
    finally:
        request_started.disconnect(note, app)


def headers_of(response) -> list[tuple[str, str]]:
    """The response's headers but the volatile ones, with the cookie's attributes but not its value."""
    kept = sorted((name, value) for name, value in response.headers.items() if name not in VOLATILE)
    cookies = sorted(value.split(";", 1)[1] for value in response.headers.getlist("Set-Cookie"))
    return [*kept, *(("Set-Cookie", cookie) for cookie in cookies)]


def test_a_hit_never_enters_flask_and_runs_one_query(app, kettle, cached, flask_requests, monkeypatch):
    filled = app.test_client().get(product_path(kettle))
    assert len(flask_requests) == 1
    checked = []
    monkeypatch.setattr(versions, "sum_versions_on", lambda *args: checked.append(args) or filled_version(app))
    served = app.test_client().get(product_path(kettle))
    assert len(flask_requests) == 1  # the second visitor never reached Flask
    assert served.status_code == 200 and without_tokens(served.get_data()) == without_tokens(filled.get_data())
    assert [ids for _connection, ids in checked] == [(kettle["product"]["id"],)]
    assert 'sql;desc="1 statements", cache;desc="hit"' in served.headers["Server-Timing"]


def filled_version(app) -> int:
    [entry] = [entry for key, entry in app.extensions["page_cache"].entries.items() if key.startswith("/products/")]
    return entry.version


@pytest.mark.parametrize("path", ["/", "/products", "/products?q=kettle", "product"])
@pytest.mark.parametrize("accept", ["", "gzip"])
def test_both_paths_answer_alike(app, kettle, cached, flask_requests, path, accept):
    """The same status, body and headers from Flask's path (PAGE_CACHE_FAST_PATH off) and from the
    fast path, for a new visitor (who gets a session cookie on a page with a form), one who returns,
    a HEAD and a revalidation (304 where the page has an ETag)."""
    path = product_path(kettle) if path == "product" else path
    headers = {"Accept-Encoding": accept} if accept else {}
    app.test_client().get(path)  # cached
    answers = {}
    for fast in (False, True):
        app.config["PAGE_CACHE_FAST_PATH"] = fast
        visitor = app.test_client()
        first, again = visitor.get(path, headers=headers), visitor.get(path, headers=headers)
        head = visitor.head(path, headers=headers)
        revalidated = visitor.get(path, headers=headers | {"If-None-Match": first.headers.get("ETag", '"none"')})
        responses = (first, again, head, revalidated)
        answers[fast] = [(r.status_code, without_tokens(r.get_data()), headers_of(r)) for r in responses]
    app.config["PAGE_CACHE_FAST_PATH"] = True
    assert answers[True] == answers[False]
    assert len(flask_requests) == 1 + 4  # the fill, and Flask's path four times


def test_a_token_from_the_fast_path_adds_to_the_cart(app, kettle, cached, flask_requests):
    app.test_client().get(product_path(kettle))  # cached
    visitor = app.test_client()
    page = visitor.get(product_path(kettle)).get_data(as_text=True)
    assert len(flask_requests) == 1 and visitor.get_cookie("session") is not None
    form = {"product_id": kettle["product"]["id"], "seller_id": kettle["seller"]["id"], "quantity": "1"}
    added = visitor.post("/cart/add", data={"csrf_token": FORM_TOKEN.search(page).group(1), **form})
    assert added.status_code == 302
    # Now the visitor has a cart: Flask renders their pages, with the count.
    assert 'data-testid="cart-count">1' in visitor.get(product_path(kettle)).get_data(as_text=True)
    assert len(flask_requests) == 3


def test_a_fast_hit_records_the_view_in_the_session(app, kettle, cached, flask_requests):
    app.test_client().get(product_path(kettle))  # cached
    visitor = app.test_client()
    visitor.get(product_path(kettle))
    assert len(flask_requests) == 1
    with visitor.session_transaction() as session:
        assert session["recently_viewed"] == [kettle["product"]["id"]]


def test_a_fast_hit_is_logged_and_counted(app, client, kettle, cached, log_lines):
    app.test_client().get(product_path(kettle))  # cached
    before = scrape(client)
    response = app.test_client().get(product_path(kettle), headers={"X-Request-ID": "haproxy-given-id"})
    after = scrape(client)
    assert response.headers["X-Request-ID"] == "haproxy-given-id"
    line = [line for line in log_lines() if line["request_id"] == "haproxy-given-id"]
    assert [(x["endpoint"], x["status"], x["sql_statements"], x["user_id"]) for x in line] == [
        ("catalog.show", 200, 1, None)
    ]
    assert requests_of(after, "catalog.show") == requests_of(before, "catalog.show") + 1


def test_an_unchanged_page_is_a_304_and_head_has_no_body(app, kettle, cached, flask_requests):
    client = app.test_client()
    client.get("/products")  # cached
    first = client.get("/products")
    again = client.get("/products", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    head = client.head("/products")
    assert head.status_code == 200 and head.get_data() == b""
    assert len(flask_requests) == 1


def test_who_goes_on_to_flask(app, client, actions, kettle, cached, flask_requests):
    """A signed-in visitor, a remember-me cookie and a guest with a message to see are Flask's (a
    guest with a cart: test_a_token_from_the_fast_path_adds_to_the_cart); a forged session cookie
    reads as no session, as in Flask."""
    path = product_path(kettle)
    app.test_client().get(path)  # cached
    sign_in(app, actions, full_name="Bea Buyer")
    reached = len(flask_requests)
    assert "Bea Buyer" in client.get(path).get_data(as_text=True)
    remembered = app.test_client()
    remembered.set_cookie("remember_token", "1|anything")
    remembered.get(path)
    with_flash = app.test_client()
    with with_flash.session_transaction() as session:
        session["_flashes"] = [("info", "A message for this visitor")]
    assert "A message for this visitor" in with_flash.get(path).get_data(as_text=True)
    assert len(flask_requests) == reached + 3
    forged = app.test_client()
    forged.set_cookie("session", "eyJfdXNlcl9pZCI6IjEifQ.forged.signature")
    assert forged.get(path).status_code == 200
    assert len(flask_requests) == reached + 3


def test_a_search_that_found_nothing_is_counted_on_every_early_hit(app, cached, flask_requests):
    for _ in range(3):
        response = app.test_client().get("/products?q=xylophonium")
        assert response.status_code == 200 and "xylophonium" in response.get_data(as_text=True)
    assert len(flask_requests) == 1
    assert 'sql;desc="1 statements"' in response.headers["Server-Timing"]  # the count; no product to check
    with app.extensions["bazaar_db"].connect() as connection:
        counted = connection.execute(text("SELECT searches FROM search_misses WHERE query = 'xylophonium'")).scalar()
    assert counted == 3


def test_a_database_failure_in_the_fast_path_leaves_the_page_to_flask(
    app, kettle, cached, flask_requests, monkeypatch, caplog
):
    app.test_client().get(product_path(kettle))  # cached

    def broken(*_args):
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(versions, "sum_versions_on", broken)
    with caplog.at_level(logging.WARNING, logger="app.guest_fast_path"):
        response = app.test_client().get(product_path(kettle))
    assert response.status_code == 200 and "Copper kettle" in response.get_data(as_text=True)
    assert len(flask_requests) == 2
    assert "could not read" in caplog.text and "Traceback" not in caplog.text


HOSTILE_REQUESTS = [
    ("/products?q=%00%00", {}),
    ("/products?q=" + "ü" * 3000, {}),
    ("/products?q=<script>&sort=price_asc&sort=newest", {}),
    ("/products?page=-1&page=99999999999999999999", {}),
    ("/", {"If-None-Match": '"unterminated, W/'}),
    ("/", {"If-Modified-Since": "yesterday at noon"}),
    ("/", {"Range": "bytes=999999-1,abc"}),
    ("/", {"Accept-Encoding": "gzip;q=0, *;q=nan"}),
    ("/", {"Cookie": "session=" + "A" * 5000}),
    ("/", {"Cookie": "session=.eJw%%%%.bad; remember_token="}),
    ("/", {"X-Request-ID": "\x00 <id>"}),
]


@pytest.mark.parametrize(("path", "headers"), HOSTILE_REQUESTS)
def test_hostile_requests_to_cached_pages_get_an_answer_never_an_error(app, cached, path, headers, caplog):
    """Each request twice: the first fills the cache, the second meets the early path."""
    with caplog.at_level(logging.WARNING, logger="app.guest_fast_path"):
        for _ in range(2):
            response = app.test_client().get(path, headers=headers)
            assert response.status_code < 500
    assert caplog.text == ""
