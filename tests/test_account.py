"""The private profile, password changes and the public profile."""

import pytest

from tests.conftest import TEST_PASSWORD, query_one

PROFILE = {"full_name": "Renamed Person", "address": "9 New Road"}


def test_account_pages_need_sign_in(client):
    for path in ["/account", "/account/balance"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_profile_shows_the_users_own_details(client, actions):
    user = actions.signed_in_user(full_name="Ada Buyer", address="1 Loop Lane")
    page = client.get("/account").get_data(as_text=True)
    assert "Ada Buyer" in page and "1 Loop Lane" in page and user["email"] in page


def test_update_profile(app, actions):
    user = actions.signed_in_user()
    # An e-mail in the form is ignored: the address changes only through a code (test_mail_change_email.py).
    response = actions.post("/account/profile", PROFILE | {"email": "renamed@example.com"})
    assert response.status_code == 302
    row = query_one(app, "SELECT full_name, email, address FROM users WHERE id = :id", id=user["id"])
    assert dict(row) == PROFILE | {"email": user["email"]}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"full_name": ""}, "Enter your name."),
        ({"address": "a" * 301}, "Field cannot be longer than 300 characters."),
    ],
)
def test_update_profile_refuses_bad_input(app, actions, changes, message):
    actions.create_user(email="other@example.com")
    user = actions.signed_in_user()
    response = actions.post("/account/profile", PROFILE | changes)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    row = query_one(app, "SELECT full_name, email FROM users WHERE id = :id", id=user["id"])
    assert row["full_name"] == "Test User" and row["email"] == user["email"]


def test_change_password_keeps_this_session_and_ends_others(app, client, actions):
    user = actions.signed_in_user()
    other_device = app.test_client()
    assert (
        other_device.post(
            "/login", data={"email": user["email"], "password": TEST_PASSWORD, "csrf_token": _token(other_device)}
        ).status_code
        == 302
    )
    response = actions.post(
        "/account/password",
        {"current_password": TEST_PASSWORD, "password": "brand-new-pass", "confirm": "brand-new-pass"},
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert other_device.get("/account").status_code == 302
    actions.logout()
    assert actions.login(user["email"], TEST_PASSWORD).status_code == 400
    assert actions.login(user["email"], "brand-new-pass").status_code == 302


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"current_password": "wrong", "password": "brand-new-pass", "confirm": "brand-new-pass"}, "not your current"),
        ({"current_password": TEST_PASSWORD, "password": "short", "confirm": "short"}, "Use 8 to 128 characters."),
        ({"current_password": TEST_PASSWORD, "password": "brand-new-pass", "confirm": "other"}, "passwords differ"),
        ({"current_password": "", "password": "", "confirm": ""}, "Enter your current password."),
    ],
)
def test_change_password_refuses_bad_input(app, actions, form, message):
    user = actions.signed_in_user()
    response = actions.post("/account/password", form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    row = query_one(app, "SELECT password_hash FROM users WHERE id = :id", id=user["id"])
    assert row["password_hash"] == user["password_hash"]


def test_public_profile_hides_private_details(client, actions):
    user = actions.create_user(full_name="Public Person", address="Secret Address 7", balance="123.45")
    page = client.get(f"/users/{user['id']}").get_data(as_text=True)
    assert "Public Person" in page and "Member since" in page
    assert user["email"] not in page and "Secret Address 7" not in page and "123.45" not in page


def _token(client):
    from tests.conftest import csrf_token

    return csrf_token(client)
