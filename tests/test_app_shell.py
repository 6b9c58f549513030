"""The frame of every page: headers, error pages, static assets, health."""

import pytest


def test_home_page_renders_for_guests(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Bazaar" in page and "Sign in" in page and 'action="/products"' in page


def test_security_headers(client):
    headers = client.get("/").headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_session_cookie_is_http_only_and_lax(client, actions):
    user = actions.create_user()
    cookies = actions.login(user["email"]).headers.getlist("Set-Cookie")
    session = next(cookie for cookie in cookies if cookie.startswith("session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session


@pytest.mark.parametrize("path", ["/no-such-page", "/users/0", "/users/abc", "/users/99999999999999999999"])
def test_not_found_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_csrf_failure_is_a_friendly_400(client):
    response = client.post("/login", data={"email": "a@example.com", "password": "x", "csrf_token": "forged"})
    assert response.status_code == 400
    assert "form has expired" in response.get_data(as_text=True)


def test_vendored_assets_are_served_locally(client):
    page = client.get("/").get_data(as_text=True)
    assert "cdn" not in page.lower()
    for path in [
        "/static/vendor/bootstrap/bootstrap.min.css",
        "/static/vendor/bootstrap/bootstrap.bundle.min.js",
        "/static/vendor/bootstrap-icons/bootstrap-icons.min.css",
        "/static/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
        "/static/vendor/chartjs/chart.umd.min.js",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()


def test_no_inline_script_in_pages(client):
    page = client.get("/register").get_data(as_text=True)
    assert "<script>" not in page and "onclick" not in page.lower()


def test_health(client):
    assert client.get("/health").get_json() == {"status": "ok"}


def test_element_ids_are_unique_and_titles_are_plain_text(client, actions):
    import re
    from collections import Counter

    def check(paths):
        for path in paths:
            page = client.get(path).get_data(as_text=True)
            ids = re.findall(r'\sid="([^"]+)"', page)
            duplicates = [name for name, count in Counter(ids).items() if count > 1]
            assert duplicates == [], path
            title = re.search(r"<title>(.*?)</title>", page, re.DOTALL).group(1)
            assert "<" not in title and title.endswith(" · Bazaar"), path

    check(["/", "/register", "/login", "/cart"])
    actions.signed_in_user()
    check(["/", "/account", "/account/balance", "/cart", "/purchases", "/messages", "/account/reviews"])


def test_an_unexpected_error_gets_the_friendly_500_page(database_url):
    from app import create_app

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x", "PROPAGATE_EXCEPTIONS": False})

    @app.get("/boom")
    def boom():
        raise RuntimeError("unexpected")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page and "unexpected" not in page
    app.extensions["bazaar_db"].engine.dispose()


def test_templates_build_each_url_as_url_for_does_once(app):
    from flask import url_for

    from app import templating

    with app.test_request_context("/products", base_url="http://localhost/shop"):
        cases = [
            ("catalog.index", {}),
            ("catalog.index", {"category": "laptops", "page": 2}),
            ("users.show", {"user_id": 7}),
            ("static", {"filename": "css/app.css"}),  # through the hashed-name hook
            ("catalog.index", {"page": 1}),
            ("catalog.index", {"page": True}),  # equal to 1 as a key, but built as "True"
            ("catalog.index", {"category": ["a", "b"]}),  # unhashable: built every time
            ("catalog.index", {"_anchor": "reviews"}),  # url_for's own options: not kept
        ]
        for endpoint, values in cases:
            assert templating.template_url_for(endpoint, **values) == url_for(endpoint, **values)
            assert templating.template_url_for(endpoint, **values) == url_for(endpoint, **values)  # when kept
        assert templating.template_url_for("catalog.index").startswith("/shop/")
    with app.test_request_context("/products"):  # another mount point builds its own
        assert templating.template_url_for("catalog.index") == "/products"
