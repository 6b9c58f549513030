"""The cart: check out only the ticked lines (the rest wait as saved for later), and "Clear cart"."""

import pytest

from tests import factories
from tests.conftest import query_one
from tests.test_cart import add, cart_line, shop  # noqa: F401 - the fixture is used by name


def lines_value(*pairs):
    return [f"{seller['id']}-{product['id']}" for seller, product in pairs]


def select(actions, values, **kwargs):
    return actions.post("/cart/select", {"lines": values}, **kwargs)


def test_the_cart_page_ticks_every_active_line(client, actions, shop):  # noqa: F811
    actions.signed_in_user()
    add(actions, shop["lamp"], shop["seller"])
    page = client.get("/cart").get_data(as_text=True)
    assert f'form="cart-selection" name="lines" value="{shop["seller"]["id"]}-{shop["lamp"]["id"]}"' in page
    assert 'id="cart-selection"' in page and "Clear cart" in page


def test_unticked_lines_stay_in_the_cart_and_checkout_leaves_them(app, client, actions, shop):  # noqa: F811
    buyer = actions.signed_in_user(balance="100")
    add(actions, shop["lamp"], shop["seller"])
    add(actions, shop["mug"], shop["seller"])
    response = select(actions, lines_value((shop["seller"], shop["mug"])))
    assert response.status_code == 302 and response.headers["Location"].endswith("/checkout")
    assert cart_line(app, buyer["id"], shop["lamp"]["id"])["saved_for_later"] is True
    assert cart_line(app, buyer["id"], shop["mug"]["id"])["saved_for_later"] is False
    review = client.get("/checkout").get_data(as_text=True)
    assert "Coffee Mug" in review and "Desk Lamp" not in review
    # A second submit changes nothing more.
    assert select(actions, lines_value((shop["seller"], shop["mug"]))).status_code == 302
    assert cart_line(app, buyer["id"], shop["mug"]["id"])["saved_for_later"] is False


def test_nothing_ticked_or_only_others_lines_is_refused_and_changes_nothing(app, actions, shop):  # noqa: F811
    owner = actions.signed_in_user()
    add(actions, shop["lamp"], shop["seller"])
    actions.logout()
    buyer = actions.signed_in_user()
    add(actions, shop["mug"], shop["seller"])
    response = select(actions, [])
    assert response.status_code == 409 and "Select at least one line" in response.get_data(as_text=True)
    # The owner's lamp line is not this buyer's: as good as nothing ticked.
    assert select(actions, lines_value((shop["seller"], shop["lamp"]))).status_code == 409
    assert cart_line(app, buyer["id"], shop["mug"]["id"])["saved_for_later"] is False
    assert cart_line(app, owner["id"], shop["lamp"]["id"])["saved_for_later"] is False


@pytest.mark.parametrize("value", ["abc", "1", "1-", "-1", "1-2-3", "1-x", "١-٢", "9" * 30 + "-1", "1-" + "9" * 19])
def test_bad_selections_are_refused(app, actions, shop, value):  # noqa: F811
    buyer = actions.signed_in_user()
    add(actions, shop["mug"], shop["seller"])
    response = select(actions, [value, *lines_value((shop["seller"], shop["mug"]))])
    assert response.status_code == 400 and "not valid" in response.get_data(as_text=True)
    assert cart_line(app, buyer["id"], shop["mug"]["id"])["saved_for_later"] is False


def test_selecting_needs_a_sign_in_and_csrf(client, actions, shop):  # noqa: F811
    assert "/login" in select(actions, []).headers["Location"]
    actions.signed_in_user()
    assert client.post("/cart/select", data={"lines": []}).status_code == 400


def test_clear_cart_asks_then_removes_every_line(app, client, actions, shop):  # noqa: F811
    buyer = actions.signed_in_user()
    add(actions, shop["lamp"], shop["seller"])
    add(actions, shop["mug"], shop["seller"])
    actions.post("/cart/save-for-later", {"product_id": shop["lamp"]["id"], "seller_id": shop["seller"]["id"]})
    page = client.get("/cart/clear").get_data(as_text=True)
    assert "This removes all 2 lines of your cart" in page
    assert client.post("/cart/clear").status_code == 400  # no CSRF token
    assert cart_line(app, buyer["id"], shop["mug"]["id"]) is not None
    assert actions.post("/cart/clear").status_code == 302
    assert query_one(app, "SELECT count(*) AS n FROM cart_lines WHERE user_id = :u", u=buyer["id"])["n"] == 0
    assert actions.post("/cart/clear").status_code == 302  # twice: still empty, no error
    assert client.get("/cart/clear").headers["Location"].endswith("/cart")  # nothing to ask about


def test_clearing_leaves_other_carts_alone(app, actions, shop):  # noqa: F811
    other = actions.signed_in_user()
    add(actions, shop["lamp"], shop["seller"])
    actions.logout()
    actions.signed_in_user()
    actions.post("/cart/clear")
    assert cart_line(app, other["id"], shop["lamp"]["id"]) is not None


def test_a_guest_clears_their_session_cart(client, actions, shop):  # noqa: F811
    add(actions, shop["lamp"], shop["seller"])
    assert "This removes all 1 line" in client.get("/cart/clear").get_data(as_text=True)
    actions.post("/cart/clear")
    with client.session_transaction() as session:
        assert "cart" not in session


def test_the_cart_page_still_runs_a_fixed_number_of_queries(app, client, actions, shop, count_queries):  # noqa: F811
    actions.signed_in_user()
    for number in range(5):
        product = factories.product(app, shop["seller"]["id"], name=f"Item {number}")
        factories.offer(app, shop["seller"]["id"], product["id"])
        add(actions, product, shop["seller"])
        with count_queries() as statements:
            client.get("/cart")
        if number == 0:
            first = len(statements)
    assert len(statements) == first
