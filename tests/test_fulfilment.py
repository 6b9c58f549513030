"""The seller's order lines: the list, its states and filters, and "Mark shipped"."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.models import cart, checkout, fulfilment, order, purchase
from app.routes import seller as seller_routes
from tests import factories
from tests.conftest import Actions, query_one


@pytest.fixture
def sales(app, actions):
    """Two sellers; one purchase with a line from each, and a second purchase from the first.

    The client is signed in as Sam, the first seller.
    """
    sam = actions.create_user(full_name="Sam Seller")
    rita = actions.create_user(full_name="Rita Rival")
    category = factories.category(app)
    lamp = factories.product(app, sam["id"], category["id"], name="Desk Lamp")
    vase = factories.product(app, rita["id"], category["id"], name="Glass Vase")
    factories.offer(app, sam["id"], lamp["id"], price="25.00", quantity=10)
    factories.offer(app, rita["id"], vase["id"], price="40.00", quantity=10)
    bea = actions.create_user(full_name="Bea Buyer", address="12 Elm Street, Springfield", balance="500")
    carl = actions.create_user(full_name="Carl Client", address="9 Oak Road, Shelbyville", balance="500")
    first = buy(app, bea, [(sam, lamp, 2), (rita, vase, 1)])
    second = buy(app, carl, [(sam, lamp, 1)])
    actions.login(sam["email"])
    return {"sam": sam, "rita": rita, "bea": bea, "carl": carl, "lamp": lamp, "vase": vase} | {
        "first": first,
        "second": second,
        "sam_first": line_id(app, first, sam),
        "rita_first": line_id(app, first, rita),
        "sam_second": line_id(app, second, sam),
    }


def buy(app, buyer, lines) -> int:
    with app.app_context():
        for seller, product, quantity in lines:
            cart.set_line(buyer["id"], seller["id"], product["id"], quantity)
        return checkout.place_order(buyer["id"], checkout.new_token()).purchase_id


def line_id(app, purchase_id, seller) -> int:
    return query_one(
        app, "SELECT id FROM orders WHERE purchase_id = :p AND seller_id = :s", p=purchase_id, s=seller["id"]
    )["id"]


def line(app, order_id):
    return query_one(app, "SELECT * FROM orders WHERE id = :id", id=order_id)


def stock(app, seller, product) -> int:
    return query_one(
        app, "SELECT quantity FROM offers WHERE seller_id = :s AND product_id = :p", s=seller["id"], p=product["id"]
    )["quantity"]


def ship(actions, *order_ids, carrier="UPS", tracking_number="1Z 999 AA1"):
    data = {"order_ids": [str(order_id) for order_id in order_ids], "carrier": carrier}
    return actions.post("/seller/orders/ship", data | {"tracking_number": tracking_number})


def test_the_list_shows_my_lines_with_buyer_and_address_only(client, sales):
    page = client.get("/seller/orders").get_data(as_text=True)
    assert "Bea Buyer" in page and "12 Elm Street, Springfield" in page
    assert "Carl Client" in page and "9 Oak Road, Shelbyville" in page
    assert "Desk Lamp" in page and "$50.00" in page and "$25.00" in page
    # Rita's line in Bea's purchase, and the purchase total, are not Sam's business.
    assert "Glass Vase" not in page and "Rita Rival" not in page and "$90.00" not in page
    assert 'data-testid="line-count">2 lines, oldest first<' in page
    ids = re.findall(r'name="order_ids" value="(\d+)"', page)
    assert ids == [str(sales["sam_first"]), str(sales["sam_second"])]  # to ship: the longest waiting first
    every = client.get("/seller/orders?status=all").get_data(as_text=True)
    assert re.findall(r'name="order_ids" value="(\d+)"', every) == ids[::-1]  # every line: newest first


def test_the_navbar_counts_pending_lines(client, actions, sales):
    assert 'data-testid="pending-count">2<' in client.get("/").get_data(as_text=True)
    ship(actions, sales["sam_first"])
    assert 'data-testid="pending-count">1<' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", []),  # the page opens on the lines to ship
        ("status=to_ship", []),
        ("status=pending", []),  # the old name of "to ship"
        ("status=shipped", ["sam_first"]),
        ("status=fulfilled", ["sam_first"]),  # the old name of "shipped"
        ("status=delivered", []),
        ("status=cancelled", ["sam_second"]),
        ("status=all", ["sam_second", "sam_first"]),
        ("status=all&q=bea", ["sam_first"]),
        ("status=all&q=CLIENT", ["sam_second"]),
        ("status=all&q=desk+lamp", ["sam_second", "sam_first"]),
        ("status=all&q=vase", []),  # Rita's product: no line of Sam's has it
        ("status=all&q=%25", []),
        ("status=all&date_from=2000-01-01&date_to=2000-12-31", []),
        ("status=bogus&date_from=yesterday", ["sam_second", "sam_first"]),
    ],
)
def test_filters(app, client, actions, sales, query, expected):
    """Sam's first line is shipped, his second cancelled: none is left to ship."""
    ship(actions, sales["sam_first"])
    with app.app_context():
        purchase.cancel_line(sales["sam_second"], sales["second"], sales["carl"]["id"])
    page = client.get(f"/seller/orders?{query}").get_data(as_text=True)
    shown = re.findall(r"Purchase #(\d+)", page)
    purchase_of = {"sam_first": sales["first"], "sam_second": sales["second"]}
    assert shown == [str(purchase_of[name]) for name in expected]


def test_date_filters_include_the_whole_last_day(client, sales):
    today = datetime.now(UTC).date()
    page = client.get(f"/seller/orders?date_from={today}&date_to={today}").get_data(as_text=True)
    assert 'data-testid="line-count">2 lines match, oldest first<' in page
    tomorrow = today + timedelta(days=1)
    assert "No order lines match" in client.get(f"/seller/orders?date_from={tomorrow}").get_data(as_text=True)


@pytest.fixture
def lamp_lines(app, actions):
    """Five lines of Sam's, newest first: Carl's lamp, Carl's bowl, Bea's lamp, Lampwick's bowl,
    Bea's bowl. "lamp" matches three of them (two by product, one by buyer); Rita's lamp line
    must never show. The client is signed in as Sam."""
    sam = actions.create_user(full_name="Sam Seller")
    rita = actions.create_user(full_name="Rita Rival")
    category = factories.category(app)
    lamp = factories.product(app, sam["id"], category["id"], name="Desk Lamp")
    bowl = factories.product(app, sam["id"], category["id"], name="Glass Bowl")
    factories.offer(app, sam["id"], lamp["id"], quantity=10)
    factories.offer(app, sam["id"], bowl["id"], quantity=10)
    factories.offer(app, rita["id"], lamp["id"], quantity=10)
    bea, lampwick, carl = (
        actions.create_user(full_name=name, balance="500") for name in ("Bea Buyer", "Lampwick Jones", "Carl Client")
    )
    purchases = [
        buy(app, bea, [(sam, bowl, 1), (rita, lamp, 1)]),
        buy(app, lampwick, [(sam, bowl, 1)]),
        buy(app, bea, [(sam, lamp, 1)]),
        buy(app, carl, [(sam, bowl, 1)]),
        buy(app, carl, [(sam, lamp, 1)]),
    ]
    actions.login(sam["email"])
    lines = [line_id(app, purchase_id, sam) for purchase_id in reversed(purchases)]
    return {"sam": sam, "newest_first": lines, "lamp_lines": [lines[0], lines[2], lines[3]]}


# (SAMPLE_LINES, WALK_LINES) that force each way of finding the lines when at_most is 2.
SEARCH_WAYS = {
    "walk, the sample holds every line": (200, 4000),
    "walk, enough matches in the window": (1, 3),
    "walk, then lookup when the window runs out": (1, 2),
    "lookup, the sample finds the keyword rare": (1, 0),
}


@pytest.mark.parametrize("way", SEARCH_WAYS)
def test_every_way_of_searching_finds_the_same_newest_lines(app, lamp_lines, monkeypatch, way):
    monkeypatch.setattr(fulfilment, "SAMPLE_LINES", SEARCH_WAYS[way][0])
    monkeypatch.setattr(fulfilment, "WALK_LINES", SEARCH_WAYS[way][1])
    seller_id, matching = lamp_lines["sam"]["id"], lamp_lines["lamp_lines"]
    lamp = fulfilment.LineFilters(keyword="LAMP")
    with app.app_context():
        assert fulfilment.list_matching_line_ids(seller_id, lamp, at_most=2) == matching[:2]
        assert fulfilment.list_matching_line_ids(seller_id, lamp, at_most=10) == matching
        assert fulfilment.list_matching_line_ids(seller_id, fulfilment.LineFilters(keyword="%"), 10) == []
        order.mark_shipped(seller_id, [matching[1]], "DHL", None)
        to_ship = fulfilment.LineFilters(status="to_ship", keyword="lamp")
        assert fulfilment.list_matching_line_ids(seller_id, to_ship, at_most=10) == [matching[0], matching[2]]
        shipped = fulfilment.LineFilters(status="shipped", keyword="lamp")
        assert fulfilment.list_matching_line_ids(seller_id, shipped, at_most=10) == [matching[1]]


def test_a_keyword_count_stops_past_the_cap_and_pages_go_on(client, lamp_lines, monkeypatch):
    monkeypatch.setattr(seller_routes, "ORDERS_PAGE_SIZE", 1)
    monkeypatch.setattr(seller_routes, "KEYWORD_COUNT_CAP", 1)
    purchase_of_line = {}
    for number in (1, 2, 3):
        page = client.get(f"/seller/orders?q=lamp&page={number}").get_data(as_text=True)
        purchase_of_line[number] = re.findall(r"Purchase #(\d+)", page)
        count = re.search(r'data-testid="line-count">([^<]+)<', page).group(1)
        assert count == {1: "1+ lines match", 2: "2+ lines match", 3: "3 lines match"}[number]
        next_link = re.search(r'href="([^"]*)" rel="next"', page).group(1)
        assert next_link == (f"/seller/orders?q=lamp&amp;page={number + 1}" if number < 3 else "#")
    assert len({purchase for shown in purchase_of_line.values() for purchase in shown}) == 3


def test_the_ship_page_shows_the_lines_and_asks_for_the_carrier(client, sales):
    page = client.get(f"/seller/orders/ship?order_ids={sales['sam_first']}&order_ids={sales['sam_second']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Mark 2 lines shipped" in text and "12 Elm Street, Springfield" in text and "9 Oak Road" in text
    assert 'name="carrier"' in text and 'name="tracking_number"' in text
    # Someone else's line, or none at all, is not found.
    assert client.get(f"/seller/orders/ship?order_ids={sales['rita_first']}").status_code == 404
    assert client.get("/seller/orders/ship").status_code == 404
    assert client.get("/seller/orders/ship?order_ids=abc&order_ids=" + "9" * 40).status_code == 404


def test_mark_one_line_shipped(app, client, actions, sales):
    before = stock(app, sales["sam"], sales["lamp"])
    response = ship(actions, sales["sam_first"])
    assert response.status_code == 302
    row = line(app, sales["sam_first"])
    assert row["status"] == "shipped" and row["carrier"] == "UPS" and row["tracking_number"] == "1Z 999 AA1"
    assert row["shipped_at"] is not None and row["fulfilled_at"] == row["shipped_at"]  # the old name kept equal
    assert line(app, sales["sam_second"])["status"] == "placed"
    assert stock(app, sales["sam"], sales["lamp"]) == before  # stock left at checkout
    page = client.get("/seller/orders").get_data(as_text=True)
    assert "Marked 1 line shipped" in page


def test_mark_a_selection_shipped_and_the_buyer_sees_it(app, client, actions, sales):
    response = ship(actions, sales["sam_first"], sales["sam_second"], tracking_number="")
    assert response.status_code == 302
    assert line(app, sales["sam_first"])["status"] == "shipped"
    assert line(app, sales["sam_second"])["tracking_number"] is None
    assert "Marked 2 lines shipped" in client.get("/seller/orders").get_data(as_text=True)
    # Carl's purchase has only Sam's line: it is shipped. Bea's waits for Rita's line.
    actions.logout()
    actions.login(sales["carl"]["email"])
    page = client.get(f"/purchases/{sales['second']}").get_data(as_text=True)
    assert "Shipped" in page and "by UPS" in page and "Confirm receipt" in page
    assert "1 of 1 shipped" in client.get("/purchases").get_data(as_text=True)
    actions.logout()
    actions.login(sales["bea"]["email"])
    page = client.get(f"/purchases/{sales['first']}").get_data(as_text=True)
    assert "Shipped" in page and "Placed" in page


def test_a_shipped_line_cannot_be_cancelled(app, actions, sales):
    ship(actions, sales["sam_first"])
    with app.app_context(), pytest.raises(purchase.CancelFailed, match="already shipped"):
        purchase.cancel_line(sales["sam_first"], sales["first"], sales["bea"]["id"])


def test_a_cancelled_line_cannot_be_shipped(app, client, actions, sales):
    with app.app_context():
        purchase.cancel_line(sales["sam_second"], sales["second"], sales["carl"]["id"])
    response = ship(actions, sales["sam_second"])
    assert response.status_code == 409
    assert "Nothing was marked" in response.get_data(as_text=True)
    row = line(app, sales["sam_second"])
    assert row["shipped_at"] is None and row["cancelled_at"] is not None
    # In a selection, the open line is marked and the cancelled one is reported.
    response = ship(actions, sales["sam_first"], sales["sam_second"])
    assert response.status_code == 302
    page = client.get("/seller/orders").get_data(as_text=True)
    assert "Marked 1 line shipped" in page and "1 line not marked" in page


def test_marking_twice_marks_once(app, actions, sales):
    ship(actions, sales["sam_first"])
    first_time = line(app, sales["sam_first"])["shipped_at"]
    assert ship(actions, sales["sam_first"], carrier="DHL").status_code == 409
    row = line(app, sales["sam_first"])
    assert row["shipped_at"] == first_time and row["carrier"] == "UPS"


def test_another_sellers_lines_are_not_found_and_unchanged(app, actions, sales):
    assert ship(actions, sales["rita_first"]).status_code == 404
    # Mixed with one of mine: the whole request is refused, nothing is marked.
    assert ship(actions, sales["sam_first"], sales["rita_first"]).status_code == 404
    assert line(app, sales["rita_first"])["shipped_at"] is None
    assert line(app, sales["sam_first"])["shipped_at"] is None
    assert ship(actions, 99999999).status_code == 404


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"order_ids": ["abc"], "carrier": "UPS"},
        {"order_ids": ["-1"], "carrier": "UPS"},
        {"order_ids": ["9" * 30], "carrier": "UPS"},
        {"order_ids": [str(number) for number in range(1, 102)], "carrier": "UPS"},
        {"order_ids": ["1"]},
        {"order_ids": ["1"], "carrier": "x" * 61},
        {"order_ids": ["1"], "carrier": "UPS", "tracking_number": "<script>"},
        {"order_ids": ["1"], "carrier": "UPS\x07"},
    ],
)
def test_bad_selections_are_refused(app, actions, sales, data):
    if data.get("order_ids") == ["1"]:
        data = data | {"order_ids": [str(sales["sam_first"])]}
    response = actions.post("/seller/orders/ship", data)
    assert response.status_code == 400
    assert query_one(app, "SELECT count(*) AS n FROM orders WHERE shipped_at IS NOT NULL")["n"] == 0


def test_a_seller_without_orders_sees_an_empty_list(client, actions, sales):
    actions.logout()
    actions.signed_in_user(full_name="New Seller")
    page = client.get("/seller/orders").get_data(as_text=True)
    assert "Nothing to ship" in page and "Bea Buyer" not in page
    assert "No orders yet" in client.get("/seller/orders?status=all").get_data(as_text=True)


def test_the_orders_page_runs_a_fixed_number_of_queries(app, client, sales, count_queries):
    with count_queries() as few:
        client.get("/seller/orders?q=lamp&status=to_ship")
    buyers = [Actions(app, app.test_client()).create_user(balance="100") for _ in range(15)]
    factories.offer(app, sales["sam"]["id"], sales["vase"]["id"], quantity=50)
    for buyer in buyers:
        buy(app, buyer, [(sales["sam"], sales["vase"], 1)])
    with count_queries() as many:
        response = client.get("/seller/orders?q=lamp&status=to_ship")
    assert response.status_code == 200
    assert len(many) == len(few)
    with count_queries() as unfiltered:
        page = client.get("/seller/orders").get_data(as_text=True)
    assert len(unfiltered) == len(few) and page.count('name="order_ids"') == 17
