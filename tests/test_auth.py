"""Registration, sign-in, sign-out and safe redirects (the failed sign-in limits: test_login_limit.py)."""

from urllib.parse import quote

import pytest

from tests.conftest import TEST_PASSWORD, query_one

GOOD = {
    "email": "new.person@example.com",
    "full_name": "New Person",
    "address": "12 Market Street, Springfield",
    "password": "s3cret-enough",
    "confirm": "s3cret-enough",
}


def count_users(app, email):
    return query_one(app, "SELECT count(*) AS n FROM users WHERE lower(email) = lower(:e)", e=email)["n"]


def test_register_asks_for_the_emailed_code_then_signs_in(app, client, actions, mailbox):
    response = actions.post("/register", GOOD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/register/confirm"
    assert "New Person" not in client.get("/").get_data(as_text=True)  # not signed in yet
    row = query_one(app, "SELECT * FROM users WHERE email = :e", e=GOOD["email"])
    assert row["password_hash"].startswith("pbkdf2:") and GOOD["password"] not in row["password_hash"]
    assert row["balance"] == 0 and row["email_verified_at"] is None
    response = actions.post("/register/confirm", {"code": mailbox.code(GOOD["email"])})
    assert response.headers["Location"] == "/"
    assert "New Person" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": ""}, "Enter your e-mail address."),
        ({"email": "not-an-email"}, "Enter a valid e-mail address."),
        ({"email": "a" * 250 + "@example.com"}, "Field cannot be longer than 254 characters."),
        ({"full_name": ""}, "Enter your name."),
        ({"full_name": "x" * 101}, "Field cannot be longer than 100 characters."),
        ({"full_name": "Bad\x07Name"}, "control characters"),  # NUL never reaches a form: inputs.py drops it
        ({"address": "   "}, "Enter your address."),
        ({"password": "short", "confirm": "short"}, "Use 8 to 128 characters."),
        ({"confirm": "different-one"}, "The two passwords differ."),
    ],
)
def test_register_refuses_bad_input(app, actions, changes, message):
    response = actions.post("/register", GOOD | changes)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count_users(app, (GOOD | changes)["email"] or "-") == 0


def test_register_answers_the_same_for_an_email_in_use_ignoring_case(app, client, actions, mailbox):
    actions.create_user(email="Taken@Example.com")
    response = actions.post("/register", GOOD | {"email": "taken@EXAMPLE.com"})
    assert response.status_code == 302 and response.headers["Location"] == "/register/confirm"
    assert "already exists" not in client.get("/register/confirm").get_data(as_text=True)
    assert count_users(app, "taken@example.com") == 1
    assert mailbox.last("taken@EXAMPLE.com")["Subject"] == "Someone tried to register with your address"


def test_register_keeps_unicode_and_markup_as_typed_and_escapes_it(app, client, actions, mailbox):
    name = "Zoë <script>alert(1)</script> 日本"
    assert actions.post("/register", GOOD | {"full_name": name}).status_code == 302
    assert actions.post("/register/confirm", {"code": mailbox.code(GOOD["email"])}).status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "Zoë &lt;script&gt;alert(1)&lt;/script&gt; 日本" in page


def test_login_and_logout(client, actions):
    user = actions.create_user(email="shopper@example.com")
    response = actions.login("SHOPPER@example.com")
    assert response.status_code == 302
    assert "Test User" in client.get("/").get_data(as_text=True)
    assert client.get("/account").status_code == 200
    assert actions.logout().status_code == 302
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert user["id"]


def test_logout_needs_post_with_csrf(client, actions):
    actions.signed_in_user()
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/account").status_code == 200  # still signed in


@pytest.mark.parametrize("email", ["shopper@example.com", "nobody@example.com"])
def test_wrong_password_and_unknown_email_get_the_same_answer(client, actions, email):
    actions.create_user(email="shopper@example.com")
    response = actions.login(email, "wrong-password")
    assert response.status_code == 400
    assert "E-mail or password is incorrect." in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/account/balance", "/account/balance"),
        ("/products?q=lamp&page=2", "/products?q=lamp&page=2"),
        ("https://evil.example/steal", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_login_redirects_only_to_this_site(client, actions, next_url, expected):
    user = actions.create_user()
    response = actions.post(f"/login?next={quote(next_url)}", {"email": user["email"], "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_remember_me_sets_a_persistent_http_only_cookie(client, actions):
    user = actions.create_user()
    response = actions.login(user["email"], remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(cookie for cookie in cookies if cookie.startswith("remember_token="))
    assert "HttpOnly" in remember and "SameSite=Lax" in remember and "Expires=" in remember


def test_signed_in_users_skip_the_forms(client, actions):
    actions.signed_in_user()
    assert client.get("/login").status_code == 302
    assert client.get("/register").status_code == 302
