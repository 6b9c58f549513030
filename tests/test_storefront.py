"""A seller's storefront, /users/<id>: their offers as product cards, searched, sorted and paged;
two queries for the list whatever the page."""

import re

import pytest

from tests import factories


@pytest.fixture
def storefront(app, actions):
    """A seller with 30 offers (one sold out, one removed) and another seller's offer of the same kind."""
    seller = actions.create_user(full_name="Tara Teak")
    other = actions.create_user(full_name="Otto Other")
    category = factories.category(app)
    offers = {}
    for number in range(30):
        name = f"Teak table {number:02d}" if number % 3 else f"Oak 50%_off chair {number:02d}"
        product = factories.product(app, seller["id"], category["id"], name)
        offers[name] = factories.offer(app, seller["id"], product["id"], f"{10 + number}.00", 0 if number == 7 else 5)
    removed = factories.product(app, seller["id"], category["id"], "Teak table removed")
    factories.offer(app, seller["id"], removed["id"], "99.00", 5, is_active=False)
    elsewhere = factories.product(app, other["id"], category["id"], "Teak table elsewhere")
    factories.offer(app, other["id"], elsewhere["id"], "1.00", 5)
    return {"seller": seller, "offers": offers}


def card_names(page: str) -> list[str]:
    return re.findall(r'<a class="stretched-link" href="[^"]+">([^<]+)</a>', page)


def test_the_storefront_shows_cards_with_the_sellers_own_price_and_stock(client, storefront):
    page = client.get(f"/users/{storefront['seller']['id']}").get_data(as_text=True)
    assert "Tara Teak" in page and "Member since" in page and "No seller reviews yet" in page
    assert "What Tara Teak sells" in page and "(30)" in page
    names = card_names(page)
    assert len(names) == 24 and names[0] == "Teak table 29"  # newest first, 24 a page
    assert "Teak table removed" not in page and "Teak table elsewhere" not in page
    assert 'src="/products/' in page  # pictures
    assert "1 seller" not in page  # a storefront card shows this seller's offer, not the catalog's count
    assert page.count("Out of stock") == 1  # number 07, sold out
    second = client.get(f"/users/{storefront['seller']['id']}?page=2").get_data(as_text=True)
    assert card_names(second) == [
        f"{'Oak 50%_off chair' if n % 3 == 0 else 'Teak table'} {n:02d}" for n in range(5, -1, -1)
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=tab&sort=price_asc", ["Teak table 01", "Teak table 02", "Teak table 04"]),  # a part of a word
        ("q=tables&sort=price_desc", ["Teak table 29", "Teak table 28", "Teak table 26"]),  # the catalog's stemming
        ("q=50%25_&sort=name", ["Oak 50%_off chair 00", "Oak 50%_off chair 03", "Oak 50%_off chair 06"]),
        ("sort=price_desc", ["Teak table 29", "Teak table 28", "Oak 50%_off chair 27"]),
        ("sort=nonsense", ["Teak table 29", "Teak table 28", "Oak 50%_off chair 27"]),  # read as newest
    ],
)
def test_search_and_sort_within_the_sellers_offers(client, storefront, query, expected):
    page = client.get(f"/users/{storefront['seller']['id']}?{query}").get_data(as_text=True)
    assert card_names(page)[:3] == expected


def test_a_search_without_match_says_so_and_links_back(client, storefront):
    page = client.get(f"/users/{storefront['seller']['id']}?q=sofa").get_data(as_text=True)
    assert "0 products match “sofa”" in page and "No product of Tara Teak matches" in page
    assert f'href="/users/{storefront["seller"]["id"]}">Show everything Tara Teak sells' in page


def test_percent_and_underscore_match_themselves(client, storefront):
    page = client.get(f"/users/{storefront['seller']['id']}?q=5_%25").get_data(as_text=True)
    assert "0 products match" in page


def test_the_list_costs_two_queries(client, storefront, count_queries):
    with count_queries() as statements:
        client.get(f"/users/{storefront['seller']['id']}?q=teak&sort=price_asc&page=2")
    offers = [sql for sql in statements if "FROM offers AS o" in sql and "o.seller_id = " in sql]
    assert len(offers) == 2  # the page and its count


def test_control_characters_in_the_search_read_as_spaces(client, storefront):
    """The search box goes through app/inputs.py like every other: \\x01 and \\x1b are spaces, not SQL text."""
    page = client.get(f"/users/{storefront['seller']['id']}?q=%01teak%1b&sort=price_asc").get_data(as_text=True)
    assert card_names(page)[:3] == ["Teak table 01", "Teak table 02", "Teak table 04"]
    assert "20 products match “teak”" in page and 'id="storefront-q" name="q" type="search"' in page
    assert re.search(r'id="storefront-q"[^>]* value="teak"', page)
