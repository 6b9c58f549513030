"""Destructive actions ask first: cancelling a purchase line, stopping a sale, deleting a review,
signing out a session, removing a passkey and deleting an address each have a confirmation page (a
GET that changes nothing) whose button POSTs with CSRF; and "Add money" reached from the cart returns
to it."""

import re
from decimal import Decimal

import pytest

from tests import factories
from tests.conftest import TEST_PASSWORD, query_one
from tests.test_two_factor import insert_passkey


@pytest.fixture
def bought(app, actions):
    """A buyer who bought 2 lamps at $12.50 from a seller (the buyer has $75 left), and reviewed them."""
    seller = actions.create_user(full_name="Lena Lamps")
    buyer = actions.create_user(full_name="Ben Buyer", balance="100")
    lamp = factories.product(app, seller["id"], name="Brass Lamp")
    factories.offer(app, seller["id"], lamp["id"], "12.50", 10)
    factories.product_review(app, lamp["id"], buyer["id"], 4, "Warm light", "Nice.")
    with app.test_request_context():
        from app.models import cart, checkout

        cart.set_line(buyer["id"], seller["id"], lamp["id"], 2)
        purchase_id = checkout.place_order(buyer["id"], checkout.new_token()).purchase_id
    line = query_one(app, "SELECT id FROM orders WHERE purchase_id = :p", p=purchase_id)
    return {"seller": seller, "buyer": buyer, "lamp": lamp, "purchase_id": purchase_id, "line_id": line["id"]}


def stock(app, seller_id, product_id) -> int:
    return query_one(
        app, "SELECT quantity FROM offers WHERE seller_id = :s AND product_id = :p", s=seller_id, p=product_id
    )["quantity"]


def test_cancelling_a_line_says_what_comes_back_before_doing_it(app, client, actions, bought):
    actions.login(bought["buyer"]["email"])
    purchase = client.get(f"/purchases/{bought['purchase_id']}").get_data(as_text=True)
    confirm_url = f"/purchases/{bought['purchase_id']}/lines/{bought['line_id']}/cancel"
    assert f'href="{confirm_url}"' in purchase and f'action="{confirm_url}"' not in purchase  # a link, not the POST

    page = client.get(confirm_url).get_data(as_text=True)
    assert "Cancel 2 × Brass Lamp?" in page
    assert re.search(r"<strong>\$25\.00</strong> goes back to your balance.*?it becomes\s+\$100\.00", page, re.S)
    assert "Lena Lamps gets 2 units back in stock" in page
    assert 'name="csrf_token"' in page and f'action="{confirm_url}"' in page
    assert stock(app, bought["seller"]["id"], bought["lamp"]["id"]) == 8  # the GET changed nothing

    done = actions.post(confirm_url, follow_redirects=True).get_data(as_text=True)
    assert "Line cancelled: $25.00 is back in your balance." in done
    assert stock(app, bought["seller"]["id"], bought["lamp"]["id"]) == 10
    # Asked again, it does not offer to cancel twice.
    again = client.get(confirm_url, follow_redirects=True).get_data(as_text=True)
    assert "Cancel 2 × Brass Lamp?" not in again, again


def test_only_the_buyer_may_see_a_lines_confirmation(client, actions, bought):
    actions.signed_in_user()
    assert client.get(f"/purchases/{bought['purchase_id']}/lines/{bought['line_id']}/cancel").status_code == 404
    actions.logout()
    actions.login(bought["buyer"]["email"])
    assert client.get(f"/purchases/{bought['purchase_id']}/lines/99999/cancel").status_code == 404


def test_stopping_a_sale_says_what_happens_and_returns_where_it_was_asked(app, client, actions, bought):
    actions.login(bought["seller"]["email"])
    product_id = bought["lamp"]["id"]
    inventory = client.get("/seller/inventory").get_data(as_text=True)
    assert f'href="/seller/inventory/{product_id}/remove?next=/seller/inventory?"' in inventory

    page = client.get(f"/seller/inventory/{product_id}/remove?next=/seller/inventory?show=all").get_data(as_text=True)
    assert "Stop selling Brass Lamp?" in page and "Your stock of 8 stays on record" in page
    assert 'name="next" value="/seller/inventory?show=all"' in page
    hostile = client.get(f"/seller/inventory/{product_id}/remove?next=//evil.example").get_data(as_text=True)
    assert f'name="next" value="/seller/inventory/{product_id}"' in hostile  # back to the offer instead
    assert query_one(app, "SELECT is_active FROM offers WHERE product_id = :p", p=product_id)["is_active"]

    response = actions.post(f"/seller/inventory/{product_id}/remove", {"next": "/seller/inventory?show=all"})
    assert response.headers["Location"] == "/seller/inventory?show=all"
    assert not query_one(app, "SELECT is_active FROM offers WHERE product_id = :p", p=product_id)["is_active"]
    gone = client.get(f"/seller/inventory/{product_id}/remove", follow_redirects=True).get_data(as_text=True)
    assert "Brass Lamp was already removed." in gone


def test_deleting_a_review_shows_it_first(app, client, actions, bought):
    actions.login(bought["buyer"]["email"])
    product_id = bought["lamp"]["id"]
    mine = client.get("/account/reviews").get_data(as_text=True)
    assert f'href="/products/{product_id}/review/delete?next=/account/reviews"' in mine

    page = client.get(f"/products/{product_id}/review/delete?next=/account/reviews").get_data(as_text=True)
    assert "Delete your review of" in page and "Warm light" in page and "cannot be restored" in page
    response = actions.post(f"/products/{product_id}/review/delete", {"next": "/account/reviews"})
    assert response.headers["Location"] == "/account/reviews"
    assert client.get(f"/products/{product_id}/review/delete").status_code == 404


def test_add_money_from_the_cart_returns_to_the_cart(app, client, actions):
    buyer = actions.signed_in_user()
    seller = actions.create_user()
    product = factories.product(app, seller["id"])
    factories.offer(app, seller["id"], product["id"], "30.00", 5)
    actions.post("/cart/add", {"seller_id": seller["id"], "product_id": product["id"], "quantity": 1})
    cart = client.get("/cart").get_data(as_text=True)
    assert 'href="/account/balance?next=/cart">Add money</a>' in cart

    balance = client.get("/account/balance?next=/cart").get_data(as_text=True)
    assert 'name="next" value="/cart"' in balance and "you go back to" in balance
    token = balance.split('name="request_token" type="hidden" value="')[1].split('"')[0]
    response = actions.post("/account/balance/top-up", {"amount": "30", "request_token": token, "next": "/cart"})
    assert response.headers["Location"] == "/cart"
    assert query_one(app, "SELECT balance FROM users WHERE id = :id", id=buyer["id"])["balance"] == Decimal("30.00")

    # A next that leaves the site is ignored.
    balance = client.get("/account/balance?next=https://evil.example/").get_data(as_text=True)
    assert 'name="next"' not in balance and "you go back to" not in balance


def test_signing_out_a_session_names_the_browser_first(app, client, actions):
    user = actions.signed_in_user()
    other = app.test_client()
    firefox = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Firefox/140.0"}
    type(actions)(app, other).post("/login", {"email": user["email"], "password": TEST_PASSWORD}, headers=firefox)
    other_id = query_one(app, "SELECT max(id) AS id FROM user_sessions WHERE user_id = :id", id=user["id"])["id"]
    confirm_url = f"/account/security/sessions/{other_id}/sign-out"
    security = client.get("/account/security").get_data(as_text=True)
    assert f'href="{confirm_url}"' in security and f'action="{confirm_url}"' not in security  # a link, not the POST

    page = client.get(confirm_url).get_data(as_text=True)
    assert "Sign out Firefox on Windows?" in page and "This browser stays signed in." in page
    assert 'name="csrf_token"' in page and f'action="{confirm_url}"' in page
    assert other.get("/account").status_code == 200  # the GET changed nothing

    assert actions.post(confirm_url).status_code == 302
    assert other.get("/account").status_code == 302
    assert client.get(confirm_url).status_code == 404  # ended: nothing left to confirm


def test_signing_out_this_browser_from_the_list_says_so(app, client, actions):
    user = actions.signed_in_user()
    session_id = query_one(app, "SELECT id FROM user_sessions WHERE user_id = :id", id=user["id"])["id"]
    page = client.get(f"/account/security/sessions/{session_id}/sign-out").get_data(as_text=True)
    assert "(this browser)?" in page and "You are signed out here at once" in page


def test_someone_elses_session_or_passkey_has_no_confirmation(app, client, actions):
    victim = actions.create_user()
    type(actions)(app, app.test_client()).login(victim["email"])
    session_id = query_one(app, "SELECT id FROM user_sessions WHERE user_id = :id", id=victim["id"])["id"]
    passkey_id = insert_passkey(app, victim["id"])
    actions.signed_in_user()
    assert client.get(f"/account/security/sessions/{session_id}/sign-out").status_code == 404
    assert client.get(f"/account/security/passkeys/{passkey_id}/remove").status_code == 404
    assert client.get(f"/account/security/passkeys/{2**63}/remove").status_code == 404


def test_removing_a_passkey_says_what_changes_first(app, client, actions):
    user = actions.signed_in_user()
    passkey_id = insert_passkey(app, user["id"], name="Work phone")
    confirm_url = f"/account/security/passkeys/{passkey_id}/remove"
    security = client.get("/account/security").get_data(as_text=True)
    assert f'href="{confirm_url}"' in security and f'action="{confirm_url}"' not in security

    page = client.get(confirm_url).get_data(as_text=True)
    assert "Remove the passkey “Work phone”?" in page and "It is your only passkey" in page
    assert 'name="csrf_token"' in page and f'action="{confirm_url}"' in page
    assert query_one(app, "SELECT count(*) AS n FROM passkeys WHERE id = :id", id=passkey_id)["n"] == 1

    done = actions.post(confirm_url, follow_redirects=True).get_data(as_text=True)
    assert "The passkey is removed" in done
    assert query_one(app, "SELECT count(*) AS n FROM passkeys WHERE id = :id", id=passkey_id)["n"] == 0


def test_deleting_an_address_shows_it_first(app, client, actions):
    from app.models import address

    user = actions.signed_in_user()
    fields = {"full_name": "Ada Lovelace", "line1": "12 St James's Square", "line2": "", "city": "London"}
    fields |= {"postal_code": "SW1Y 4JH", "country": "United Kingdom", "phone": ""}
    with app.test_request_context():
        address_id = address.add_address(user["id"], fields, make_default=True)
    confirm_url = f"/account/addresses/{address_id}/delete"
    book = client.get("/account/addresses").get_data(as_text=True)
    assert f'href="{confirm_url}"' in book and f'action="{confirm_url}"' not in book

    page = client.get(confirm_url).get_data(as_text=True)
    assert "Delete this address?" in page and "12 St James&#39;s Square" in page and "It is your default" in page
    assert 'name="csrf_token"' in page and f'action="{confirm_url}"' in page
    assert query_one(app, "SELECT count(*) AS n FROM addresses WHERE id = :id", id=address_id)["n"] == 1

    done = actions.post(confirm_url, follow_redirects=True).get_data(as_text=True)
    assert "Address deleted." in done
    assert client.get(confirm_url).status_code == 404
