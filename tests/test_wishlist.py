"""The wishlist: hearts, the page (price then and now, stock), move to cart, guests, the cap."""

import re

import pytest

from app.models import wishlist
from tests import factories
from tests.conftest import query_one


@pytest.fixture
def shop(app, actions):
    """A seller with a lamp (two offers), a mug (sold out) and a product nobody sells."""
    seller = actions.create_user(full_name="Sam Seller")
    other = actions.create_user(full_name="Olga Other")
    lamp = factories.product(app, seller["id"], name="Desk Lamp")
    mug = factories.product(app, seller["id"], name="Coffee Mug")
    bare = factories.product(app, seller["id"], name="Bare Thing")
    factories.offer(app, seller["id"], lamp["id"], price="25.00", quantity=10)
    factories.offer(app, other["id"], lamp["id"], price="22.00", quantity=1)
    factories.offer(app, seller["id"], mug["id"], price="8.50", quantity=0)
    return {"seller": seller, "other": other, "lamp": lamp, "mug": mug, "bare": bare}


def heart(actions, product, action="add", follow_redirects=False, **extra):
    data = {"product_id": product["id"], **extra}
    return actions.post(f"/account/wishlist/{action}", data, follow_redirects=follow_redirects)


def product_heart(page: str, name: str) -> tuple[str, str, str] | None:
    """The product page's heart: (aria-pressed, its verb, its preposition), the name hidden between."""
    found = re.search(
        rf'aria-pressed="(true|false)">\s*<i[^>]*></i>\s*(Add|Remove)<span class="visually-hidden"> {name}</span> '
        r"(to|from) wishlist",
        page,
    )
    return found.groups() if found else None


def item(app, user_id, product_id):
    return query_one(
        app, "SELECT * FROM wishlist_items WHERE user_id = :u AND product_id = :p", u=user_id, p=product_id
    )


def set_offer(app, product_id, seller_id, **changes):
    sets = ", ".join(f"{column} = :{column}" for column in changes)
    query_one(
        app,
        f"UPDATE offers SET {sets} WHERE product_id = :p AND seller_id = :s RETURNING 1",  # noqa: S608 - test columns
        p=product_id,
        s=seller_id,
        **changes,
    )


def test_the_heart_adds_and_removes_and_says_so(app, client, actions, shop):
    buyer = actions.signed_in_user()
    page = client.get(f"/products/{shop['lamp']['id']}").get_data(as_text=True)
    assert product_heart(page, "Desk Lamp") == ("false", "Add", "to")
    response = heart(actions, shop["lamp"], next=f"/products/{shop['lamp']['id']}")
    assert response.status_code == 302 and response.headers["Location"] == f"/products/{shop['lamp']['id']}"
    row = item(app, buyer["id"], shop["lamp"]["id"])
    assert str(row["price_when_added"]) == "22.00" and row["in_stock_when_added"] is True
    page = client.get(f"/products/{shop['lamp']['id']}").get_data(as_text=True)
    assert product_heart(page, "Desk Lamp") == ("true", "Remove", "from")
    # On the cards too (the catalog), pressed.
    catalog = client.get("/products").get_data(as_text=True)
    assert 'aria-label="Remove Desk Lamp from wishlist"' in catalog
    assert 'aria-label="Add Coffee Mug to wishlist"' in catalog
    assert heart(actions, shop["lamp"], "remove").status_code == 302
    assert item(app, buyer["id"], shop["lamp"]["id"]) is None


def test_a_double_submit_adds_once_and_removes_once(app, client, actions, shop):
    buyer = actions.signed_in_user()
    assert heart(actions, shop["lamp"]).status_code == 302
    second = heart(actions, shop["lamp"], follow_redirects=True)
    assert second.status_code == 200 and "Desk Lamp is already on your wishlist." in second.get_data(as_text=True)
    assert query_one(app, "SELECT count(*) AS n FROM wishlist_items WHERE user_id = :u", u=buyer["id"])["n"] == 1
    assert heart(actions, shop["lamp"], "remove").status_code == 302
    again = heart(actions, shop["lamp"], "remove", follow_redirects=True)
    assert again.status_code == 200 and "was not on your wishlist" in again.get_data(as_text=True)


@pytest.mark.parametrize("product_id", ["", "abc", "-1", "0", "1.5", "9" * 30, "1; DROP TABLE users"])
def test_bad_product_ids_are_refused(app, actions, shop, product_id):
    buyer = actions.signed_in_user()
    for action in ("add", "remove", "move-to-cart"):
        assert actions.post(f"/account/wishlist/{action}", {"product_id": product_id}).status_code == 400
    assert wishlist_count(app, buyer["id"]) == 0


def wishlist_count(app, user_id):
    return query_one(app, "SELECT count(*) AS n FROM wishlist_items WHERE user_id = :u", u=user_id)["n"]


def test_unknown_and_unlisted_products_cannot_be_added(app, actions, shop):
    buyer = actions.signed_in_user()
    assert heart(actions, {"id": 99999999}).status_code == 404
    query_one(app, "UPDATE products SET status = 'taken_down' WHERE id = :p RETURNING 1", p=shop["mug"]["id"])
    response = heart(actions, shop["mug"])
    assert response.status_code == 404 and "not in the catalog" in response.get_data(as_text=True)
    assert wishlist_count(app, buyer["id"]) == 0


def test_a_foreign_next_is_ignored(actions, shop):
    actions.signed_in_user()
    response = heart(actions, shop["lamp"], next="https://evil.example/")
    assert response.headers["Location"] == "/account/wishlist"


def test_the_csrf_token_is_required(app, shop):
    client = app.test_client()
    assert client.post("/account/wishlist/add", data={"product_id": shop["lamp"]["id"]}).status_code == 400


def test_the_page_compares_price_and_stock_with_when_added(app, client, actions, shop):
    actions.signed_in_user()
    heart(actions, shop["lamp"])
    heart(actions, shop["mug"])
    heart(actions, shop["bare"])
    set_offer(app, shop["lamp"]["id"], shop["other"]["id"], price="18.00")
    page = client.get("/account/wishlist").get_data(as_text=True)
    assert "Price fell by $4.00 since you added it." in page
    assert "$22.00 when added" in page
    assert 'data-testid="out-of-stock"' in page  # the mug
    assert "No one offers it at the moment." in page  # the bare thing
    assert page.count("Move to cart") == 1  # only the lamp has stock
    set_offer(app, shop["mug"]["id"], shop["seller"]["id"], quantity=5)
    page = client.get("/account/wishlist").get_data(as_text=True)
    assert 'data-testid="back-in-stock"' in page and 'data-testid="out-of-stock"' not in page
    set_offer(app, shop["lamp"]["id"], shop["other"]["id"], price="30.00")
    assert "Price rose by $3.00" in client.get("/account/wishlist").get_data(as_text=True)


def test_move_to_cart_adds_the_cheapest_offer_and_leaves_the_wishlist(app, client, actions, shop):
    buyer = actions.signed_in_user()
    heart(actions, shop["lamp"])
    response = actions.post("/account/wishlist/move-to-cart", {"product_id": shop["lamp"]["id"]})
    assert response.status_code == 302
    line = query_one(app, "SELECT * FROM cart_lines WHERE user_id = :u", u=buyer["id"])
    assert line["seller_id"] == shop["other"]["id"] and line["quantity"] == 1
    assert item(app, buyer["id"], shop["lamp"]["id"]) is None
    # A second submit: no longer on the wishlist, nothing more in the cart.
    again = actions.post("/account/wishlist/move-to-cart", {"product_id": shop["lamp"]["id"]})
    assert again.status_code == 404
    assert query_one(app, "SELECT sum(quantity) AS n FROM cart_lines WHERE user_id = :u", u=buyer["id"])["n"] == 1


def test_move_to_cart_refuses_what_no_one_has_in_stock_and_keeps_it(app, actions, shop):
    buyer = actions.signed_in_user()
    heart(actions, shop["mug"])
    response = actions.post("/account/wishlist/move-to-cart", {"product_id": shop["mug"]["id"]})
    assert response.status_code == 409 and "stays on your wishlist" in response.get_data(as_text=True)
    assert item(app, buyer["id"], shop["mug"]["id"]) is not None


def test_a_seller_moving_their_own_product_gets_another_sellers_offer(app, actions, shop):
    actions.login(shop["other"]["email"])
    heart(actions, shop["lamp"])
    assert actions.post("/account/wishlist/move-to-cart", {"product_id": shop["lamp"]["id"]}).status_code == 302
    line = query_one(app, "SELECT * FROM cart_lines WHERE user_id = :u", u=shop["other"]["id"])
    assert line["seller_id"] == shop["seller"]["id"]  # the cheaper offer is their own


def test_nobody_touches_another_users_wishlist(app, client, actions, shop):
    owner = actions.signed_in_user()
    heart(actions, shop["lamp"])
    actions.logout()
    actions.signed_in_user()
    assert "Desk Lamp" not in client.get("/account/wishlist").get_data(as_text=True)
    assert actions.post("/account/wishlist/move-to-cart", {"product_id": shop["lamp"]["id"]}).status_code == 404
    heart(actions, shop["lamp"], "remove")
    assert item(app, owner["id"], shop["lamp"]["id"]) is not None


def test_the_cap_is_refused_with_a_clear_message(app, actions, shop, monkeypatch):
    monkeypatch.setattr(wishlist, "MAX_ITEMS", 2)
    buyer = actions.signed_in_user()
    heart(actions, shop["lamp"])
    heart(actions, shop["mug"])
    response = heart(actions, shop["bare"])
    assert response.status_code == 409
    assert "Your wishlist holds at most 2 products. Remove some to add more." in response.get_data(as_text=True)
    assert wishlist_count(app, buyer["id"]) == 2


def test_the_page_paginates(app, client, actions, shop, monkeypatch):
    from app.routes import wishlist as routes

    monkeypatch.setattr(routes, "PAGE_SIZE", 2)
    actions.signed_in_user()
    for product in (shop["lamp"], shop["mug"], shop["bare"]):
        heart(actions, product)
    first = client.get("/account/wishlist").get_data(as_text=True)
    second = client.get("/account/wishlist?page=2").get_data(as_text=True)
    assert "Bare Thing" in first and "Coffee Mug" in first and "Desk Lamp" not in first
    assert "Desk Lamp" in second and 'aria-label="Wishlist pages"' in second
    assert client.get("/account/wishlist?page=abc").status_code == 200


def test_the_page_runs_a_fixed_number_of_queries(app, client, actions, shop, count_queries):
    actions.signed_in_user()
    heart(actions, shop["lamp"])
    with count_queries() as few:
        client.get("/account/wishlist")
    for number in range(6):
        product = factories.product(app, shop["seller"]["id"], name=f"Thing {number}")
        factories.offer(app, shop["seller"]["id"], product["id"])
        heart(actions, product)
    with count_queries() as many:
        page = client.get("/account/wishlist").get_data(as_text=True)
    assert "Thing 5" in page
    assert len(few) == len(many) <= 2  # the session and user, the page of items (not full: no count)


def test_a_guests_wishlist_lives_in_the_session_and_merges_at_sign_in(app, client, actions, shop):
    buyer = actions.create_user()
    with app.test_request_context():
        wishlist.add(buyer["id"], shop["mug"]["id"])
    assert heart(actions, shop["lamp"]).status_code == 302
    assert heart(actions, shop["mug"]).status_code == 302
    page = client.get("/account/wishlist").get_data(as_text=True)
    assert "Desk Lamp" in page and "Coffee Mug" in page and "Kept in this browser" in page
    product_page = client.get(f"/products/{shop['lamp']['id']}").get_data(as_text=True)
    assert product_heart(product_page, "Desk Lamp") == ("true", "Remove", "from")
    # The price drops before the guest signs in: the account keeps what the guest saw.
    set_offer(app, shop["lamp"]["id"], shop["other"]["id"], price="20.00")
    assert actions.login(buyer["email"]).status_code == 302
    assert str(item(app, buyer["id"], shop["lamp"]["id"])["price_when_added"]) == "22.00"
    assert wishlist_count(app, buyer["id"]) == 2
    with client.session_transaction() as session:
        assert "wishlist" not in session
    assert "Price fell by $2.00" in client.get("/account/wishlist").get_data(as_text=True)


def test_a_guests_wishlist_is_bounded(app, actions, shop, monkeypatch):
    from app import guest_wishlist

    monkeypatch.setattr(guest_wishlist, "MAX_GUEST_ITEMS", 2)
    heart(actions, shop["lamp"])
    heart(actions, shop["mug"])
    response = heart(actions, shop["bare"])
    assert response.status_code == 409 and "Sign in to keep more." in response.get_data(as_text=True)


def test_merging_respects_the_accounts_cap(app, client, actions, shop, monkeypatch):
    monkeypatch.setattr(wishlist, "MAX_ITEMS", 2)
    buyer = actions.create_user()
    with app.test_request_context():
        wishlist.add(buyer["id"], shop["bare"]["id"])
    heart(actions, shop["lamp"])
    heart(actions, shop["mug"])
    actions.login(buyer["email"])
    assert wishlist_count(app, buyer["id"]) == 2


def test_a_guest_moves_to_their_session_cart(app, client, actions, shop):
    heart(actions, shop["lamp"])
    assert actions.post("/account/wishlist/move-to-cart", {"product_id": shop["lamp"]["id"]}).status_code == 302
    with client.session_transaction() as session:
        assert session["cart"] == [[shop["other"]["id"], shop["lamp"]["id"], 1]]
        assert "wishlist" not in session


def test_alerts_opt_in_needs_a_sign_in_and_is_saved(app, client, actions, shop):
    assert actions.post("/account/wishlist/alerts", {"alerts": "y"}).status_code == 302  # to the sign-in page
    buyer = actions.signed_in_user()
    assert actions.post("/account/wishlist/alerts", {"alerts": "y"}).status_code == 302
    assert query_one(app, "SELECT wishlist_alerts FROM users WHERE id = :u", u=buyer["id"])["wishlist_alerts"]
    actions.post("/account/wishlist/alerts", {})
    assert not query_one(app, "SELECT wishlist_alerts FROM users WHERE id = :u", u=buyer["id"])["wishlist_alerts"]


def test_a_guests_page_runs_a_fixed_number_of_queries(app, client, actions, shop, count_queries):
    heart(actions, shop["lamp"])
    with count_queries() as few:
        client.get("/account/wishlist")
    heart(actions, shop["mug"])
    heart(actions, shop["bare"])
    with count_queries() as many:
        page = client.get("/account/wishlist").get_data(as_text=True)
    assert "Bare Thing" in page
    assert len(few) == len(many) <= 1  # the items, from the session's ids


def test_a_product_with_variants_is_wishlisted_whole_and_moves_its_cheapest_variant(app, actions, shop):
    from app.models import variant

    seller = shop["seller"]
    with app.test_request_context():
        shirt = variant.create_product_with_options(
            seller["id"], {"name": "Shirt", "description": "", "category_id": shop["lamp"]["category_id"]}, ["Size"]
        )
        small = variant.add_variant(seller["id"], shirt, ["Size"], ["S"])
        large = variant.add_variant(seller["id"], shirt, ["Size"], ["L"])
    factories.offer(app, seller["id"], small, price="30.00", quantity=2)
    factories.offer(app, shop["other"]["id"], large, price="24.00", quantity=2)
    buyer = actions.signed_in_user()
    assert heart(actions, {"id": small}).status_code == 404  # a variant is wishlisted through its product
    assert heart(actions, {"id": shirt}).status_code == 302
    assert str(item(app, buyer["id"], shirt)["price_when_added"]) == "24.00"
    assert actions.post("/account/wishlist/move-to-cart", {"product_id": shirt}).status_code == 302
    line = query_one(app, "SELECT * FROM cart_lines WHERE user_id = :u", u=buyer["id"])
    assert (line["product_id"], line["seller_id"]) == (large, shop["other"]["id"])
