"""The seller API's catalog (issue 19): categories created and renamed by administrators; products read
with their variants and gallery, created, changed (If-Match), given variants and images, by their creator."""

import io

import pytest
from PIL import Image

from app.openapi import component_schemas
from tests import factories
from tests.api import bearer, make_token
from tests.conftest import query_one
from tests.test_brands_tags import run
from tests.test_images import bomb_png

SCHEMAS = component_schemas()


def png(size=(400, 300)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(output, format="PNG")
    return output.getvalue()


@pytest.fixture
def shop(app, actions):
    """Sam creates a lamp (and sells it), Rita a vase; laptops define screen size and colour; an admin."""
    sam = actions.create_user(full_name="Sam Seller")
    rita = actions.create_user(full_name="Rita Rival")
    admin = actions.create_user(full_name="Ada Admin")
    query_one(app, "UPDATE users SET role = 'administrator' WHERE id = :u RETURNING id", u=admin["id"])
    lighting = factories.category(app, name="Lighting")
    laptops = factories.category(app, lighting["department_id"], name="Laptops")
    run(
        app,
        """
        INSERT INTO category_attributes (category_id, key, label, type, unit, choices, position)
        VALUES (:id, 'screen_size', 'Screen size', 'number', 'in', NULL, 1),
               (:id, 'colour', 'Colour', 'choice', NULL, ARRAY['Silver', 'Black'], 2)
        """,
        id=laptops["id"],
    )
    lamp = factories.product(app, sam["id"], lighting["id"], name="Desk Lamp")
    vase = factories.product(app, rita["id"], lighting["id"], name="Glass Vase")
    factories.offer(app, sam["id"], lamp["id"], price="25.00", quantity=4)
    return {
        "sam": sam,
        "rita": rita,
        "lighting": lighting,
        "laptops": laptops,
        "lamp": lamp,
        "vase": vase,
        "token": make_token(app, sam["id"]),
        "reader": make_token(app, sam["id"], scopes=("read",)),
        "admin": make_token(app, admin["id"], scopes=("read", "admin")),
    }


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def fields_of(body: dict) -> set[str]:
    return {error["field"] for error in body.get("errors", [])}


# --- categories ----------------------------------------------------------------------------------


def test_an_administrator_creates_and_renames_a_category(client, shop):
    department_id = shop["lighting"]["department_id"]
    created = client.post(
        "/api/v1/categories", json={"department_id": department_id, "name": "Desk Lamps"}, headers=bearer(shop["admin"])
    )
    assert created.status_code == 201
    category = created.get_json()
    assert set(category) == set(SCHEMAS["Category"]["properties"]) == set(SCHEMAS["Category"]["required"])
    assert category["name"] == "Desk Lamps" and category["slug"] == "desk-lamps"
    assert created.headers["Location"].endswith(f"/api/v1/categories/{category['id']}")
    url = f"/api/v1/categories/{category['id']}"
    etag = client.get(url, headers=bearer(shop["reader"])).headers["ETag"]
    renamed = client.patch(url, json={"name": "Table Lamps"}, headers=bearer(shop["admin"]) | {"If-Match": etag})
    assert renamed.status_code == 200
    assert renamed.get_json()["name"] == "Table Lamps" and renamed.get_json()["slug"] == "desk-lamps"
    assert renamed.headers["ETag"] != etag
    stale = client.patch(url, json={"name": "Lamps"}, headers=bearer(shop["admin"]) | {"If-Match": etag})
    problem(stale, 412)
    problem(client.patch(url, json={"name": "Lamps"}, headers=bearer(shop["admin"])), 428)


def test_category_writes_need_the_admin_scope_and_good_names(client, shop):
    department_id = shop["lighting"]["department_id"]
    body = {"department_id": department_id, "name": "Shades"}
    assert (
        "admin" in problem(client.post("/api/v1/categories", json=body, headers=bearer(shop["token"])), 403)["detail"]
    )
    url = f"/api/v1/categories/{shop['laptops']['id']}"
    headers = bearer(shop["token"]) | {"If-Match": "*"}
    problem(client.patch(url, json={"name": "Notebooks"}, headers=headers), 403)
    assert query_one(app_of(client), "SELECT name FROM categories WHERE id = :c", c=shop["laptops"]["id"])["name"] == (
        "Laptops"
    )
    admin = bearer(shop["admin"])
    taken = client.post("/api/v1/categories", json={"department_id": department_id, "name": "Laptops"}, headers=admin)
    assert "already" in problem(taken, 409)["detail"]
    problem(client.post("/api/v1/categories", json={"department_id": 2**62, "name": "X1"}, headers=admin), 404)
    for bad in ("", "   ", "!!!", "x" * 61, "bad\x00name", 7, None):
        response = client.post("/api/v1/categories", json={"department_id": department_id, "name": bad}, headers=admin)
        assert fields_of(problem(response, 422)) == {"name"}, bad
    problem(client.get("/api/v1/categories/999999999", headers=bearer(shop["reader"])), 404)


def app_of(client):
    return client.application


# --- products ------------------------------------------------------------------------------------


def test_anyone_reads_a_product_with_its_labels_but_only_its_creator_is_told_it_is_theirs(client, shop):
    mine = client.get(f"/api/v1/products/{shop['lamp']['id']}", headers=bearer(shop["reader"]))
    assert mine.status_code == 200 and mine.headers["ETag"]
    body = mine.get_json()
    assert body["name"] == "Desk Lamp" and body["created_by_you"] is True
    assert body["min_price"] == {"amount": "25.00", "currency": "USD"} and body["total_stock"] == 4
    assert body["variants"] == [] and body["images"] == [] and body["tags"] == []
    documented = SCHEMAS["ProductDetail"]
    assert set(body) == set(documented["properties"]) == set(documented["required"])
    theirs = client.get(f"/api/v1/products/{shop['vase']['id']}", headers=bearer(shop["reader"])).get_json()
    assert theirs["created_by_you"] is False
    problem(client.get("/api/v1/products/999999999", headers=bearer(shop["reader"])), 404)


def test_a_seller_creates_a_product_for_sale_with_brand_tags_and_attributes(app, client, shop):
    body = {
        "name": "  Zen Book 14 ",
        "description": "A light laptop.",
        "category_id": shop["laptops"]["id"],
        "brand": "Asus",
        "tags": ["Ultrabook", "travel"],
        "attributes": {"screen_size": "14", "colour": "Silver"},
        "price": "899.00",
        "quantity": 3,
    }
    response = client.post("/api/v1/products", json=body, headers=bearer(shop["token"]))
    assert response.status_code == 201, response.get_data(as_text=True)
    product = response.get_json()
    assert product["name"] == "Zen Book 14" and product["brand"] == "Asus"
    assert product["tags"] == ["travel", "ultrabook"]
    assert product["attributes"] == {"colour": "Silver", "screen_size": "14"}
    assert response.headers["Location"].endswith(f"/api/v1/products/{product['id']}")
    offer = query_one(
        app,
        """
        SELECT o.price, o.quantity, (SELECT array_agg(reason) FROM inventory_events AS e
                                     WHERE e.seller_id = o.seller_id AND e.product_id = o.product_id) AS reasons
        FROM offers AS o WHERE o.seller_id = :s AND o.product_id = :p
        """,
        s=shop["sam"]["id"],
        p=product["id"],
    )
    assert str(offer["price"]) == "899.00" and offer["quantity"] == 3 and offer["reasons"] == ["initial"]


def test_a_new_product_with_bad_fields_is_refused_field_by_field_and_nothing_is_made(app, client, shop):
    before = query_one(app, "SELECT count(*) AS n FROM products")["n"]
    laptops = shop["laptops"]["id"]
    cases = [
        ({"name": "", "category_id": laptops, "price": "1.00", "quantity": 1}, {"name"}),
        ({"name": "<b>x</b>", "category_id": 2**62, "price": "1.00", "quantity": 1}, {"category_id"}),
        ({"name": "A", "category_id": laptops, "price": "-1.00", "quantity": 1}, {"price"}),
        ({"name": "A", "category_id": laptops, "price": "1.001", "quantity": 2**40}, {"price", "quantity"}),
        (
            {"name": "A", "category_id": laptops, "price": "1.00", "quantity": 1, "tags": ["t"] * 5 + list("abcdef")},
            {"tags"},
        ),
        ({"name": "A", "category_id": laptops, "price": "1.00", "quantity": 1, "tags": ["<script>"]}, {"tags"}),
        ({"name": "A", "category_id": laptops, "price": "1.00", "quantity": 1, "brand": "x" * 61}, {"brand"}),
        (
            {"name": "A", "category_id": laptops, "price": "1.00", "quantity": 1, "attributes": {"colour": "Pink"}},
            {"attributes.colour"},
        ),
        (
            {"name": "A", "category_id": laptops, "price": "1.00", "quantity": 1, "attributes": {"weight": "2"}},
            {"attributes.weight"},
        ),
        ({"name": "A", "category_id": laptops, "options": ["Colour"], "price": "1.00"}, {"price"}),
        ({"name": "A", "category_id": laptops, "options": ["Size", "size"]}, {"options"}),
        ({"name": "A", "category_id": laptops, "price": "1.00", "quantity": 1, "id": 5}, {"id"}),
    ]
    for body, expected in cases:
        response = client.post("/api/v1/products", json=body, headers=bearer(shop["token"]))
        assert fields_of(problem(response, 422)) == expected, body
    problem(client.post("/api/v1/products", data="nope", headers=bearer(shop["token"])), 400)
    problem(client.post("/api/v1/products", json={"name": "A"}, headers=bearer(shop["reader"])), 403)
    assert query_one(app, "SELECT count(*) AS n FROM products")["n"] == before


def test_a_product_with_options_gets_variants_that_are_offered_and_listed(client, shop):
    headers = bearer(shop["token"])
    body = {"name": "Linen Shirt", "category_id": shop["lighting"]["id"], "options": ["Colour", "Size"]}
    shirt = client.post("/api/v1/products", json=body, headers=headers).get_json()
    assert shirt["options"] == ["Colour", "Size"] and shirt["variants"] == []
    url = f"/api/v1/products/{shirt['id']}/variants"
    red = client.post(url, json={"option_values": ["Red", "M"]}, headers=headers)
    assert red.status_code == 201 and red.get_json()["parent_id"] == shirt["id"]
    assert red.get_json()["name"] == "Linen Shirt — Red / M"
    problem(client.post(url, json={"option_values": ["red", "m"]}, headers=headers), 409)
    problem(client.post(url, json={"option_values": ["Red"]}, headers=headers), 409)
    assert fields_of(problem(client.post(url, json={"option_values": []}, headers=headers), 422)) == {"option_values"}
    problem(
        client.post(f"/api/v1/products/{shop['lamp']['id']}/variants", json={"option_values": ["X"]}, headers=headers),
        409,
    )
    variant_id = red.get_json()["id"]
    problem(
        client.post(
            "/api/v1/offers", json={"product_id": shirt["id"], "price": "20.00", "quantity": 1}, headers=headers
        ),
        409,
    )
    offered = client.post(
        "/api/v1/offers", json={"product_id": variant_id, "price": "20.00", "quantity": 6}, headers=headers
    )
    assert offered.status_code == 201 and offered.get_json()["quantity"] == 6
    listed = client.get(f"/api/v1/products/{shirt['id']}", headers=headers).get_json()
    assert listed["variants"] == [
        {
            "id": variant_id,
            "option_values": ["Red", "M"],
            "min_price": {"amount": "20.00", "currency": "USD"},
            "offer_count": 1,
            "total_stock": 6,
        }
    ]
    assert listed["total_stock"] == 6
    rival = client.post(
        url, json={"option_values": ["Blue", "L"]}, headers=bearer(make_token(client.application, shop["rita"]["id"]))
    )
    problem(rival, 404)


def test_the_creator_changes_a_product_with_if_match_and_nobody_else_can(app, client, shop):
    url = f"/api/v1/products/{shop['lamp']['id']}"
    headers = bearer(shop["token"])
    etag = client.get(url, headers=headers).headers["ETag"]
    problem(client.patch(url, json={"name": "Lamp"}, headers=headers), 428)
    changed = client.patch(
        url, json={"name": "Brass Desk Lamp", "tags": ["brass"], "brand": "Lumo"}, headers=headers | {"If-Match": etag}
    )
    assert changed.status_code == 200, changed.get_data(as_text=True)
    body = changed.get_json()
    assert (body["name"], body["tags"], body["brand"]) == ("Brass Desk Lamp", ["brass"], "Lumo")
    assert body["description"] == "" and changed.headers["ETag"] != etag
    problem(client.patch(url, json={"name": "Old"}, headers=headers | {"If-Match": etag}), 412)
    vase_url = f"/api/v1/products/{shop['vase']['id']}"
    problem(client.patch(vase_url, json={"name": "Mine now"}, headers=headers | {"If-Match": "*"}), 404)
    assert query_one(app, "SELECT name FROM products WHERE id = :p", p=shop["vase"]["id"])["name"] == "Glass Vase"
    moved = client.patch(
        url,
        json={"category_id": shop["laptops"]["id"], "attributes": {"screen_size": "13.3"}},
        headers=headers | {"If-Match": "*"},
    )
    assert moved.status_code == 200 and moved.get_json()["category_id"] == shop["laptops"]["id"]
    assert set(moved.get_json()["attributes"]) == {"screen_size"}
    for bad in ({}, {"name": ""}, {"tags": "a,b"}, {"category_id": "2"}, {"price": "1.00"}):
        problem(client.patch(url, json=bad, headers=headers | {"If-Match": "*"}), 422)


def test_images_go_into_the_creators_gallery_up_to_eight_and_come_out_again(app, client, shop):
    url = f"/api/v1/products/{shop['lamp']['id']}/images"
    headers = bearer(shop["token"])

    def add(content: bytes, alt_text: str = "A lamp", token_headers=headers):
        data = {"image": (io.BytesIO(content), "lamp.png"), "alt_text": alt_text}
        return client.post(url, data=data, headers=token_headers, content_type="multipart/form-data")

    first = add(png())
    assert first.status_code == 201, first.get_data(as_text=True)
    image = first.get_json()["images"][0]
    assert image["alt_text"] == "A lamp" and image["url"].endswith("/display.webp") and image["position"] == 1
    assert client.get(image["url"]).status_code == 200
    assert fields_of(problem(add(bomb_png(30_000, 30_000)), 422)) == {"image"}
    assert fields_of(problem(add(b"not an image"), 422)) == {"image"}
    assert fields_of(problem(add(png(), alt_text="x" * 251), 422)) == {"alt_text"}
    problem(add(png(), token_headers=bearer(make_token(app, shop["rita"]["id"]))), 404)
    for _ in range(7):
        assert add(png()).status_code == 201
    assert "at most 8" in problem(add(png()), 409)["detail"]
    removed = client.delete(f"{url}/{image['id']}", headers=headers)
    assert removed.status_code == 204
    problem(client.delete(f"{url}/{image['id']}", headers=headers), 404)
    after = client.get(f"/api/v1/products/{shop['lamp']['id']}", headers=headers).get_json()["images"]
    assert len(after) == 7 and [entry["position"] for entry in after] == list(range(1, 8))


def test_a_category_removed_after_the_check_is_a_409_not_a_500(app, client, shop, monkeypatch, caplog):
    """The category passed the check, then went (an administrator merged it away in that moment):
    the insert's foreign key fails, and the client is told, with nothing written."""
    from app.models import admin_catalog

    monkeypatch.setattr(admin_catalog, "get_category", lambda category_id: shop["lighting"])  # checked: exists
    body = {"name": "Orphan", "description": "", "category_id": 10**9, "price": "5.00", "quantity": 1}
    detail = problem(client.post("/api/v1/products", json=body, headers=bearer(shop["token"])), 409)["detail"]
    assert "removed a moment ago" in detail
    assert query_one(app, "SELECT count(*) AS n FROM products WHERE name = 'Orphan'")["n"] == 0
    assert "products_category_id_fkey" in caplog.text
