"""The search benchmarks' own logic (bench/search_quality.py, bench/search_bench.py): the searches
they make up, and the exact-ranking reference on a crafted catalog."""

import argparse
import random

import pytest
from sqlalchemy import text

from bench import search_bench, search_quality
from tests import factories


@pytest.mark.parametrize(
    ("kind", "position", "expected"),
    [("swap", 1, "lmap"), ("swap", 2, "lapm"), ("drop", 0, "amp"), ("drop", 3, "lam"), ("double", 2, "lammp")],
)
def test_misspell_makes_one_typo(kind, position, expected):
    assert search_quality.misspell("lamp", kind, position) == expected


def test_typo_name_changes_one_long_word_into_a_word_no_name_has():
    rng = random.Random(1)
    name = "Oak Desk Lamp — Walnut"
    for kind in search_quality.TYPO_KINDS:
        typo = search_quality.typo_name(name, kind, rng, {"walnt"})
        changed = [(old, new) for old, new in zip(name.split(), typo.split(), strict=True) if old != new]
        assert len(changed) == 1
        old, new = changed[0]
        assert old == "Walnut" and new.lower() != "walnt"
        assert len(new) - len(old) == {"swap": 0, "drop": -1, "double": 1}[kind]


def test_typo_name_gives_up_without_a_long_word_or_a_new_spelling():
    rng = random.Random(1)
    assert search_quality.typo_name("Oak desk lamp", "drop", rng, set()) is None  # no word of 5+ letters
    spellings = {"aple", "appe", "appl", "pple"}
    assert search_quality.typo_name("Apple", "drop", rng, spellings) is None  # every typo is a word
    assert search_quality.typo_name("Hello", "swap", rng, {"ehllo", "hlelo", "helol"}) is None  # "ll" cannot swap


def test_rarer_words_prefer_plain_words_and_keep_the_name_order():
    frequency = {"brass": 50, "desk": 900, "lamp": 400, "l42": 1, "with": 5, "shade": 60}
    name = "Brass Desk Lamp L42 with shade"
    assert search_quality.rarer_words(name, frequency) == ["brass", "shade"]
    assert search_quality.rarer_words("Lamp L42", frequency) == ["lamp", "l42"]  # a code only when nothing is left


def test_category_query_adds_a_name_word_not_in_the_category():
    rng = random.Random(3)
    for _ in range(20):
        query = search_quality.category_query("Brass Lighting Rail with hooks", "Lighting", rng)
        category, word = query.rsplit(" ", 1)
        assert category == "Lighting" and word in {"brass", "rail", "hooks"}


def test_helpers_for_the_reference_and_the_table():
    assert search_quality.position_of(7, [3, 7, 9]) == 2 and search_quality.position_of(8, [3, 7]) is None
    assert search_quality.share([1, 3, None, 30], 5) == 0.5
    url = search_quality.read_only("postgresql://postgres:@/bazaar?host=/tmp/pg")
    assert url == "postgresql://postgres:@/bazaar?host=/tmp/pg&options=-c%20default_transaction_read_only%3Don"


def test_search_bench_asks_every_variant_of_every_search():
    args = argparse.Namespace(
        common="handle",
        two_words="running shoes",
        rare="picture",
        code="s385",
        phrase="cast iron skillet",
        typo2="wireles headphnes:wireless headphones",
        typo3="stainles stel sacepan:stainless steel saucepan",
        synonyms=["couch:sofa"],
    )
    chosen = search_bench.searches(args)
    paths = search_bench.search_paths(chosen, {search.meaning: "lighting" for search in chosen})
    assert len(paths) == len(chosen) * len(search_bench.VARIANTS)
    assert ('phrase: "cast iron skillet"', "/products?q=%22cast+iron+skillet%22") in paths
    filtered = dict(paths)["2 misspelt: wireles headphnes filtered"]
    assert "q=wireles+headphnes" in filtered and "category=lighting" in filtered and "in_stock=1" in filtered


def test_reference_ranks_title_then_category_then_description_then_sales(app, actions):
    """Every word in the title beats every word in the title or category, which beats the
    description; then units sold, then id. A product lacking a word does not match. The shipped
    order puts a product whose words are in its tags below those with them in the category."""
    seller = actions.create_user(full_name="Sam Seller")
    lighting = factories.category(app, factories.department(app, "Home things")["id"], "Lighting")
    elsewhere = factories.category(app, name="Hardware")
    specs = {
        # key: (category, name, description, tags (search_terms), units sold)
        "title": (lighting, "Brass lighting rail", "", "", 1),
        "category": (lighting, "Brass desk lamp", "", "", 10),
        "category_later": (lighting, "Brass floor lamp", "", "", 10),
        "description": (lighting, "Oak table lamp", "With brass feet.", "", 100),
        "no_match": (elsewhere, "Brass hook", "", "", 1000),
        "tags": (elsewhere, "Oak shelf", "", "brass lighting", 5),
    }
    database = app.extensions["bazaar_db"]
    ids = {}
    for key, (place, name, description, tags, sold) in specs.items():
        ids[key] = factories.product(app, seller["id"], place["id"], name, description)["id"]
        factories.offer(app, seller["id"], ids[key])
        with database.transaction() as connection:
            connection.execute(
                text("UPDATE products SET units_sold = :sold, search_terms = :tags WHERE id = :id"),
                {"sold": sold, "tags": tags, "id": ids[key]},
            )
    cursor = database.pinned.connection.dbapi_connection.cursor()
    words = ["brass", "lighting"]
    issue = {key: search_quality.reference_position(cursor, words, ids[key]) for key in ids}
    assert issue == {
        "tags": 1,
        "title": 2,
        "category": 3,
        "category_later": 4,
        "description": 5,
        "no_match": None,
    }
    shipped = {key: search_quality.reference_position(cursor, words, ids[key], "shipped") for key in ids}
    assert shipped == {
        "title": 1,
        "category": 2,
        "category_later": 3,
        "tags": 4,
        "description": 5,
        "no_match": None,
    }
    assert search_quality.reference_position(cursor, ["the", "brass"], ids["no_match"]) == 1  # stop words drop
