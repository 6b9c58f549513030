"""HTTP caching (app/http_cache.py, app/page_cache.py): hashed static names with a year of immutable
caching and gzip; ETags, Last-Modified and 304s for guest pages and product pictures; no gzip for
a page that carries the session's CSRF token."""

import gzip
import re

import pytest
from flask import url_for
from sqlalchemy import text

from app.http_cache import HASHED_NAME
from app.page_cache import PageCache
from tests import factories


@pytest.fixture
def cached(app):
    app.config["PAGE_CACHE_SECONDS"] = 30
    app.extensions["page_cache"] = PageCache(30, 8 * 1024 * 1024)
    yield
    app.config["PAGE_CACHE_SECONDS"] = 0
    app.extensions["page_cache"] = PageCache(1, 1024)


@pytest.fixture
def kettle(app, actions):
    seller = actions.create_user(full_name="Sally Seller")
    product = factories.product(app, seller["id"], name="Copper kettle")
    factories.offer(app, seller["id"], product["id"], "25.00", 5)
    return {"product": product, "seller": seller}


def fetch(client, url: str, **kwargs):
    """GET a static file and close it (WhiteNoise answers with an open file)."""
    with client.get(url, **kwargs) as response:
        response.get_data()
        return response


def test_static_urls_carry_a_content_hash_and_are_immutable_for_a_year(app, client):
    with app.test_request_context():
        url = url_for("static", filename="css/app.css")
    assert HASHED_NAME.search(url), url
    assert f'href="{url}"' in client.get("/login").get_data(as_text=True)
    response = fetch(client, url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_are_served_gzipped_to_clients_that_take_it(app, client):
    with app.test_request_context():
        url = url_for("static", filename="vendor/bootstrap/bootstrap.min.css")
    plain = fetch(client, url).get_data()
    response = fetch(client, url, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()) == plain
    assert len(response.get_data()) < len(plain) / 3


def test_unhashed_static_names_still_work_with_a_short_lifetime(client):
    response = fetch(client, "/static/css/app.css")
    assert response.status_code == 200
    assert "immutable" not in response.headers["Cache-Control"]


def test_a_guest_page_answers_304_while_it_has_not_changed(app, client, kettle, cached):
    path = "/products?q=kettle"  # a page without forms (one with a token is never sent twice alike)
    first = client.get(path)
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"] and "no-cache" in first.headers["Cache-Control"]
    assert "Cookie" in first.headers["Vary"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    since = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(text("UPDATE offers SET price = 21 WHERE product_id = :id"), {"id": kettle["product"]["id"]})
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "$21.00" in changed.get_data(as_text=True)


def test_a_guest_page_is_gzipped_once_and_served_to_clients_that_take_it(client, kettle, cached):
    plain = client.get("/products").get_data()
    response = client.get("/products", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()) == plain
    etag = response.headers["ETag"]
    assert client.get("/products", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}).status_code == 304


def test_a_page_with_the_sessions_csrf_token_is_never_gzipped(client, actions, kettle):
    actions.signed_in_user()
    response = client.get(f"/products/{kettle['product']['id']}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert re.search(r'<meta name="csrf-token" content="[^"]+"', response.get_data(as_text=True))
    assert "Accept-Encoding" in response.headers["Vary"]
    assert "ETag" not in response.headers  # personal pages are not conditional


def test_a_product_picture_answers_304_without_being_drawn_again(app, client, kettle, monkeypatch):
    path = f"/products/{kettle['product']['id']}/image"
    first = client.get(path)
    assert first.status_code == 200 and first.mimetype == "image/svg+xml"
    drawn = []
    monkeypatch.setattr("app.routes.catalog.render_template", lambda *args, **kwargs: drawn.append(1) or "")
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and drawn == []
    renamed = factories.product(app, kettle["seller"]["id"], name="Steel kettle")
    other = client.get(f"/products/{renamed['id']}/image", headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200
