"""Registration with a 6-digit code sent by e-mail (issue 13), the same answer for a taken address
(issue 12), verification later, and checkout refused until the address is confirmed."""

import pytest

from tests import factories
from tests.conftest import TEST_PASSWORD, query_one

NEW = {
    "email": "new.person@example.com",
    "full_name": "New Person",
    "address": "12 Market Street, Springfield",
    "password": "s3cret-enough",
    "confirm": "s3cret-enough",
}


def register(actions, **changes):
    return actions.post("/register", NEW | changes)


def signed_in_name(client) -> bool:
    return "New Person" in client.get("/").get_data(as_text=True)


def test_register_sends_a_code_that_signs_in_and_confirms(app, client, actions, mailbox):
    response = register(actions)
    assert response.status_code == 302 and response.headers["Location"] == "/register/confirm"
    page = client.get("/register/confirm").get_data(as_text=True)
    assert "Enter the 6-digit code we sent to <strong>new.person@example.com</strong>" in page
    assert not signed_in_name(client)  # registering never signs in by itself

    message = mailbox.last("new.person@example.com")
    assert message["Subject"] == "Your Bazaar code"
    assert message["From"] == "Bazaar <no-reply@bazaar.example>"
    assert message.get_body(("html",)) is not None and message.get_body(("plain",)) is not None
    code = mailbox.code("new.person@example.com")

    response = actions.post("/register/confirm", {"code": code})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Welcome to Bazaar, New Person!" in client.get("/").get_data(as_text=True)
    row = query_one(app, "SELECT email_verified_at FROM users WHERE email = :e", e=NEW["email"])
    assert row["email_verified_at"] is not None
    # Used once: the same code again finds no flow (the session forgot it) and no second sign-up.
    assert client.get("/register/confirm").status_code == 302


def test_the_html_part_is_escaped_and_has_no_remote_resources(app, actions, mailbox):
    register(actions, full_name="Zoë <img src=x>")
    html = mailbox.last(NEW["email"]).get_body(("html",)).get_content()
    assert "<img" not in html and "src=" not in html  # no pixels, no remote images
    assert "Bazaar" in html


def test_a_taken_address_gets_the_same_answer_and_its_owner_an_email(app, client, actions, mailbox):
    owner = actions.create_user(email="Taken@Example.com", full_name="Owner")
    fresh = register(actions, email="fresh@example.com")
    taken = register(actions, email="taken@EXAMPLE.com")
    assert fresh.status_code == taken.status_code == 302
    assert fresh.headers["Location"] == taken.headers["Location"] == "/register/confirm"
    page = client.get("/register/confirm").get_data(as_text=True)
    assert "we sent to <strong>taken@EXAMPLE.com</strong>" in page
    assert query_one(app, "SELECT count(*) AS n FROM users WHERE lower(email) = 'taken@example.com'")["n"] == 1

    notice = mailbox.last("taken@EXAMPLE.com")
    assert notice["Subject"] == "Someone tried to register with your address"
    text = notice.get_body(("plain",)).get_content()
    assert "/login" in text and "/forgot-password" in text
    # No code in it, and no code works: the page behaves like a real one.
    for attempt in range(5):
        response = actions.post("/register/confirm", {"code": f"{attempt:06d}"})
        assert response.status_code == 400
    assert actions.post("/register/confirm", {"code": "123456"}).status_code == 429
    assert owner["email_verified_at"] is not None


def test_registration_keeps_its_next_page(app, client, actions, mailbox):
    response = actions.post("/register?next=/cart", NEW)
    assert response.status_code == 302
    code = mailbox.code(NEW["email"])
    response = actions.post("/register/confirm", {"code": code})
    assert response.headers["Location"] == "/cart"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter the 6-digit code"),
        ("12345", "The code is 6 digits"),
        ("12a456", "The code is 6 digits"),
        ("１２３４５６", "The code is 6 digits"),
        ("1" * 5000, "The code is 6 digits"),
        ("12\x00456", "The code is 6 digits"),
    ],
)
def test_malformed_codes_are_refused_with_a_message(actions, mailbox, code, message):
    register(actions)
    response = actions.post("/register/confirm", {"code": code})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_code_with_spaces_is_accepted(client, actions, mailbox):
    register(actions)
    code = mailbox.code(NEW["email"])
    response = actions.post("/register/confirm", {"code": f" {code[:3]} {code[3:]} "})
    assert response.status_code == 302
    assert signed_in_name(client)


def test_five_wrong_codes_lock_the_code_even_the_right_one(app, client, actions, mailbox):
    register(actions)
    code = mailbox.code(NEW["email"])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    messages = []
    for _ in range(5):
        response = actions.post("/register/confirm", {"code": wrong})
        assert response.status_code == 400
        messages.append(response.get_data(as_text=True))
    assert "4 tries left" in messages[0] and "1 try left" in messages[3] and "last try" in messages[4]
    response = actions.post("/register/confirm", {"code": code})
    assert response.status_code == 429
    assert "Too many wrong tries" in response.get_data(as_text=True)
    assert not signed_in_name(client)
    row = query_one(app, "SELECT attempts, used_at FROM email_codes WHERE email = :e", e=NEW["email"])
    assert row["attempts"] == 5 and row["used_at"] is None


def test_an_expired_code_is_refused(app, client, actions, mailbox):
    register(actions)
    code = mailbox.code(NEW["email"])
    # Move time on: the code was made 16 minutes ago.
    query_one(
        app,
        """
        UPDATE email_codes
        SET created_at = created_at - interval '16 minutes', expires_at = expires_at - interval '16 minutes'
        RETURNING id
        """,
    )
    response = actions.post("/register/confirm", {"code": code})
    assert response.status_code == 400
    assert "This code has expired" in response.get_data(as_text=True)
    assert not signed_in_name(client)


def test_resend_waits_for_the_cool_down_then_replaces_the_code(app, client, actions, mailbox):
    register(actions)
    first = mailbox.code(NEW["email"])
    response = actions.post("/register/resend")
    assert response.status_code == 302
    assert "Please wait 1 minute before asking for another code." in client.get("/register/confirm").get_data(
        as_text=True
    )
    query_one(app, "UPDATE email_codes SET created_at = created_at - interval '61 seconds' RETURNING id")
    actions.post("/register/resend")
    assert "We sent a new code" in client.get("/register/confirm").get_data(as_text=True)
    second = mailbox.code(NEW["email"])
    assert len(mailbox.messages(NEW["email"])) == 2
    if first != second:
        assert actions.post("/register/confirm", {"code": first}).status_code == 400  # the old one is retired
    assert actions.post("/register/confirm", {"code": second}).status_code == 302
    assert signed_in_name(client)


def test_registrations_to_one_address_are_limited(app, client, actions, mailbox):
    for _ in range(6):
        client.delete_cookie("session")
        assert register(actions).status_code == 302
    response = register(actions)
    assert response.status_code == 429
    assert "Too many e-mails were sent to this address lately." in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    mailbox.deliver()
    assert len(mailbox.messages(NEW["email"])) == 6  # one code, then five notices: no more


def test_registrations_from_one_network_address_are_limited(actions, client, mailbox):
    for number in range(20):
        assert register(actions, email=f"person{number}@example.com").status_code == 302
    response = register(actions, email="one-more@example.com")
    assert response.status_code == 429
    assert "Too many sign-ups from your network address." in response.get_data(as_text=True)


def test_an_unverified_user_can_sign_in_browse_and_fill_a_cart_but_not_order(app, client, actions, mailbox):
    seller = actions.create_user(full_name="Shop")
    product = factories.product(app, seller["id"], name="Teapot")
    factories.offer(app, seller["id"], product["id"], price="5.00")
    buyer = actions.create_user(email="unverified@example.com", balance="50", verified=False)
    assert actions.login(buyer["email"]).status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Confirm your e-mail address to place orders." in home
    assert client.get(f"/products/{product['id']}").status_code == 200
    added = actions.post("/cart/add", {"product_id": product["id"], "seller_id": seller["id"], "quantity": 1})
    assert added.status_code == 302

    page = client.get("/checkout").get_data(as_text=True)
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    response = actions.post("/cart/checkout", {"token": token, "expected_total": "5.00"})
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "Confirm your e-mail address before you place an order." in body
    assert 'href="/account/verify-email"' in body
    assert query_one(app, "SELECT count(*) AS n FROM purchases WHERE buyer_id = :id", id=buyer["id"])["n"] == 0

    # Verify from the banner's page, then the order goes through.
    assert actions.post("/account/verify-email/send").status_code == 302
    code = mailbox.code("unverified@example.com")
    response = actions.post("/account/verify-email", {"code": code})
    assert response.status_code == 302 and response.headers["Location"] == "/cart"
    assert "Confirm your e-mail address to place orders." not in client.get("/").get_data(as_text=True)
    page = client.get("/checkout").get_data(as_text=True)
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    response = actions.post("/cart/checkout", {"token": token, "expected_total": "5.00"})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_code_works_only_for_its_own_user(app, client, actions, mailbox):
    first = actions.create_user(email="first@example.com", verified=False)
    actions.login(first["email"])
    actions.post("/account/verify-email/send")
    first_code = mailbox.code("first@example.com")
    actions.logout()
    second = actions.create_user(email="second@example.com", verified=False)
    actions.login(second["email"])
    actions.post("/account/verify-email/send")
    second_code = mailbox.code("second@example.com")
    if first_code != second_code:
        assert actions.post("/account/verify-email", {"code": first_code}).status_code == 400
    verified = "SELECT email_verified_at FROM users WHERE id = :id"
    assert query_one(app, verified, id=second["id"])["email_verified_at"] is None
    assert query_one(app, verified, id=first["id"])["email_verified_at"] is None
    assert actions.post("/account/verify-email", {"code": second_code}).status_code == 302
    assert query_one(app, verified, id=second["id"])["email_verified_at"] is not None


def test_signing_in_needs_no_confirmed_email(client, actions):
    user = actions.create_user(email="later@example.com", password=TEST_PASSWORD, verified=False)
    assert actions.login(user["email"]).status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert "Not confirmed" in page and 'href="/account/verify-email"' in page
