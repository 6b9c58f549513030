"""Recommended for you (home and cart pages) and customers who bought this also bought (product page)."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.models import recommendation
from tests import factories
from tests.conftest import query_one
from tests.sales import buy

NOW = datetime(2025, 5, 1, 12, tzinfo=ZoneInfo("UTC"))
CARD_NAMES = re.compile(r'<a class="stretched-link" href="/products/\d+">([^<]+)</a>')


def section(page: str, testid: str) -> str:
    match = re.search(rf'<section [^>]*data-testid="{testid}">.*?</section>', page, re.DOTALL)
    return match.group(0) if match else ""


@pytest.fixture
def catalog(app, actions):
    """Two categories of products with known units sold, offered by one seller."""
    seller = actions.create_user(full_name="Store")
    kitchen = factories.category(app, name="Kitchen")
    garden = factories.category(app, name="Garden")
    products = {}
    for name, category, units in [
        ("Pan", kitchen, 90),
        ("Rake", garden, 80),
        ("Pot", kitchen, 70),
        ("Hoe", garden, 60),
        ("Whisk", kitchen, 50),
        ("Spade", garden, 40),
        ("Kettle", kitchen, 30),
    ]:
        product = factories.product(app, seller["id"], category["id"], name=name)
        factories.offer(app, seller["id"], product["id"], price="10.00", quantity=500)
        query_one(
            app, "UPDATE products SET units_sold = :units WHERE id = :id RETURNING id", units=units, id=product["id"]
        )
        products[name] = (seller, product, category)
    gone = factories.product(app, seller["id"], kitchen["id"], name="Unsold best seller")
    query_one(app, "UPDATE products SET units_sold = 1000 WHERE id = :id RETURNING id", id=gone["id"])
    return products


def names(rows) -> list[str]:
    return [row["name"] for row in rows]


def test_guests_and_new_users_get_the_best_sellers_on_offer(app, client, actions, catalog):
    with app.test_request_context():
        assert names(recommendation.list_recommended_for_you(None, [], 4)) == ["Pan", "Rake", "Pot", "Hoe"]
    page = client.get("/cart").get_data(as_text=True)
    assert CARD_NAMES.findall(section(page, "recommended")) == ["Pan", "Rake", "Pot", "Hoe", "Whisk", "Spade"]
    assert '<h2 id="recommended-heading" class="h4 mb-1">Best sellers</h2>' in page
    actions.signed_in_user()
    page = client.get("/").get_data(as_text=True)
    assert CARD_NAMES.findall(section(page, "recommended"))[:2] == ["Pan", "Rake"]
    assert "Popular across the marketplace." in page


def test_buyers_get_best_sellers_of_their_categories_first_without_what_they_bought(app, client, actions, catalog):
    buyer = actions.signed_in_user(balance="500")
    item = catalog["Hoe"][0], catalog["Hoe"][1], catalog["Hoe"][2], 3
    buy(app, buyer, [item], NOW)  # garden is now their category
    page = client.get("/").get_data(as_text=True)
    # Garden best sellers first (not the hoe they bought), then the others, best sellers first.
    assert CARD_NAMES.findall(section(page, "recommended")) == ["Rake", "Spade", "Pan", "Pot", "Whisk", "Kettle"]
    assert "Recommended for you" in page and "Popular across the marketplace." not in page


def test_favourite_categories_come_from_the_latest_lines(app, client, actions, catalog, monkeypatch):
    monkeypatch.setattr(recommendation, "RECENT_LINES", 1)
    buyer = actions.signed_in_user(balance="500")
    for name, days_ago in [("Hoe", 30), ("Spade", 20), ("Kettle", 10)]:  # two garden lines, then kitchen
        seller, product, category = catalog[name]
        buy(app, buyer, [(seller, product, category, 1)], NOW - timedelta(days=days_ago))
    with app.test_request_context():
        rows = recommendation.list_recommended_for_you(buyer["id"], [], 3)
    assert names(rows) == ["Pan", "Pot", "Whisk"]  # kitchen, the latest line's category


def test_the_cart_leaves_out_what_is_in_the_cart(app, client, actions, catalog):
    actions.signed_in_user(balance="500")
    seller, product, _ = catalog["Pan"]
    actions.post("/cart/add", {"product_id": product["id"], "seller_id": seller["id"], "quantity": "1"})
    page = client.get("/cart").get_data(as_text=True)
    assert "Pan" not in CARD_NAMES.findall(section(page, "recommended"))
    assert CARD_NAMES.findall(section(page, "recommended"))[0] == "Rake"


def test_only_the_fifty_best_sellers_count(app, actions, catalog):
    buyer = actions.create_user(balance="500")
    seller, pan, kitchen = catalog["Pan"]
    niche = factories.category(app, name="Niche")
    rare = factories.product(app, seller["id"], niche["id"], name="Rare thing")
    factories.offer(app, seller["id"], rare["id"], price="1.00", quantity=5)
    for number in range(recommendation.BEST_SELLERS):
        product = factories.product(app, seller["id"], niche["id"], name=f"Filler {number}")
        factories.offer(app, seller["id"], product["id"], price="1.00", quantity=5)
        query_one(app, "UPDATE products SET units_sold = 20 WHERE id = :id RETURNING id", id=product["id"])
    buy(app, buyer, [(seller, rare, niche, 1)], NOW)
    with app.test_request_context():
        rows = recommendation.list_recommended_for_you(buyer["id"], [], 60)
    assert "Rare thing" not in names(rows)
    # The fifty: the unsold best seller (no offer, so left out), the seven named ones, 42 fillers.
    assert len(rows) == recommendation.BEST_SELLERS - 1
    assert names(rows)[:3] == ["Filler 0", "Filler 1", "Filler 2"]  # niche is their category


@pytest.fixture
def baskets(app, actions, catalog):
    """Purchases: the pan with the pot three times, with the whisk twice, with the kettle once."""
    buyers = [actions.create_user(balance="1000") for _ in range(4)]

    def item(name):
        seller, product, category = catalog[name]
        return (seller, product, category, 1)

    buy(app, buyers[0], [item("Pan"), item("Pot"), item("Whisk")], NOW)
    buy(app, buyers[1], [item("Pan"), item("Pot"), item("Whisk"), item("Kettle")], NOW)
    buy(app, buyers[2], [item("Pan"), item("Pot")], NOW)
    buy(app, buyers[3], [item("Rake"), item("Spade")], NOW)
    return catalog


def test_also_bought_ranks_by_shared_purchases(app, client, baskets):
    pan = baskets["Pan"][1]
    with app.test_request_context():
        rows = recommendation.list_also_bought([pan["id"]], 10)
    assert [(row["name"], row["shared_purchases"]) for row in rows] == [("Pot", 3), ("Whisk", 2), ("Kettle", 1)]
    page = client.get(f"/products/{pan['id']}").get_data(as_text=True)
    assert CARD_NAMES.findall(section(page, "also-bought")) == ["Pot", "Whisk", "Kettle"]
    assert "Customers who bought this also bought" in page
    lonely = baskets["Hoe"][1]
    page = client.get(f"/products/{lonely['id']}").get_data(as_text=True)
    assert "No one has bought this together with anything else yet." in page


def test_also_bought_reads_only_the_latest_purchases(app, baskets, monkeypatch):
    monkeypatch.setattr(recommendation, "RECENT_PURCHASES", 1)
    with app.test_request_context():
        rows = recommendation.list_also_bought([baskets["Pan"][1]["id"]], 10)
    assert [row["name"] for row in rows] == ["Pot"]  # the latest purchase had only the pot with it


def test_each_list_is_one_query(app, client, actions, baskets, count_queries):
    pan = baskets["Pan"][1]
    client.get(f"/products/{pan['id']}")
    with count_queries() as with_list:
        client.get(f"/products/{pan['id']}")
    assert sum("recent AS" in statement for statement in with_list) == 1
    actions.signed_in_user()
    client.get("/cart")
    with count_queries() as cart:
        client.get("/cart")
    assert sum("best_sellers AS" in statement for statement in cart) == 1


def test_the_recommendations_escape_product_names(app, client, actions, catalog):
    seller, product, _ = catalog["Pan"]
    query_one(app, "UPDATE products SET name = '<b>Pan</b>' WHERE id = :id RETURNING id", id=product["id"])
    page = client.get("/cart").get_data(as_text=True)
    assert "&lt;b&gt;Pan&lt;/b&gt;" in section(page, "recommended") and "<b>Pan</b>" not in page


def test_views_pass_the_lists_and_templates_start_no_queries(app):
    # Templates only render what the view gives them: no global may run a recommendation query.
    assert not {"recommended_for_you", "also_bought"} & set(app.jinja_env.globals)


def test_also_bought_counts_a_variant_for_its_product(app, actions, catalog):
    """Two sizes of one shirt bought with the pan count as two purchases of the shirt, which is
    listed (not its variants), ahead of the pot bought once with it."""
    from app.models import variant

    seller, _, kitchen = catalog["Pan"]
    shirt = factories.product(app, seller["id"], kitchen["id"], name="Shirt")
    with app.test_request_context():
        sizes = [variant.add_variant(seller["id"], shirt["id"], ["Size"], [size]) for size in ("S", "M")]
    for size_id in sizes:
        factories.offer(app, seller["id"], size_id, price="12.00", quantity=5)
    buyers = [actions.create_user(balance="1000") for _ in range(3)]
    for buyer, size_id in zip(buyers, sizes, strict=False):
        size = {"id": size_id, "name": "Shirt"}
        buy(app, buyer, [catalog["Pan"][:3] + (1,), (seller, size, kitchen, 1)], NOW)
    buy(app, buyers[2], [catalog["Pan"][:3] + (1,), catalog["Pot"][:3] + (1,)], NOW)
    with app.test_request_context():
        rows = recommendation.list_also_bought([catalog["Pan"][1]["id"]], 10)
    assert [(row["id"], row["shared_purchases"]) for row in rows] == [(shirt["id"], 2), (catalog["Pot"][1]["id"], 1)]
