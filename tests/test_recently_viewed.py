"""Recently viewed: recorded by the product page, shown on the home and product pages, kept to 20,
clearable; guests keep theirs in the session, compatible with the guest page cache."""

import re

import pytest

from app.models import recently_viewed
from tests import factories
from tests.conftest import query_one
from tests.test_page_cache import cached, pages  # noqa: F401 - the fixture is used by name

SECTION = re.compile(r'data-testid="recently-viewed".*?</section>', re.S)


@pytest.fixture
def things(app, actions):
    """Eight products in stock."""
    seller = actions.create_user(full_name="Sam Seller")
    products = []
    for number in range(8):
        product = factories.product(app, seller["id"], name=f"Thing {number}")
        factories.offer(app, seller["id"], product["id"], "5.00", 3)
        products.append(product)
    return products


def shown(page: str) -> list[str]:
    """The product names in the page's "Recently viewed" row, in order."""
    section = SECTION.search(page)
    return re.findall(r'class="stretched-link" href="[^"]*">([^<]+)</a>', section.group(0)) if section else []


def viewed_ids(app, user_id) -> list[int]:
    """The user's recorded views, newest first."""
    return query_one(
        app,
        """
        SELECT array_agg(product_id ORDER BY viewed_at DESC, product_id) AS ids
        FROM recently_viewed
        WHERE user_id = :u
        """,
        u=user_id,
    )["ids"]


def test_a_view_is_recorded_and_shown_on_the_home_and_product_pages(app, client, actions, things):
    buyer = actions.signed_in_user()
    for product in things[:3]:
        assert client.get(f"/products/{product['id']}").status_code == 200
    rows = query_one(app, "SELECT count(*) AS n FROM recently_viewed WHERE user_id = :u", u=buyer["id"])
    assert rows["n"] == 3
    assert shown(client.get("/").get_data(as_text=True)) == ["Thing 2", "Thing 1", "Thing 0"]
    # On a product page, never the product itself; viewing it again puts it first.
    assert shown(client.get(f"/products/{things[0]['id']}").get_data(as_text=True)) == ["Thing 2", "Thing 1"]
    assert shown(client.get("/").get_data(as_text=True)) == ["Thing 0", "Thing 2", "Thing 1"]


def test_only_the_last_twenty_are_kept(app, client, actions, monkeypatch, things):
    monkeypatch.setattr(recently_viewed, "KEEP", 5)
    buyer = actions.signed_in_user()
    for product in things:
        client.get(f"/products/{product['id']}")
    client.get(f"/products/{things[4]['id']}")  # a view of a kept product drops nothing more
    ids = viewed_ids(app, buyer["id"])
    assert ids[0] == things[4]["id"] and sorted(ids) == sorted(p["id"] for p in things[3:])


def test_clearing_needs_csrf_and_forgets_only_ones_own(app, client, actions, things):
    other = actions.signed_in_user()
    client.get(f"/products/{things[0]['id']}")
    actions.logout()
    buyer = actions.signed_in_user()
    client.get(f"/products/{things[1]['id']}")
    assert client.post("/recently-viewed/clear").status_code == 400
    response = actions.post("/recently-viewed/clear", {"next": "/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    count = "SELECT count(*) AS n FROM recently_viewed WHERE user_id = :u"
    assert query_one(app, count, u=buyer["id"])["n"] == 0
    assert query_one(app, count, u=other["id"])["n"] == 1
    assert actions.post("/recently-viewed/clear", {"next": "//evil.example"}).headers["Location"] == "/recently-viewed"


def test_unlisted_and_unknown_products_are_not_shown(app, client, actions, things):
    actions.signed_in_user()
    client.get(f"/products/{things[0]['id']}")
    client.get(f"/products/{things[1]['id']}")
    assert client.get("/products/99999999").status_code == 404
    query_one(app, "UPDATE products SET status = 'taken_down' WHERE id = :p RETURNING 1", p=things[0]["id"])
    assert shown(client.get("/").get_data(as_text=True)) == ["Thing 1"]
    page = client.get("/recently-viewed").get_data(as_text=True)
    assert "Thing 1" in page and "Thing 0" not in page


def test_a_guest_keeps_them_in_the_session(app, client, actions, things):
    for product in things[:3]:
        client.get(f"/products/{product['id']}")
    with client.session_transaction() as session:
        assert session["recently_viewed"] == [things[2]["id"], things[1]["id"], things[0]["id"]]
    assert shown(client.get("/").get_data(as_text=True)) == ["Thing 2", "Thing 1", "Thing 0"]
    assert "Thing 0" in client.get("/recently-viewed").get_data(as_text=True)
    actions.post("/recently-viewed/clear")
    with client.session_transaction() as session:
        assert "recently_viewed" not in session


def test_product_and_home_pages_add_one_statement_for_a_signed_in_user(app, client, actions, things, count_queries):
    actions.signed_in_user()
    client.get(f"/products/{things[0]['id']}")
    with count_queries() as few:
        client.get(f"/products/{things[1]['id']}")
    for product in things[2:]:
        client.get(f"/products/{product['id']}")
    with count_queries() as many:
        page = client.get(f"/products/{things[1]['id']}").get_data(as_text=True)
    assert len(shown(page)) == 6
    assert len(few) == len(many)
    assert sum("recently_viewed" in statement for statement in many) == 1
    with count_queries() as home:
        client.get("/")
    assert sum("recently_viewed" in statement for statement in home) == 1


def test_a_cached_guest_page_leaves_the_row_to_the_script(app, client, things, cached):  # noqa: F811
    first, second = (f"/products/{things[number]['id']}" for number in (0, 1))
    client.get(first)
    page = client.get(second).get_data(as_text=True)
    # The page is every guest's: a placeholder, no one's row; the view is still recorded.
    assert 'data-recently-viewed-src="/recently-viewed/fragment?exclude=' in page
    assert shown(page) == []
    with client.session_transaction() as session:
        assert session["recently_viewed"] == [things[1]["id"], things[0]["id"]]
    assert len(pages(cached)) == 2  # both product pages stayed cacheable for this guest
    # A cached hit records the view too.
    client.get(first)
    with client.session_transaction() as session:
        assert session["recently_viewed"][0] == things[0]["id"]
    fragment = client.get(f"/recently-viewed/fragment?exclude={things[0]['id']}", headers={"Referer": first})
    assert "no-store" in fragment.headers["Cache-Control"]
    body = fragment.get_data(as_text=True)
    assert shown(body) == ["Thing 1"] and "<html" not in body
    assert f'name="next" value="{first}"' in body


@pytest.mark.parametrize("exclude", ["abc", "-1", "9" * 40, ""])
def test_the_fragment_takes_bad_input_calmly(client, things, exclude):
    client.get(f"/products/{things[0]['id']}")
    response = client.get(f"/recently-viewed/fragment?exclude={exclude}")
    assert response.status_code == 200 and shown(response.get_data(as_text=True)) == ["Thing 0"]


def test_the_list_page_runs_a_fixed_number_of_queries(app, client, actions, things, count_queries):
    actions.signed_in_user()
    client.get(f"/products/{things[0]['id']}")
    with count_queries() as few:
        client.get("/recently-viewed")
    for product in things[1:]:
        client.get(f"/products/{product['id']}")
    with count_queries() as many:
        page = client.get("/recently-viewed").get_data(as_text=True)
    assert "Thing 7" in page
    assert len(few) == len(many) <= 3  # the session and user, the list, the wishlist's ids (hearts)
