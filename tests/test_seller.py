"""The seller center: dashboard, inventory, offers, stock changes and stock history."""

import json
import re
from decimal import Decimal

import pytest

from app.models import cart, checkout
from tests import factories
from tests.conftest import query_one


@pytest.fixture
def store(app, actions):
    """A signed-in seller with three offers, and a rival seller with their own."""
    rival = actions.create_user(full_name="Rita Rival")
    seller = actions.signed_in_user(full_name="Sam Seller")
    category = factories.category(app)
    lamp = factories.product(app, seller["id"], category["id"], name="Desk Lamp")
    mug = factories.product(app, rival["id"], category["id"], name="Coffee Mug")
    kettle = factories.product(app, rival["id"], category["id"], name="Steel Kettle")
    factories.offer(app, seller["id"], lamp["id"], price="25.00", quantity=10)
    factories.offer(app, seller["id"], mug["id"], price="8.50", quantity=2)
    factories.offer(app, rival["id"], mug["id"], price="9.00", quantity=7)
    factories.offer(app, rival["id"], kettle["id"], price="30.00", quantity=4)
    return {"seller": seller, "rival": rival, "lamp": lamp, "mug": mug, "kettle": kettle, "category": category}


def offer_row(app, seller_id, product_id):
    return query_one(app, "SELECT * FROM offers WHERE seller_id = :s AND product_id = :p", s=seller_id, p=product_id)


def events(app, seller_id, product_id):
    return query_one(
        app,
        """
        SELECT count(*) AS n, coalesce(sum(delta), 0) AS total,
               array_agg(reason ORDER BY id) AS reasons, array_agg(delta ORDER BY id) AS deltas
        FROM inventory_events WHERE seller_id = :s AND product_id = :p
        """,
        s=seller_id,
        p=product_id,
    )


def edit(actions, product, price, quantity, expected):
    return actions.post(
        f"/seller/inventory/{product['id']}",
        {"price": price, "quantity": str(quantity), "expected_quantity": str(expected)},
    )


def sell(app, seller_id, product_id, quantity=1):
    """A real checkout by a new buyer, committed inside the test's transaction."""
    from tests.conftest import Actions

    buyer = Actions(app, app.test_client()).create_user(balance="1000")
    with app.app_context():
        cart.set_line(buyer["id"], seller_id, product_id, quantity)
        return checkout.place_order(buyer["id"], checkout.new_token()).purchase_id


# Guests and other sellers


SELLER_PAGES = [
    "/seller",
    "/seller/inventory",
    "/seller/inventory/1",
    "/seller/orders",
    "/seller/offers/new",
    "/seller/products/new",
    "/seller/products/1/edit",
]
SELLER_ACTIONS = [
    "/seller/threshold",
    "/seller/inventory/1",
    "/seller/inventory/1/remove",
    "/seller/offers",
    "/seller/products/new",
    "/seller/products/1/edit",
    "/seller/orders/ship",
]


@pytest.mark.parametrize("path", SELLER_PAGES)
def test_guests_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", SELLER_ACTIONS)
def test_guest_posts_change_nothing(client, actions, path):
    response = actions.post(path, {"price": "1.00", "quantity": "1", "expected_quantity": "1"})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_posts_without_csrf_token_are_refused(client, store):
    response = client.post(f"/seller/inventory/{store['lamp']['id']}/remove")
    assert response.status_code == 400


def test_another_sellers_offer_is_not_found_and_unchanged(app, client, actions, store):
    kettle = store["kettle"]  # only the rival sells it
    before = offer_row(app, store["rival"]["id"], kettle["id"])
    assert client.get(f"/seller/inventory/{kettle['id']}").status_code == 404
    assert edit(actions, kettle, "1.00", 100, 4).status_code == 404
    assert actions.post(f"/seller/inventory/{kettle['id']}/remove").status_code == 404
    assert offer_row(app, store["rival"]["id"], kettle["id"]) == before
    assert events(app, store["rival"]["id"], kettle["id"])["n"] == 1


def test_editing_my_offer_of_a_shared_product_leaves_the_rivals_offer_alone(app, actions, store):
    mug = store["mug"]
    assert edit(actions, mug, "7.00", 5, 2).status_code == 302
    assert offer_row(app, store["seller"]["id"], mug["id"])["quantity"] == 5
    rival = offer_row(app, store["rival"]["id"], mug["id"])
    assert rival["quantity"] == 7 and rival["price"] == Decimal("9.00")


@pytest.mark.parametrize("path", ["/seller/inventory/0", "/seller/inventory/99999999", "/seller/inventory/9" * 30])
def test_unknown_offers_are_not_found(client, store, path):
    assert client.get(path).status_code == 404


# Dashboard


def test_dashboard_counts_and_low_stock(app, client, store):
    page = client.get("/seller").get_data(as_text=True)
    assert 'data-testid="summary-active-offers">2<' in page
    assert 'data-testid="summary-low-stock">1<' in page  # the mug: 2 left, threshold 5
    assert "Coffee Mug" in page and "Desk Lamp" not in page.split("low-stock-heading")[1]


def test_changing_the_threshold(app, client, actions, store):
    response = actions.post("/seller/threshold", {"low_stock_threshold": "10"})
    assert response.status_code == 302
    assert (
        query_one(app, "SELECT low_stock_threshold FROM users WHERE id = :id", id=store["seller"]["id"])[
            "low_stock_threshold"
        ]
        == 10
    )
    page = client.get("/seller").get_data(as_text=True)
    assert 'data-testid="summary-low-stock">2<' in page


@pytest.mark.parametrize("value", ["-1", "100001", "many", ""])
def test_bad_thresholds_are_refused(app, actions, store, value):
    response = actions.post("/seller/threshold", {"low_stock_threshold": value})
    assert response.status_code == 400
    assert (
        query_one(app, "SELECT low_stock_threshold FROM users WHERE id = :id", id=store["seller"]["id"])[
            "low_stock_threshold"
        ]
        == 5
    )


# Inventory list


def test_inventory_lists_only_my_offers(client, store):
    page = client.get("/seller/inventory").get_data(as_text=True)
    assert "Desk Lamp" in page and "Coffee Mug" in page
    assert "Steel Kettle" not in page
    assert 'data-testid="offer-count">2 offers<' in page


def test_inventory_search_and_filters(app, client, actions, store):
    assert "Coffee Mug" not in client.get("/seller/inventory?q=lamp").get_data(as_text=True)
    assert "Desk Lamp" in client.get("/seller/inventory?q=LAMP").get_data(as_text=True)
    assert "No offers match" in client.get("/seller/inventory?q=%25_").get_data(as_text=True)
    low = client.get("/seller/inventory?show=low").get_data(as_text=True)
    assert "Coffee Mug" in low and "Desk Lamp" not in low
    actions.post(f"/seller/inventory/{store['lamp']['id']}/remove")
    removed = client.get("/seller/inventory?show=removed").get_data(as_text=True)
    assert "Desk Lamp" in removed and "Sell again" in removed and "Coffee Mug" not in removed


@pytest.mark.parametrize(
    ("sort", "direction", "first"),
    [
        ("name", "asc", "Coffee Mug"),
        ("name", "desc", "Desk Lamp"),
        ("price", "asc", "Coffee Mug"),
        ("price", "desc", "Desk Lamp"),
        ("stock", "asc", "Coffee Mug"),
        ("stock", "desc", "Desk Lamp"),
        ("sold", "desc", "Coffee Mug"),
        ("sold", "asc", "Desk Lamp"),
        ("updated", "desc", "Coffee Mug"),
        ("bogus", "sideways", "Coffee Mug"),  # unknown sorts fall back to the newest change
    ],
)
def test_inventory_sorts(app, client, store, sort, direction, first):
    sell(app, store["seller"]["id"], store["mug"]["id"], 1)
    page = client.get(f"/seller/inventory?sort={sort}&dir={direction}").get_data(as_text=True)
    names = re.findall(r'<a href="/seller/inventory/\d+">([^<]+)</a>', page)
    assert names[0] == first


def test_inventory_shows_units_sold_and_pages(app, client, store):
    sell(app, store["seller"]["id"], store["mug"]["id"], 2)
    page = client.get("/seller/inventory?sort=sold&dir=desc").get_data(as_text=True)
    mug_row = page[page.index("Coffee Mug") :].split("</tr>")[0]
    assert '<td class="text-end" data-label="Units sold">2</td>' in mug_row
    for number in range(55):
        product = factories.product(app, store["seller"]["id"], store["category"]["id"], name=f"Bulk {number:02}")
        factories.offer(app, store["seller"]["id"], product["id"])
    second = client.get("/seller/inventory?sort=name&dir=asc&page=2").get_data(as_text=True)
    assert "Bulk 50" in second and "Bulk 49" not in second and "Desk Lamp" in second


def test_inventory_runs_a_fixed_number_of_queries(app, client, store, count_queries):
    with count_queries() as few:
        client.get("/seller/inventory?sort=sold&dir=desc")
    for _ in range(30):
        product = factories.product(app, store["seller"]["id"], store["category"]["id"])
        factories.offer(app, store["seller"]["id"], product["id"])
        sell(app, store["seller"]["id"], product["id"])
    for sort in ("name", "sold", "updated"):
        with count_queries() as many:
            response = client.get(f"/seller/inventory?sort={sort}&q=product")
        assert response.status_code == 200
        assert len(many) == len(few)


# Changing price and stock


def test_restock_records_an_event(app, actions, store):
    lamp = store["lamp"]
    response = edit(actions, lamp, "26.50", 15, 10)
    assert response.status_code == 302
    offer = offer_row(app, store["seller"]["id"], lamp["id"])
    assert offer["quantity"] == 15 and offer["price"] == Decimal("26.50")
    history = events(app, store["seller"]["id"], lamp["id"])
    assert history["reasons"] == ["initial", "restock"] and history["deltas"] == [10, 5] and history["total"] == 15
    product = query_one(app, "SELECT total_stock, min_price FROM products WHERE id = :id", id=lamp["id"])
    assert product["total_stock"] == 15 and product["min_price"] == Decimal("26.50")


def test_lowering_stock_is_an_adjustment(app, actions, store):
    edit(actions, store["lamp"], "25.00", 4, 10)
    history = events(app, store["seller"]["id"], store["lamp"]["id"])
    assert history["reasons"] == ["initial", "adjustment"] and history["deltas"] == [10, -6]


def test_stock_changed_by_a_sale_since_the_page_loaded_is_refused(app, actions, store):
    lamp = store["lamp"]
    sell(app, store["seller"]["id"], lamp["id"], 3)  # stock 10 → 7 after the seller loaded the form
    response = edit(actions, lamp, "25.00", 20, 10)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Stock changed to 7 since you loaded the page" in page
    assert 'name="expected_quantity" value="7"' in page  # the form now carries the new stock
    assert offer_row(app, store["seller"]["id"], lamp["id"])["quantity"] == 7
    assert events(app, store["seller"]["id"], lamp["id"])["reasons"] == ["initial", "sale"]
    assert edit(actions, lamp, "25.00", 20, 7).status_code == 302  # retried with the new figure
    assert offer_row(app, store["seller"]["id"], lamp["id"])["quantity"] == 20


def test_a_price_only_edit_keeps_stock_sold_meanwhile(app, actions, store):
    lamp = store["lamp"]
    sell(app, store["seller"]["id"], lamp["id"], 3)
    response = edit(actions, lamp, "19.99", 10, 10)  # the seller did not touch the stock field
    assert response.status_code == 302
    offer = offer_row(app, store["seller"]["id"], lamp["id"])
    assert offer["price"] == Decimal("19.99") and offer["quantity"] == 7
    assert events(app, store["seller"]["id"], lamp["id"])["total"] == 7


@pytest.mark.parametrize(
    ("price", "quantity", "message"),
    [
        ("0", "5", "Enter an amount from $0.01 to $1,000,000.00."),
        ("1000000.01", "5", "Enter an amount from $0.01 to $1,000,000.00."),
        ("1.234", "5", "at most two decimals"),
        ("-3", "5", "at most two decimals"),
        ("NaN", "5", "at most two decimals"),
        ("", "5", "at most two decimals"),
        ("5", "-1", "Enter a whole number from 0 to 1,000,000."),
        ("5", "1000001", "Enter a whole number from 0 to 1,000,000."),
        ("5", "2.5", "Enter a whole number from 0 to 1,000,000."),
        ("5", "9" * 400, "Enter a whole number from 0 to 1,000,000."),
        ("5", "", "Enter how many you have in stock."),
    ],
)
def test_bad_prices_and_quantities_are_refused(app, actions, store, price, quantity, message):
    response = actions.post(
        f"/seller/inventory/{store['lamp']['id']}", {"price": price, "quantity": quantity, "expected_quantity": "10"}
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    offer = offer_row(app, store["seller"]["id"], store["lamp"]["id"])
    assert offer["price"] == Decimal("25.00") and offer["quantity"] == 10


def test_edge_prices_and_quantities_are_accepted(app, actions, store):
    assert edit(actions, store["lamp"], "1,000,000.00", 1000000, 10).status_code == 302
    assert edit(actions, store["lamp"], "0.01", 0, 1000000).status_code == 302
    offer = offer_row(app, store["seller"]["id"], store["lamp"]["id"])
    assert offer["price"] == Decimal("0.01") and offer["quantity"] == 0
    assert events(app, store["seller"]["id"], store["lamp"]["id"])["total"] == 0


def test_inline_edit_returns_to_the_inventory_page(actions, store):
    response = actions.post(
        f"/seller/inventory/{store['lamp']['id']}",
        {"price": "25.00", "quantity": "11", "expected_quantity": "10", "next": "/seller/inventory?sort=name&page=1"},
    )
    assert response.headers["Location"] == "/seller/inventory?sort=name&page=1"
    response = actions.post(
        f"/seller/inventory/{store['lamp']['id']}",
        {"price": "25.00", "quantity": "12", "expected_quantity": "11", "next": "https://evil.example/"},
    )
    assert response.headers["Location"] == f"/seller/inventory/{store['lamp']['id']}"


# Removing and offering again


def test_removing_an_offer_takes_it_out_of_the_catalog_and_keeps_its_orders(app, client, actions, store):
    lamp = store["lamp"]
    purchase_id = sell(app, store["seller"]["id"], lamp["id"], 1)
    response = actions.post(f"/seller/inventory/{lamp['id']}/remove", follow_redirects=True)
    assert "Desk Lamp is no longer for sale" in response.get_data(as_text=True)
    assert offer_row(app, store["seller"]["id"], lamp["id"])["is_active"] is False
    product = query_one(app, "SELECT offer_count, min_price FROM products WHERE id = :id", id=lamp["id"])
    assert product["offer_count"] == 0 and product["min_price"] is None
    assert query_one(app, "SELECT count(*) AS n FROM orders WHERE purchase_id = :id", id=purchase_id)["n"] == 1
    assert "Desk Lamp" not in client.get("/seller/inventory").get_data(as_text=True)
    # Editing a removed offer is refused; the offer page says how to sell it again.
    assert edit(actions, lamp, "20.00", 9, 9).status_code == 409
    assert "Sell it again" in client.get(f"/seller/inventory/{lamp['id']}").get_data(as_text=True)


def test_offering_an_existing_product(app, client, actions, store):
    kettle = store["kettle"]
    page = client.get(f"/seller/offers/new?product_id={kettle['id']}").get_data(as_text=True)
    assert "Sell Steel Kettle" in page
    response = actions.post("/seller/offers", {"product_id": kettle["id"], "price": "28.00", "quantity": "3"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/seller/inventory/{kettle['id']}"
    offer = offer_row(app, store["seller"]["id"], kettle["id"])
    assert offer["price"] == Decimal("28.00") and offer["quantity"] == 3 and offer["is_active"]
    assert events(app, store["seller"]["id"], kettle["id"])["reasons"] == ["initial"]
    product = query_one(app, "SELECT offer_count, total_stock FROM products WHERE id = :id", id=kettle["id"])
    assert product["offer_count"] == 2 and product["total_stock"] == 7


def test_offering_a_product_i_already_sell_is_refused_with_a_link(app, actions, store):
    lamp = store["lamp"]
    response = actions.post("/seller/offers", {"product_id": lamp["id"], "price": "1.00", "quantity": "99"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "You already sell this product" in page
    assert f'href="/seller/inventory/{lamp["id"]}"' in page
    offer = offer_row(app, store["seller"]["id"], lamp["id"])
    assert offer["price"] == Decimal("25.00") and offer["quantity"] == 10


def test_offering_a_removed_product_again_reactivates_it(app, actions, store):
    lamp = store["lamp"]
    actions.post(f"/seller/inventory/{lamp['id']}/remove")
    response = actions.post("/seller/offers", {"product_id": lamp["id"], "price": "22.00", "quantity": "4"})
    assert response.status_code == 302
    offer = offer_row(app, store["seller"]["id"], lamp["id"])
    assert offer["is_active"] and offer["quantity"] == 4 and offer["price"] == Decimal("22.00")
    history = events(app, store["seller"]["id"], lamp["id"])
    assert history["reasons"] == ["initial", "adjustment"] and history["total"] == 4


def test_offering_an_unknown_product_is_not_found(app, client, actions, store):
    assert actions.post("/seller/offers", {"product_id": "999999", "price": "1", "quantity": "1"}).status_code == 404
    assert client.get("/seller/offers/new?product_id=999999").status_code == 404


def test_catalog_search_for_products_to_offer(app, client, store):
    page = client.get("/seller/offers/new?q=kettle").get_data(as_text=True)
    assert "Steel Kettle" in page and "Sell this" in page
    page = client.get("/seller/offers/new?q=lamp").get_data(as_text=True)
    assert "You sell this" in page


# Stock history


def test_stock_history_newest_first_with_chart_data(app, client, actions, store):
    lamp = store["lamp"]
    edit(actions, lamp, "25.00", 12, 10)
    sell(app, store["seller"]["id"], lamp["id"], 2)
    edit(actions, lamp, "25.00", 8, 10)
    page = client.get(f"/seller/inventory/{lamp['id']}").get_data(as_text=True)
    history = page[page.index("history-heading") :]
    reasons = re.findall(r"<td>(Initial stock|Restock|Adjustment|Sale|Cancellation)", history)
    assert reasons == ["Adjustment", "Sale", "Restock", "Initial stock"]
    chart = json.loads(re.search(r'id="stock-chart-data">(.*?)</script>', page, re.S).group(1))
    assert chart["values"] == [10, 12, 10, 8]
    assert 'src="/static/js/stock-chart.' in page and "<script>" not in page  # a content-hashed name


def test_stock_history_pages(app, client, actions, store):
    quantity = 10
    for _ in range(30):
        edit(actions, store["lamp"], "25.00", quantity + 1, quantity)
        quantity += 1
    first = client.get(f"/seller/inventory/{store['lamp']['id']}").get_data(as_text=True)
    second = client.get(f"/seller/inventory/{store['lamp']['id']}?page=2").get_data(as_text=True)
    assert "31 changes" in first and first.count("Restock") == 25
    assert "Initial stock" in second and second.count("Restock") == 5


def test_offer_page_runs_a_fixed_number_of_queries(app, client, actions, store, count_queries):
    with count_queries() as few:
        client.get(f"/seller/inventory/{store['lamp']['id']}")
    for quantity in range(10, 40):
        edit(actions, store["lamp"], "25.00", quantity + 1, quantity)
    with count_queries() as many:
        client.get(f"/seller/inventory/{store['lamp']['id']}")
    assert len(many) == len(few)


# Public profile


def test_public_profile_shows_what_the_user_sells(app, client, actions, store):
    actions.post(f"/seller/inventory/{store['lamp']['id']}/remove", follow_redirects=True)
    page = client.get(f"/users/{store['seller']['id']}").get_data(as_text=True)
    assert "What Sam Seller sells" in page and "Coffee Mug" in page and "Desk Lamp" not in page
    for number in range(30):
        product = factories.product(app, store["seller"]["id"], store["category"]["id"], name=f"Gadget {number:02}")
        factories.offer(app, store["seller"]["id"], product["id"])
    first = client.get(f"/users/{store['seller']['id']}").get_data(as_text=True)
    second = client.get(f"/users/{store['seller']['id']}?page=2").get_data(as_text=True)
    assert "Gadget 29" in first and "Gadget 05" not in first
    assert "Gadget 05" in second and "Coffee Mug" in second


def test_navbar_sell_menu(client, store):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/seller/inventory"' in page and 'href="/seller/orders"' in page
