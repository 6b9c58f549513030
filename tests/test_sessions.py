"""Sessions live in PostgreSQL: a copied cookie stops working after sign-out, a password change
or "sign out everywhere", on every server; remember-me tokens rotate; the CSRF secret rotates."""

import re

import pytest
from itsdangerous import BadSignature
from sqlalchemy import text

from bench.http_bench import Session, gunicorn
from tests.conftest import TEST_PASSWORD, csrf_token, query_one


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


@pytest.fixture
def second_client(app):
    return app.test_client()


def copy_cookie(source, target, name: str = "session") -> None:
    cookie = source.get_cookie(name)
    target.set_cookie(name, cookie.value)


def test_sign_in_stores_only_a_hash_of_the_token(app, client, actions):
    user = actions.signed_in_user()
    row = query_one(app, "SELECT token_hash, user_agent FROM user_sessions WHERE user_id = :id", id=user["id"])
    assert len(row["token_hash"]) == 32
    assert bytes(row["token_hash"]).hex() not in session_cookie(client)


def test_a_copied_cookie_stops_working_after_sign_out(client, second_client, actions):
    actions.signed_in_user()
    copy_cookie(client, second_client)
    assert signed_in(second_client)
    actions.logout()
    assert not signed_in(second_client)
    assert not signed_in(client)


def test_password_change_ends_every_other_session_and_keeps_this_one(app, client, second_client, actions):
    user = actions.signed_in_user()
    other = app.test_client()
    other_actions = type(actions)(app, other)
    other_actions.login(user["email"])
    copy_cookie(other, second_client)
    response = actions.post(
        "/account/password",
        {"current_password": TEST_PASSWORD, "password": "a new passphrase", "confirm": "a new passphrase"},
    )
    assert response.status_code == 302
    assert signed_in(client)
    assert not signed_in(other)
    assert not signed_in(second_client)


def test_sign_out_everywhere_asks_first_then_ends_the_other_sessions(app, client, actions):
    user = actions.signed_in_user()
    others = [app.test_client() for _ in range(2)]
    for other in others:
        type(actions)(app, other).login(user["email"])
    confirm = client.get("/account/security/sign-out-everywhere").get_data(as_text=True)
    assert "Sign out 2 sessions" in confirm
    assert all(signed_in(other) for other in others)
    response = actions.post("/account/security/sign-out-everywhere")
    assert response.status_code == 302
    assert not any(signed_in(other) for other in others)
    assert signed_in(client)


def test_security_page_lists_sessions_and_signs_one_out(app, client, actions):
    user = actions.signed_in_user()
    other = app.test_client()
    type(actions)(app, other).login(
        user["email"], headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Firefox/140.0"}
    )
    page = client.get("/account/security").get_data(as_text=True)
    assert "This browser" in page
    ids = [int(match) for match in re.findall(r"/account/security/sessions/(\d+)/sign-out", page)]
    assert len(ids) == 2
    other_id = max(ids)  # the other browser signed in last
    assert actions.post(f"/account/security/sessions/{other_id}/sign-out").status_code == 302
    assert not signed_in(other)
    assert signed_in(client)


def test_someone_elses_session_id_is_not_found(app, client, actions):
    victim = actions.create_user()
    victim_client = app.test_client()
    type(actions)(app, victim_client).login(victim["email"])
    victim_session = query_one(app, "SELECT id FROM user_sessions WHERE user_id = :id", id=victim["id"])["id"]
    actions.signed_in_user()
    assert actions.post(f"/account/security/sessions/{victim_session}/sign-out").status_code == 404
    assert signed_in(victim_client)


def csrf_secret(client) -> str:
    """The session's CSRF secret, after a page has made one."""
    csrf_token(client)
    with client.session_transaction() as cookie:
        return cookie["csrf_token"]


def test_the_csrf_secret_changes_at_sign_in_and_sign_out(client, actions):
    user = actions.create_user()
    guest_secret = csrf_secret(client)
    guest_token = csrf_token(client)
    actions.login(user["email"])
    signed_in_secret = csrf_secret(client)
    # A token planted before sign-in (login CSRF, a fixed session) no longer passes.
    stale = client.post("/account/time-zone", data={"csrf_token": guest_token, "time_zone": "Europe/Paris"})
    assert stale.status_code == 400
    actions.logout()
    assert len({guest_secret, signed_in_secret, csrf_secret(client)}) == 3


def test_remember_me_rotates_its_token_on_use_and_the_old_one_is_refused(app, client, actions):
    user = actions.create_user()
    actions.login(user["email"], remember="y")
    first_remember = client.get_cookie("remember_token").value
    # A new browser session: the session cookie is gone, the remember-me cookie stays.
    returning = app.test_client()
    returning.set_cookie("remember_token", first_remember)
    assert signed_in(returning)
    second_remember = returning.get_cookie("remember_token").value
    assert second_remember != first_remember
    thief = app.test_client()
    thief.set_cookie("remember_token", first_remember)
    assert not signed_in(thief)
    sessions = query_one(app, "SELECT count(*) AS n FROM user_sessions WHERE user_id = :id", id=user["id"])
    assert sessions["n"] == 1  # the session the cookie restored was replaced, not added to


def test_remember_me_cookie_is_refused_after_sign_out(app, client, actions):
    user = actions.create_user()
    actions.login(user["email"], remember="y")
    remember = client.get_cookie("remember_token").value
    actions.logout()
    returning = app.test_client()
    returning.set_cookie("remember_token", remember)
    assert not signed_in(returning)


def test_an_expired_session_signs_nobody_in(app, client, actions):
    user = actions.signed_in_user()
    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(
            text(
                """
                UPDATE user_sessions
                SET created_at = now() - interval '3 days',
                    last_seen_at = now() - interval '2 days',
                    expires_at = now() - interval '1 day'
                WHERE user_id = :user_id
                """
            ),
            {"user_id": user["id"]},
        )
    assert not signed_in(client)


@pytest.mark.parametrize("cookie_value", ["", "1", "1.deadbeef", "x" * 43, "x" * 5000])
def test_forged_session_ids_sign_nobody_in(app, client, cookie_value):
    with client.session_transaction() as cookie:
        cookie["_user_id"] = cookie_value
    assert not signed_in(client)


@pytest.fixture(scope="module")
def two_servers(database_url):
    """Two gunicorn servers on the same database, signing cookies with the same key."""
    environment = {"SECRET_KEY": "shared-by-every-server", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    with gunicorn(1, database_url, environment) as first, gunicorn(1, database_url, environment) as second:
        yield first, second


def signed_in_at(browser: Session, base: str) -> bool:
    """Whether the browser's cookies sign it in on the server at `base` (else /account sends it to sign in)."""
    return "/login" not in browser.opener.open(base + "/account").geturl()


def copy_of(browser: Session, base: str) -> Session:
    """A browser on the server at `base` holding copies of `browser`'s cookies."""
    copy = Session(base)
    for cookie in browser.jar:
        copy.jar.set_cookie(cookie)
    return copy


# How a session ends on the first server, and whether the browser that ended it stays signed in.
ENDINGS = {
    "sign out": ("/logout", {}, False),
    "password change": (
        "/account/password",
        {"current_password": TEST_PASSWORD, "password": "a new passphrase", "confirm": "a new passphrase"},
        True,
    ),
    "sign out everywhere": ("/account/security/sign-out-everywhere", {}, True),
}


@pytest.mark.concurrency
@pytest.mark.parametrize("ending", ENDINGS)
def test_a_cookie_copied_to_another_server_ends_with_the_session(actions, two_servers, ending):
    """The owner acts on the first server; a copy of the cookie of the session that ends (this one
    when signing out, the owner's other browser otherwise) is refused at once on the second."""
    first, second = two_servers
    path, form, owner_stays = ENDINGS[ending]
    user = actions.create_user()
    owner = Session(first)
    owner.login(user["email"], TEST_PASSWORD)
    if owner_stays:
        other_browser = Session(second)
        other_browser.login(user["email"], TEST_PASSWORD)
        stolen = copy_of(other_browser, second)
    else:
        stolen = copy_of(owner, second)
    assert signed_in_at(stolen, second)

    status, _ = owner.post(path, form)
    assert status == 200

    assert not signed_in_at(stolen, second)
    assert signed_in_at(owner, first) == owner_stays
    assert signed_in_at(copy_of(owner, second), second) == owner_stays  # this browser's session, on any server


def test_the_cookie_serializer_is_built_once_per_secret_key(app):
    """security.SessionCookies keeps Flask's signing serializer, and builds a new one for a new key."""
    interface = app.session_interface
    kept = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is kept
    secret = app.config["SECRET_KEY"]
    try:
        app.config["SECRET_KEY"] = "a rotated key"
        rotated = interface.get_signing_serializer(app)
        assert rotated is not kept
        with pytest.raises(BadSignature):
            rotated.loads(kept.dumps({"csrf_token": "x"}))
    finally:
        app.config["SECRET_KEY"] = secret
    assert interface.get_signing_serializer(app).loads(kept.dumps({"csrf_token": "x"})) == {"csrf_token": "x"}
