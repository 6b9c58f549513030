"""Product galleries (issue 17): up to 8 pictures in order with alt text, re-encoded as WebP at a
display size and a thumbnail, never cropped; bombs, oversized files and a 9th picture refused;
someone else's product or entries change nothing; the pictures served immutable with ETags."""

import io

import pytest
from PIL import Image
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app import images, pictures
from app.models import admin_products, audit, product_image
from app.page_cache import PageCache
from tests import factories
from tests.conftest import query_one
from tests.test_images import bomb_png
from tests.test_seller_products import noisy_png, picture, post_multipart, upload


@pytest.fixture
def lamp(app, actions):
    """A signed-in seller's product, with no picture yet."""
    seller = actions.signed_in_user(full_name="Gail Gallery")
    product = factories.product(app, seller["id"], name="Brass desk lamp")
    factories.offer(app, seller["id"], product["id"], "25.00", 5)
    return {"seller": seller, "product": product}


def add(actions, product_id: int, content: bytes, alt_text: str = "", filename: str = "photo.png"):
    return post_multipart(
        actions.client,
        f"/seller/products/{product_id}/images",
        {"image": upload(content, filename), "alt_text": alt_text},
    )


def gallery(app, product_id: int) -> list[dict]:
    with app.extensions["bazaar_db"].transaction() as connection:
        rows = connection.execute(
            text(
                """
                SELECT g.id, g.position, g.image_id, g.drawn_view, g.alt_text, i.width, i.height,
                       i.thumbnail_width, i.thumbnail_height, i.content_type, i.data, i.thumbnail
                FROM product_images AS g
                LEFT JOIN images AS i ON i.id = g.image_id
                WHERE g.product_id = :product_id
                ORDER BY g.position
                """
            ),
            {"product_id": product_id},
        )
        return [dict(row) for row in rows.mappings()]


def cover(app, product_id: int):
    return query_one(app, "SELECT image_id FROM products WHERE id = :id", id=product_id)["image_id"]


def drawn_entries(app, product_id: int, views=(1, 2, 3)) -> None:
    with app.extensions["bazaar_db"].transaction() as connection:
        for position, view in enumerate(views, 1):
            connection.execute(
                text("INSERT INTO product_images (product_id, position, drawn_view, alt_text) VALUES (:p, :n, :v, :a)"),
                {"p": product_id, "n": position, "v": view, "a": f"{pictures.VIEWS[view].capitalize()} view"},
            )


# Re-encoding


def test_a_400_by_300_upload_keeps_its_shape_as_webp_with_a_thumbnail():
    processed = images.process_upload(io.BytesIO(picture(size=(400, 300))))
    assert (processed.width, processed.height) == (400, 300)  # never enlarged, never cropped
    assert (processed.thumbnail_width, processed.thumbnail_height) == (320, 240)
    for data, size in ((processed.data, (400, 300)), (processed.thumbnail, (320, 240))):
        with Image.open(io.BytesIO(data)) as decoded:
            assert decoded.format == "WEBP" and decoded.size == size


def test_a_tall_photo_fits_within_the_display_size_and_the_thumbnail():
    processed = images.process_upload(io.BytesIO(picture(size=(1000, 3000))))
    assert (processed.width, processed.height) == (267, 800)
    assert (processed.thumbnail_width, processed.thumbnail_height) == (107, 320)


def test_a_30000_by_30000_png_is_refused_before_decoding(app, actions, lamp):
    bomb = bomb_png(30_000, 30_000)
    assert len(bomb) < 100
    response = add(actions, lamp["product"]["id"], bomb)
    assert response.status_code == 400
    assert "too many pixels" in response.get_data(as_text=True)
    assert gallery(app, lamp["product"]["id"]) == []


def test_a_file_over_the_limit_is_refused(app, actions, lamp):
    response = add(actions, lamp["product"]["id"], noisy_png(images.MAX_UPLOAD_BYTES + 1))
    assert response.status_code == 400
    assert "larger than 5 MB" in response.get_data(as_text=True)
    assert gallery(app, lamp["product"]["id"]) == []


def test_a_file_that_is_not_an_image_is_refused(app, actions, lamp):
    response = add(actions, lamp["product"]["id"], b"%PDF-1.7 not a picture", filename="lamp.png")
    assert response.status_code == 400
    assert "not a picture we can read" in response.get_data(as_text=True)
    assert gallery(app, lamp["product"]["id"]) == []


def test_no_file_is_a_form_error(app, actions, lamp):
    response = actions.post(f"/seller/products/{lamp['product']['id']}/images", {"alt_text": "x"})
    assert response.status_code == 400 and "Choose an image file to add." in response.get_data(as_text=True)


# Adding, the cover, the 9th picture


def test_pictures_are_added_in_order_and_the_first_is_the_cover(app, actions, lamp):
    product_id = lamp["product"]["id"]
    first = add(actions, product_id, picture(size=(400, 300)), "The lamp, lit")
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/seller/products/{product_id}/images")
    add(actions, product_id, picture(color=(0, 90, 200)), "Its brass base")
    rows = gallery(app, product_id)
    assert [(row["position"], row["alt_text"]) for row in rows] == [(1, "The lamp, lit"), (2, "Its brass base")]
    assert cover(app, product_id) == rows[0]["image_id"]
    assert (rows[0]["width"], rows[0]["height"]) == (400, 300)
    page = actions.client.get(f"/seller/products/{product_id}/images").get_data(as_text=True)
    assert "Picture 1 of 2 (the cover)" in page and 'value="Its brass base"' in page


def test_a_ninth_picture_is_refused_with_a_clear_message(app, actions, lamp):
    product_id = lamp["product"]["id"]
    small = picture(size=(40, 30))
    for _ in range(product_image.MAX_IMAGES):
        assert add(actions, product_id, small).status_code == 302
    page = actions.client.get(f"/seller/products/{product_id}/images").get_data(as_text=True)
    assert "This product has 8 pictures, the most a product shows" in page
    response = add(actions, product_id, small)
    assert response.status_code == 409
    assert "A product shows at most 8 images: remove one before adding another." in response.get_data(as_text=True)
    assert len(gallery(app, product_id)) == 8
    assert query_one(app, "SELECT count(*) AS n FROM images")["n"] == 8


def test_the_model_refuses_a_ninth_picture_under_the_lock(app, lamp):
    product_id, seller_id = lamp["product"]["id"], lamp["seller"]["id"]
    processed = images.process_upload(io.BytesIO(picture(size=(40, 30))))
    with app.app_context():
        for _ in range(8):
            assert product_image.add_image(product_id, seller_id, processed, "")
        with pytest.raises(product_image.GalleryRefused, match="at most 8"):
            product_image.add_image(product_id, seller_id, processed, "")


def test_the_product_form_upload_replaces_the_cover_in_the_gallery(app, actions, lamp):
    product_id = lamp["product"]["id"]
    drawn_entries(app, product_id, (1, 2))
    response = post_multipart(
        actions.client,
        f"/seller/products/{product_id}/edit",
        {
            "name": "Brass desk lamp",
            "description": "",
            "category_id": str(lamp["product"]["category_id"]),
            "image": upload(picture(), "new.png"),
        },
    )
    assert response.status_code == 302
    rows = gallery(app, product_id)
    assert rows[0]["image_id"] and rows[0]["drawn_view"] is None and rows[1]["drawn_view"] == 2
    assert cover(app, product_id) == rows[0]["image_id"]


# Alt text, order, removal


def test_alt_text_reorder_and_removal_keep_positions_contiguous_and_the_cover_in_step(app, actions, lamp):
    product_id = lamp["product"]["id"]
    for colour in ((200, 0, 0), (0, 200, 0), (0, 0, 200)):
        add(actions, product_id, picture(size=(60, 40), color=colour))
    first, second, third = (row["id"] for row in gallery(app, product_id))
    base = f"/seller/products/{product_id}/images"
    assert actions.post(f"{base}/{second}/alt", {"alt_text": "  The green one  "}).status_code == 302
    assert gallery(app, product_id)[1]["alt_text"] == "The green one"
    assert actions.post(f"{base}/order", {"order": f"{third},{first},{second}"}).status_code == 302
    rows = gallery(app, product_id)
    assert [row["id"] for row in rows] == [third, first, second]
    assert cover(app, product_id) == rows[0]["image_id"]
    removed_image = rows[0]["image_id"]
    assert actions.post(f"{base}/{third}/remove").status_code == 302
    rows = gallery(app, product_id)
    assert [(row["id"], row["position"]) for row in rows] == [(first, 1), (second, 2)]
    assert cover(app, product_id) == rows[0]["image_id"]
    assert query_one(app, "SELECT count(*) AS n FROM images WHERE id = :id", id=removed_image)["n"] == 0


def test_removing_the_last_picture_clears_the_cover(app, actions, lamp):
    product_id = lamp["product"]["id"]
    add(actions, product_id, picture(size=(60, 40)))
    (only,) = gallery(app, product_id)
    actions.post(f"/seller/products/{product_id}/images/{only['id']}/remove")
    assert gallery(app, product_id) == [] and cover(app, product_id) is None


@pytest.mark.parametrize(
    ("order", "status", "message"),
    [
        ("", 400, "This form is out of date"),
        ("abc", 400, "This form is out of date"),
        ("{a},{a},{b}", 400, "This form is out of date"),  # twice
        ("{a},-{b},{c}", 400, "This form is out of date"),
        ("{a},{b}", 409, "The gallery changed meanwhile"),  # one missing
        ("{a},{b},{c},99999", 409, "The gallery changed meanwhile"),  # one more
        ("{a},{b},{other}", 409, "The gallery changed meanwhile"),  # another product's entry
        ("1,2,3,4,5,6,7,8,9", 400, "This form is out of date"),
        ("9" * 40, 400, "This form is out of date"),
    ],
)
def test_bad_reorders_change_nothing(app, actions, lamp, order, status, message):
    product_id = lamp["product"]["id"]
    drawn_entries(app, product_id, (1, 2, 3))
    other = factories.product(app, lamp["seller"]["id"], name="Other lamp")
    drawn_entries(app, other["id"], (1,))
    before = gallery(app, product_id)
    a, b, c = (row["id"] for row in before)
    wanted = order.format(a=a, b=b, c=c, other=gallery(app, other["id"])[0]["id"])
    response = actions.post(f"/seller/products/{product_id}/images/order", {"order": wanted})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert gallery(app, product_id) == before


def test_alt_text_too_long_or_with_control_characters_changes_nothing(app, actions, lamp):
    product_id = lamp["product"]["id"]
    drawn_entries(app, product_id, (1,))
    (entry,) = gallery(app, product_id)
    for bad in ("x" * 251, "bell\x07"):
        response = actions.post(f"/seller/products/{product_id}/images/{entry['id']}/alt", {"alt_text": bad})
        assert response.status_code == 400
    assert "under 250 characters" in actions.post(
        f"/seller/products/{product_id}/images/{entry['id']}/alt", {"alt_text": "x" * 251}
    ).get_data(as_text=True)
    assert gallery(app, product_id) == [entry]


def test_forms_without_a_csrf_token_are_refused(app, actions, lamp):
    product_id = lamp["product"]["id"]
    drawn_entries(app, product_id, (1, 2))
    first, second = (row["id"] for row in gallery(app, product_id))
    base = f"/seller/products/{product_id}/images"
    for path, data in (
        (f"{base}/{first}/alt", {"alt_text": "x"}),
        (f"{base}/{first}/remove", {}),
        (f"{base}/order", {"order": f"{second},{first}"}),
    ):
        assert actions.client.post(path, data=data).status_code == 400
    assert [row["id"] for row in gallery(app, product_id)] == [first, second]
    assert gallery(app, product_id)[0]["alt_text"] == "Front view"


def test_another_sellers_product_and_entries_are_out_of_reach(app, actions, lamp):
    """A second seller gets 403 on the first one's product and 404 on entries of another product
    sent through their own; nothing changes."""
    owner_product = lamp["product"]["id"]
    drawn_entries(app, owner_product, (1, 2))
    theirs = [row["id"] for row in gallery(app, owner_product)]
    actions.logout()
    intruder = actions.signed_in_user(full_name="Ivy Intruder")
    own = factories.product(app, intruder["id"], name="Intruder's lamp")
    base = f"/seller/products/{owner_product}/images"
    assert actions.client.get(base).status_code == 403
    assert add(actions, owner_product, picture(size=(40, 30))).status_code == 403
    assert actions.post(f"{base}/{theirs[0]}/alt", {"alt_text": "mine"}).status_code == 403
    assert actions.post(f"{base}/{theirs[0]}/remove").status_code == 403
    assert actions.post(f"{base}/order", {"order": f"{theirs[1]},{theirs[0]}"}).status_code == 403
    mine = f"/seller/products/{own['id']}/images"
    assert actions.post(f"{mine}/{theirs[0]}/alt", {"alt_text": "mine"}).status_code == 404
    assert actions.post(f"{mine}/{theirs[0]}/remove").status_code == 404
    assert actions.post(f"{mine}/order", {"order": f"{theirs[1]},{theirs[0]}"}).status_code == 409
    assert [(row["id"], row["alt_text"]) for row in gallery(app, owner_product)] == [
        (theirs[0], "Front view"),
        (theirs[1], "Side view"),
    ]
    with app.app_context():
        assert not product_image.remove_image(owner_product, intruder["id"], theirs[0])
        assert not product_image.reorder(owner_product, intruder["id"], theirs[::-1])
    assert actions.client.get("/seller/products/999999999999999999999/images").status_code == 404


# The product page and the pictures it links


def test_the_product_page_shows_the_gallery_with_thumbnails_linking_to_each_picture(app, client, actions, lamp):
    product_id = lamp["product"]["id"]
    add(actions, product_id, picture(size=(400, 300)), 'A <b>"lit"</b> lamp')
    drawn_entries_after(app, product_id)
    actions.logout()
    page = client.get(f"/products/{product_id}").get_data(as_text=True)
    assert 'role="region" aria-label="Pictures of Brass desk lamp"' in page
    assert f'src="/products/{product_id}/images/' in page and "/display.webp" in page and "/thumbnail.webp" in page
    assert 'width="400" height="300"' in page  # the display image keeps its shape
    assert 'alt="A &lt;b&gt;&#34;lit&#34;&lt;/b&gt; lamp"' in page and "<b>" not in page
    assert 'alt="Brass desk lamp, picture 2 of 2"' not in page and 'alt="Side view"' in page
    for number in (1, 2):
        assert f'id="picture-{number}"' in page and f'href="#picture-{number}"' in page
    assert "Previous picture" in page and "Next picture" in page and "js/gallery." in page


def drawn_entries_after(app, product_id: int) -> None:
    """A drawn side view after the product's uploaded pictures."""
    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(
            text(
                """
                INSERT INTO product_images (product_id, position, drawn_view, alt_text)
                SELECT :p, count(*) + 1, 2, 'Side view' FROM product_images WHERE product_id = :p
                """
            ),
            {"p": product_id},
        )


def test_gallery_images_are_immutable_with_etags_and_only_in_their_product(app, client, actions, lamp):
    product_id = lamp["product"]["id"]
    add(actions, product_id, picture(size=(400, 300)))
    (entry,) = gallery(app, product_id)
    for size, data, dimensions in (
        ("display", entry["data"], (400, 300)),
        ("thumbnail", entry["thumbnail"], (320, 240)),
    ):
        url = f"/products/{product_id}/images/{entry['image_id']}/{size}.webp"
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/webp"
        assert response.get_data() == bytes(data)
        with Image.open(io.BytesIO(response.get_data())) as decoded:
            assert decoded.size == dimensions
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
    other = factories.product(app, lamp["seller"]["id"], name="Other")
    assert client.get(f"/products/{other['id']}/images/{entry['image_id']}/display.webp").status_code == 404
    assert client.get(f"/products/{product_id}/images/{entry['image_id']}/original.webp").status_code == 404
    assert client.get(f"/products/{product_id}/images/99999999999999999999/display.webp").status_code == 404
    small = client.get(f"/products/{product_id}/image")  # the cards' URL: the thumbnail, checked by ETag
    assert small.get_data() == bytes(entry["thumbnail"]) and "immutable" not in small.headers["Cache-Control"]


def test_the_product_page_runs_the_same_queries_with_a_full_gallery(app, client, actions, lamp, count_queries):
    product_id = lamp["product"]["id"]
    actions.logout()
    app.config["PAGE_CACHE_SECONDS"] = 0
    with count_queries() as empty:
        assert client.get(f"/products/{product_id}").status_code == 200
    drawn_entries(app, product_id, (1, 2, 3, 4, 1, 2, 3, 4))
    with count_queries() as full:
        page = client.get(f"/products/{product_id}").get_data(as_text=True)
    assert page.count('class="gallery-slide"') == 8
    assert len(empty) == len(full)


# Drawn pictures


def test_drawn_pictures_differ_by_category_and_product_and_follow_a_variant_colour(app):
    with app.test_request_context():
        from app.routes.catalog import drawn_picture_url

        laptop = {"id": 7, "category_id": 1, "category_slug": "laptops", "department_slug": "electronics"}
        other_laptop = laptop | {"id": 8}
        shoe = {"id": 7, "category_id": 22, "category_slug": "shoes", "department_slug": "clothing"}
        unknown = {"id": 7, "category_id": 99, "category_slug": "x", "department_slug": "y"}
        urls = [drawn_picture_url(item) for item in (laptop, other_laptop, shoe, unknown)]
        red = drawn_picture_url(laptop, 2, colour="Red")
    assert urls[0].startswith("/products/pictures/laptop-") and urls[2].startswith("/products/pictures/shoe-")
    assert urls[3].startswith("/products/pictures/box-")
    assert urls[0] != urls[1]  # the same glyph in another shade
    assert red.startswith("/products/pictures/laptop-c62828-2.svg?v=")
    assert pictures.ink_for(7, 1, "Ultraviolet") == pictures.ink_for(7, 1)  # an unknown name: the usual ink


@pytest.mark.parametrize("glyph", pictures.GLYPHS)
def test_every_glyph_draws_in_every_view_and_is_cached_for_a_year(client, glyph):
    with client.application.test_request_context():
        from app.routes.catalog import _picture_template_digest

        digest = _picture_template_digest()
    for view in pictures.VIEWS:
        response = client.get(f"/products/pictures/{glyph}-1f5fbf-{view}.svg?v={digest}")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        svg = response.get_data(as_text=True)
        assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>") and 'color="#1f5fbf"' in svg
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert client.get(response.request.url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    stale = client.get(f"/products/pictures/{glyph}-1f5fbf-1.svg?v=old")
    assert "immutable" not in stale.headers["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    ["nothing-1f5fbf-1.svg", "laptop-1F5FBF-1.svg", "laptop-1f5fb-1.svg", "laptop-1f5fbf-5.svg", "laptop-1f5fbf-0.svg",
     "laptop-%3Cb%3E-1.svg", "laptop-1f5fbf-1.png"],
)  # fmt: skip
def test_bad_picture_paths_are_404(client, path):
    assert client.get(f"/products/pictures/{path}").status_code == 404


def test_a_gallery_entry_is_an_image_or_a_drawn_view_never_both_and_at_most_8(app, lamp):
    product_id = lamp["product"]["id"]
    for sql in (
        "INSERT INTO product_images (product_id, position) VALUES (:p, 1)",
        "INSERT INTO product_images (product_id, position, drawn_view) VALUES (:p, 9, 1)",
        "INSERT INTO product_images (product_id, position, drawn_view) VALUES (:p, 1, 5)",
    ):
        with (
            pytest.raises(IntegrityError, match="check constraint"),
            app.extensions["bazaar_db"].transaction() as connection,
        ):
            connection.execute(text(sql), {"p": product_id})


def test_deleting_a_product_deletes_its_gallery_and_uploaded_images(app, actions, lamp):
    product_id = lamp["product"]["id"]
    add(actions, product_id, picture(size=(60, 40)))
    add(actions, product_id, picture(size=(40, 60)))
    drawn_entries_after(app, product_id)
    with app.app_context():
        admin_products.delete_product(product_id, "Duplicate listing", audit.Actor(None, "administrator"))
    assert query_one(app, "SELECT count(*) AS n FROM product_images")["n"] == 0
    assert query_one(app, "SELECT count(*) AS n FROM images")["n"] == 0


def test_the_edit_page_links_to_the_pictures(actions, lamp):
    product_id = lamp["product"]["id"]
    page = actions.client.get(f"/seller/products/{product_id}/edit").get_data(as_text=True)
    assert f'href="/seller/products/{product_id}/images">Pictures: add, order and describe up to 8</a>' in page


def test_a_guest_sees_a_gallery_change_at_once_through_the_page_cache(app, lamp):
    """A gallery change writes the product row (its cover), which bumps the product's cache version."""
    app.config["PAGE_CACHE_SECONDS"] = 30
    app.extensions["page_cache"] = PageCache(30, 8 * 1024 * 1024)
    try:
        guest = app.test_client()
        product_id, seller_id = lamp["product"]["id"], lamp["seller"]["id"]
        assert 'id="picture-2"' not in guest.get(f"/products/{product_id}").get_data(as_text=True)
        drawn_entries(app, product_id, (1,))
        with app.app_context():
            processed = images.process_upload(io.BytesIO(picture(size=(60, 40))))
            assert product_image.add_image(product_id, seller_id, processed, "Lit at night")
        assert 'alt="Lit at night"' in guest.get(f"/products/{product_id}").get_data(as_text=True)
        entry_id = gallery(app, product_id)[1]["id"]
        with app.app_context():
            assert product_image.set_alt_text(product_id, seller_id, entry_id, "Lit at dusk")
        assert 'alt="Lit at dusk"' in guest.get(f"/products/{product_id}").get_data(as_text=True)
    finally:
        app.config["PAGE_CACHE_SECONDS"] = 0
        app.extensions["page_cache"] = PageCache(1, 1024)


def test_a_cover_without_a_gallery_row_still_shows(app, client, lamp):
    """An upload an older server made during the rollout sets only products.image_id."""
    product_id = lamp["product"]["id"]
    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(
            text(
                """
                WITH image AS (
                    INSERT INTO images (uploader_id, content_type, width, height, data)
                    VALUES (:seller, 'image/webp', 1, 1, '\\x52494646')
                    RETURNING id
                )
                UPDATE products SET image_id = (SELECT id FROM image) WHERE id = :id
                """
            ),
            {"seller": lamp["seller"]["id"], "id": product_id},
        )
    page = client.get(f"/products/{product_id}").get_data(as_text=True)
    assert f'src="/products/{product_id}/image"' in page
