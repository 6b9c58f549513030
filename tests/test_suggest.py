"""Suggestions as you type: GET /products/suggest?q= (app/models/suggestion.py)."""

import pytest
from sqlalchemy import text

from app.models import suggestion
from tests import factories


def _sql(app, sql: str, **params) -> None:
    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(text(sql), params)


def _recount(app) -> None:
    """What the hourly jobs do: count the catalog's words, re-rank the kept suggestions."""
    _sql(app, "SELECT recount_search_words()")
    _sql(app, "SELECT refresh_search_suggestions()")


@pytest.fixture
def shop(app, actions):
    """Two departments, three categories and products with popularity, a variant, an unlisted one."""
    seller = actions.create_user(full_name="Sam Seller")
    electronics = factories.department(app, "Electronics")
    home = factories.department(app, "Home and Kitchen")
    places = {
        "headphones": factories.category(app, electronics["id"], "Headphones"),
        "speakers": factories.category(app, electronics["id"], "Wireless Speakers"),
        "lighting": factories.category(app, home["id"], "Lighting"),
    }
    specs = {
        # key: (category, name, units sold)
        "earbuds": ("headphones", "Arcwell Wireless Earbuds", 50),
        "studio": ("headphones", "Arcwell Studio Headphones", 40),
        "speaker": ("speakers", "Boomtide Wireless Speaker", 90),
        "wired": ("headphones", "Boomtide Wired Earphones", 5),
        "lamp": ("lighting", "Brass Desk Lamp", 30),
        "keyboard": ("headphones", "Arcwell Mechanical Keyboard", 20),
        "hidden": ("headphones", "Arcwell Wireless Prototype", 500),
    }
    products = {}
    for key, (place, name, sold) in specs.items():
        row = factories.product(app, seller["id"], places[place]["id"], name)
        _sql(app, "UPDATE products SET units_sold = :sold WHERE id = :id", sold=sold, id=row["id"])
        products[key] = row
    _sql(app, "UPDATE products SET status = 'taken_down' WHERE id = :id", id=products["hidden"]["id"])
    variant = factories.product(app, seller["id"], places["headphones"]["id"], "Arcwell Wireless Earbuds Blue")
    _sql(
        app,
        "UPDATE products SET parent_id = :parent, option_values = '{Blue}' WHERE id = :id",
        parent=products["earbuds"]["id"],
        id=variant["id"],
    )
    products["variant"] = variant
    _recount(app)
    return products


def _suggest(client, query: str) -> dict:
    response = client.get("/products/suggest", query_string={"q": query})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def _names(client, query: str) -> list[str]:
    return [product["name"] for product in _suggest(client, query)["products"]]


def test_the_answer_has_products_and_categories_with_their_links(client, shop):
    answer = _suggest(client, "wirel")
    assert answer["query"] == "wirel"
    assert answer["products"] == [
        {"id": shop["speaker"]["id"], "name": "Boomtide Wireless Speaker", "url": f"/products/{shop['speaker']['id']}"},
        {"id": shop["earbuds"]["id"], "name": "Arcwell Wireless Earbuds", "url": f"/products/{shop['earbuds']['id']}"},
    ]
    slug = answer["categories"][0]["url"].split("=", 1)[1]
    assert answer["categories"] == [
        {"name": "Wireless Speakers", "department": "Electronics", "url": f"/products?category={slug}"}
    ]


def test_the_answer_is_public_for_a_minute(client, shop):
    response = client.get("/products/suggest?q=arc")
    assert response.headers["Cache-Control"] in ("public, max-age=60", "max-age=60, public")
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("arc", ["Arcwell Wireless Earbuds", "Arcwell Studio Headphones", "Arcwell Mechanical Keyboard"]),
        ("ARCWELL", ["Arcwell Wireless Earbuds", "Arcwell Studio Headphones", "Arcwell Mechanical Keyboard"]),
        # A later word's start: not only the name's first word.
        ("ear", ["Arcwell Wireless Earbuds", "Boomtide Wired Earphones"]),
        ("wire", ["Boomtide Wireless Speaker", "Arcwell Wireless Earbuds", "Boomtide Wired Earphones"]),
        # Every word but the last is complete; the last is a start; the order of words is free.
        ("arcwell wi", ["Arcwell Wireless Earbuds"]),
        ("wireless arc", ["Arcwell Wireless Earbuds"]),
        ("boomtide wire", ["Boomtide Wireless Speaker", "Boomtide Wired Earphones"]),
        ("arcwell ear", ["Arcwell Wireless Earbuds"]),
        # A complete word is whole: "wire" then a space is not "wireless".
        ("boomtide wire ", []),
        ("desk  lamp", ["Brass Desk Lamp"]),
        ("brass-desk", ["Brass Desk Lamp"]),
        ("nothing", []),
    ],
)
def test_products_whose_words_start_with_what_was_typed(client, shop, query, expected):
    assert _names(client, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Four letters or fewer: no typo allowed.
        ("lanp", []),
        ("desk lanp", []),
        # Five to eight letters: one typo (a swap counts as one), in a word being typed or a complete one.
        ("arcwel", ["Arcwell Wireless Earbuds", "Arcwell Studio Headphones", "Arcwell Mechanical Keyboard"]),
        ("acrwell wireless", ["Arcwell Wireless Earbuds"]),
        # A word being typed is compared with catalog words' starts of its length: "wirel", not "wired".
        ("wirle", ["Boomtide Wireless Speaker", "Arcwell Wireless Earbuds"]),
        ("wierles", ["Boomtide Wireless Speaker", "Arcwell Wireless Earbuds"]),
        ("studoi", ["Arcwell Studio Headphones"]),
        # ... but not two.
        ("aecwekl", []),
        ("stdoui", []),
        # Nine letters or more: two typos.
        ("mechanicla keybaord", ["Arcwell Mechanical Keyboard"]),
        ("mecahnicla", ["Arcwell Mechanical Keyboard"]),
        # ... but not three.
        ("mceahnicla", []),
    ],
)
def test_typos_follow_the_rules_for_the_word_length(client, shop, query, expected):
    assert _names(client, query) == expected


def test_an_exact_start_wins_over_a_typo(client, app, actions, shop):
    seller = actions.create_user()
    factories.product(app, seller["id"], name="Wirle Cable Organiser")
    _recount(app)
    assert _names(client, "wirle") == ["Wirle Cable Organiser"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("head", ["Headphones"]),
        ("wireless", ["Wireless Speakers"]),
        ("light", ["Lighting"]),
        # A department's name finds its categories, those named so first.
        ("electr", ["Headphones", "Wireless Speakers"]),
        ("kitchen li", ["Lighting"]),
        ("headphnoes", ["Headphones"]),
        ("zzz", []),
    ],
)
def test_categories_that_start_with_what_was_typed(client, shop, query, expected):
    assert [category["name"] for category in _suggest(client, query)["categories"]] == expected


def test_variants_and_unlisted_products_are_never_suggested(client, shop):
    names = _names(client, "arcwell")
    assert "Arcwell Wireless Prototype" not in names
    assert "Arcwell Wireless Earbuds Blue" not in names
    ids = [product["id"] for product in _suggest(client, "arcwell")["products"]]
    assert shop["variant"]["id"] not in ids and shop["hidden"]["id"] not in ids


def test_at_most_eight_products_and_three_categories_most_popular_first(client, app, actions):
    seller = actions.create_user()
    department = factories.department(app, "Garden")
    for number in range(5):
        factories.category(app, department["id"], f"Garden tools {number}")
    for number in range(12):
        row = factories.product(app, seller["id"], name=f"Garden gnome {number}")
        _sql(app, "UPDATE products SET units_sold = :sold WHERE id = :id", sold=number, id=row["id"])
    _recount(app)
    answer = _suggest(client, "gar")
    assert [product["name"] for product in answer["products"]] == [f"Garden gnome {n}" for n in range(11, 3, -1)]
    assert len(answer["categories"]) == 3


def test_a_new_product_is_suggested_before_the_hourly_refresh(client, app, actions, shop):
    seller = actions.create_user()
    factories.product(app, seller["id"], name="Quokka Plush Toy")
    assert _names(client, "quok") == ["Quokka Plush Toy"]
    assert _names(client, "arcwell quok") == []


def test_a_renamed_product_is_suggested_by_its_new_name_at_once(client, app, shop):
    _sql(app, "UPDATE products SET name = 'Brass Tranquil Lamp' WHERE id = :id", id=shop["lamp"]["id"])
    assert _names(client, "tranq") == ["Brass Tranquil Lamp"]
    assert _names(client, "desk") == []  # its kept row under "desk" is checked against the product


def test_the_hourly_job_drops_products_no_longer_listed(app, shop):
    def kept_rows() -> int:
        with app.extensions["bazaar_db"].connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM search_suggestions WHERE product_id = :id"), {"id": shop["lamp"]["id"]}
            ).scalar()

    assert kept_rows() == 3  # brass, desk, lamp
    _sql(app, "UPDATE products SET status = 'taken_down' WHERE id = :id", id=shop["lamp"]["id"])
    with app.app_context(), app.extensions["bazaar_db"].transaction() as connection:
        suggestion.refresh_job(connection, {})
    assert kept_rows() == 0


def test_words_with_more_products_than_kept_find_the_rest(client, app, actions):
    """Neither word's kept rows hold a product with both: the name index is asked."""
    seller = actions.create_user()
    for number in range(suggestion.SUGGESTIONS_PER_WORD + 5):
        for name, sold in ((f"Velvet throw {number}", 1000 - number), (f"Silk cushion {number}", 500 - number)):
            row = factories.product(app, seller["id"], name=name)
            _sql(app, "UPDATE products SET units_sold = :sold WHERE id = :id", sold=sold, id=row["id"])
    factories.product(app, seller["id"], name="Velvet cushion cover")
    _recount(app)
    assert _names(client, "velvet cushion") == ["Velvet cushion cover"]
    assert _names(client, "cushion velv") == ["Velvet cushion cover"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "a",
        " w ",
        "x" * 10_000,
        "wireless " * 500,
        "\x00",
        "wire\x00less",
        "'; DROP TABLE products; --",
        '"quoted" OR 1=1',
        "<script>alert(1)</script>",
        "(((",
        "a & b | !c <-> d:*",
        "% _ \\",
        "日本語のテキスト",
        "Ünïcödé wîrełess",
        "emoji 🎧🎧",
        "-arcwell",
        "arcwell OR boomtide",
        "\u202e\u200b",
        "...",
    ],
)
def test_bad_input_never_fails(client, shop, query):
    answer = _suggest(client, query)
    assert set(answer) == {"query", "products", "categories"}
    assert len(answer["query"]) <= suggestion.MAX_LENGTH
    assert "\x00" not in answer["query"]


def test_fewer_than_two_characters_touch_no_database(client, shop, count_queries):
    with count_queries() as statements:
        assert _suggest(client, "a") == {"query": "a", "products": [], "categories": []}
        assert _suggest(client, "") == {"query": "", "products": [], "categories": []}
    assert statements == []


@pytest.mark.parametrize("query", ["ar", "arcwell", "arcwell wireless ea", "acrwell wirelss earbds", "zzzzzz"])
def test_a_constant_number_of_statements(client, shop, count_queries, query):
    with count_queries() as statements:
        _suggest(client, query)
    assert len(statements) <= 4
