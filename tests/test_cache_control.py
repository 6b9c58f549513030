"""No cache keeps what may be private: pages, the JSON API and CSV downloads say `no-store`;
pictures stay cacheable."""

import pytest

from tests import factories


@pytest.mark.parametrize("url", ["/", "/api/seller/sales", "/health", "/login"])
def test_pages_and_json_are_never_stored_by_a_cache(client, url):
    response = client.get(url)
    assert response.mimetype in ("text/html", "application/json")
    assert response.headers["Cache-Control"] == "private, no-store"


def test_a_signed_in_users_json_and_csv_are_never_stored(client, actions):
    actions.signed_in_user()
    for url in ("/api/seller/sales?group_by=month", "/api/seller/sales?group_by=bogus", "/seller/analytics.csv"):
        response = client.get(url)
        assert response.status_code in (200, 400)
        assert response.headers["Cache-Control"] == "private, no-store", url


def test_product_pictures_stay_cacheable(app, client, actions):
    seller = actions.create_user()
    product = factories.product(app, seller["id"])
    response = client.get(f"/products/{product['id']}/image")
    assert "public" in response.headers["Cache-Control"] and "no-store" not in response.headers["Cache-Control"]
