"""Personal access tokens (/account/tokens) and how /api/v1 checks them (issue 19)."""

import re

import pytest

from app.models import api_token
from tests import factories
from tests.api import bearer, make_token
from tests.conftest import csrf_token, query_one

PROBLEM = "application/problem+json"


def create_page_token(actions, **data):
    form = {"name": "Stock sync", "scopes": ["read", "listings"], "expires_in_days": "30"} | data
    return actions.post("/account/tokens", form)


def shown_token(response) -> str:
    return re.search(r'id="new-token">(bzr_[A-Za-z0-9_-]+)<', response.get_data(as_text=True)).group(1)


def test_the_page_needs_sign_in(client):
    assert client.get("/account/tokens").status_code == 302


def test_a_created_token_is_shown_once_and_stored_hashed(app, actions):
    user = actions.signed_in_user()
    response = create_page_token(actions)
    assert response.status_code == 200
    token = shown_token(response)
    row = query_one(app, "SELECT * FROM api_tokens WHERE user_id = :u", u=user["id"])
    assert row["name"] == "Stock sync" and row["scopes"] == ["read", "listings"]
    assert row["token_hash"] == api_token.hash_token(token) and token not in str(dict(row))
    assert token.startswith("bzr_") and row["display_prefix"] == token[:10]
    again = actions.client.get("/account/tokens").get_data(as_text=True)
    assert token not in again and "Stock sync" in again and "never used" in again and 'href="/api/docs"' in again
    assert actions.client.get("/api/v1/offers", headers=bearer(token)).status_code == 200
    assert "last used" in actions.client.get("/account/tokens").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Name the token"),
        ({"scopes": []}, "Choose at least one scope."),
        ({"scopes": ["read", "everything"]}, "not a valid choice"),
        ({"expires_in_days": "10000"}, "Not a valid choice"),
        ({"scopes": ["admin"]}, "Only administrators"),
    ],
)
def test_bad_token_forms_are_refused(app, actions, data, message):
    user = actions.signed_in_user()
    response = create_page_token(actions, **data)
    assert response.status_code == 400
    assert message.lower() in response.get_data(as_text=True).lower()
    assert query_one(app, "SELECT count(*) AS n FROM api_tokens WHERE user_id = :u", u=user["id"])["n"] == 0


def test_creating_a_token_needs_the_csrf_token(app, actions):
    actions.signed_in_user()
    response = actions.client.post("/account/tokens", data={"name": "x", "scopes": ["read"], "expires_in_days": "7"})
    assert response.status_code == 400
    assert query_one(app, "SELECT count(*) AS n FROM api_tokens")["n"] == 0


def test_an_administrator_may_give_the_admin_scope(app, actions):
    user = actions.signed_in_user()
    query_one(app, "UPDATE users SET role = 'administrator' WHERE id = :u RETURNING id", u=user["id"])
    assert create_page_token(actions, scopes=["admin"]).status_code == 200


def test_revoking_asks_first_then_refuses_the_token(app, actions, client):
    user = actions.signed_in_user()
    token = make_token(app, user["id"])
    token_id = query_one(app, "SELECT id FROM api_tokens WHERE user_id = :u", u=user["id"])["id"]
    page = client.get(f"/account/tokens/{token_id}/revoke")
    assert page.status_code == 200 and "Revoke it" in page.get_data(as_text=True)
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 400  # no CSRF token
    assert client.get("/api/v1/offers", headers=bearer(token)).status_code == 200
    response = actions.post(f"/account/tokens/{token_id}/revoke")
    assert response.status_code == 302
    assert client.get("/api/v1/offers", headers=bearer(token)).status_code == 401
    assert "Revoked" in client.get("/account/tokens").get_data(as_text=True)


def test_another_users_token_is_not_found(app, actions, client):
    owner = actions.create_user()
    make_token(app, owner["id"])
    token_id = query_one(app, "SELECT id FROM api_tokens WHERE user_id = :u", u=owner["id"])["id"]
    actions.signed_in_user()
    assert client.get(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert actions.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert query_one(app, "SELECT revoked_at FROM api_tokens WHERE id = :t", t=token_id)["revoked_at"] is None
    assert actions.client.get("/account/tokens/99999999999999999999999/revoke").status_code == 404


# --- the API's checks -------------------------------------------------------------------------


@pytest.fixture
def seller(app, actions):
    return actions.create_user()


def assert_problem(response, status: int):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert response.headers["Cache-Control"] == "private, no-store"
    return body


@pytest.mark.parametrize(
    "header",
    [None, "Basic dXNlcjpw", "Bearer", "Bearer ", "Bearer bzr_unknown", "Bearer not-ours", "Bearer bzr_" + "x" * 300],
)
def test_requests_without_a_valid_token_are_401(client, header):
    headers = {"Authorization": header} if header is not None else {}
    body = assert_problem(client.get("/api/v1/offers", headers=headers), 401)
    assert "token" in body["detail"]


def test_a_401_names_the_bearer_scheme(client):
    response = client.get("/api/v1/offers")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_401(app, client, seller):
    token = make_token(app, seller["id"])
    query_one(
        app,
        """
        UPDATE api_tokens
        SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second'
        WHERE user_id = :u RETURNING id
        """,
        u=seller["id"],
    )
    assert_problem(client.get("/api/v1/offers", headers=bearer(token)), 401)


def test_a_suspended_users_token_is_401(app, client, seller):
    token = make_token(app, seller["id"])
    query_one(
        app, "UPDATE users SET suspended_at = now(), suspended_reason = 'x' WHERE id = :u RETURNING id", u=seller["id"]
    )
    assert_problem(client.get("/api/v1/offers", headers=bearer(token)), 401)


def test_a_session_cookie_does_not_authorize_the_api(app, actions):
    user = actions.signed_in_user()
    product = factories.product(app, user["id"])
    factories.offer(app, user["id"], product["id"])
    assert_problem(actions.client.get("/api/v1/offers"), 401)
    response = actions.client.patch(
        f"/api/v1/offers/{product['id']}",
        json={"quantity": 1},
        headers={"If-Match": '"x"', "X-CSRFToken": csrf_token(actions.client)},
    )
    assert_problem(response, 401)
    assert query_one(app, "SELECT quantity FROM offers WHERE product_id = :p", p=product["id"])["quantity"] == 10


def test_a_token_without_the_scope_is_403(app, client, seller):
    product = factories.product(app, seller["id"])
    factories.offer(app, seller["id"], product["id"])
    read_only = make_token(app, seller["id"], scopes=["read"])
    response = client.patch(f"/api/v1/offers/{product['id']}", json={"quantity": 1}, headers=bearer(read_only))
    assert "listings" in assert_problem(response, 403)["detail"]
    listings_only = make_token(app, seller["id"], scopes=["listings"])
    assert_problem(client.get("/api/v1/offers", headers=bearer(listings_only)), 403)


def test_another_sellers_offer_is_404(app, client, seller, actions):
    rival = actions.create_user()
    product = factories.product(app, rival["id"])
    factories.offer(app, rival["id"], product["id"])
    token = make_token(app, seller["id"])
    assert_problem(client.get(f"/api/v1/offers/{product['id']}", headers=bearer(token)), 404)
    response = client.patch(
        f"/api/v1/offers/{product['id']}", json={"quantity": 1}, headers=bearer(token) | {"If-Match": '"x"'}
    )
    assert_problem(response, 404)


def test_unknown_urls_and_methods_are_problems_too(app, client, seller):
    token = make_token(app, seller["id"])
    assert_problem(client.get("/api/v1/nothing-here", headers=bearer(token)), 404)
    assert_problem(client.delete("/api/v1/offers", headers=bearer(token)), 405)


def test_each_token_is_rate_limited_with_retry_after(app, client, seller):
    token = make_token(app, seller["id"])
    other = make_token(app, seller["id"], name="other")
    app.config.update(API_RATE_LIMIT=3, API_RATE_WINDOW=60)
    try:
        for _ in range(3):
            assert client.get("/api/v1/offers", headers=bearer(token)).status_code == 200
        response = client.get("/api/v1/offers", headers=bearer(token))
        assert_problem(response, 429)
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        assert client.get("/api/v1/offers", headers=bearer(other)).status_code == 200
    finally:
        app.config.update(API_RATE_LIMIT=300, API_RATE_WINDOW=60)


def test_db_checks_token_invariant_holds_and_a_use_after_revocation_breaks_it(app, client, seller):
    """db/check.py: no token is used after it was revoked or expired."""
    from db.check import INVARIANTS

    [query] = [sql for name, sql in INVARIANTS if name.startswith("api_tokens:")]
    token = make_token(app, seller["id"])
    client.get("/api/v1/offers", headers=bearer(token))
    assert query_one(app, query)["count"] == 0
    query_one(
        app,
        """
        UPDATE api_tokens SET revoked_at = created_at, last_used_at = created_at + interval '1 second'
        WHERE user_id = :u RETURNING id
        """,
        u=seller["id"],
    )
    assert query_one(app, query)["count"] == 1
