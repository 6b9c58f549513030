"""The guest page cache (app/page_cache.py): what signed-out visitors see comes from a per-process
cache, never carries anyone's data or another visitor's CSRF token (each hit writes in its own), is
never served to a signed-in visitor, and changes on the next request after a product, its offers or
its reviews change."""

import re

import pytest
from sqlalchemy import text

from app.page_cache import PageCache
from tests import factories

META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]*)"')
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def without_tokens(page: bytes) -> bytes:
    """The page with its forms' CSRF tokens blanked (each response carries its visitor's own)."""
    return re.sub(rb'name="csrf_token" value="[^"]*"', b'name="csrf_token" value=""', page)


@pytest.fixture
def cached(app):
    """Turn the guest cache on (it is off for the rest of the suite) with an empty cache."""
    app.config["PAGE_CACHE_SECONDS"] = 30
    app.extensions["page_cache"] = PageCache(30, 8 * 1024 * 1024)
    yield app.extensions["page_cache"]
    app.config["PAGE_CACHE_SECONDS"] = 0
    app.extensions["page_cache"] = PageCache(1, 1024)


@pytest.fixture
def kettle(app, actions):
    """A kettle in Home › Kitchen offered by one seller, in stock, with one review."""
    seller = actions.create_user(full_name="Sally Seller")
    department = factories.department(app, "Home")
    category = factories.category(app, department["id"], "Kitchen")
    product = factories.product(app, seller["id"], category["id"], "Copper kettle")
    offer = factories.offer(app, seller["id"], product["id"], "25.00", 5)
    reviewer = actions.create_user(full_name="Rex Reviewer")
    factories.product_review(app, product["id"], reviewer["id"], 4, "Boils fast", "Whistles too.")
    return {"product": product, "seller": seller, "offer": offer, "category": category}


def pages(cache) -> list[str]:
    """The whole pages in the cache (not the shared parts of signed-in pages)."""
    return [key for key in cache.entries if not key.startswith("shared ")]


def sign_in(app, actions, **fields):
    """Sign the client in (the suite's helper reads its token from the home page, cached here)."""
    app.config["PAGE_CACHE_SECONDS"] = 0
    try:
        return actions.signed_in_user(**fields)
    finally:
        app.config["PAGE_CACHE_SECONDS"] = 30


def run(app, sql: str, **params) -> None:
    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(text(sql), params)


def product_path(kettle) -> str:
    return f"/products/{kettle['product']['id']}"


def test_a_second_guest_request_is_one_cheap_query(client, kettle, cached):
    """One statement, the versions' (on the driver's connection, before Flask: tests/test_guest_fast_path.py)."""
    first = client.get(product_path(kettle))
    second = client.get(product_path(kettle))
    assert second.status_code == 200 and without_tokens(second.get_data()) == without_tokens(first.get_data())
    assert 'sql;desc="1 statements"' in second.headers["Server-Timing"]


@pytest.mark.parametrize("path", ["/", "/products", "/products?q=kettle"])
def test_a_cached_page_carries_no_csrf_token_of_the_session_that_filled_it(app, kettle, cached, path):
    first = app.test_client()
    own_token = META_TOKEN.search(first.get("/login").get_data(as_text=True)).group(1)
    assert own_token  # this visitor has a session with a CSRF secret, and may still get cached pages
    filled = first.get(path).get_data(as_text=True)
    served = app.test_client().get(path).get_data(as_text=True)
    assert served == filled
    assert own_token not in served
    assert META_TOKEN.search(served).group(1) == ""
    assert 'name="csrf_token"' not in served


def test_a_cached_product_page_carries_each_visitors_own_token(app, kettle, cached):
    first, second = app.test_client(), app.test_client()
    first_token = FORM_TOKEN.search(first.get(product_path(kettle)).get_data(as_text=True)).group(1)
    response = second.get(product_path(kettle))
    second_token = FORM_TOKEN.search(response.get_data(as_text=True)).group(1)
    assert len(pages(cached)) == 1  # one cached page served to both
    assert first_token and second_token and first_token != second_token
    # A token in the page changes per visitor: no shared copy, no compression (BREACH), no ETag.
    assert "no-store" in response.headers["Cache-Control"] and "ETag" not in response.headers
    assert "Content-Encoding" not in second.get(product_path(kettle), headers={"Accept-Encoding": "gzip"}).headers
    # The first visitor's token is no good in the second's session.
    form = {"product_id": kettle["product"]["id"], "seller_id": kettle["seller"]["id"], "quantity": "2"}
    assert second.post("/cart/add", data={"csrf_token": first_token, **form}).status_code == 400


def test_a_guest_adds_to_the_cart_in_one_click_from_a_cached_page(app, client, kettle, cached):
    page = client.get(product_path(kettle)).get_data(as_text=True)
    assert 'action="/cart/add"' in page
    token = FORM_TOKEN.search(page).group(1)
    form = {"product_id": kettle["product"]["id"], "seller_id": kettle["seller"]["id"], "quantity": "2"}
    added = client.post("/cart/add", data={"csrf_token": token, **form})
    assert added.status_code == 302
    # The visitor now has a cart: their pages are rendered for them, with the count and a token.
    again = client.get(product_path(kettle)).get_data(as_text=True)
    assert 'data-testid="cart-count">2' in again
    assert META_TOKEN.search(again).group(1) != ""
    # ... and nobody else sees their cart.
    assert 'data-testid="cart-count"' not in app.test_client().get(product_path(kettle)).get_data(as_text=True)


def test_a_signed_in_visitor_never_gets_the_cached_page(app, client, actions, kettle, cached, count_queries):
    guest_page = app.test_client().get(product_path(kettle)).get_data(as_text=True)
    user = sign_in(app, actions, full_name="Bea Buyer")
    with count_queries() as statements:
        page = client.get(product_path(kettle)).get_data(as_text=True)
    assert page != guest_page and len(statements) > 1
    assert "Bea Buyer" in page and META_TOKEN.search(page).group(1) != ""
    assert "Bea Buyer" not in app.test_client().get(product_path(kettle)).get_data(as_text=True)
    assert user["email"] not in guest_page


def test_a_signed_in_render_is_never_stored_for_guests(app, client, actions, kettle, cached):
    sign_in(app, actions, full_name="Bea Buyer")
    for path in ("/", "/products", product_path(kettle)):
        assert "Bea Buyer" in client.get(path).get_data(as_text=True)
    assert pages(cached) == []
    for path in ("/", "/products", product_path(kettle)):
        page = app.test_client().get(path).get_data(as_text=True)
        assert "Bea Buyer" not in page and META_TOKEN.search(page).group(1) == ""


def test_a_flash_message_is_shown_to_its_visitor_only(app, client, kettle, cached):
    client.get(product_path(kettle))  # cached
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "A message for this visitor")]
    assert "A message for this visitor" in client.get(product_path(kettle)).get_data(as_text=True)
    assert "A message for this visitor" not in app.test_client().get(product_path(kettle)).get_data(as_text=True)


def test_a_price_change_shows_on_the_next_request(app, client, kettle, cached):
    card = f"/products?category={kettle['category']['slug']}"
    assert "$25.00" in client.get(product_path(kettle)).get_data(as_text=True)
    assert "$25.00" in client.get(card).get_data(as_text=True)
    run(app, "UPDATE offers SET price = 19.99 WHERE seller_id = :seller AND product_id = :product",
        seller=kettle["seller"]["id"], product=kettle["product"]["id"])  # fmt: skip
    page = client.get(product_path(kettle)).get_data(as_text=True)
    assert "$19.99" in page and "$25.00" not in page
    listing = client.get(card).get_data(as_text=True)
    assert "$19.99" in listing and "$25.00" not in listing


def test_a_new_review_shows_on_the_next_request(app, client, actions, kettle, cached):
    assert "(1 review)" in client.get(product_path(kettle)).get_data(as_text=True)
    another = actions.create_user(full_name="Una Other")
    factories.product_review(app, kettle["product"]["id"], another["id"], 2, "Too loud", "Whistles.")
    page = client.get(product_path(kettle)).get_data(as_text=True)
    assert "(2 reviews)" in page and "Too loud" in page


def test_a_review_edit_or_vote_shows_on_the_next_request(app, client, kettle, cached):
    assert "Boils fast" in client.get(product_path(kettle)).get_data(as_text=True)
    run(app, "UPDATE product_reviews SET title = 'Boils slowly' WHERE product_id = :id", id=kettle["product"]["id"])
    assert "Boils slowly" in client.get(product_path(kettle)).get_data(as_text=True)


def test_stock_at_zero_shows_on_the_next_request(app, client, kettle, cached):
    assert "In stock" in client.get(product_path(kettle)).get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert "Copper kettle" in home and "In stock" in home
    run(app, "UPDATE offers SET quantity = 0 WHERE product_id = :id", id=kettle["product"]["id"])
    page = client.get(product_path(kettle)).get_data(as_text=True)
    assert "Out of stock" in page and "· In stock" not in page
    assert "Out of stock" in client.get("/").get_data(as_text=True)


def test_the_query_string_order_does_not_split_the_cache(client, kettle, cached):
    client.get("/products?q=kettle&sort=price_asc")
    assert 'sql;desc="1 statements"' in client.get("/products?sort=price_asc&q=kettle").headers["Server-Timing"]
    assert len(pages(cached)) == 1


def test_errors_and_redirects_are_not_cached(client, cached):
    assert client.get("/products/999999").status_code == 404
    assert client.get("/products/999999").status_code == 404
    assert pages(cached) == []


def test_a_search_with_no_results_is_counted_also_when_served_from_the_cache(app, client, cached):
    for _ in range(3):
        assert client.get("/products?q=xylophonium").status_code == 200
    with app.extensions["bazaar_db"].connect() as connection:
        counted = connection.execute(text("SELECT searches FROM search_misses WHERE query = 'xylophonium'")).scalar()
    assert counted == 3


def test_signed_in_visitors_share_the_products_parts_but_not_their_own(
    app, client, actions, kettle, cached, count_queries
):
    sign_in(app, actions, full_name="Bea Buyer")
    client.get(product_path(kettle))  # fills the shared parts: product, sellers, also-bought
    with count_queries() as statements:
        page = client.get(product_path(kettle)).get_data(as_text=True)
    assert "Bea Buyer" in page and 'action="/cart/add"' in page
    assert not any("FROM offers AS o" in statement for statement in statements)  # the sellers' list
    seller = app.test_client()
    seller_actions = type(actions)(app, seller)
    app.config["PAGE_CACHE_SECONDS"] = 0
    seller_actions.login(kettle["seller"]["email"])
    app.config["PAGE_CACHE_SECONDS"] = 30
    own = seller.get(product_path(kettle)).get_data(as_text=True)
    assert "Your offer" in own and "Sally Seller" in own
    assert "Your offer" not in client.get(product_path(kettle)).get_data(as_text=True)


def test_a_price_change_shows_to_signed_in_visitors_on_the_next_request(app, client, actions, kettle, cached):
    sign_in(app, actions)
    assert "$25.00" in client.get(product_path(kettle)).get_data(as_text=True)
    run(app, "UPDATE offers SET price = 18.50 WHERE product_id = :id", id=kettle["product"]["id"])
    page = client.get(product_path(kettle)).get_data(as_text=True)
    assert "$18.50" in page and "$25.00" not in page


def test_a_search_keeps_its_sample_but_reads_its_rows_fresh(
    app, client, actions, kettle, cached, count_queries, monkeypatch
):
    """The 1 % sample's estimates are kept per process for PAGE_CACHE_SECONDS (page_cache.kept), for
    signed-in visitors too; the rows a page shows are read on every request."""
    from app.models import catalog_page, search

    monkeypatch.setattr(search, "SAMPLE_PERCENT", 100)
    monkeypatch.setattr(catalog_page, "COUNT_CAP", 0)  # "kettle" is not rare: the sample path
    sign_in(app, actions)  # signed in: no whole page from the cache
    with count_queries() as first:
        assert "$25.00" in client.get("/products?q=kettle").get_data(as_text=True)
    with count_queries() as again:
        assert "$25.00" in client.get("/products?q=kettle").get_data(as_text=True)
    assert [s for s in first if "TABLESAMPLE" in s] and not [s for s in again if "TABLESAMPLE" in s]
    run(app, "UPDATE offers SET price = 18.50 WHERE product_id = :id", id=kettle["product"]["id"])
    page = client.get("/products?q=kettle").get_data(as_text=True)
    assert "$18.50" in page and "$25.00" not in page
    with count_queries() as sorted_otherwise:
        assert "$18.50" in client.get("/products?q=kettle&sort=price_asc").get_data(as_text=True)
    assert not [s for s in sorted_otherwise if "TABLESAMPLE" in s]  # the order is not the sample's business


def test_a_guests_empty_cart_is_shared_but_a_cart_with_lines_never(app, client, kettle, cached):
    """Every guest's empty cart is the same page (the best sellers under it) and comes from the
    cache; a guest who adds something has a cart in the session, and their page is theirs."""
    assert "Your cart is empty" in app.test_client().get("/cart").get_data(as_text=True)
    assert "/cart?" in pages(cached)
    page = client.get(product_path(kettle)).get_data(as_text=True)
    form = {"product_id": kettle["product"]["id"], "seller_id": kettle["seller"]["id"], "quantity": "2"}
    assert client.post("/cart/add", data={"csrf_token": FORM_TOKEN.search(page).group(1), **form}).status_code == 302
    own = client.get("/cart").get_data(as_text=True)
    assert "Your cart is empty" not in own and "Copper kettle" in own
    other = app.test_client().get("/cart").get_data(as_text=True)
    assert "Your cart is empty" in other and 'data-testid="cart-count"' not in other
