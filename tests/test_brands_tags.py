"""Brands, tags and category attributes (issue 17): the seller's form, the catalog's facets and
filters, /tags/<tag>, the product page, and bad input of every kind."""

import re

import pytest
from sqlalchemy import text

from tests import factories
from tests.conftest import query_one
from tests.test_catalog import get, names_on, result_count


def run(app, sql: str, **params):
    """Run a statement through the app's database (inside the test's transaction)."""
    database = app.extensions["bazaar_db"]
    with database.transaction() as connection:
        connection.execute(text(sql), params)


@pytest.fixture
def maker(app, actions):
    """A signed-in seller and a category (laptops) with a number and a choice attribute."""
    laptops = factories.category(app, name="Laptops")
    run(
        app,
        """
        INSERT INTO category_attributes (category_id, key, label, type, unit, choices, position)
        VALUES (:id, 'screen_size', 'Screen size', 'number', 'in', NULL, 1),
               (:id, 'colour', 'Colour', 'choice', NULL, ARRAY['Silver', 'Black'], 2)
        """,
        id=laptops["id"],
    )
    seller = actions.signed_in_user(full_name="Maya Maker")
    return {"seller": seller, "laptops": laptops}


def create(actions, maker, **fields):
    """Create a product through the seller center's form; the response."""
    data = {
        "name": "Lumetra Air 14",
        "description": "Light.",
        "category_id": str(maker["laptops"]["id"]),
        "price": "999.00",
        "quantity": "3",
    } | fields
    return actions.post("/seller/products/new", data)


def labels_of(app, product_id: int):
    return query_one(
        app,
        """
        SELECT b.name AS brand, p.search_terms,
               ARRAY(SELECT tag FROM product_tags WHERE product_id = p.id ORDER BY tag) AS tags
        FROM products AS p
        LEFT JOIN brands AS b ON b.id = p.brand_id
        WHERE p.id = :id
        """,
        id=product_id,
    )


def last_product_id(app) -> int:
    return query_one(app, "SELECT max(id) AS id FROM products")["id"]


def test_a_new_product_gets_a_new_brand_and_normalised_tags(app, actions, maker):
    response = create(actions, maker, brand="  Lumetra  ", tags="Ultrabook,  Travel  Light , ultrabook")
    assert response.status_code == 302
    labels = labels_of(app, last_product_id(app))
    assert labels["brand"] == "Lumetra"
    assert labels["tags"] == ["travel light", "ultrabook"]
    assert labels["search_terms"] == "Lumetra ultrabook travel light"


def test_an_existing_brand_is_found_whatever_its_case(app, actions, maker):
    create(actions, maker, brand="Lumetra", tags="")
    create(actions, maker, brand="LUMETRA", tags="", name="Lumetra Air 16")
    assert query_one(app, "SELECT count(*) AS n, min(name) AS name FROM brands") == {"n": 1, "name": "Lumetra"}


def test_the_search_finds_a_product_by_its_brand_and_tags(app, actions, maker):
    create(actions, maker, brand="Zephyrine", tags="featherweight, student")
    assert names_on(get(actions.client, q="zephyrine")) == ["Lumetra Air 14"]
    assert names_on(get(actions.client, q="featherweight")) == ["Lumetra Air 14"]


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ("<script>alert(1)</script>", "letters, digits, spaces and hyphens only"),
        ("a&b", "letters, digits, spaces and hyphens only"),
        (",".join(f"tag{number}" for number in range(11)), "at most 10 tags; you gave 11"),
        ("x" * 31, "Keep each tag to 30 characters"),
        ("-dash", "letters, digits, spaces and hyphens only"),
    ],
)
def test_bad_tags_are_refused_and_change_nothing(app, actions, maker, tags, message):
    before = last_product_id(app)
    response = create(actions, maker, tags=tags)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert last_product_id(app) == before


@pytest.mark.parametrize(
    ("tags", "stored"),
    [
        ("", []),
        (" , ,", []),
        ("Été, CAFÉ au lait, été", ["café au lait", "été"]),
        ("GPU, gpu , Gpu", ["gpu"]),
        (",".join(f"tag{number % 10}" for number in range(15)), [f"tag{number}" for number in range(10)]),
        ("x" * 30, ["x" * 30]),
    ],
)
def test_tags_are_lower_case_trimmed_and_unique(app, actions, maker, tags, stored):
    assert create(actions, maker, tags=tags).status_code == 302
    assert labels_of(app, last_product_id(app))["tags"] == stored


@pytest.mark.parametrize("brand", ["<b>Bold</b>", "x" * 61, "Under_score"])
def test_bad_brands_are_refused(app, actions, maker, brand):
    response = create(actions, maker, brand=brand)
    assert response.status_code == 400
    assert query_one(app, "SELECT count(*) AS n FROM brands")["n"] == 0


def test_editing_another_sellers_product_makes_no_brand(app, actions, maker):
    other = actions.create_user()
    theirs = factories.product(app, other["id"], maker["laptops"]["id"], name="Not yours")
    response = actions.post(
        f"/seller/products/{theirs['id']}/edit",
        {"name": "Mine now", "category_id": str(maker["laptops"]["id"]), "brand": "Hijack", "tags": "stolen"},
    )
    assert response.status_code in (403, 404)
    assert query_one(app, "SELECT count(*) AS n FROM brands")["n"] == 0
    assert labels_of(app, theirs["id"])["tags"] == []


def test_a_missing_product_id_is_a_404_and_makes_no_brand(app, actions, maker):
    response = actions.post(
        "/seller/products/999999999/edit",
        {"name": "Ghost", "category_id": str(maker["laptops"]["id"]), "brand": "Ghost Brand"},
    )
    assert response.status_code == 404
    assert query_one(app, "SELECT count(*) AS n FROM brands")["n"] == 0


def test_the_creator_edits_brand_and_tags(app, actions, maker):
    create(actions, maker, brand="Lumetra", tags="old")
    product_id = last_product_id(app)
    form = actions.client.get(f"/seller/products/{product_id}/edit").get_data(as_text=True)
    assert 'value="Lumetra"' in form and 'value="old"' in form
    response = actions.post(
        f"/seller/products/{product_id}/edit",
        {"name": "Lumetra Air 14", "category_id": str(maker["laptops"]["id"]), "brand": "", "tags": "new, newer"},
    )
    assert response.status_code == 302
    labels = labels_of(app, product_id)
    assert labels["brand"] is None and labels["tags"] == ["new", "newer"]


def listed(app, seller_id, category_id, name, brand=None, tags=(), price="10.00", **attributes):
    """A listed product on offer, with a brand, tags and attribute values written directly."""
    from app import db as app_db
    from app.models import product_labels

    row = factories.product(app, seller_id, category_id, name=name)
    factories.offer(app, seller_id, row["id"], price, 1)
    with app.test_request_context(), app_db.transaction() as connection:
        product_labels.set_brand_and_tags(connection, row["id"], seller_id, brand, list(tags))
    for key, value in attributes.items():
        column = "value_number" if isinstance(value, int | float) else "value_text"
        run(
            app,
            f"INSERT INTO product_attributes (product_id, key, {column}) VALUES (:id, :key, :value)",  # noqa: S608
            id=row["id"],
            key=key,
            value=value,
        )
    return row


@pytest.fixture
def laptops(app, maker):
    seller, category = maker["seller"]["id"], maker["laptops"]["id"]
    listed(app, seller, category, "Lumetra Air 13", "Lumetra", ["travel"], "900.00", screen_size=13.3, colour="Silver")
    listed(
        app,
        seller,
        category,
        "Lumetra Air 15",
        "Lumetra",
        ["travel", "oled"],
        "1200.00",
        screen_size=15.6,
        colour="Black",
    )
    listed(app, seller, category, "Corvid Pro 16", "Corvid", ["gaming"], "1500.00", screen_size=16, colour="Black")
    listed(app, seller, category, "Plain laptop", None, [])
    return maker


def test_brand_and_tag_facets_count_the_matches(client, laptops):
    page = get(client, category=laptops["laptops"]["slug"]).get_data(as_text=True)
    assert ">Lumetra</a>" in page and ">Corvid</a>" in page
    assert "brand=lumetra" in page and "tag=travel" in page
    facets = page[page.index('aria-label="Brands and tags"') :]
    assert counted(facets, "Lumetra") == 2 and counted(facets, "Corvid") == 1
    assert counted(facets, "travel") == 2 and counted(facets, "oled") == 1


def counted(page: str, label: str) -> int:
    """The count in brackets after a facet's label."""
    return int(re.search(rf">{label}(?:</a>)?\s*<span[^>]*>\((\d+)", page).group(1))


@pytest.mark.parametrize(
    ("args", "names"),
    [
        ({"brand": "lumetra"}, ["Lumetra Air 13", "Lumetra Air 15"]),
        ({"brand": "no-such-brand"}, []),
        ({"tag": "travel"}, ["Lumetra Air 13", "Lumetra Air 15"]),
        ({"tag": "TRAVEL"}, ["Lumetra Air 13", "Lumetra Air 15"]),
        ({"tag": "oled", "brand": "lumetra"}, ["Lumetra Air 15"]),
        ({"attr.colour": "Black"}, ["Corvid Pro 16", "Lumetra Air 15"]),
        ({"attr.colour": ["Black", "Silver"]}, ["Corvid Pro 16", "Lumetra Air 13", "Lumetra Air 15"]),
        ({"attr.screen_size.min": "15"}, ["Corvid Pro 16", "Lumetra Air 15"]),
        ({"attr.screen_size.min": "14", "attr.screen_size.max": "15.6"}, ["Lumetra Air 15"]),
        ({"attr.screen_size.max": "14", "attr.colour": "Black"}, []),
    ],
)
def test_brand_tag_and_attribute_filters(client, laptops, args, names):
    response = get(client, category=laptops["laptops"]["slug"], sort="newest", **args)
    assert sorted(names_on(response)) == names


@pytest.mark.parametrize(
    ("scope", "args", "names"),
    [
        ("category", {"tag": "travel"}, ["Lumetra Air 13", "Lumetra Air 15"]),
        ("department", {"tag": "travel"}, ["Lumetra Air 13", "Lumetra Air 15"]),
        ("category", {"attr.colour": "Black"}, ["Corvid Pro 16", "Lumetra Air 15"]),
        ("category", {"tag": "travel", "attr.colour": ["Black", "Silver"]}, ["Lumetra Air 13", "Lumetra Air 15"]),
    ],
)
def test_filters_hold_when_the_browse_walks_its_sort_index(app, client, laptops, monkeypatch, scope, args, names):
    """Beyond COUNT_CAP a browse walks its sort's index, testing the tag on each row (search.HAS_TAG)."""
    from app.models import catalog_page, search

    monkeypatch.setattr(catalog_page, "COUNT_CAP", 1)
    monkeypatch.setattr(search, "SAMPLE_PERCENT", 100)  # the estimate is exact: no sampling luck
    walks = []
    for name in ("search_in_order", "search_department_in_order"):
        walk = getattr(search, name)
        monkeypatch.setattr(search, name, lambda *a, walk=walk, **k: walks.append(walk) or walk(*a, **k))
    category = laptops["laptops"]
    department = query_one(app, "SELECT slug FROM departments WHERE id = :id", id=category["department_id"])
    where = {"category": category["slug"]} if scope == "category" else {"department": department["slug"]}
    response = get(client, sort="newest", **where, **args)
    assert sorted(names_on(response)) == names and walks


@pytest.mark.parametrize(
    ("args", "note"),
    [
        ({"attr.screen_size.min": "abc"}, "screen size minimum “abc” is not a number"),
        ({"attr.screen_size.min": "-3"}, "screen size minimum “-3” is not a number"),
        ({"attr.screen_size.max": "1e999999"}, "is not a number from 0 to 999,999,999"),
        ({"attr.screen_size.max": "99999999999"}, "is not a number from 0 to 999,999,999"),
        ({"attr.screen_size.min": "NaN"}, "is not a number"),
        ({"attr.colour": "<b>Gold</b>"}, "is not a colour we list"),
        ({"attr.screen_size.min": "16", "attr.screen_size.max": "13"}, "were swapped"),
        ({"brand": "<script>"}, "That brand does not exist"),
        ({"tag": "<script>"}, "That tag is not one a product could have"),
    ],
)
def test_bad_filters_are_noted_never_a_500(client, laptops, args, note):
    response = get(client, category=laptops["laptops"]["slug"], **args)
    page = response.get_data(as_text=True)
    assert note.replace("“", "&#8220;") in page or note in page
    assert "<b>Gold</b>" not in page and "<script>" not in page.split("</head>")[1].split("<script")[0]


def test_attribute_filters_show_counts_and_ranges(client, laptops):
    page = get(client, category=laptops["laptops"]["slug"]).get_data(as_text=True)
    assert 'name="attr.colour" value="Black"' in page and 'name="attr.screen_size.min"' in page
    assert counted(page, "Black") == 2 and counted(page, "Silver") == 1
    assert 'placeholder="13.3"' in page and 'placeholder="16"' in page


def test_an_unknown_attribute_outside_its_category_is_ignored(client, laptops):
    response = get(client, **{"attr.colour": "Black"})  # no category: no attribute filters
    assert len(names_on(response)) == 4


def test_the_product_page_shows_brand_tags_and_specifications(app, client, laptops):
    product_id = query_one(app, "SELECT id FROM products WHERE name = 'Lumetra Air 15'")["id"]
    page = client.get(f"/products/{product_id}").get_data(as_text=True)
    assert 'href="/products?brand=lumetra">Lumetra</a>' in page
    assert 'href="/tags/oled"' in page and 'href="/tags/travel"' in page
    assert "Screen size</th>\n      <td>15.6 in</td>" in page
    assert "Colour</th>\n      <td>Black</td>" in page


def test_cards_show_the_brand(client, laptops):
    page = get(client, category=laptops["laptops"]["slug"]).get_data(as_text=True)
    assert 'product-card-brand">Lumetra</p>' in page


def test_the_tag_page_lists_sorts_and_pages(app, client, laptops):
    response = client.get("/tags/travel")
    assert response.status_code == 200
    assert sorted(names_on(response)) == ["Lumetra Air 13", "Lumetra Air 15"]
    assert names_on(client.get("/tags/travel?sort=price_desc")) == ["Lumetra Air 15", "Lumetra Air 13"]
    assert names_on(client.get("/tags/travel?sort=price_asc")) == ["Lumetra Air 13", "Lumetra Air 15"]
    assert client.get("/tags/nothing-here").status_code == 200
    assert "No products have this tag" in client.get("/tags/nothing-here").get_data(as_text=True)


def test_the_tag_page_normalises_and_refuses(client, laptops):
    assert client.get("/tags/TRAVEL").status_code == 301
    assert client.get("/tags/TRAVEL").headers["Location"].endswith("/tags/travel")
    for bad in ("%3Cscript%3E", "x" * 31, "a%26b", "%00"):
        assert client.get(f"/tags/{bad}").status_code == 404
    assert client.get("/tags/travel?page=abc&sort=%3Cx%3E").status_code == 200


def test_the_tag_page_pages_past_24(app, client, maker):
    seller, category = maker["seller"]["id"], maker["laptops"]["id"]
    for number in range(30):
        listed(app, seller, category, f"Tagged {number:02}", tags=["bulk"], price=f"{10 + number}.00")
    first = names_on(client.get("/tags/bulk?sort=price_asc"))
    second = names_on(client.get("/tags/bulk?sort=price_asc&page=2"))
    assert len(first) == 24 and len(second) == 6 and first[0] == "Tagged 00" and second[-1] == "Tagged 29"
    assert names_on(client.get("/tags/bulk?sort=price_asc&page=9")) == second  # past the end: the last page


def test_the_tag_page_runs_a_fixed_number_of_queries(app, client, maker, count_queries):
    seller, category = maker["seller"]["id"], maker["laptops"]["id"]
    listed(app, seller, category, "One", tags=["fixed"])
    with count_queries() as few:
        client.get("/tags/fixed")
    for number in range(10):
        listed(app, seller, category, f"More {number}", brand=f"Brand {number}", tags=["fixed"])
    with count_queries() as many:
        client.get("/tags/fixed")
    assert len(few) == len(many) <= 3  # the session, the wishlist (hearts on cards), the page and its count
    with count_queries() as past_the_end:
        client.get("/tags/fixed?page=5")
    assert len(past_the_end) == len(many) + 2  # then counted, and the last page read


def test_the_catalog_runs_a_fixed_number_of_queries_with_facets(app, client, laptops, count_queries):
    args = {"category": laptops["laptops"]["slug"], "attr.colour": "Black", "tag": "gaming", "brand": "corvid"}
    with count_queries() as few:
        get(client, **args)
    seller, category = laptops["seller"]["id"], laptops["laptops"]["id"]
    for number in range(10):
        listed(app, seller, category, f"Corvid {number}", "Corvid", ["gaming", f"t{number}"], colour="Black")
    with count_queries() as many:
        assert len(names_on(get(client, **args))) == 11
    # The catalog's 8, the count with the attribute filters (the category counts leave them out) and the
    # signed-in seller's wishlist (the hearts on the cards).
    assert len(few) == len(many) <= 10


def test_a_tag_with_html_is_escaped_wherever_it_shows(app, client, maker):
    """No tag can hold HTML, but a brand may hold & and ': they show escaped."""
    seller, category = maker["seller"]["id"], maker["laptops"]["id"]
    row = listed(app, seller, category, "Salted", brand="Salt & Thyme", tags=["x"])
    page = client.get(f"/products/{row['id']}").get_data(as_text=True)
    assert "Salt &amp; Thyme" in page and "Salt & Thyme" not in page


def edit(actions, maker, product_id, **fields):
    data = {"name": "Lumetra Air 14", "category_id": str(maker["laptops"]["id"]), "brand": "", "tags": ""} | fields
    return actions.post(f"/seller/products/{product_id}/edit", data)


def values_of(app, product_id: int) -> dict:
    row = query_one(
        app,
        """
        SELECT coalesce(jsonb_object_agg(key, coalesce(value_text, trim_scale(value_number)::text)), '{}') AS values
        FROM product_attributes
        WHERE product_id = :id
        """,
        id=product_id,
    )
    return row["values"]


def test_the_creator_sets_the_categorys_specifications(app, actions, maker):
    create(actions, maker)
    product_id = last_product_id(app)
    form = actions.client.get(f"/seller/products/{product_id}/edit").get_data(as_text=True)
    assert 'name="attr.screen_size"' in form and '<option value="Silver"' in form
    assert edit(actions, maker, product_id, **{"attr.screen_size": " 15.6 ", "attr.colour": "Black"}).status_code == 302
    assert values_of(app, product_id) == {"screen_size": "15.6", "colour": "Black"}
    form = actions.client.get(f"/seller/products/{product_id}/edit").get_data(as_text=True)
    assert 'value="15.6"' in form and '<option value="Black" selected>' in form
    assert edit(actions, maker, product_id, **{"attr.screen_size": ""}).status_code == 302
    assert values_of(app, product_id) == {}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"attr.screen_size": "big"}, "Enter the screen size as a number from 0 to 999,999,999."),
        ({"attr.screen_size": "-1"}, "Enter the screen size as a number from 0 to 999,999,999."),
        ({"attr.screen_size": "1e9999"}, "Enter the screen size as a number from 0 to 999,999,999."),
        ({"attr.screen_size": "9" * 40}, "Enter the screen size as a number from 0 to 999,999,999."),
        ({"attr.colour": "<b>Gold</b>"}, "Choose the colour from the list."),
    ],
)
def test_bad_specifications_are_refused_and_change_nothing(app, actions, maker, fields, message):
    create(actions, maker, brand="Lumetra", tags="keep")
    product_id = last_product_id(app)
    edit(actions, maker, product_id, brand="Lumetra", tags="keep", **{"attr.screen_size": "14"})
    response = edit(actions, maker, product_id, brand="Other", tags="changed", **fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and "<b>Gold</b>" not in page
    assert values_of(app, product_id) == {"screen_size": "14"}
    assert labels_of(app, product_id)["tags"] == ["keep"]


@pytest.fixture
def admin(app):
    from tests.test_admin import make_staff

    people, _ = make_staff(app, "administrator")
    return people


def test_an_administrator_adds_and_removes_a_categorys_attributes(app, admin, laptops):
    category_id = laptops["laptops"]["id"]
    page = admin.client.get(f"/admin/categories/{category_id}/attributes").get_data(as_text=True)
    assert "Screen size" in page and "Colour" in page
    response = admin.post(
        f"/admin/categories/{category_id}/attributes",
        {"label": "Weight", "key": "weight", "type": "number", "unit": "kg", "options": ""},
    )
    assert response.status_code == 302
    response = admin.post(
        f"/admin/categories/{category_id}/attributes",
        {"label": "Keyboard", "key": "keyboard", "type": "choice", "options": "UK, US, , UK, DE"},
    )
    assert response.status_code == 302
    row = query_one(app, "SELECT choices, position FROM category_attributes WHERE key = 'keyboard'")
    assert row == {"choices": ["UK", "US", "DE"], "position": 4}
    removed = admin.post(f"/admin/categories/{category_id}/attributes/colour/delete")
    assert removed.status_code == 302
    assert query_one(app, "SELECT count(*) AS n FROM product_attributes WHERE key = 'colour'")["n"] == 0
    assert query_one(app, "SELECT count(*) AS n FROM product_attributes WHERE key = 'screen_size'")["n"] == 3
    [added, dropped] = [
        query_one(app, "SELECT count(*) AS n FROM audit_log WHERE action = :action", action=action)["n"]
        for action in ("category.attribute_add", "category.attribute_remove")
    ]
    assert (added, dropped) == (2, 1)
    again = admin.post(f"/admin/categories/{category_id}/attributes/colour/delete", follow_redirects=True)
    assert "That attribute was removed already." in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"label": "Size", "key": "Screen Size", "type": "number"}, "A key is lower-case letters"),
        ({"label": "Size", "key": "screen_size", "type": "number"}, "has an attribute “screen_size” already"),
        ({"label": "", "key": "size", "type": "number"}, "Enter what shoppers see."),
        ({"label": "Size", "key": "size", "type": "colour"}, "Not a valid choice"),
        ({"label": "Size", "key": "size", "type": "choice", "options": " , "}, "List from 1 to 50 choices"),
        ({"label": "Size", "key": "size", "type": "text", "unit": "cm"}, "Only a number has a unit."),
        ({"label": "Size", "key": "size", "type": "number", "options": "a"}, "Only a choice attribute has choices."),
        ({"label": "<b>Size</b>", "key": "x" * 31, "type": "number"}, "Field cannot be longer than 30 characters."),
    ],
)
def test_bad_attribute_definitions_are_refused(app, admin, laptops, data, message):
    category_id = laptops["laptops"]["id"]
    response = admin.post(f"/admin/categories/{category_id}/attributes", {"unit": "", "options": ""} | data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and "<b>Size</b>" not in page
    assert (
        query_one(app, "SELECT count(*) AS n FROM category_attributes WHERE category_id = :id", id=category_id)["n"]
        == 2
    )


def test_attributes_are_the_administrators_alone(app, actions, laptops):
    category_id = laptops["laptops"]["id"]
    assert actions.client.get(f"/admin/categories/{category_id}/attributes").status_code == 404
    response = actions.post(f"/admin/categories/{category_id}/attributes", {"label": "X", "key": "x", "type": "text"})
    assert response.status_code == 404
    assert actions.post(f"/admin/categories/{category_id}/attributes/colour/delete").status_code == 404
    assert query_one(app, "SELECT count(*) AS n FROM product_attributes WHERE key = 'colour'")["n"] == 3


def test_a_product_moved_to_another_category_drops_the_values_it_does_not_define(app, actions, laptops):
    other = factories.category(app, name="Tablets")
    run(
        app,
        """
        INSERT INTO category_attributes (category_id, key, label, type, unit)
        VALUES (:id, 'screen_size', 'Screen', 'number', 'in')
        """,
        id=other["id"],
    )
    product_id = query_one(app, "SELECT id FROM products WHERE name = 'Lumetra Air 15'")["id"]
    run(app, "UPDATE products SET category_id = :category WHERE id = :id", category=other["id"], id=product_id)
    assert values_of(app, product_id) == {"screen_size": "15.6"}
    assert categories_of_values(app, product_id) == [other["id"]]  # what the filters' index reads
    client = app.test_client()
    assert names_on(client.get(f"/products?category={other['slug']}&attr.screen_size.min=15")) == ["Lumetra Air 15"]
    laptops_url = f"/products?category={laptops['laptops']['slug']}&attr.screen_size.min=15"
    assert names_on(client.get(laptops_url)) == ["Corvid Pro 16"]


def test_a_value_always_carries_its_products_category(app, laptops):
    """Whatever a writer gives, the trigger writes the product's category (migration 0034)."""
    product_id = query_one(app, "SELECT id FROM products WHERE name = 'Lumetra Air 13'")["id"]
    category_id = laptops["laptops"]["id"]
    other = factories.category(app, name="Tablets")
    assert categories_of_values(app, product_id) == [category_id, category_id]
    run(
        app,
        "UPDATE product_attributes SET category_id = :other WHERE product_id = :id",
        other=other["id"],
        id=product_id,
    )
    run(
        app,
        "INSERT INTO category_attributes (category_id, key, label, type) VALUES (:id, 'weight', 'Weight', 'number')",
        id=category_id,
    )
    run(
        app,
        """
        INSERT INTO product_attributes (product_id, category_id, key, value_number)
        VALUES (:id, :other, 'weight', 1.2)
        """,
        id=product_id,
        other=other["id"],
    )
    assert categories_of_values(app, product_id) == [category_id] * 3


def categories_of_values(app, product_id: int) -> list[int]:
    row = query_one(
        app,
        "SELECT array_agg(category_id ORDER BY key) AS categories FROM product_attributes WHERE product_id = :id",
        id=product_id,
    )
    return row["categories"]


def test_the_console_edits_brand_and_tags_with_an_audit_row(app, admin, laptops):
    product_id = query_one(app, "SELECT id FROM products WHERE name = 'Lumetra Air 15'")["id"]
    page = admin.client.get(f"/admin/products/{product_id}").get_data(as_text=True)
    assert 'value="Lumetra"' in page and 'value="oled, travel"' in page
    form = {"edit-name": "Lumetra Air 15", "edit-description": "", "edit-category_id": laptops["laptops"]["id"]}
    unchanged = admin.post(
        f"/admin/products/{product_id}/edit", form | {"edit-brand": "LUMETRA", "edit-tags": "travel, oled"}
    )
    assert unchanged.status_code == 302
    assert query_one(app, "SELECT count(*) AS n FROM audit_log WHERE action = 'product.edit'")["n"] == 0
    changed = admin.post(f"/admin/products/{product_id}/edit", form | {"edit-brand": "Corvid", "edit-tags": "Gaming"})
    assert changed.status_code == 302
    assert labels_of(app, product_id) == {"brand": "Corvid", "search_terms": "Corvid gaming", "tags": ["gaming"]}
    entry = query_one(
        app, "SELECT before::text AS before, after::text AS after FROM audit_log WHERE action = 'product.edit'"
    )
    assert '"Lumetra"' in entry["before"] and '"Corvid"' in entry["after"] and "gaming" in entry["after"]
    bad = admin.post(f"/admin/products/{product_id}/edit", form | {"edit-tags": "<i>x</i>"})
    assert bad.status_code == 400 and "letters, digits, spaces and hyphens only" in bad.get_data(as_text=True)


def test_a_tag_on_many_products_is_sorted_among_its_first_and_says_so(app, client, maker, monkeypatch):
    from app.models import catalog_page

    monkeypatch.setattr(catalog_page, "SORTED_CANDIDATES", 5)
    seller, category = maker["seller"]["id"], maker["laptops"]["id"]
    for number in range(8):
        listed(app, seller, category, f"Many {number}", tags=["many"], price=f"{90 - number}.00")
    page = client.get("/tags/many?sort=price_asc").get_data(as_text=True)
    assert "Sorted among the first 5 products with this tag." in page
    assert names_on(client.get("/tags/many?sort=price_asc")) == [f"Many {number}" for number in (4, 3, 2, 1, 0)]
    assert "Sorted among" not in client.get("/tags/travel").get_data(as_text=True)


def test_a_search_with_attribute_filters_counts_with_its_ranked_page(client, laptops, monkeypatch, count_queries):
    """Words and attribute filters: every match is ranked, and the ranking brings the count (no
    separate count); a page past the end is the last page; beyond COUNT_CAP it says "more than"."""
    from app.models import catalog_page

    args = {"q": "lumetra", "category": laptops["laptops"]["slug"], "attr.colour": ["Black", "Silver"]}
    with count_queries() as statements:
        response = get(client, **args)
    assert names_on(response) == ["Lumetra Air 13", "Lumetra Air 15"]
    assert result_count(response) == "1–2 of 2 results"
    assert not any("SELECT count(*) AS matches" in " ".join(statement.split()) for statement in statements)
    assert names_on(get(client, page="7", **args)) == ["Lumetra Air 13", "Lumetra Air 15"]
    assert names_on(get(client, **args | {"attr.colour": "Black"})) == ["Lumetra Air 15"]
    assert names_on(get(client, **args | {"attr.colour": "Black", "q": "corvid"})) == ["Corvid Pro 16"]
    monkeypatch.setattr(catalog_page, "COUNT_CAP", 1)
    assert result_count(get(client, **args)) == "1–2 of more than 1 results"  # as before: the page is whole
