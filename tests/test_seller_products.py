"""Creating and editing products with an uploaded image, checked and re-encoded by Pillow."""

import io
from decimal import Decimal

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app import images
from tests import factories
from tests.conftest import csrf_token, query_one


def picture(image_format: str = "PNG", size=(1200, 900), color=(200, 40, 40), mode: str = "RGB") -> bytes:
    """A real image made here, in the given format."""
    output = io.BytesIO()
    Image.new(mode, size, color).save(output, format=image_format)
    return output.getvalue()


def noisy_png(minimum_bytes: int) -> bytes:
    """A valid PNG larger than `minimum_bytes` (random pixels do not compress)."""
    side = int((minimum_bytes / 3) ** 0.5) + 64
    noise = Image.frombytes("RGB", (side, side), __import__("os").urandom(side * side * 3))
    output = io.BytesIO()
    noise.save(output, format="PNG", compress_level=0)
    assert len(output.getvalue()) > minimum_bytes
    return output.getvalue()


@pytest.fixture
def maker(app, actions):
    """A signed-in seller, and the departments and categories to choose from."""
    kitchen = factories.department(app, name="Kitchen")
    garden = factories.department(app, name="Garden")
    pans = factories.category(app, kitchen["id"], name="Pans")
    hoses = factories.category(app, garden["id"], name="Hoses")
    seller = actions.signed_in_user(full_name="Maya Maker")
    return {"seller": seller, "pans": pans, "hoses": hoses}


def upload(content: bytes, filename: str) -> FileStorage:
    """A file as a browser sends it; the type it claims is ignored by the app."""
    return FileStorage(io.BytesIO(content), filename=filename, content_type="image/png")


def post_multipart(client, path: str, data: dict):
    """POST a multipart form with its CSRF token, encoded in memory.

    The test client's own encoder spools bodies over 500 KB to a temporary file it never
    closes, which the ResourceWarning filter turns into a failure.
    """
    boundary, body = encode_multipart(data | {"csrf_token": csrf_token(client)})
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def create(actions, maker, image=None, filename="photo.png", **fields):
    data = {
        "name": "Cast Iron Pan",
        "description": "Heavy and seasoned.",
        "category_id": str(maker["pans"]["id"]),
        "price": "39.90",
        "quantity": "12",
    } | fields
    if image is not None:
        data["image"] = upload(image, filename)
    return post_multipart(actions.client, "/seller/products/new", data)


def product_count(app) -> int:
    return query_one(app, "SELECT count(*) AS n FROM products")["n"]


def test_the_form_groups_categories_by_department(client, maker):
    page = client.get("/seller/products/new").get_data(as_text=True)
    assert '<optgroup label="Garden">' in page and '<optgroup label="Kitchen">' in page
    assert 'enctype="multipart/form-data"' in page


def test_create_a_product_with_an_image_and_its_first_offer(app, actions, maker):
    response = create(actions, maker, picture("PNG", (1600, 1200)))
    assert response.status_code == 302
    product_id = int(response.headers["Location"].rsplit("/", 1)[1])
    product = query_one(app, "SELECT * FROM products WHERE id = :id", id=product_id)
    assert product["name"] == "Cast Iron Pan" and product["creator_id"] == maker["seller"]["id"]
    assert product["category_id"] == maker["pans"]["id"] and product["description"] == "Heavy and seasoned."
    assert product["offer_count"] == 1 and product["total_stock"] == 12 and product["min_price"] == Decimal("39.90")
    image = query_one(app, "SELECT * FROM images WHERE id = :id", id=product["image_id"])
    assert image["content_type"] == "image/webp" and image["uploader_id"] == maker["seller"]["id"]
    assert (image["width"], image["height"]) == (800, 600)  # fitted within 800 × 800, shape kept
    stored = Image.open(io.BytesIO(bytes(image["data"])))
    assert stored.format == "WEBP" and stored.size == (800, 600)
    event = query_one(
        app, "SELECT reason, delta, quantity_after FROM inventory_events WHERE product_id = :id", id=product_id
    )
    assert dict(event) == {"reason": "initial", "delta": 12, "quantity_after": 12}


@pytest.mark.parametrize(
    ("image_format", "mode"), [("JPEG", "RGB"), ("WEBP", "RGB"), ("PNG", "RGBA"), ("PNG", "P"), ("PNG", "L")]
)
def test_jpeg_webp_and_png_modes_are_accepted_and_small_ones_kept_small(app, actions, maker, image_format, mode):
    response = create(actions, maker, picture(image_format, (320, 200), mode=mode, color=1 if mode == "P" else None))
    assert response.status_code == 302
    image = query_one(
        app,
        "SELECT i.width, i.height FROM images AS i JOIN products AS p ON p.image_id = i.id WHERE p.id = :id",
        id=int(response.headers["Location"].rsplit("/", 1)[1]),
    )
    assert (image["width"], image["height"]) == (320, 200)


def test_a_product_without_an_image_uses_the_generated_picture(app, actions, maker):
    response = create(actions, maker, quantity="0")
    assert response.status_code == 302
    product_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert query_one(app, "SELECT image_id FROM products WHERE id = :id", id=product_id)["image_id"] is None
    # No stock: the offer exists, without an inventory event (a delta of 0 is not a change).
    assert query_one(app, "SELECT count(*) AS n FROM inventory_events WHERE product_id = :id", id=product_id)["n"] == 0


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"just some text, not a picture", "photo.png", "not a picture we can read"),
        (picture("GIF"), "photo.gif", "GIF images are not accepted"),
        (picture("BMP"), "photo.jpg", "BMP images are not accepted"),
        (picture("PNG")[:200], "photo.png", "not a picture we can read"),
        (b"", "photo.png", "The image file is empty."),
    ],
)
def test_files_that_are_not_accepted_images_are_refused(app, actions, maker, content, filename, message):
    before = product_count(app)
    response = create(actions, maker, content, filename=filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert product_count(app) == before
    assert query_one(app, "SELECT count(*) AS n FROM images")["n"] == 0


def test_an_image_over_5_mb_is_refused(app, actions, maker):
    response = create(actions, maker, noisy_png(images.MAX_UPLOAD_BYTES + 1000))
    assert response.status_code == 400
    assert "larger than 5 MB" in response.get_data(as_text=True)
    assert query_one(app, "SELECT count(*) AS n FROM images")["n"] == 0


def test_a_request_over_the_upload_limit_is_a_413(app, actions, maker):
    response = create(actions, maker, b"\0" * (7 * 1024 * 1024))
    assert response.status_code == 413


def test_a_decompression_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 1000)
    with pytest.raises(images.ImageRejected, match="too many pixels"):
        images.process_upload(io.BytesIO(picture("PNG", (100, 100))))


def test_metadata_is_dropped_and_the_image_turned_upright():
    source = Image.new("RGB", (400, 200), (0, 128, 0))
    exif = source.getexif()
    exif[0x0112] = 6  # orientation: rotate 90° to display
    exif[0x010E] = "secret description"
    output = io.BytesIO()
    source.save(output, format="JPEG", exif=exif.tobytes())
    processed = images.process_upload(io.BytesIO(output.getvalue()))
    assert (processed.width, processed.height) == (200, 400)
    assert b"secret description" not in processed.data


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Enter the product&#39;s name."),
        ({"name": "x" * 201}, "Field cannot be longer than 200 characters."),
        ({"description": "x" * 5001}, "Keep the description under 5,000 characters."),
        ({"category_id": "999999"}, "Not a valid choice."),
        ({"category_id": "kitchen"}, "Invalid Choice"),
        ({"price": "0"}, "Enter an amount from $0.01"),
        ({"quantity": "-5"}, "Enter a whole number from 0 to 1,000,000."),
    ],
)
def test_bad_product_details_are_refused(app, actions, maker, fields, message):
    before = product_count(app)
    response = create(actions, maker, picture(), **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert product_count(app) == before


# Editing


def test_the_creator_edits_details_and_replaces_the_image(app, client, actions, maker):
    response = create(actions, maker, picture("PNG"))
    product_id = int(response.headers["Location"].rsplit("/", 1)[1])
    old_image = query_one(app, "SELECT image_id FROM products WHERE id = :id", id=product_id)["image_id"]
    page = client.get(f"/seller/products/{product_id}/edit").get_data(as_text=True)
    assert 'value="Cast Iron Pan"' in page and "Replace the image" in page

    response = post_multipart(
        client,
        f"/seller/products/{product_id}/edit",
        {
            "name": "Enamel Pan",
            "description": "Lighter.",
            "category_id": str(maker["hoses"]["id"]),
            "image": upload(picture("JPEG", (500, 500), (0, 0, 255)), "new.jpg"),
        },
    )
    assert response.status_code == 302
    product = query_one(app, "SELECT * FROM products WHERE id = :id", id=product_id)
    assert product["name"] == "Enamel Pan" and product["category_id"] == maker["hoses"]["id"]
    assert product["image_id"] != old_image
    assert query_one(app, "SELECT count(*) AS n FROM images WHERE id = :id", id=old_image)["n"] == 0


def test_editing_without_a_new_image_keeps_the_old_one(app, actions, maker):
    product_id = int(create(actions, maker, picture()).headers["Location"].rsplit("/", 1)[1])
    image_id = query_one(app, "SELECT image_id FROM products WHERE id = :id", id=product_id)["image_id"]
    response = actions.post(
        f"/seller/products/{product_id}/edit",
        {"name": "Renamed", "description": "", "category_id": str(maker["pans"]["id"])},
    )
    assert response.status_code == 302
    product = query_one(app, "SELECT name, image_id FROM products WHERE id = :id", id=product_id)
    assert product["name"] == "Renamed" and product["image_id"] == image_id


def test_no_one_else_may_edit_a_product(app, client, actions, maker):
    product_id = int(create(actions, maker, picture()).headers["Location"].rsplit("/", 1)[1])
    actions.logout()
    actions.signed_in_user(full_name="Other Seller")
    assert client.get(f"/seller/products/{product_id}/edit").status_code == 403
    response = actions.post(
        f"/seller/products/{product_id}/edit",
        {"name": "Hijacked", "description": "", "category_id": str(maker["pans"]["id"])},
    )
    assert response.status_code == 403
    assert query_one(app, "SELECT name FROM products WHERE id = :id", id=product_id)["name"] == "Cast Iron Pan"
    assert client.get("/seller/products/999999/edit").status_code == 404


def test_a_bad_replacement_image_changes_nothing(app, actions, maker):
    product_id = int(create(actions, maker, picture()).headers["Location"].rsplit("/", 1)[1])
    response = post_multipart(
        actions.client,
        f"/seller/products/{product_id}/edit",
        {
            "name": "Renamed",
            "description": "",
            "category_id": str(maker["pans"]["id"]),
            "image": upload(picture("GIF"), "new.png"),
        },
    )
    assert response.status_code == 400
    assert query_one(app, "SELECT name FROM products WHERE id = :id", id=product_id)["name"] == "Cast Iron Pan"


def test_a_category_removed_after_the_form_checked_it_is_a_409_page(app, actions, maker, monkeypatch):
    """The form listed the category, then it went (merged away in that moment): a page that says
    so, status 409, and nothing created."""
    from app.models import seller_product

    gone = {"id": 10**9, "name": "Gone", "department_name": "Kitchen"}
    listed = seller_product.list_category_choices
    monkeypatch.setattr(seller_product, "list_category_choices", lambda: [*listed(), gone])
    before = product_count(app)
    response = create(actions, maker, category_id=str(gone["id"]))
    assert response.status_code == 409
    assert "removed a moment ago" in response.get_data(as_text=True)
    assert product_count(app) == before
