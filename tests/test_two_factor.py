"""Two-factor sign-in (TOTP and recovery codes) and passkey management, end to end through the app.

The code clock is app.models.totp.current_time, moved by the `clock` fixture: no test sleeps.
"""

import html
import re

import pyotp
import pytest

from app import mailcatcher
from app.models import passkey_challenge, totp
from tests.conftest import TEST_PASSWORD, Actions, csrf_token, query_one

START = 1_900_000_000.0  # a fixed moment, 15 seconds into its 30-second step


class Clock:
    def __init__(self) -> None:
        self.now = START

    def code(self, offset_seconds: float = 0, secret: str | None = None) -> str:
        """The authenticator's code at the clock's time plus an offset."""
        return pyotp.TOTP(secret or self.secret).at(self.now + offset_seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(totp, "current_time", lambda: clock.now)
    return clock


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def enable_two_factor(actions, clock) -> list[str]:
    """Turn two-factor sign-in on for the signed-in user; return the recovery codes shown."""
    response = actions.post("/account/security/two-factor/setup")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/security/two-factor/setup")
    page = actions.client.get("/account/security/two-factor/setup").get_data(as_text=True)
    clock.secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = actions.post("/account/security/two-factor/confirm", {"code": clock.code()})
    assert response.status_code == 200, response.get_data(as_text=True)
    codes = re.findall(r'<li class="col">([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</li>', page_text(response))
    assert len(codes) == 10
    # The confirming code's step is used up; two steps on, the drift window lies wholly after it.
    clock.advance(60)
    return codes


@pytest.fixture
def two_factor_user(actions, clock):
    """A signed-out user with two-factor sign-in on; `codes` holds their recovery codes."""
    user = actions.signed_in_user()
    codes = enable_two_factor(actions, clock)
    actions.logout()
    return {"user": user, "codes": codes}


def password_step(actions, user, **extra):
    """Send the right password; the answer should be the redirect to the code step."""
    response = actions.login(user["email"], **extra)
    assert response.status_code == 302
    assert "/login/two-factor" in response.headers["Location"]
    return response


def code_step(actions, code: str):
    return actions.post("/login/two-factor", {"code": code})


# Turning it on


def test_setup_shows_an_inline_qr_code_and_the_key(actions, clock):
    actions.signed_in_user()
    actions.post("/account/security/two-factor/setup")
    response = actions.client.get("/account/security/two-factor/setup")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'<img [^>]*src="data:image/svg\+xml', page)
    assert 'alt="QR code that adds your Bazaar account to an authenticator app"' in page
    assert "img-src 'self' data:" in response.headers["Content-Security-Policy"]
    assert "<script>" not in page


def test_enabling_needs_the_right_code_and_stores_only_hashes_and_a_sealed_secret(app, actions, clock):
    user = actions.signed_in_user()
    actions.post("/account/security/two-factor/setup")
    page = actions.client.get("/account/security/two-factor/setup").get_data(as_text=True)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")

    wrong = actions.post("/account/security/two-factor/confirm", {"code": clock.code(-120, secret)})
    assert wrong.status_code == 400
    assert "That code is not right" in page_text(wrong)
    assert query_one(app, "SELECT enabled_at FROM user_totp WHERE user_id = :id", id=user["id"])["enabled_at"] is None

    right = actions.post("/account/security/two-factor/confirm", {"code": clock.code(0, secret)})
    assert right.status_code == 200
    assert "the only time they are shown" in page_text(right)
    row = query_one(app, "SELECT * FROM user_totp WHERE user_id = :id", id=user["id"])
    assert row["enabled_at"] is not None
    assert secret.encode() not in bytes(row["secret_encrypted"])
    codes = re.findall(r"[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}", page_text(right))
    stored = query_one(
        app,
        "SELECT count(*) AS n, min(length(code_hash)) AS length FROM recovery_codes WHERE user_id = :id",
        id=user["id"],
    )
    assert (stored["n"], stored["length"]) == (10, 32)
    assert len(set(codes)) == 10

    security = page_text(actions.client.get("/account/security"))
    assert "since" in security and "10 recovery codes left" in security
    # Once on, a new setup cannot replace the secret.
    again = actions.post("/account/security/two-factor/setup")
    assert again.headers["Location"].endswith("/account/security")


# Signing in


def test_sign_in_asks_for_the_code_after_the_password(client, actions, clock, two_factor_user):
    password_step(actions, two_factor_user["user"])
    assert not signed_in(client)
    page = client.get("/login/two-factor")
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.get_data(as_text=True)
    response = code_step(actions, clock.code())
    assert response.status_code == 302
    assert signed_in(client)


def test_the_second_step_keeps_next_and_remember_me(app, client, actions, clock, two_factor_user):
    user = two_factor_user["user"]
    response = actions.post("/login?next=/cart", {"email": user["email"], "password": TEST_PASSWORD, "remember": "y"})
    assert "next=/cart" in response.headers["Location"].replace("%2F", "/")
    response = actions.post("/login/two-factor?next=/cart", {"code": clock.code()})
    assert response.headers["Location"] == "/cart"
    assert client.get_cookie("remember_token") is not None
    assert query_one(app, "SELECT remember FROM user_sessions WHERE user_id = :id", id=user["id"])["remember"]


def test_a_wrong_password_never_reaches_the_code_step(client, actions, two_factor_user):
    response = actions.login(two_factor_user["user"]["email"], "wrong password")
    assert response.status_code == 400
    assert client.get("/login/two-factor").headers["Location"].startswith("/login")


@pytest.mark.parametrize("offset", [-30, 30])
def test_one_step_of_drift_either_way_is_accepted(client, actions, clock, two_factor_user, offset):
    password_step(actions, two_factor_user["user"])
    assert code_step(actions, clock.code(offset)).status_code == 302
    assert signed_in(client)


@pytest.mark.parametrize("offset", [-60, 60, -90, 90])
def test_two_steps_of_drift_are_refused(client, actions, clock, two_factor_user, offset):
    password_step(actions, two_factor_user["user"])
    response = code_step(actions, clock.code(offset))
    assert response.status_code == 400
    assert "That code is not right" in page_text(response)
    assert not signed_in(client)


def test_the_same_code_is_refused_twice(client, actions, clock, two_factor_user):
    user = two_factor_user["user"]
    code = clock.code()
    password_step(actions, user)
    assert code_step(actions, code).status_code == 302
    actions.logout()

    password_step(actions, user)
    response = code_step(actions, code)
    assert response.status_code == 400
    assert "That code was used already" in page_text(response)
    # An earlier step's code is refused too, though still inside the drift window.
    assert code_step(actions, clock.code(-30)).status_code == 400
    clock.advance(30)
    assert code_step(actions, clock.code()).status_code == 302
    assert signed_in(client)


def test_recovery_codes_work_once_each(app, client, actions, clock, two_factor_user):
    user, codes = two_factor_user["user"], two_factor_user["codes"]
    password_step(actions, user)
    response = code_step(actions, codes[0])
    assert response.status_code == 302
    assert "You used a recovery code" in page_text(client.get("/"))
    actions.logout()

    password_step(actions, user)
    assert code_step(actions, codes[0]).status_code == 400
    # Typed with capitals and spaces instead of dashes, another code still works.
    assert code_step(actions, codes[1].upper().replace("-", " ")).status_code == 302
    assert "8 recovery codes left" in page_text(client.get("/account/security"))


def test_new_recovery_codes_replace_the_old_ones(client, actions, clock, two_factor_user):
    user, old_codes = two_factor_user["user"], two_factor_user["codes"]
    password_step(actions, user)
    code_step(actions, clock.code())
    refused = actions.post("/account/security/two-factor/recovery-codes", {"password": "not it"})
    assert refused.status_code == 400
    assert "This is not your password" in page_text(refused)
    response = actions.post("/account/security/two-factor/recovery-codes", {"password": TEST_PASSWORD})
    new_codes = re.findall(r"[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}", page_text(response))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    actions.logout()
    password_step(actions, user)
    assert code_step(actions, old_codes[2]).status_code == 400
    assert code_step(actions, new_codes[0]).status_code == 302


# Brute force


def test_five_wrong_codes_drop_the_pending_sign_in(client, actions, clock, two_factor_user):
    password_step(actions, two_factor_user["user"])
    for tries_left in (4, 3, 2, 1):
        response = code_step(actions, "000000")
        assert response.status_code == 400
        assert f"{tries_left} {'try' if tries_left == 1 else 'tries'} left" in page_text(response)
    response = code_step(actions, "000000")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert "Too many wrong codes" in page_text(client.get(response.headers["Location"]))
    # The right code no longer helps: the password must come first.
    response = code_step(actions, clock.code())
    assert response.headers["Location"].startswith("/login")
    assert not signed_in(client)


def test_a_copied_cookie_gets_no_extra_tries(app, client, actions, clock, two_factor_user):
    password_step(actions, two_factor_user["user"])
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    other_actions = type(actions)(app, other)
    for _ in range(3):
        code_step(actions, "000000")
    assert code_step(other_actions, "000000").status_code == 400
    assert code_step(other_actions, "000000").headers["Location"].startswith("/login")
    assert code_step(actions, clock.code()).headers["Location"].startswith("/login")


def test_wrong_codes_are_limited_per_account_across_sign_ins(client, actions, clock, two_factor_user):
    user = two_factor_user["user"]
    for _ in range(2):
        password_step(actions, user)
        for _ in range(5):
            code_step(actions, "123456")
    password_step(actions, user)
    response = code_step(actions, clock.code())
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many wrong codes for this account" in page_text(response)
    assert not signed_in(client)


# Turning it off


def test_disabling_asks_for_the_password(app, client, actions, clock, two_factor_user):
    user = two_factor_user["user"]
    password_step(actions, user)
    code_step(actions, clock.code())

    response = actions.post("/account/security/two-factor/disable", {"password": "not my password"})
    assert response.status_code == 400
    assert "This is not your password" in page_text(response)
    assert query_one(app, "SELECT 1 AS on FROM user_totp WHERE user_id = :id", id=user["id"]) is not None
    assert actions.post("/account/security/two-factor/disable", {}).status_code == 400

    response = actions.post("/account/security/two-factor/disable", {"password": TEST_PASSWORD})
    assert response.status_code == 302
    assert query_one(app, "SELECT count(*) AS n FROM recovery_codes WHERE user_id = :id", id=user["id"])["n"] == 0
    actions.logout()
    assert actions.login(user["email"]).headers["Location"] == "/"
    assert signed_in(client)


def test_every_form_needs_its_csrf_token(client, actions, two_factor_user):
    password_step(actions, two_factor_user["user"])
    assert client.post("/login/two-factor", data={"code": "123456"}).status_code == 400
    assert client.post("/login/passkey/options", json={}).status_code == 400


# Passkeys: management and bad input (the browser ceremony is in tests/browser/test_passkeys.py)


def insert_passkey(app, user_id: int, name: str = "Laptop") -> int:
    return query_one(
        app,
        """
        INSERT INTO passkeys (user_id, name, credential_id, public_key, rp_id)
        VALUES (:user_id, :name, decode(md5(random()::text) || md5(random()::text), 'hex'), '\\x01', 'localhost')
        RETURNING id
        """,
        user_id=user_id,
        name=name,
    )["id"]


def test_someone_elses_passkey_is_not_found(app, actions):
    owner = actions.create_user()
    passkey_id = insert_passkey(app, owner["id"])
    actions.signed_in_user()
    assert actions.post(f"/account/security/passkeys/{passkey_id}/remove").status_code == 404
    assert actions.post("/account/security/passkeys/999999999/remove").status_code == 404
    assert query_one(app, "SELECT 1 AS kept FROM passkeys WHERE id = :id", id=passkey_id) is not None


def test_the_owner_lists_and_removes_a_passkey(app, client, actions):
    user = actions.signed_in_user()
    passkey_id = insert_passkey(app, user["id"], name="<b>Work phone</b>")
    page = client.get("/account/security").get_data(as_text=True)
    assert "&lt;b&gt;Work phone&lt;/b&gt;" in page and "<b>Work phone" not in page
    assert "Where you are signed in" in page
    response = actions.post(f"/account/security/passkeys/{passkey_id}/remove")
    assert response.status_code == 302
    assert query_one(app, "SELECT 1 AS gone FROM passkeys WHERE id = :id", id=passkey_id) is None


def json_post(client, url: str, body=None, data=None):
    return client.post(
        url,
        json=body,
        data=data,
        headers={"X-CSRFToken": csrf_token(client)},
        content_type="application/json" if data is not None else None,
    )


def test_registration_options_carry_a_stored_single_use_challenge(app, client, actions):
    user = actions.signed_in_user()
    response = json_post(client, "/account/security/passkeys/options", {"name": "Laptop"})
    assert response.status_code == 200
    options = response.get_json()
    assert options["rp"] == {"id": "localhost", "name": "Bazaar"}
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert str(user["id"]) != options["user"]["id"]
    with app.test_request_context():
        from webauthn.helpers import base64url_to_bytes

        challenge = base64url_to_bytes(options["challenge"])
        assert passkey_challenge.take_challenge("register", challenge, user["id"])["passkey_name"] == "Laptop"
        assert passkey_challenge.take_challenge("register", challenge, user["id"]) is None


def test_passkeys_refuse_an_ip_address_as_the_site_name(client):
    page = client.get("/login", base_url="http://127.0.0.1").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post(
        "/login/passkey/options", json={}, headers={"X-CSRFToken": token}, base_url="http://127.0.0.1"
    )
    assert response.status_code == 400
    assert "not an IP address" in response.get_json()["error"]


BAD_CODES = [
    "",
    " ",
    "abc",
    "1" * 65,
    "12345",
    "1234567",
    "١٢٣٤٥٦",
    "12345\x00",
    "abcd-efgh-ijkl-mnop",
    "%00",
    "' OR 1=1 --",
]


@pytest.mark.parametrize("code", BAD_CODES)
def test_bad_codes_never_fail_the_server(client, actions, clock, two_factor_user, code):
    password_step(actions, two_factor_user["user"])
    assert code_step(actions, code).status_code in (302, 400)
    assert actions.post("/account/security/two-factor/disable", {"password": code}).status_code in (302, 400)


@pytest.mark.parametrize("code", BAD_CODES)
def test_bad_confirmation_codes_never_fail_the_server(actions, clock, code):
    actions.signed_in_user()
    actions.post("/account/security/two-factor/setup")
    assert actions.post("/account/security/two-factor/confirm", {"code": code}).status_code == 400


BAD_BODIES = [
    None,
    [],
    ["name", "x"],
    "text",
    {},
    {"name": 5},
    {"name": "x" * 61},
    {"name": "tab\x01"},
    {"credential": None},
    {"credential": "x"},
    {"credential": {"rawId": 5}},
    {"credential": {"rawId": "!!!", "id": "!!!", "type": "public-key", "response": {}}},
    {"credential": {"rawId": "AAAA", "id": "AAAA", "type": "public-key", "response": {"clientDataJSON": "e30"}}},
    {"credential": {"rawId": "", "response": "x"}, "remember": "yes", "next": 5},
]


@pytest.mark.parametrize("body", BAD_BODIES)
@pytest.mark.parametrize(
    "url",
    ["/account/security/passkeys/options", "/account/security/passkeys", "/login/passkey/options", "/login/passkey"],
)
def test_bad_passkey_requests_never_fail_the_server(client, actions, url, body):
    actions.signed_in_user()
    if url == "/login/passkey":
        # With a live challenge, so the body itself is what gets checked.
        json_post(client, "/login/passkey/options", {})
    if url == "/account/security/passkeys":
        json_post(client, "/account/security/passkeys/options", {"name": "Laptop"})
    response = json_post(client, url, body)
    assert response.status_code in (200, 400, 409), response.get_data(as_text=True)
    assert response.is_json


def test_a_body_that_is_not_json_is_refused(client, actions):
    actions.signed_in_user()
    response = json_post(client, "/account/security/passkeys/options", data="{not json")
    assert response.status_code == 400
    assert response.get_json() == {"error": "Send a JSON object."}


# New-device e-mail

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Safari/604.1"


def sign_in_with(app, email: str, user_agent: str):
    """Sign in from a fresh browser with this User-Agent; return its client."""
    browser = app.test_client()
    browser.environ_base["HTTP_USER_AGENT"] = user_agent
    response = Actions(app, browser).login(email)
    assert response.status_code == 302
    return browser


def test_a_sign_in_from_a_new_browser_sends_an_email_and_a_known_one_does_not(app, actions, mailbox):
    user = actions.create_user(full_name="Ada Example")
    sign_in_with(app, user["email"], FIREFOX)
    message = mailbox.last(user["email"])
    assert message["Subject"] == "New sign-in to your Bazaar account"
    text = mailcatcher.text_of(message)
    assert "Firefox on Windows" in text and "/account/security" in text

    # The same browser again (even after signing out, which deletes its session row): no e-mail.
    sign_in_with(app, user["email"], FIREFOX)
    mailbox.deliver()
    assert len(mailbox.messages(user["email"])) == 1

    sign_in_with(app, user["email"], SAFARI)
    assert "Safari on iPhone" in mailcatcher.text_of(mailbox.last(user["email"]))
    assert len(mailbox.messages(user["email"])) == 2


def test_a_browser_unseen_for_months_counts_as_new(app, actions, mailbox):
    user = actions.create_user()
    sign_in_with(app, user["email"], FIREFOX)
    query_one(
        app,
        "UPDATE sign_in_devices SET last_seen_at = now() - interval '91 days' WHERE user_id = :id RETURNING 1 AS done",
        id=user["id"],
    )
    sign_in_with(app, user["email"], FIREFOX)
    mailbox.deliver()
    assert len(mailbox.messages(user["email"])) == 2


def test_with_two_factor_on_the_alert_waits_for_the_right_code(client, actions, clock, mailbox):
    user = actions.signed_in_user()
    enable_two_factor(actions, clock)
    actions.logout()
    mailbox.deliver()
    before = len(mailbox.messages(user["email"]))
    client.environ_base["HTTP_USER_AGENT"] = SAFARI
    password_step(actions, user)
    assert len(mailbox.messages(user["email"])) == before  # nothing until the code is right
    code_step(actions, clock.code())
    assert "Safari on iPhone" in mailcatcher.text_of(mailbox.last(user["email"]))


def test_passkey_challenges_are_limited_per_network_address(client, monkeypatch):
    monkeypatch.setattr(
        passkey_challenge, "PER_ADDRESS", passkey_challenge.rate_limit.Limit("passkey_challenge", 3, 300)
    )
    client.get("/login")
    statuses = [json_post(client, "/login/passkey/options", {}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = json_post(client, "/login/passkey/options", {})
    assert "Too many passkey requests" in refused.get_json()["error"]
    assert int(refused.headers["Retry-After"]) > 0
