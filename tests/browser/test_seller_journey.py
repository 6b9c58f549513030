"""A seller creates a product with a photo, a buyer orders it, the seller ships it — in a real browser."""

import io
import re
import uuid

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import _console_error
from tests.conftest import TEST_PASSWORD, Actions


def photo() -> bytes:
    """A real PNG, larger than the standard size so the app has to shrink it."""
    image = Image.new("RGB", (1200, 900), (240, 200, 60))
    ImageDraw.Draw(image).ellipse((300, 150, 900, 750), fill=(30, 90, 200))
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Welcome back")


def test_create_sell_buy_and_fulfil(page, browser, live_server, app):
    run = uuid.uuid4().hex[:8]
    product_name = f"Journey Lamp {run}"
    department = factories.department(app, name=f"Lighting {run}")
    factories.category(app, department["id"], name="Desk lamps")
    people = Actions(app, app.test_client())
    seller = people.create_user(email=f"seller-{run}@example.com", full_name="Journey Seller")
    buyer = people.create_user(email=f"buyer-{run}@example.com", full_name="Journey Buyer", address="77 Buyer Lane")

    # The seller creates the product with an uploaded photo and a first offer.
    sign_in(page, seller["email"])
    page.get_by_role("button", name=re.compile(r"^Sell")).click()
    page.get_by_role("link", name="Create a product").click()
    page.get_by_label("Product name").fill(product_name)
    page.get_by_label("Description").fill("A warm light for long evenings.")
    page.get_by_label("Category").select_option(label="Desk lamps")
    page.get_by_label("Image").set_input_files({"name": "lamp.png", "mimeType": "image/png", "buffer": photo()})
    page.get_by_label("Price").fill("45.50")
    page.get_by_label("Quantity in stock").fill("3")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("alert")).to_contain_text(f"{product_name} is created and for sale.")
    expect(page.get_by_role("heading", name=product_name)).to_be_visible()
    expect(page.get_by_role("cell", name="Initial stock")).to_be_visible()

    # It is in the catalog, with the uploaded (re-encoded) photo.
    page.goto(f"/products?q={product_name}")
    page.get_by_role("link", name=product_name).click()
    expect(page.get_by_role("heading", name=product_name)).to_be_visible()
    picture = page.get_by_role("img", name=re.compile(product_name))
    expect(picture.first).to_be_visible()
    assert picture.first.evaluate("image => image.complete && image.naturalWidth") == 800

    # Another person, in their own browser context, tops up and buys it.
    buyer_context = browser.new_context(base_url=live_server)
    buyer_context.set_default_timeout(10_000)
    buyer_page = buyer_context.new_page()
    buyer_errors: list[str] = []
    buyer_page.on("pageerror", lambda error: buyer_errors.append(str(error)))
    buyer_page.on("console", lambda message: _console_error(message, buyer_errors))
    sign_in(buyer_page, buyer["email"])
    buyer_page.goto("/account/balance")
    buyer_page.get_by_label("Amount to add").fill("100")
    buyer_page.get_by_role("button", name="Add money").click()
    expect(buyer_page.get_by_role("alert")).to_contain_text("Added $100.00")
    buyer_page.goto(f"/products?q={product_name}")
    buyer_page.get_by_role("link", name=product_name).click()
    buyer_page.get_by_role("button", name="Add to cart").click()
    buyer_page.goto("/cart")
    buyer_page.get_by_role("button", name="Proceed to checkout").click()
    buyer_page.get_by_role("button", name="Place order").click()
    expect(buyer_page.get_by_role("alert")).to_contain_text("Your order is placed.")
    purchase_url = buyer_page.url
    expect(buyer_page.get_by_role("listitem").filter(has_text=product_name)).to_contain_text("Placed")

    # The seller sees the line to ship, with the buyer's address, and marks it shipped.
    page.goto("/seller")
    expect(page.get_by_test_id("pending-count")).to_have_text("1 orders to fulfil")
    page.get_by_role("button", name=re.compile(r"^Sell")).click()
    page.get_by_role("link", name="Orders 1 to fulfil").click()
    line = page.get_by_role("row", name=re.compile(product_name))
    expect(line).to_contain_text("Journey Buyer")
    expect(line).to_contain_text("77 Buyer Lane")
    line.get_by_role("link", name=re.compile("Mark shipped")).click()
    page.get_by_label("Carrier").fill("Parcel Post")
    page.get_by_role("button", name="Mark shipped").click()
    expect(page.get_by_role("alert")).to_contain_text("Marked 1 line shipped")
    page.goto("/seller/orders?status=shipped")
    expect(page.get_by_role("row", name=re.compile(product_name))).to_contain_text("Parcel Post")
    expect(page.get_by_test_id("pending-count")).to_have_count(0)

    # The stock history shows the sale, and its chart draws without a console error.
    page.goto("/seller/inventory")
    page.get_by_role("link", name=product_name).first.click()
    expect(page.get_by_role("cell", name=re.compile("^Sale"))).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Line chart of stock"))).to_be_visible()

    # The buyer's purchase page shows the line shipped.
    buyer_page.goto(purchase_url)
    expect(buyer_page.get_by_role("listitem").filter(has_text=product_name).first).to_contain_text("Shipped")
    buyer_context.close()
    assert buyer_errors == []
