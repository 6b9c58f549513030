"""The catalog page /products: search, filters, facets, sorts, pages, and odd input."""

import re
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import text

from app import db
from app.models import catalog, catalog_page, search
from tests import factories


def _update_product(app, product_id: int, **columns) -> None:
    """Set summary columns the way years of orders would have (tests only)."""
    assignments = ", ".join(f"{name} = :{name}" for name in columns)
    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(text(f"UPDATE products SET {assignments} WHERE id = :id"), {"id": product_id, **columns})  # noqa: S608 - column names from the test's own keyword arguments


@pytest.fixture
def shop(app, actions):
    """Two departments, three categories, five products (one no longer offered), reviews."""
    seller = actions.create_user(full_name="Sam Seller")
    other = actions.create_user(full_name="Olive Other")
    reviewers = [actions.create_user(full_name=f"Reviewer {number}") for number in range(2)]
    home = factories.department(app, "Home and lights")
    garden = factories.department(app, "Garden things")
    places = {
        "lighting": factories.category(app, home["id"], "Lighting"),
        "textiles": factories.category(app, home["id"], "Textiles"),
        "furniture": factories.category(app, garden["id"], "Outdoor furniture"),
    }
    now = datetime.now(UTC)
    specs = {
        # key: (category, name, description, offers (seller, price, stock), units sold, days old, ratings)
        "brass": (
            "lighting",
            "Brass desk lamp",
            "A reading lamp for the study.",
            [(seller, "30.00", 5), (other, "25.00", 0)],
            50,
            10,
            [3],
        ),
        "walnut": ("lighting", "Walnut floor lamp", "Tall and warm.", [(seller, "120.00", 3)], 5, 1, [5, 4]),
        "shade": ("textiles", "Linen shade", "A shade for any lamp.", [(seller, "15.00", 0)], 20, 30, []),
        "chair": ("furniture", "Oak garden chair", "Weatherproof seat.", [(other, "80.00", 2)], 100, 5, [2]),
        "gone": ("lighting", "Copper pendant lamp", "No longer made.", [], 0, 60, []),
    }
    products = {}
    for key, (place, name, description, offers, sold, days, ratings) in specs.items():
        row = factories.product(app, seller["id"], places[place]["id"], name, description)
        for offer_seller, price, stock in offers:
            factories.offer(app, offer_seller["id"], row["id"], price, stock)
        for reviewer, rating in zip(reviewers, ratings, strict=False):
            factories.product_review(app, row["id"], reviewer["id"], rating)
        _update_product(app, row["id"], units_sold=sold, created_at=now - timedelta(days=days))
        products[key] = row
    return {"products": products, "places": places, "home": home, "garden": garden, "seller": seller}


def names_on(response) -> list[str]:
    """The product names of the result cards, in order (not the popular products a page without
    results shows below)."""
    page = response.get_data(as_text=True).split('id="popular-products"')[0]
    return re.findall(r'<a class="stretched-link" href="/products/\d+">([^<]+)</a>', page)


def result_count(response) -> str:
    """The "1–24 of 30 results" line as text."""
    paragraph = re.search(r'id="result-count">(.*?)</p>', response.get_data(as_text=True), re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", "", paragraph).split())


def get(client, **args):
    response = client.get("/products", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def test_search_matches_names_and_descriptions_names_first(client, shop):
    names = names_on(get(client, q="lamp"))
    assert set(names) == {"Brass desk lamp", "Walnut floor lamp", "Linen shade"}
    assert names[-1] == "Linen shade"  # only its description says lamp


def test_search_understands_quotes_or_and_minus(client, shop):
    assert names_on(get(client, q='"desk lamp"')) == ["Brass desk lamp"]
    assert set(names_on(get(client, q="walnut or chair"))) == {"Walnut floor lamp", "Oak garden chair"}
    assert set(names_on(get(client, q="lamp -brass"))) == {"Walnut floor lamp", "Linen shade"}


def test_search_stems_english_words(client, shop):
    assert set(names_on(get(client, q="lamps"))) == {"Brass desk lamp", "Walnut floor lamp", "Linen shade"}


def test_a_department_includes_its_categories(client, shop):
    home = shop["home"]["slug"]
    assert set(names_on(get(client, department=home))) == {"Brass desk lamp", "Walnut floor lamp", "Linen shade"}
    lighting = shop["places"]["lighting"]["slug"]
    assert set(names_on(get(client, category=lighting))) == {"Brass desk lamp", "Walnut floor lamp"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"min_price": "20", "max_price": "100"}, {"Brass desk lamp", "Oak garden chair"}),
        ({"min_price": "100"}, {"Walnut floor lamp"}),
        ({"max_price": "$15.00"}, {"Linen shade"}),
        ({"min_rating": "4"}, {"Walnut floor lamp"}),
        ({"min_rating": "2"}, {"Walnut floor lamp", "Brass desk lamp", "Oak garden chair"}),
        ({"in_stock": "1"}, {"Brass desk lamp", "Walnut floor lamp", "Oak garden chair"}),
        ({"q": "lamp", "in_stock": "1", "max_price": "50"}, {"Brass desk lamp"}),
    ],
)
def test_filters(client, shop, args, expected):
    assert set(names_on(get(client, **args))) == expected


def test_products_no_one_offers_are_left_out_unless_asked_for(client, shop):
    assert "Copper pendant lamp" not in names_on(get(client, q="lamp"))
    assert "Copper pendant lamp" not in names_on(get(client))
    included = get(client, q="lamp", include_unavailable="1")
    assert "Copper pendant lamp" in names_on(included)
    assert "Unavailable" in included.get_data(as_text=True)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price_asc", ["Linen shade", "Brass desk lamp", "Walnut floor lamp"]),
        ("price_desc", ["Walnut floor lamp", "Brass desk lamp", "Linen shade"]),
        ("rating", ["Walnut floor lamp", "Brass desk lamp", "Linen shade"]),
        ("best_selling", ["Brass desk lamp", "Linen shade", "Walnut floor lamp"]),
        ("newest", ["Walnut floor lamp", "Brass desk lamp", "Linen shade"]),
    ],
)
def test_sorts(client, shop, sort, expected):
    assert names_on(get(client, q="lamp", sort=sort)) == expected


def test_unavailable_products_sort_last_by_price_either_way(client, shop):
    for sort in ("price_asc", "price_desc"):
        assert names_on(get(client, q="lamp", sort=sort, include_unavailable="1"))[-1] == "Copper pendant lamp"


def test_browsing_without_words_sorts_by_best_selling(client, shop):
    assert names_on(get(client)) == ["Oak garden chair", "Brass desk lamp", "Linen shade", "Walnut floor lamp"]
    page = get(client).get_data(as_text=True)
    assert '<option value="relevance"' not in page  # nothing to be relevant to


def test_cards_show_price_sellers_rating_and_stock(client, shop):
    page = get(client, q="brass").get_data(as_text=True)
    assert "from $30.00" in page  # cheapest offer in stock; the $25.00 one has none
    assert "2 sellers" in page and "In stock" in page
    assert "3.0" in page and "1<span" in page  # average and count
    assert 'alt="Brass desk lamp"' in page
    shade = get(client, q="linen").get_data(as_text=True)
    assert "$15.00" in shade and "from $15.00" not in shade and "1 seller" in shade and "Out of stock" in shade


def test_a_signed_in_visitors_cards_show_a_changed_price_at_once(client, app, actions, shop):
    """Card bodies are kept per process by what they show (catalog.product_card_body), so a
    changed price is a new card, never a stale one."""
    actions.login(actions.create_user()["email"])
    assert "from $30.00" in get(client, q="brass").get_data(as_text=True)
    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(
            text("UPDATE offers SET price = 27.50 WHERE product_id = :id AND price = 30.00"),
            {"id": shop["products"]["brass"]["id"]},
        )
    page = get(client, q="brass").get_data(as_text=True)
    assert "$27.50" in page and "$30.00" not in page


def test_facet_counts_per_category_for_the_query(client, shop):
    top = get(client, q="lamp").get_data(as_text=True)
    assert re.search(r"<summary>Home and lights <span[^>]*>\(3\)", top)
    assert re.search(r">Lighting</a>\s*<span[^>]*>\(2\)", top) and re.search(r">Textiles</a>\s*<span[^>]*>\(1\)", top)
    assert "Garden things" not in top and "Outdoor furniture" not in top  # nothing matches there
    home = get(client, q="lamp", department=shop["home"]["slug"]).get_data(as_text=True)
    assert re.search(r">Lighting</a>\s*<span[^>]*>\(2\)", home)
    assert re.search(r">Textiles</a>\s*<span[^>]*>\(1\)", home)
    # Choosing a category keeps its siblings' counts, to switch between them.
    lighting = get(client, q="lamp", category=shop["places"]["lighting"]["slug"]).get_data(as_text=True)
    assert re.search(r'aria-current="page">Lighting</a>\s*<span[^>]*>\(2\)', lighting)
    assert re.search(r">Textiles</a>\s*<span[^>]*>\(1\)", lighting)


def test_total_count_is_shown(client, shop):
    assert result_count(get(client, q="lamp")) == "1–3 of 3 results"


@pytest.fixture
def thirty_widgets(app, actions):
    seller = actions.create_user()
    category = factories.category(app)
    for number in range(30):
        row = factories.product(app, seller["id"], category["id"], f"Widget {number:02d}")
        factories.offer(app, seller["id"], row["id"], f"{10 + number}.00", 1)
    return category


def test_pages_of_24_with_links(client, thirty_widgets):
    first = get(client, q="widget", sort="price_asc")
    assert names_on(first) == [f"Widget {number:02d}" for number in range(24)]
    page = first.get_data(as_text=True)
    assert result_count(first) == "1–24 of 30 results"
    assert 'href="/products?q=widget&amp;sort=price_asc&amp;page=2" rel="next"' in page
    second = get(client, q="widget", sort="price_asc", page="2")
    assert names_on(second) == [f"Widget {number:02d}" for number in range(24, 30)]


@pytest.mark.parametrize(("page", "shown"), [("-3", 0), ("0", 0), ("abc", 0), ("99999999", 24), ("2", 24)])
def test_out_of_range_pages_show_the_nearest_page(client, thirty_widgets, page, shown):
    names = names_on(get(client, q="widget", sort="price_asc", page=page))
    assert names[0] == f"Widget {shown:02d}"


def test_a_misspelt_search_shows_the_corrected_search(client, shop):
    filtered = get(client, q="walnutt", category=shop["places"]["lighting"]["slug"]).get_data(as_text=True)
    assert "Showing results for <strong><em>walnut</em></strong>" in filtered
    page = get(client, q="walnutt").get_data(as_text=True)
    assert "Showing results for <strong><em>walnut</em></strong>" in page
    assert 'Search instead for</span>\n      <a href="/products?q=walnutt&amp;as_typed=1"><em>walnutt</em></a>' in page
    assert names_on(get(client, q="walnutt")) == ["Walnut floor lamp"]
    as_typed = get(client, q="walnutt", as_typed="1").get_data(as_text=True)
    assert "No products match" in as_typed and "Search with the spelling corrected" in as_typed


def test_nothing_found_says_so(client, shop):
    page = get(client, q="xylophone").get_data(as_text=True)
    assert "No products match" in page and 'id="result-count"' not in page
    assert "Popular right now" in page  # never a dead end: the best sellers follow
    filtered = get(client, q="lamp", min_price="999999").get_data(as_text=True)
    assert "No products match" in filtered and "Search all products for “lamp”" in filtered


BAD_INPUT = [
    ({"page": "-3"}, None),
    ({"page": "99999999"}, None),
    ({"page": "1e9"}, None),
    ({"sort": "evil"}, "That sort order is not one we offer"),
    ({"sort": "relevance"}, None),  # without words: quietly the default
    ({"sort": "id; DROP TABLE products"}, "That sort order is not one we offer"),
    ({"min_price": "abc"}, "The minimum price “abc” is not an amount"),
    ({"min_price": "-5"}, "The minimum price “-5” is not an amount"),
    ({"max_price": "NaN"}, "The maximum price “NaN” is not an amount"),
    ({"max_price": "Infinity"}, "The maximum price “Infinity” is not an amount"),
    ({"max_price": "1e999999"}, "The maximum price “1e999999” is not an amount"),
    ({"min_price": "50", "max_price": "10"}, "the two were swapped"),
    ({"min_rating": "9"}, "The minimum rating must be a whole number"),
    ({"min_rating": "four"}, "The minimum rating must be a whole number"),
    ({"department": "no-such-place"}, "That department does not exist"),
    ({"category": "../../etc"}, "That category does not exist"),
    ({"in_stock": "yes", "include_unavailable": "maybe"}, None),
    ({"q": "lamp " * 2000}, None),  # one word, repeated
    ({"q": " ".join(f"word{number}" for number in range(30))}, "Your search had too many words"),
    ({"q": "x" * 10_000}, "Your search was too long"),
    ({"q": "%"}, None),
    ({"q": "_"}, None),
    ({"q": "100%"}, None),
    ({"q": "'"}, None),
    ({"q": '"'}, None),
    ({"q": "' OR 1=1 --"}, None),
    ({"q": '"unclosed quote'}, None),
    ({"q": "-"}, None),
    ({"q": "or"}, None),
    ({"q": "!(&|:*"}, None),
    ({"q": "<script>alert(1)</script>"}, None),
    ({"q": "lamp\x00desk"}, None),
    ({"q": "\x00"}, None),
    ({"q": "ｌａｍｐ 灯 🪔"}, None),
]


@pytest.mark.parametrize(("args", "note"), BAD_INPUT)
def test_bad_parameters_are_ignored_or_explained(client, shop, args, note):
    response = client.get("/products", query_string=args)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    if note:
        assert note in page
    assert "<script>alert" not in page


def test_script_in_the_search_is_shown_as_text(client, shop):
    page = get(client, q="<script>alert(1)</script>").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_links_carry_only_the_usable_parameters(client, shop):
    page = get(client, q="lamp", sort="evil", min_price="abc").get_data(as_text=True)
    main = page[page.index("<main") : page.index("</main>")]  # the header's sign-in link keeps the URL
    assert "sort=evil" not in main and "min_price=abc" not in main and 'value="evil"' not in main


def test_every_parameter_round_trips_through_the_url(client, shop, app):
    args = {
        "q": "lamp",
        "category": shop["places"]["lighting"]["slug"],
        "min_price": "1.00",
        "max_price": "500.00",
        "min_rating": "3",
        "in_stock": "1",
        "include_unavailable": "1",
        "sort": "price_desc",
    }
    with app.app_context():
        criteria = catalog.read_criteria(args, catalog.list_categories())
    assert criteria.notes == ()
    assert criteria.to_args() == args


def _ids(rows) -> list[int]:
    return [row["id"] for row in rows]


@pytest.mark.parametrize("sort", ["price_asc", "price_desc", "rating", "best_selling", "newest"])
def test_each_way_of_sorting_many_matches_gives_the_exact_order(app, shop, sort):
    """The index walks used beyond COUNT_CAP matches order as sorting every match does."""
    with app.app_context(), db.get_db().connect() as connection:
        tree = catalog.list_categories()
        browse = catalog.read_criteria({"sort": sort, "include_unavailable": "1"}, tree)
        department = catalog.read_criteria({"sort": sort, "department": shop["home"]["slug"]}, tree)
        words = catalog.read_criteria({"sort": sort, "q": "lamp or chair"}, tree)
        words_in_category = catalog.read_criteria(
            {"sort": sort, "q": "lamp", "category": shop["places"]["lighting"]["slug"]}, tree
        )
        walks = [
            (browse, partial(search.search_in_order, connection)),
            (department, partial(search.search_department_in_order, connection)),
            (words, partial(search.search_words_in_order, connection, budget=100)),
            (words_in_category, partial(search.search_words_in_order, connection, budget=100)),
        ]
        for criteria, walk in walks:
            exact = _ids(search.search_candidates(connection, criteria, candidates=100, limit=10, offset=0))
            assert _ids(walk(criteria, limit=10, offset=0)) == exact
            assert _ids(walk(criteria, limit=2, offset=1)) == exact[1:3]


def test_beyond_the_count_cap_the_total_and_pages_stop(client, thirty_widgets, monkeypatch):
    monkeypatch.setattr(catalog_page, "COUNT_CAP", 25)
    response = get(client, q="widget", sort="price_asc", page="9")
    page = response.get_data(as_text=True)
    assert result_count(response) == "25–30 of more than 25 results"  # the sample of a small table finds little
    assert 'aria-current="page"><span class="page-link">2</span>' in page
    assert "Only the first 25 results can be paged through" in page


def test_a_clear_estimate_is_shown_without_counting(client, thirty_widgets, monkeypatch, count_queries):
    monkeypatch.setattr(search, "SAMPLE_PERCENT", 100)  # the "sample" is the whole table: exact
    monkeypatch.setattr(catalog_page, "COUNT_CAP", 10)
    monkeypatch.setattr(catalog_page, "CLEARLY_MORE", 20)
    with count_queries() as statements:
        response = get(client, q="widget", sort="newest")
    assert result_count(response) == "1–24 of ~about 30 results"  # "~" is for eyes, "about" for ears
    assert not any("LIMIT %(cap)s" in statement for statement in statements)


@pytest.mark.parametrize("page", ["1", "2", "9"])
def test_a_common_word_in_a_category_is_ranked_and_counted_in_one_statement(
    client, thirty_widgets, monkeypatch, count_queries, page
):
    """Words the sample finds often, in a chosen category with fewer matches than CLEARLY_MORE: the
    ranked page brings the count (the word's posting list is read once), and the page is the one
    ranking and counting apart gives (a page past the end included)."""
    monkeypatch.setattr(search, "SAMPLE_PERCENT", 100)
    monkeypatch.setattr(catalog_page, "COUNT_CAP", 10)  # "widget" is not rare: the sample path
    args = {"q": "widget", "category": thirty_widgets["slug"], "page": page}
    with count_queries() as statements:
        response = get(client, **args)
    counts = [statement for statement in statements if "SELECT count(*) AS matches" in " ".join(statement.split())]
    assert len(counts) == (1 if page == "9" else 0)  # past the end the ranking finds no row: counted as before
    ranked_with_count = catalog_page._ranked_with_count
    monkeypatch.setattr(
        catalog_page,
        "_ranked_with_count",
        lambda connection, criteria, number, _: ranked_with_count(connection, criteria, number, None),
    )
    apart = get(client, **args)
    assert names_on(response) == names_on(apart) and len(names_on(response)) in (24, 6)
    assert result_count(response) == result_count(apart)


def test_a_walk_that_runs_out_sorts_the_first_matches_and_says_so(client, thirty_widgets, monkeypatch):
    monkeypatch.setattr(catalog_page, "COUNT_CAP", 21)
    monkeypatch.setattr(catalog_page, "SORTED_CANDIDATES", 20)
    monkeypatch.setattr(catalog_page, "WALK_BUDGET", 5)  # five products cannot fill a page of 24
    monkeypatch.setattr(catalog_page, "RANKED_CANDIDATES", 20)
    response = get(client, q="widget", sort="price_desc")
    names = names_on(response)
    assert len(names) == 20 and names == sorted(names, reverse=True)
    assert "Sorted among the first 20 matches" in response.get_data(as_text=True)


def test_a_search_that_runs_out_of_time_says_so(app, client, shop, monkeypatch):
    monkeypatch.setitem(app.config, "CATALOG_TIME_LIMIT_MS", 1)
    monkeypatch.setattr(search, "MATCHES_FILTERS", search.MATCHES_FILTERS + " AND pg_sleep(0.01) IS NOT NULL")
    response = get(client, q="lamp")
    assert "This search took too long to finish" in response.get_data(as_text=True)
    assert names_on(response) == []
    assert names_on(get(client, q="lamp", sort="price_asc")) == []


def test_a_word_found_outside_the_filters_does_not_count_as_a_typo(client, shop):
    page = get(client, q="walnut", max_price="50").get_data(as_text=True)
    assert "No products match" in page and "Showing results for" not in page


def test_a_word_found_in_other_categories_does_not_count_as_a_typo(client, shop):
    textiles = shop["places"]["textiles"]["slug"]
    page = get(client, q="walnut", category=textiles).get_data(as_text=True)
    assert "No products match" in page and "Showing results for" not in page
    assert re.search(r">Lighting</a>\s*<span[^>]*>\(1\)", page)  # where it is


@pytest.mark.parametrize(
    "args",
    [{"q": "widget"}, {"q": "widget", "sort": "price_asc"}, {}, {"sort": "newest"}, {"q": "widgetts"}],
)
def test_the_catalog_runs_a_fixed_number_of_queries(app, client, actions, count_queries, args):
    seller = actions.create_user()
    category = factories.category(app)
    args = {**args, "category": category["slug"]}

    def add_widgets(count):
        for _ in range(count):
            row = factories.product(app, seller["id"], category["id"], "Widget")
            factories.offer(app, seller["id"], row["id"], "5.00", 1)

    add_widgets(2)
    with count_queries() as few:
        get(client, **args)
    add_widgets(28)
    with count_queries() as many:
        get(client, **args)
    # time limit, categories, attribute definitions, (typo check, word groups' categories,) estimate,
    # counts, page, brand/tag facets
    assert len(few) == len(many) <= 9


def test_element_ids_are_unique_so_labels_point_at_one_control(client, shop):
    from collections import Counter

    product_id = shop["products"]["brass"]["id"]
    for path in ["/products?q=lamp", f"/products?department={shop['home']['slug']}", f"/products/{product_id}", "/"]:
        ids = re.findall(r'\sid="([^"]+)"', client.get(path).get_data(as_text=True))
        assert [name for name, count in Counter(ids).items() if count > 1] == [], path
