"""GET /api/v1/categories and GET /api/v1/products (the catalog's search) (issue 19)."""

import pytest

from tests import factories
from tests.api import bearer, make_token


@pytest.fixture
def token(app, actions):
    return make_token(app, actions.create_user()["id"], scopes=["read"])


def test_categories_come_with_their_departments(app, client, token):
    department = factories.department(app)
    category = factories.category(app, department["id"])
    response = client.get("/api/v1/categories", headers=bearer(token))
    assert response.status_code == 200
    [found] = [item for item in response.get_json()["items"] if item["id"] == department["id"]]
    assert found["categories"] == [{"id": category["id"], "name": category["name"], "slug": category["slug"]}]


def test_product_search_finds_by_words_and_pages_with_next(app, client, actions, token):
    seller = actions.create_user()
    category = factories.category(app)
    lamp = factories.product(app, seller["id"], category["id"], name="Brass Reading Lamp")
    factories.offer(app, seller["id"], lamp["id"], price="19.99")
    response = client.get("/api/v1/products?q=reading lamp", headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert [item["id"] for item in body["items"]] == [lamp["id"]]
    assert body["items"][0]["min_price"] == {"amount": "19.99", "currency": "USD"} and body["next"] is None
    for number in range(25):
        product = factories.product(app, seller["id"], category["id"], name=f"Shelf {number}")
        factories.offer(app, seller["id"], product["id"])
    first = client.get(f"/api/v1/products?category={category['slug']}", headers=bearer(token)).get_json()
    assert len(first["items"]) == 24 and first["total"] == 26 and first["next"]
    second = client.get(first["next"], headers=bearer(token)).get_json()
    assert len(second["items"]) == 2 and second["next"] is None
    assert not {item["id"] for item in first["items"]} & {item["id"] for item in second["items"]}


@pytest.mark.parametrize("query", ["cursor=xyz", "cursor=bzoxMA", "cursor=cDo5OTk5OQ"])
def test_a_bad_cursor_is_400(client, token, query):
    response = client.get(f"/api/v1/products?{query}", headers=bearer(token))
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_odd_search_values_are_noted_not_500(client, token):
    response = client.get("/api/v1/products?min_price=abc&sort=nonsense&min_rating=9", headers=bearer(token))
    assert response.status_code == 200 and response.get_json()["notes"]


def test_the_catalog_needs_a_token(client):
    assert client.get("/api/v1/products").status_code == 401
    assert client.get("/api/v1/categories").status_code == 401
