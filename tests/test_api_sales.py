"""GET /api/v1/sales (the analytics table) and POST /api/v1/sales (offline sales, idempotent)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests import factories, sales
from tests.api import bearer, make_token
from tests.conftest import query_one


@pytest.fixture
def stall(app, actions):
    """A seller with an offer of 5 units and an orders-scoped token; a rival with their own offer."""
    seller = actions.create_user()
    rival = actions.create_user()
    product = factories.product(app, seller["id"])
    factories.offer(app, seller["id"], product["id"], price="4.00", quantity=5)
    rival_product = factories.product(app, rival["id"])
    factories.offer(app, rival["id"], rival_product["id"])
    return {
        "seller": seller,
        "product": product,
        "rival_product": rival_product,
        "token": make_token(app, seller["id"], scopes=["read", "orders"]),
    }


def post_sale(client, token, body, key="key-1"):
    headers = bearer(token) | ({"Idempotency-Key": key} if key is not None else {})
    return client.post("/api/v1/sales", json=body, headers=headers)


def offer_state(app, seller_id, product_id):
    return query_one(
        app,
        """
        SELECT o.quantity,
               (SELECT sum(delta) FROM inventory_events AS e
                WHERE e.seller_id = o.seller_id AND e.product_id = o.product_id) AS events_total,
               (SELECT array_agg(reason ORDER BY id) FROM inventory_events AS e
                WHERE e.seller_id = o.seller_id AND e.product_id = o.product_id) AS reasons
        FROM offers AS o WHERE o.seller_id = :s AND o.product_id = :p
        """,
        s=seller_id,
        p=product_id,
    )


def test_an_offline_sale_takes_stock_with_an_inventory_event(app, client, stall):
    response = post_sale(client, stall["token"], {"product_id": stall["product"]["id"], "quantity": 2})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["quantity"] == 2 and body["unit_price"] == {"amount": "4.00", "currency": "USD"}
    assert body["total"]["amount"] == "8.00" and "Idempotent-Replayed" not in response.headers
    state = offer_state(app, stall["seller"]["id"], stall["product"]["id"])
    assert (state["quantity"], state["events_total"], state["reasons"]) == (3, 3, ["initial", "offline sale"])


def test_replaying_a_key_returns_the_first_sale_and_sells_once(app, client, stall):
    body = {"product_id": stall["product"]["id"], "quantity": 1, "unit_price": "3.50"}
    first = post_sale(client, stall["token"], body)
    again = post_sale(client, stall["token"], body)
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert offer_state(app, stall["seller"]["id"], stall["product"]["id"])["quantity"] == 4
    other = post_sale(client, stall["token"], body | {"quantity": 2})
    assert other.status_code == 422 and "different request" in other.get_json()["detail"]


def test_more_than_the_stock_is_409_and_nothing_changes(app, client, stall):
    response = post_sale(client, stall["token"], {"product_id": stall["product"]["id"], "quantity": 6})
    assert response.status_code == 409 and response.get_json()["detail"] == "Only 5 in stock."
    assert offer_state(app, stall["seller"]["id"], stall["product"]["id"])["quantity"] == 5


def test_another_sellers_product_is_404(app, client, stall):
    response = post_sale(client, stall["token"], {"product_id": stall["rival_product"]["id"], "quantity": 1})
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_recording_a_sale_needs_the_orders_scope(app, client, stall):
    token = make_token(app, stall["seller"]["id"], scopes=["read", "listings"])
    response = post_sale(client, token, {"product_id": stall["product"]["id"], "quantity": 1})
    assert response.status_code == 403


@pytest.mark.parametrize("key", [None, "", "with space", "x" * 256, "é"])
def test_a_missing_or_bad_idempotency_key_is_400(client, stall, key):
    response = post_sale(client, stall["token"], {"product_id": stall["product"]["id"], "quantity": 1}, key=key)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 1}, "product_id"),
        ({"product_id": "1", "quantity": 1}, "product_id"),
        ({"product_id": 2**63, "quantity": 1}, "product_id"),
        ({"product_id": 1, "quantity": 0}, "quantity"),
        ({"product_id": 1, "quantity": 1.0}, "quantity"),
        ({"product_id": 1, "quantity": 1, "unit_price": "-2"}, "unit_price"),
        ({"product_id": 1, "quantity": 1, "note": "x"}, "note"),
    ],
)
def test_bad_sale_bodies_are_422(client, stall, body, field):
    response = post_sale(client, stall["token"], body)
    assert response.status_code == 422
    assert field in [error["field"] for error in response.get_json()["errors"]]


def test_sales_are_grouped_as_the_analytics_api_groups_them(app, client, actions, stall):
    buyer = actions.create_user(balance="100")
    category = query_one(app, "SELECT * FROM categories WHERE id = :c", c=stall["product"]["category_id"])
    sales.buy(app, buyer, [(stall["seller"], stall["product"], category, 2)], datetime(2025, 3, 4, 12, tzinfo=UTC))
    query = "group_by=product&from=2025-01-01&to=2025-12-31"
    response = client.get(f"/api/v1/sales?{query}", headers=bearer(stall["token"]))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["rows"][0]["product_id"] == stall["product"]["id"]
    assert (body["rows"][0]["revenue"], body["rows"][0]["units"]) == ("8.00", 2)
    actions.login(stall["seller"]["email"])
    assert actions.client.get(f"/api/seller/sales?{query}").get_json() == body


@pytest.mark.parametrize("query", ["group_by=colour", "from=2025-13-01", "from=2025-01-01&to=2024-01-01"])
def test_bad_sales_queries_are_400(app, client, stall, query):
    response = client.get(f"/api/v1/sales?{query}", headers=bearer(stall["token"]))
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_db_checks_offline_sales_invariant_holds_and_an_event_without_its_sale_breaks_it(app, client, stall):
    """db/check.py: each offer's offline sales add up to its 'offline sale' inventory events."""
    from db.check import INVARIANTS

    [query] = [sql for name, sql in INVARIANTS if name.startswith("offline_sales:")]
    post_sale(client, stall["token"], {"product_id": stall["product"]["id"], "quantity": 2})
    assert query_one(app, query)["count"] == 0
    query_one(
        app,
        """
        INSERT INTO inventory_events (seller_id, product_id, delta, quantity_after, reason)
        VALUES (:s, :p, -1, 2, 'offline sale') RETURNING id
        """,
        s=stall["seller"]["id"],
        p=stall["product"]["id"],
    )
    assert query_one(app, query)["count"] == 1


# --- GET /api/v1/sales: filters, channels and offline sales ---------------------------------------

RANGE = "from=2025-01-01&to=2025-12-31"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def home_in(app, user, country: str) -> None:
    """Give the buyer a default delivery address in `country` (free text, as the form takes it)."""
    from app.models import address

    values = {"full_name": user["full_name"], "line1": "1 Main St", "line2": "", "city": "Town"}
    with app.test_request_context():
        address.add_address(user["id"], values | {"postal_code": "1", "country": country, "phone": ""}, True)


def offline(app, client, token, product_id, quantity, unit_price, moment, key):
    """Record an offline sale through the API and move it to `moment`."""
    body = {"product_id": product_id, "quantity": quantity, "unit_price": unit_price}
    response = post_sale(client, token, body, key=key)
    assert response.status_code == 201, response.get_data(as_text=True)
    sales._write(
        app,
        "UPDATE offline_sales SET created_at = :at WHERE id = :id RETURNING id",
        at=moment,
        id=response.get_json()["id"],
    )
    return response.get_json()


@pytest.fixture
def market(app, actions, client):
    """A seller with a product of two variants (Games) and a book (Books), buyers in Germany and the US,
    lines in four states, a cancelled one, offline sales, and a rival with their own sales."""
    from app.models import order
    from tests.test_variants import make_family

    seller = actions.create_user(full_name="Sam Seller")
    rival = actions.create_user(full_name="Rita Rival")
    books = factories.category(app, name="Books")
    games = factories.category(app, name="Games")
    family = make_family(app, seller["id"], "Board Game", games["id"])
    red, blue = family["ids"]["Red / M"], family["ids"]["Blue / L"]
    book = factories.product(app, seller["id"], books["id"], name="Novel")
    for product_id, price in ((red, "20.00"), (blue, "30.00"), (book["id"], "5.00")):
        factories.offer(app, seller["id"], product_id, price=price, quantity=100)
    factories.offer(app, rival["id"], book["id"], price="4.00", quantity=100)
    german = actions.create_user(full_name="Greta", balance="5000")
    american = actions.create_user(full_name="Al", balance="5000")
    home_in(app, german, "Germany")
    home_in(app, american, "United States")
    products = {"red": {"id": red, "name": "Red"}, "blue": {"id": blue, "name": "Blue"}, "book": book}

    def item(name, quantity, who=seller):
        return (who, products[name], books if name == "book" else games, quantity)

    lines = {}
    lines["de_red"] = sales.buy(app, german, [item("red", 2), item("book", 1)], at("2025-02-10 10:00"))  # 40, 5
    lines["us_blue"] = sales.buy(app, american, [item("blue", 1)], at("2025-03-05 10:00"))  # 30
    lines["us_book"] = sales.buy(app, american, [item("book", 4), item("book", 2, rival)], at("2025-04-01 10:00"))
    lines["cancelled"] = sales.buy(app, german, [item("blue", 3)], at("2025-05-01 10:00"))  # 90, cancelled
    sales.cancel(app, lines["cancelled"][0])
    with app.test_request_context():
        order.mark_shipped(seller["id"], [lines["us_blue"][0].order_id], "UPS", None)
    token = make_token(app, seller["id"], scopes=["read", "orders"])
    offline(app, client, token, red, 1, "25.00", at("2025-02-20 12:00"), "stall-1")  # 25
    offline(app, client, token, book["id"], 10, "3.00", at("2025-06-01 12:00"), "stall-2")  # 30
    rival_token = make_token(app, rival["id"], scopes=["read", "orders"])
    offline(app, client, rival_token, book["id"], 1, "99.00", at("2025-06-01 12:00"), "rival-1")
    return {
        "seller": seller,
        "rival": rival,
        "token": token,
        "family": family,
        "book": book,
        "books": books,
        "games": games,
        "lines": lines,
    }


def get_sales(client, market, query="", token=None):
    return client.get(f"/api/v1/sales?{RANGE}&group_by=year&{query}", headers=bearer(token or market["token"]))


def figures(response) -> tuple[str, int, int]:
    """(revenue, units, orders) of the period, from the totals (checked against the table's rows)."""
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    totals = body["totals"]
    result = (totals["revenue"]["current"], totals["units"]["current"], totals["orders"]["current"])
    rows = [row for row in body["rows"] if row["revenue"] != "0.00"]
    table = (
        f"{sum(Decimal(row['revenue']) for row in rows):.2f}",
        sum(row["units"] for row in rows),
        sum(row["orders"] for row in rows),
    )
    assert table == result
    return result


def test_offline_sales_count_once_beside_the_order_lines(client, market):
    """Online 40 + 5 + 30 + 20 (the cancelled 90 left out), offline 25 + 30; each offline sale is an order."""
    response = get_sales(client, market)
    assert figures(response) == ("150.00", 19, 5)
    body = response.get_json()
    assert body["channels"] == {
        "online": {"revenue": "95.00", "units": 8, "orders": 3},
        "offline": {"revenue": "55.00", "units": 11, "orders": 2},
    }
    assert body["totals"]["buyers"]["current"] == 2  # offline sales have no buyer
    by_product = client.get(f"/api/v1/sales?{RANGE}&group_by=product", headers=bearer(market["token"])).get_json()
    rows = {row["product_id"]: (row["revenue"], row["units"], row["orders"]) for row in by_product["rows"]}
    assert rows == {market["family"]["parent"]["id"]: ("95.00", 4, 3), market["book"]["id"]: ("55.00", 15, 3)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("channel=online", ("95.00", 8, 3)),
        ("channel=offline", ("55.00", 11, 2)),
        ("channel=online,offline", ("150.00", 19, 5)),
        ("status=placed", ("65.00", 7, 2)),  # red 40, book 5, book 20
        ("status=shipped", ("30.00", 1, 1)),
        ("status=cancelled", ("90.00", 3, 1)),
        ("status=placed,shipped", ("95.00", 8, 3)),
        ("status=shipped&channel=offline", ("0.00", 0, 0)),
        ("min_amount=25", ("125.00", 14, 4)),  # red 40, blue 30, offline 25 and 30
        ("max_amount=25", ("50.00", 6, 3)),  # book 5, book 20, offline 25
        ("min_amount=20.5&max_amount=30", ("85.00", 12, 3)),
        ("min_amount=0&max_amount=0", ("0.00", 0, 0)),
        ("buyer_country=DE", ("45.00", 3, 1)),
        ("buyer_country=us", ("50.00", 5, 2)),
        ("buyer_country=FR", ("0.00", 0, 0)),
        ("buyer_country=US&status=shipped", ("30.00", 1, 1)),
        ("buyer_country=DE&channel=offline", ("0.00", 0, 0)),
    ],
)
def test_each_filter_and_combinations(client, market, query, expected):
    assert figures(get_sales(client, market, query)) == expected


def test_product_and_category_filters_combine_with_the_rest(client, market):
    parent = market["family"]["parent"]["id"]
    red = market["family"]["ids"]["Red / M"]
    assert figures(get_sales(client, market, f"product_id={parent}")) == ("95.00", 4, 3)  # its variants' sales
    assert figures(get_sales(client, market, f"product_id={red}")) == ("65.00", 3, 2)  # one variant alone
    assert figures(get_sales(client, market, f"product_id={parent}&channel=offline")) == ("25.00", 1, 1)
    assert figures(get_sales(client, market, f"product_id={parent}&buyer_country=US")) == ("30.00", 1, 1)
    assert figures(get_sales(client, market, f"category_id={market['books']['id']}")) == ("55.00", 15, 3)
    games = market["games"]["id"]
    assert figures(get_sales(client, market, f"category_id={games}&min_amount=30")) == ("70.00", 3, 2)
    query = f"category_id={games}&product_id={market['book']['id']}"
    assert figures(get_sales(client, market, query)) == ("0.00", 0, 0)


def test_another_sellers_product_or_no_such_category_is_404(app, client, market):
    rival_only = factories.product(app, market["rival"]["id"])
    factories.offer(app, market["rival"]["id"], rival_only["id"])
    for query in (f"product_id={rival_only['id']}", "product_id=999999999", "category_id=999999999"):
        response = get_sales(client, market, query)
        assert response.status_code == 404 and response.mimetype == "application/problem+json", query
    # A category is everyone's: one the seller never sold in is an empty table, not a 404.
    other = factories.category(app, name="Garden")
    assert figures(get_sales(client, market, f"category_id={other['id']}")) == ("0.00", 0, 0)


def test_the_rival_sees_only_their_own_sales(client, market, app):
    rival_token = make_token(app, market["rival"]["id"], scopes=["read"])
    assert figures(get_sales(client, market, token=rival_token)) == ("107.00", 3, 2)  # 2 × 4.00 online, 99 offline


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("product_id=-1", "product_id"),
        ("product_id=0", "product_id"),
        ("product_id=abc", "product_id"),
        ("product_id=" + "9" * 40, "product_id"),
        ("product_id=1%20OR%201=1", "product_id"),
        ("category_id=%EF%BC%91", "category_id"),  # a full-width digit one
        ("category_id=1;DROP%20TABLE%20orders", "category_id"),
        ("status=lost", "status"),
        ("status=", "status"),
        ("status=placed,,shipped", "status"),
        ("status=PLACED", "status"),
        ("status=placed'--", "status"),
        ("min_amount=-1", "min_amount"),
        ("min_amount=1e3", "min_amount"),
        ("min_amount=NaN", "min_amount"),
        ("min_amount=1.001", "min_amount"),
        ("max_amount=99999999999", "max_amount"),
        ("max_amount=" + "9" * 400, "max_amount"),
        ("max_amount=%D9%A1", "max_amount"),  # an Arabic-Indic digit one
        ("min_amount=10&max_amount=5", "min_amount"),
        ("buyer_country=ZZ", "buyer_country"),
        ("buyer_country=DEU", "buyer_country"),
        ("buyer_country=%C3%89S", "buyer_country"),
        ("buyer_country=D%27", "buyer_country"),
        ("channel=shop", "channel"),
        ("channel=", "channel"),
    ],
)
def test_bad_filters_are_400_naming_the_field(client, market, query, field):
    response = get_sales(client, market, query)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert field in [error["field"] for error in response.get_json()["errors"]]


def test_every_bad_filter_is_named_at_once(client, market):
    response = get_sales(client, market, "product_id=x&status=lost&min_amount=-2&buyer_country=1")
    fields = {error["field"] for error in response.get_json()["errors"]}
    assert response.status_code == 400 and fields == {"product_id", "status", "min_amount", "buyer_country"}


def test_the_filters_do_not_change_the_number_of_statements(client, market, count_queries):
    parent = market["family"]["parent"]["id"]
    counts = {}
    for query in ("", "channel=offline", "status=shipped&buyer_country=US&min_amount=1&max_amount=100"):
        with count_queries() as statements:
            assert get_sales(client, market, query).status_code == 200
        counts[query] = len(statements)
    for query in (f"product_id={parent}", f"product_id={parent}&category_id={market['games']['id']}&channel=online"):
        with count_queries() as statements:
            assert get_sales(client, market, query).status_code == 200
        counts[query] = len(statements)
    plain = counts[""]
    assert counts == {query: plain + (1 if "_id=" in query else 0) for query in counts}, counts


def test_the_documented_sales_report_fields_are_those_the_api_writes(client, market):
    from app.openapi import component_schemas

    body = get_sales(client, market).get_json()
    fields = component_schemas()["SalesReport"]
    assert set(body) == set(fields["properties"]) == set(fields["required"])
