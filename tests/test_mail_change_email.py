"""Changing the account's e-mail: the password first, then a code sent to the new address; the old
address is told once the change is made."""

from tests.conftest import TEST_PASSWORD, query_one


def ask(actions, email: str, password: str = TEST_PASSWORD):
    return actions.post("/account/email", {"email": email, "current_password": password})


def email_of(app, user_id: int) -> str:
    return query_one(app, "SELECT email FROM users WHERE id = :id", id=user_id)["email"]


def test_change_email_end_to_end(app, client, actions, mailbox):
    user = actions.signed_in_user(email="old@example.com")
    response = ask(actions, "new@example.com")
    assert response.status_code == 302 and response.headers["Location"] == "/account/email/confirm"
    assert "we sent to <strong>new@example.com</strong>" in client.get("/account/email/confirm").get_data(as_text=True)
    assert email_of(app, user["id"]) == "old@example.com"  # not before the code

    message = mailbox.last("new@example.com")
    assert message["Subject"] == "Confirm your new Bazaar e-mail address"
    response = actions.post("/account/email/confirm", {"code": mailbox.code("new@example.com")})
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert "Your e-mail address is now new@example.com" in client.get("/account").get_data(as_text=True)
    assert email_of(app, user["id"]) == "new@example.com"

    told = mailbox.last("old@example.com")
    assert told["Subject"] == "Your Bazaar e-mail address was changed"
    assert "new@example.com" in told.get_body(("plain",)).get_content()
    actions.logout()
    assert actions.login("new@example.com").status_code == 302


def test_a_wrong_password_changes_nothing_and_sends_nothing(app, actions, mailbox):
    user = actions.signed_in_user(email="keep@example.com")
    response = ask(actions, "other@example.com", "not-my-password")
    assert response.status_code == 400
    assert "This is not your current password." in response.get_data(as_text=True)
    mailbox.deliver()
    assert mailbox.messages("other@example.com") == []
    assert email_of(app, user["id"]) == "keep@example.com"


def test_password_checks_are_limited(actions, mailbox):
    actions.signed_in_user()
    for _ in range(10):
        assert ask(actions, "other@example.com", "wrong-guess").status_code == 400
    response = ask(actions, "other@example.com")
    assert response.status_code == 429
    assert "Too many password checks" in response.get_data(as_text=True)


def test_the_same_address_is_refused(actions):
    user = actions.signed_in_user(email="same@example.com")
    response = ask(actions, "SAME@example.com")
    assert response.status_code == 400
    assert "This is already your e-mail address." in response.get_data(as_text=True)
    assert user


def test_an_address_of_another_account_looks_the_same_but_cannot_be_taken(app, client, actions, mailbox):
    actions.create_user(email="owner@example.com")
    user = actions.signed_in_user(email="mover@example.com")
    response = ask(actions, "owner@example.com")
    assert response.status_code == 302 and response.headers["Location"] == "/account/email/confirm"
    notice = mailbox.last("owner@example.com")
    assert notice["Subject"] == "Someone tried to use your address on Bazaar"
    for guess in ("000000", "123456", "999999"):
        assert actions.post("/account/email/confirm", {"code": guess}).status_code == 400
    assert email_of(app, user["id"]) == "mover@example.com"


def test_an_address_taken_meanwhile_is_refused_at_the_code(app, client, actions, mailbox):
    user = actions.signed_in_user(email="slowpoke@example.com")
    ask(actions, "contested@example.com")
    code = mailbox.code("contested@example.com")
    actions.create_user(email="contested@example.com")  # someone registers it first
    response = actions.post("/account/email/confirm", {"code": code})
    assert response.status_code == 409
    assert "Another account started using this address" in response.get_data(as_text=True)
    assert email_of(app, user["id"]) == "slowpoke@example.com"


def test_an_expired_change_code_is_refused(app, actions, mailbox):
    user = actions.signed_in_user(email="late@example.com")
    ask(actions, "later@example.com")
    code = mailbox.code("later@example.com")
    query_one(
        app,
        """
        UPDATE email_codes
        SET created_at = created_at - interval '20 minutes', expires_at = expires_at - interval '20 minutes'
        RETURNING id
        """,
    )
    response = actions.post("/account/email/confirm", {"code": code})
    assert response.status_code == 400 and "This code has expired" in response.get_data(as_text=True)
    assert email_of(app, user["id"]) == "late@example.com"


def test_the_code_is_bound_to_the_user_who_asked(app, client, actions, mailbox):
    first = actions.signed_in_user(email="first-mover@example.com")
    ask(actions, "wanted@example.com")
    code = mailbox.code("wanted@example.com")
    with client.session_transaction() as session:
        flow = session["change_email"]
    actions.logout()
    second = actions.signed_in_user(email="second-mover@example.com")
    with client.session_transaction() as session:  # a session stolen or copied into another account
        session["change_email"] = flow
    response = actions.post("/account/email/confirm", {"code": code})
    assert response.status_code == 400
    assert email_of(app, second["id"]) == "second-mover@example.com"
    assert email_of(app, first["id"]) == "first-mover@example.com"


def test_cancel_forgets_the_change(client, actions, mailbox):
    actions.signed_in_user()
    ask(actions, "maybe@example.com")
    assert actions.post("/account/email/cancel").status_code == 302
    assert client.get("/account/email/confirm").status_code == 302


def test_the_profile_form_no_longer_changes_the_email(app, actions):
    user = actions.signed_in_user(email="fixed@example.com")
    actions.post("/account/profile", {"full_name": "Renamed", "address": "1 Road", "email": "sneaky@example.com"})
    assert email_of(app, user["id"]) == "fixed@example.com"
