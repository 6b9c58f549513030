"""Password reset by e-mail: the same answer for any address, a single-use link valid for an hour,
and a new password that signs out every session of the account."""

import pytest

from tests.conftest import TEST_PASSWORD, query_one

NEW_PASSWORD = "a-brand-new-password"


def ask_for_link(actions, email: str):
    return actions.post("/forgot-password", {"email": email})


def set_password(actions, password: str = NEW_PASSWORD):
    return actions.post("/reset-password", {"password": password, "confirm": password})


def test_sign_in_page_offers_the_way_back(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot-password"' in page and "Forgot password?" in page


def test_reset_end_to_end_signs_out_every_session(app, client, actions, mailbox):
    user = actions.create_user(email="forgetful@example.com", full_name="Forgetful")
    other_device = app.test_client()
    other = type(actions)(app, other_device)
    assert other.login(user["email"]).status_code == 302
    assert other_device.get("/account").status_code == 200

    response = ask_for_link(actions, "FORGETFUL@example.com")
    assert response.status_code == 302 and response.headers["Location"] == "/forgot-password/sent"
    assert "If an account uses <strong>FORGETFUL@example.com</strong>" in client.get("/forgot-password/sent").get_data(
        as_text=True
    )
    message = mailbox.last("forgetful@example.com")
    assert message["Subject"] == "Reset your Bazaar password"
    link = mailbox.link("forgetful@example.com", "/reset-password/")

    response = client.get(link)
    assert response.status_code == 302 and response.headers["Location"] == "/reset-password"  # the token leaves the URL
    page = client.get("/reset-password").get_data(as_text=True)
    assert "Choose a new password" in page and "forgetful@example.com" in page
    response = set_password(actions)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Your password is changed" in client.get("/login").get_data(as_text=True)

    assert other_device.get("/account").status_code == 302  # the other session is over
    assert actions.login(user["email"], TEST_PASSWORD).status_code == 400
    assert actions.login(user["email"], NEW_PASSWORD).status_code == 302
    assert mailbox.last("forgetful@example.com")["Subject"] == "Your Bazaar password was changed"
    assert query_one(app, "SELECT count(*) AS n FROM user_sessions WHERE user_id = :id", id=user["id"])["n"] == 1


def test_the_same_answer_for_an_unknown_address_and_no_email(app, client, actions, mailbox):
    actions.create_user(email="known@example.com")
    known = ask_for_link(actions, "known@example.com")
    unknown = ask_for_link(actions, "unknown@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    page = client.get("/forgot-password/sent").get_data(as_text=True)
    assert "If an account uses <strong>unknown@example.com</strong>" in page
    mailbox.deliver()
    assert [str(message["To"]) for message in mailbox.messages()] == ["known@example.com"]


def test_a_link_works_once(app, client, actions, mailbox):
    actions.create_user(email="once@example.com")
    ask_for_link(actions, "once@example.com")
    link = mailbox.link("once@example.com", "/reset-password/")
    client.get(link)
    assert set_password(actions).status_code == 302
    response = client.get(link)
    assert response.status_code == 404
    assert "This link does not work" in response.get_data(as_text=True)
    assert set_password(actions, "yet-another-password").status_code == 404
    assert actions.login("once@example.com", NEW_PASSWORD).status_code == 302


def test_a_link_used_in_one_browser_fails_in_another_already_open(app, client, actions, mailbox):
    actions.create_user(email="twice@example.com")
    ask_for_link(actions, "twice@example.com")
    link = mailbox.link("twice@example.com", "/reset-password/")
    second_browser = app.test_client()
    second = type(actions)(app, second_browser)
    client.get(link)
    second_browser.get(link)
    assert set_password(actions).status_code == 302
    assert set_password(second, "the-attackers-password").status_code == 404
    assert actions.login("twice@example.com", NEW_PASSWORD).status_code == 302


def test_a_link_expires_after_an_hour(app, client, actions, mailbox):
    actions.create_user(email="slow@example.com")
    ask_for_link(actions, "slow@example.com")
    link = mailbox.link("slow@example.com", "/reset-password/")
    query_one(
        app,
        """
        UPDATE password_resets
        SET created_at = created_at - interval '61 minutes', expires_at = expires_at - interval '61 minutes'
        RETURNING id
        """,
    )
    assert client.get(link).status_code == 404


def test_a_link_expires_while_the_form_is_open(app, client, actions, mailbox):
    actions.create_user(email="dawdler@example.com")
    ask_for_link(actions, "dawdler@example.com")
    client.get(mailbox.link("dawdler@example.com", "/reset-password/"))
    assert client.get("/reset-password").status_code == 200
    # An hour and more passes before the form is sent.
    query_one(
        app,
        """
        UPDATE password_resets
        SET created_at = created_at - interval '2 hours', expires_at = created_at - interval '1 hour'
        RETURNING id
        """,
    )
    assert set_password(actions).status_code == 404
    assert actions.login("dawdler@example.com", TEST_PASSWORD).status_code == 302


def test_a_newer_password_makes_older_links_useless(app, client, actions, mailbox):
    actions.create_user(email="many@example.com")
    ask_for_link(actions, "many@example.com")
    first = mailbox.link("many@example.com", "/reset-password/")
    ask_for_link(actions, "many@example.com")
    second = mailbox.link("many@example.com", "/reset-password/")
    assert first != second
    client.get(second)
    assert set_password(actions).status_code == 302
    assert client.get(first).status_code == 404


def test_a_link_stops_working_when_the_email_changes(app, client, actions, mailbox):
    user = actions.create_user(email="moving@example.com")
    ask_for_link(actions, "moving@example.com")
    link = mailbox.link("moving@example.com", "/reset-password/")
    query_one(app, "UPDATE users SET email = 'moved@example.com' WHERE id = :id RETURNING id", id=user["id"])
    assert client.get(link).status_code == 404


def test_a_reset_proves_the_address(app, client, actions, mailbox):
    user = actions.create_user(email="unproven@example.com", verified=False)
    ask_for_link(actions, "unproven@example.com")
    client.get(mailbox.link("unproven@example.com", "/reset-password/"))
    set_password(actions)
    row = query_one(app, "SELECT email_verified_at FROM users WHERE id = :id", id=user["id"])
    assert row["email_verified_at"] is not None


@pytest.mark.parametrize(
    "token",
    ["x", "A" * 43, "A" * 5000, "%00", "../../etc/passwd", "<script>", "é" * 43],
)
def test_bad_tokens_are_refused_without_5xx(client, token):
    response = client.get(f"/reset-password/{token}")
    assert response.status_code == 404
    if "/" not in token:  # with a slash it is another URL, and the site's own 404
        assert "This link does not work" in response.get_data(as_text=True)


def test_guessing_links_is_throttled(client):
    for number in range(20):
        assert client.get(f"/reset-password/guess-{number}").status_code == 404
    response = client.get("/reset-password/guess-21")
    assert response.status_code == 429
    assert "Too many invalid reset links" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0


def test_reset_requests_are_limited_per_address_whether_or_not_it_exists(app, actions, mailbox):
    actions.create_user(email="popular@example.com")
    for email in ("popular@example.com", "nobody@example.com"):
        for _ in range(3):
            assert ask_for_link(actions, email).status_code == 302
        response = ask_for_link(actions, email)
        assert response.status_code == 429
        assert "Too many reset requests" in response.get_data(as_text=True)
    mailbox.deliver()
    assert len(mailbox.messages("popular@example.com")) == 3


def test_reset_form_refuses_bad_passwords(client, actions, mailbox):
    actions.create_user(email="picky@example.com")
    ask_for_link(actions, "picky@example.com")
    client.get(mailbox.link("picky@example.com", "/reset-password/"))
    response = actions.post("/reset-password", {"password": "short", "confirm": "short"})
    assert response.status_code == 400 and "Use 8 to 128 characters." in response.get_data(as_text=True)
    response = actions.post("/reset-password", {"password": NEW_PASSWORD, "confirm": "different-one"})
    assert response.status_code == 400 and "The two passwords differ." in response.get_data(as_text=True)
    assert set_password(actions).status_code == 302  # the link is still good after refused forms


def test_reset_without_a_link_in_the_session(client, actions):
    assert client.get("/reset-password").status_code == 404
    assert set_password(actions).status_code == 404


def test_tokens_are_stored_hashed(app, actions, mailbox):
    actions.create_user(email="hashed@example.com")
    ask_for_link(actions, "hashed@example.com")
    token = mailbox.link("hashed@example.com", "/reset-password/").rsplit("/", 1)[1]
    row = query_one(app, "SELECT token_hash FROM password_resets")
    assert token.encode() not in bytes(row["token_hash"]) and len(bytes(row["token_hash"])) == 32
