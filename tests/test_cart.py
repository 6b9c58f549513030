"""The cart: adding, changing, saving for later, guests, and merging at sign-in."""

import re

import pytest

from tests import factories
from tests.conftest import query_one


@pytest.fixture
def shop(app, actions):
    """A seller with two offers (one nearly sold out) and a signed-out client."""
    seller = actions.create_user(full_name="Sam Seller")
    lamp = factories.product(app, seller["id"], name="Desk Lamp")
    mug = factories.product(app, seller["id"], name="Coffee Mug")
    factories.offer(app, seller["id"], lamp["id"], price="25.00", quantity=10)
    factories.offer(app, seller["id"], mug["id"], price="8.50", quantity=2)
    return {"seller": seller, "lamp": lamp, "mug": mug}


def add(actions, product, seller, quantity=1):
    return actions.post(
        "/cart/add", {"product_id": product["id"], "seller_id": seller["id"], "quantity": str(quantity)}
    )


def cart_line(app, user_id, product_id):
    return query_one(app, "SELECT * FROM cart_lines WHERE user_id = :u AND product_id = :p", u=user_id, p=product_id)


def test_add_and_show(app, client, actions, shop):
    buyer = actions.signed_in_user()
    response = add(actions, shop["lamp"], shop["seller"], 2)
    assert response.status_code == 302
    assert cart_line(app, buyer["id"], shop["lamp"]["id"])["quantity"] == 2
    page = client.get("/cart").get_data(as_text=True)
    assert "Desk Lamp" in page and "Sam Seller" in page and "$50.00" in page


def test_adding_the_same_offer_again_adds_to_the_line(app, actions, shop):
    buyer = actions.signed_in_user()
    add(actions, shop["lamp"], shop["seller"], 2)
    add(actions, shop["lamp"], shop["seller"], 3)
    assert cart_line(app, buyer["id"], shop["lamp"]["id"])["quantity"] == 5


def test_adding_more_than_the_stock_is_capped_and_says_so(app, client, actions, shop):
    buyer = actions.signed_in_user()
    response = add(actions, shop["mug"], shop["seller"], 5)
    assert response.status_code == 302
    assert cart_line(app, buyer["id"], shop["mug"]["id"])["quantity"] == 2
    assert "Only 2 available" in client.get("/cart").get_data(as_text=True)
    response = add(actions, shop["mug"], shop["seller"], 1)
    assert response.status_code == 409
    assert "already has them all" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "Choose from 1 to 999."),
        ("-1", "Choose from 1 to 999."),
        ("1000", "Choose from 1 to 999."),
        ("abc", "Choose from 1 to 999."),
        ("", "Enter how many you want."),
        ("1; DROP TABLE offers", "Choose from 1 to 999."),
        ("9" * 400, "Choose from 1 to 999."),
        ("1e2", "Choose from 1 to 999."),
        ("١٢", "Choose from 1 to 999."),
    ],
)
def test_bad_quantities_are_refused(app, actions, shop, quantity, message):
    buyer = actions.signed_in_user()
    response = add(actions, shop["lamp"], shop["seller"], quantity)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert cart_line(app, buyer["id"], shop["lamp"]["id"]) is None


def test_unknown_inactive_own_and_sold_out_offers_are_refused(app, actions, shop):
    seller = shop["seller"]
    gone = factories.product(app, seller["id"], name="Old Thing")
    factories.offer(app, seller["id"], gone["id"], is_active=False)
    empty = factories.product(app, seller["id"], name="Sold Thing")
    factories.offer(app, seller["id"], empty["id"], quantity=0)
    actions.signed_in_user()
    assert add(actions, {"id": 99999999}, seller).status_code == 404
    assert add(actions, gone, seller).status_code == 404
    response = add(actions, empty, seller)
    assert response.status_code == 409
    assert "out of stock" in response.get_data(as_text=True)
    actions.logout()
    actions.login(seller["email"])
    response = add(actions, shop["lamp"], seller)
    assert response.status_code == 409
    assert "You cannot buy your own offer." in response.get_data(as_text=True)


def test_update_remove_save_for_later_and_move_back(app, client, actions, shop):
    buyer = actions.signed_in_user()
    ids = {"product_id": shop["lamp"]["id"], "seller_id": shop["seller"]["id"]}
    add(actions, shop["lamp"], shop["seller"], 1)
    add(actions, shop["mug"], shop["seller"], 1)
    assert actions.post("/cart/update", ids | {"quantity": "4"}).status_code == 302
    assert cart_line(app, buyer["id"], shop["lamp"]["id"])["quantity"] == 4
    assert actions.post("/cart/update", ids | {"quantity": "0"}).status_code == 400
    assert actions.post("/cart/save-for-later", ids).status_code == 302
    assert cart_line(app, buyer["id"], shop["lamp"]["id"])["saved_for_later"] is True
    page = client.get("/cart").get_data(as_text=True)
    assert "Saved for later" in page and "Move to cart" in page
    assert "$8.50" in page  # the total counts only the mug now
    assert actions.post("/cart/move-to-cart", ids).status_code == 302
    assert cart_line(app, buyer["id"], shop["lamp"]["id"])["saved_for_later"] is False
    assert actions.post("/cart/remove", ids).status_code == 302
    assert cart_line(app, buyer["id"], shop["lamp"]["id"]) is None
    assert actions.post("/cart/remove", ids).status_code == 404


@pytest.mark.parametrize("signed_in", [True, False])
def test_asking_for_more_than_the_stock_says_at_once_how_many_there_are(app, client, actions, shop, signed_in):
    buyer = actions.signed_in_user() if signed_in else None
    ids = {"product_id": shop["mug"]["id"], "seller_id": shop["seller"]["id"]}
    add(actions, shop["mug"], shop["seller"], 1)
    response = actions.post("/cart/update", ids | {"quantity": "999"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Only 2 available: your cart now has 2 of Coffee Mug." in response.get_data(as_text=True)
    if buyer:
        assert cart_line(app, buyer["id"], shop["mug"]["id"])["quantity"] == 2
    else:
        assert "$17.00" in response.get_data(as_text=True)
    page = actions.post("/cart/update", ids | {"quantity": "1"}, follow_redirects=True).get_data(as_text=True)
    assert "Quantity updated." in page and "Only 2 available" not in page


def test_a_sold_out_or_withdrawn_line_cannot_be_changed(app, actions, shop):
    buyer = actions.signed_in_user()
    ids = {"product_id": shop["mug"]["id"], "seller_id": shop["seller"]["id"]}
    add(actions, shop["mug"], shop["seller"], 1)
    query_one(app, "UPDATE offers SET quantity = 0 WHERE product_id = :p RETURNING 1", p=shop["mug"]["id"])
    response = actions.post("/cart/update", ids | {"quantity": "2"})
    assert response.status_code == 409
    assert "Coffee Mug is out of stock from this seller." in response.get_data(as_text=True)
    query_one(app, "UPDATE offers SET is_active = false WHERE product_id = :p RETURNING 1", p=shop["mug"]["id"])
    response = actions.post("/cart/update", ids | {"quantity": "2"})
    assert response.status_code == 409
    assert "no longer available" in response.get_data(as_text=True)
    assert cart_line(app, buyer["id"], shop["mug"]["id"])["quantity"] == 1


@pytest.mark.parametrize("shown", ["sNaN", "NaN", "Infinity", "1e999999", "-1", "9" * 400, "8.5x", ""])
def test_a_shown_total_that_is_not_an_amount_is_not_compared(app, client, actions, shop, shown):
    actions.signed_in_user(balance="100")
    add(actions, shop["mug"], shop["seller"], 1)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', client.get("/checkout").get_data(as_text=True))
    response = actions.post("/cart/checkout", {"token": token.group(1), "expected_total": shown})
    assert response.status_code == 302


def test_nobody_can_change_another_users_cart(app, actions, shop):
    owner = actions.signed_in_user()
    add(actions, shop["lamp"], shop["seller"], 1)
    actions.logout()
    actions.signed_in_user()
    ids = {"product_id": shop["lamp"]["id"], "seller_id": shop["seller"]["id"]}
    assert actions.post("/cart/update", ids | {"quantity": "9"}).status_code == 404
    assert actions.post("/cart/remove", ids).status_code == 404
    assert actions.post("/cart/save-for-later", ids).status_code == 404
    line = cart_line(app, owner["id"], shop["lamp"]["id"])
    assert line["quantity"] == 1 and line["saved_for_later"] is False


def test_warnings_for_stock_and_price_changes(app, client, actions, shop):
    actions.signed_in_user()
    add(actions, shop["lamp"], shop["seller"], 4)
    query_one(
        app,
        "UPDATE offers SET price = 30.00, quantity = 3 WHERE product_id = :p RETURNING 1",
        p=shop["lamp"]["id"],
    )
    page = client.get("/cart").get_data(as_text=True)
    assert "Only 3 left" in page
    assert "Price rose from $25.00 to $30.00" in page


def test_guest_cart_lives_in_the_session_and_merges_at_sign_in(app, client, actions, shop):
    buyer = actions.create_user()
    # The buyer already had one lamp in their account cart.
    with app.test_request_context():
        from app.models import cart

        cart.set_line(buyer["id"], shop["seller"]["id"], shop["lamp"]["id"], 1)
    add(actions, shop["lamp"], shop["seller"], 2)
    add(actions, shop["mug"], shop["seller"], 2)
    page = client.get("/cart").get_data(as_text=True)
    assert "Desk Lamp" in page and "Sign in to check out" in page
    assert actions.login(buyer["email"]).status_code == 302
    assert cart_line(app, buyer["id"], shop["lamp"]["id"])["quantity"] == 3
    assert cart_line(app, buyer["id"], shop["mug"]["id"])["quantity"] == 2
    with client.session_transaction() as session:
        assert "cart" not in session


def test_guest_cart_merge_is_capped_at_stock_at_registration(app, client, actions, shop, mailbox):
    add(actions, shop["mug"], shop["seller"], 2)
    query_one(app, "UPDATE offers SET quantity = 1 WHERE product_id = :p RETURNING 1", p=shop["mug"]["id"])
    response = actions.post(
        "/register",
        {
            "email": "fresh@example.com",
            "full_name": "Fresh Buyer",
            "address": "1 New Street",
            "password": "long-enough-1",
            "confirm": "long-enough-1",
        },
    )
    assert response.status_code == 302
    # The code from the e-mail signs the new account in, and the guest's cart moves into it.
    assert actions.post("/register/confirm", {"code": mailbox.code("fresh@example.com")}).status_code == 302
    user = query_one(app, "SELECT id FROM users WHERE email = 'fresh@example.com'")
    assert cart_line(app, user["id"], shop["mug"]["id"])["quantity"] == 1


def test_guest_update_and_remove(client, actions, shop):
    ids = {"product_id": shop["lamp"]["id"], "seller_id": shop["seller"]["id"]}
    add(actions, shop["lamp"], shop["seller"], 1)
    assert actions.post("/cart/update", ids | {"quantity": "3"}).status_code == 302
    assert "$75.00" in client.get("/cart").get_data(as_text=True)
    assert actions.post("/cart/remove", ids).status_code == 302
    assert "Your cart is empty" in client.get("/cart").get_data(as_text=True)


def test_cart_page_runs_a_fixed_number_of_queries(app, client, actions, shop, count_queries):
    actions.signed_in_user()
    counts = []
    for extra in range(2):
        for number in range(4 * extra + 1):
            product = factories.product(app, shop["seller"]["id"], name=f"Item {extra}-{number}")
            factories.offer(app, shop["seller"]["id"], product["id"])
            add(actions, product, shop["seller"], 1)
        with count_queries() as statements:
            assert client.get("/cart").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 4  # 4th: the wishlist's ids, for the hearts on the recommended cards
