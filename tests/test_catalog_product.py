"""A product's page with every seller, its picture, and the home page's rows of products."""

import re

import pytest
from sqlalchemy import text

from app.page_cache import PageCache
from tests import factories


@pytest.fixture
def lamp(app, actions):
    """A lamp in Home › Lighting offered by three sellers, one of them out of stock, one reviewed."""
    creator = actions.create_user(full_name="Cora Creator")
    cheap = actions.create_user(full_name="Chet Cheap")
    dear = actions.create_user(full_name="Dora Dear")
    empty = actions.create_user(full_name="Emil Empty")
    reviewer = actions.create_user(full_name="Rita Reviewer")
    department = factories.department(app, "Home")
    category = factories.category(app, department["id"], "Lighting")
    product = factories.product(app, creator["id"], category["id"], "Brass desk lamp", "Warm light.\nSolid brass.")
    factories.offer(app, dear["id"], product["id"], "45.00", 2000)
    factories.offer(app, cheap["id"], product["id"], "30.00", 4)
    factories.offer(app, empty["id"], product["id"], "20.00", 0)
    factories.offer(app, creator["id"], product["id"], "99.00", 1, is_active=False)
    factories.product_review(app, product["id"], reviewer["id"], 4)
    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(
            text("UPDATE users SET seller_rating_count = 2, seller_rating_sum = 9 WHERE id = :id"), {"id": cheap["id"]}
        )
    return {
        "product": product,
        "department": department,
        "category": category,
        "creator": creator,
        "sellers": {"cheap": cheap, "dear": dear, "empty": empty},
    }


def seller_rows(page: str) -> list[str]:
    """The rows of the Sellers table, in order."""
    table = page[page.index('<table class="table align-middle sellers-table') :]
    table = table[: table.index("</table>")]
    return re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]


def seller_rows_to_compare(page: str) -> list[str]:
    """seller_rows without the CSRF token: signed with the time, it changes from second to second."""
    return [re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', row) for row in seller_rows(page)]


def test_product_page_shows_the_product(client, lamp):
    product = lamp["product"]
    page = client.get(f"/products/{product['id']}").get_data(as_text=True)
    assert "<h1" in page and "Brass desk lamp</h1>" in page
    assert re.search(r'src="/products/pictures/[a-z]+-[0-9a-f]{6}-1\.svg\?v=', page)  # the drawn cover
    assert 'alt="Brass desk lamp"' in page
    assert f'href="/products?department={lamp["department"]["slug"]}">Home</a>' in page
    assert f'href="/products?category={lamp["category"]["slug"]}">Lighting</a>' in page
    assert "Warm light.\nSolid brass." in page
    assert f'<a href="/users/{lamp["creator"]["id"]}">Cora Creator</a>' in page
    assert "4.0 out of 5" in page and "(1 review)" in page
    assert 'id="reviews"' in page and "Customers who bought this also bought" in page


def test_sellers_table_lists_active_offers_cheapest_first(client, lamp):
    page = client.get(f"/products/{lamp['product']['id']}").get_data(as_text=True)
    rows = seller_rows(page)
    assert [re.search(r'<a href="/users/\d+">([^<]+)</a>', row).group(1) for row in rows] == [
        "Emil Empty",
        "Chet Cheap",
        "Dora Dear",
    ]  # the creator's inactive offer is not shown
    assert "$20.00" in rows[0] and "Out of stock" in rows[0]
    assert "4.5" in rows[1] and "Not yet rated" in rows[2]


def test_each_offer_has_an_add_to_cart_form(client, lamp):
    product = lamp["product"]
    page = client.get(f"/products/{product['id']}").get_data(as_text=True)
    empty, cheap, dear = seller_rows(page)
    for row, seller, maximum in [(cheap, "cheap", 4), (dear, "dear", 999)]:
        seller_id = lamp["sellers"][seller]["id"]
        assert 'action="/cart/add"' in row and 'method="post"' in row
        assert '<input type="hidden" name="csrf_token" value="' in row and 'id="csrf_token"' not in row
        assert f'name="product_id" value="{product["id"]}"' in row
        assert f'name="seller_id" value="{seller_id}"' in row
        assert f'<label for="quantity-{seller_id}"' in row and f'id="quantity-{seller_id}"' in row
        assert 'type="number" name="quantity"' in row and 'min="1"' in row and f'max="{maximum}"' in row
        assert re.search(r'<button type="submit"[^>]*>Add to cart</button>', row)
    assert re.search(r"<button [^>]*disabled>Add to cart</button>", empty)


def test_a_seller_sees_their_own_offer_without_a_button(client, actions, lamp):
    actions.login(lamp["sellers"]["cheap"]["email"])
    page = client.get(f"/products/{lamp['product']['id']}").get_data(as_text=True)
    empty, cheap, dear = seller_rows(page)
    assert "Your offer" in cheap and "Add to cart" not in cheap
    assert "Add to cart" in dear


def test_adding_to_the_cart_from_the_product_page(client, actions, lamp):
    product, seller = lamp["product"], lamp["sellers"]["cheap"]
    response = actions.post(
        "/cart/add", {"product_id": product["id"], "seller_id": seller["id"], "quantity": 2}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "to your cart" in response.get_data(as_text=True)


def test_a_product_no_one_offers_still_has_its_page(client, app, actions):
    creator = actions.create_user()
    product = factories.product(app, creator["id"], name="Retired kettle")
    page = client.get(f"/products/{product['id']}").get_data(as_text=True)
    assert "Retired kettle" in page and "No seller offers this product" in page


def test_a_best_seller_lists_its_sellers_ten_a_page(client, app, actions):
    creator = actions.create_user()
    product = factories.product(app, creator["id"], name="Popular kettle")
    for number in range(12):
        seller = actions.create_user(full_name=f"Seller {number:02}")
        factories.offer(app, seller["id"], product["id"], f"{10 + number}.00", 5)
    first = client.get(f"/products/{product['id']}").get_data(as_text=True)
    assert len(seller_rows(first)) == 10 and "Seller 00" in first and "Seller 10" not in first
    assert "1–10 of 12 sellers" in first
    assert f'href="/products/{product["id"]}?sellers_page=2#sellers-heading"' in first
    second = client.get(f"/products/{product['id']}?sellers_page=2").get_data(as_text=True)
    assert [re.search(r'<a href="/users/\d+">([^<]+)</a>', row).group(1) for row in seller_rows(second)] == [
        "Seller 10",
        "Seller 11",
    ]
    # Past the last page shows the last; anything not a page number shows the first.
    assert seller_rows_to_compare(
        client.get(f"/products/{product['id']}?sellers_page=99").get_data(as_text=True)
    ) == seller_rows_to_compare(second)
    for odd in ("0", "-3", "x", "9" * 40, "<b>"):
        response = client.get(f"/products/{product['id']}", query_string={"sellers_page": odd})
        assert response.status_code == 200 and seller_rows_to_compare(
            response.get_data(as_text=True)
        ) == seller_rows_to_compare(first)


@pytest.mark.parametrize(
    "path",
    [
        "/products/0",
        "/products/123456789",
        "/products/-1",
        "/products/abc",
        "/products/1.5",
        "/products/99999999999999999999",
    ],
)
def test_unknown_or_malformed_products_are_404(client, path):
    assert client.get(path).status_code == 404
    assert client.get(f"{path}/image").status_code == 404


def test_product_page_runs_a_fixed_number_of_queries(app, client, actions, lamp, count_queries):
    product = lamp["product"]
    with count_queries() as few:
        client.get(f"/products/{product['id']}")
    for number in range(5):
        seller = actions.create_user()
        factories.offer(app, seller["id"], product["id"], f"{50 + number}.00", 3)
        factories.product_review(app, product["id"], seller["id"], rating=1 + number % 5)
    with count_queries() as many:
        page = client.get(f"/products/{product['id']}").get_data(as_text=True)
    assert len(seller_rows(page)) == 8
    assert page.count('class="border-bottom pb-3 mb-3"') >= 5  # the reviews are listed too
    # Product, its offers, its gallery, also-bought, and the reviews' list and summary.
    assert len(few) == len(many) <= 6


def test_a_signed_in_visitors_product_page_runs_five_statements(app, client, actions, lamp, count_queries):
    """The session's row (with the wishlist's ids for the hearts), the shared parts' versions, the
    reviews' page and their summary (with the viewer's own review and whether they sell it), and
    recently viewed's record-and-list."""
    actions.login(actions.create_user()["email"])
    app.config["PAGE_CACHE_SECONDS"] = 30  # the shared parts are kept (the tests' app keeps nothing)
    app.extensions["page_cache"] = PageCache(30, 8 * 1024 * 1024)
    try:
        client.get(f"/products/{lamp['product']['id']}")  # fills the shared parts
        with count_queries() as statements:
            page = client.get(f"/products/{lamp['product']['id']}").get_data(as_text=True)
    finally:
        app.config["PAGE_CACHE_SECONDS"] = 0
        app.extensions["page_cache"] = PageCache(1, 1024)
    assert "wishlist-heart" in page and "Write a review" in page
    assert len(statements) == 5, statements


def test_a_product_without_an_upload_gets_a_drawn_picture(client, app, actions):
    creator = actions.create_user()
    product = factories.product(app, creator["id"], name='Rock & Roll <b>"Amp"</b>')
    response = client.get(f"/products/{product['id']}/image")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and "<path" in svg or "<rect" in svg
    assert "Amp" not in svg  # drawn from the category and the product's id alone, never from its text
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no external fonts or images
    assert response.headers["ETag"] and "public" in response.headers["Cache-Control"]
    assert "max-age=" in response.headers["Cache-Control"]


def test_pictures_answer_304_when_unchanged(client, app, actions):
    creator = actions.create_user()
    product = factories.product(app, creator["id"], name="Teapot")
    first = client.get(f"/products/{product['id']}/image")
    again = client.get(f"/products/{product['id']}/image", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    other = client.get(f"/products/{product['id']}/image", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_the_picture_colour_varies_by_product_within_its_category(client, app, actions):
    creator = actions.create_user()
    category = factories.category(app)
    pictures = [
        client.get(f"/products/{factories.product(app, creator['id'], category['id'], name)['id']}/image").get_data(
            as_text=True
        )
        for name in ("Apple", "Banana")
    ]
    inks = {svg.split('color="#')[1][:6] for svg in pictures}
    assert len(inks) == 2
    shapes = {svg.split("<g color=")[1].split(">", 1)[1] for svg in pictures}
    assert len(shapes) == 1  # one category, one glyph


def test_an_uploaded_image_is_served_with_its_type(client, app, actions):
    creator = actions.create_user()
    product = factories.product(app, creator["id"], name="Photo frame")
    data = b"\x89PNG\r\n\x1a\nnot really a png"
    with app.extensions["bazaar_db"].transaction() as connection:
        image_id = connection.execute(
            text(
                """
                INSERT INTO images (uploader_id, content_type, width, height, data)
                VALUES (:uploader_id, 'image/png', 1, 1, :data)
                RETURNING id
                """
            ),
            {"uploader_id": creator["id"], "data": data},
        ).scalar()
        connection.execute(
            text("UPDATE products SET image_id = :image_id WHERE id = :id"), {"image_id": image_id, "id": product["id"]}
        )
    response = client.get(f"/products/{product['id']}/image")
    assert response.status_code == 200 and response.mimetype == "image/png" and response.get_data() == data
    again = client.get(f"/products/{product['id']}/image", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.fixture
def storefront(app, actions):
    seller = actions.create_user()
    category = factories.category(app)
    made = []
    for number in range(8):
        product = factories.product(app, seller["id"], category["id"], f"Gadget {number}")
        factories.offer(app, seller["id"], product["id"], "9.99", 5)
        with app.extensions["bazaar_db"].transaction() as connection:
            connection.execute(
                text(
                    """
                    UPDATE products
                    SET units_sold = :sold, created_at = now() - make_interval(days => :age)
                    WHERE id = :id
                    """
                ),
                {"sold": number * 10, "age": number, "id": product["id"]},
            )
        made.append(product)
    factories.product(app, seller["id"], category["id"], "Gadget nobody sells")
    return made


def test_home_page_shows_best_sellers_and_new_arrivals(client, storefront):
    page = client.get("/").get_data(as_text=True)
    best = page[page.index('id="best-sellers-heading"') : page.index('id="new-arrivals-heading"')]
    newest = page[page.index('id="new-arrivals-heading"') :]
    card_names = re.compile(r'<a class="stretched-link" href="/products/\d+">([^<]+)</a>')
    assert card_names.findall(best) == [f"Gadget {number}" for number in (7, 6, 5, 4, 3, 2)]
    assert card_names.findall(newest) == [f"Gadget {number}" for number in (0, 1, 2, 3, 4, 5)]
    assert "Gadget nobody sells" not in page


def test_home_page_runs_a_fixed_number_of_queries(app, client, actions, count_queries):
    with count_queries() as empty:
        client.get("/")
    seller = actions.create_user()
    for number in range(10):
        product = factories.product(app, seller["id"], name=f"Thing {number}")
        factories.offer(app, seller["id"], product["id"], "1.00", 1)
    with count_queries() as full:
        client.get("/")
    assert len(empty) == len(full) <= 4
