"""Shopper lists in Chromium: a guest hearts a product, signs in and finds it on their wishlist;
a guest's recently viewed row fills in on pages served from the guest cache."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.site import sign_in


@pytest.fixture
def lamps(app, actions):
    """Three lamps in stock and a buyer, committed for the live server."""
    word = uuid.uuid4().hex[:6]
    seller = actions.create_user(full_name=f"Seller {word}")
    buyer = actions.create_user(email=f"buyer-{word}@example.com", full_name=f"Buyer {word}")
    products = []
    for number in range(3):
        product = factories.product(app, seller["id"], name=f"Lamp {word} {number}")
        factories.offer(app, seller["id"], product["id"], f"{10 + number}.00", 7)
        products.append(product)
    return {"word": word, "buyer": buyer, "products": products}


def test_a_guest_hearts_a_product_signs_in_and_finds_it_on_their_wishlist(page, lamps):
    first = lamps["products"][0]
    page.goto(f"/products/{first['id']}")
    heart = page.get_by_role("button", name=f"Add {first['name']} to wishlist")
    expect(heart).to_have_attribute("aria-pressed", "false")
    heart.click()
    expect(page.get_by_role("alert").first).to_contain_text(f"{first['name']} added to your wishlist.")
    pressed = page.get_by_role("button", name=f"Remove {first['name']} from wishlist")
    expect(pressed).to_have_attribute("aria-pressed", "true")

    page.get_by_role("link", name="Wishlist").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your wishlist")
    expect(page.get_by_role("link", name=first["name"])).to_be_visible()

    sign_in(page, lamps["buyer"]["email"])
    page.goto("/account/wishlist")
    items = page.get_by_role("list", name="Products on your wishlist")
    expect(items.get_by_role("link", name=first["name"])).to_be_visible()
    expect(items.get_by_role("button", name=re.compile(f"^Move to cart :? ?{first['name']}"))).to_be_visible()
    # Its heart on the product page is pressed for the account too.
    page.goto(f"/products/{first['id']}")
    expect(page.get_by_role("button", name=f"Remove {first['name']} from wishlist")).to_have_attribute(
        "aria-pressed", "true"
    )


def test_recently_viewed_fills_in_on_a_cached_guest_page_and_clears(page, lamps):
    first, second, third = lamps["products"]
    page.goto(f"/products/{first['id']}")
    page.goto(f"/products/{second['id']}")
    row = page.get_by_test_id("recently-viewed")
    expect(row.get_by_role("link", name=first["name"])).to_be_visible()  # filled in by the script
    expect(row.get_by_role("link", name=second["name"])).to_have_count(0)  # never the page's own product
    page.goto("/")
    expect(page.get_by_test_id("recently-viewed").get_by_role("link", name=second["name"])).to_be_visible()
    page.goto(f"/products/{third['id']}")
    page.goto("/")
    page.get_by_test_id("recently-viewed").get_by_role("button", name="Clear recently viewed products").click()
    expect(page.get_by_role("alert").first).to_contain_text("Your recently viewed products are cleared.")
    expect(page.get_by_test_id("recently-viewed")).to_have_count(0)
    page.goto(f"/products/{first['id']}")  # the only one viewed since: nothing else to show
    expect(page.get_by_test_id("recently-viewed")).to_have_count(0)


def test_unticked_cart_lines_wait_for_later_and_the_cart_clears(page, app, lamps):
    from app.models import cart

    first, second, _ = lamps["products"]
    seller_id = first["creator_id"]
    with app.test_request_context():
        for product in (first, second):
            cart.set_line(lamps["buyer"]["id"], seller_id, product["id"], 1)
    sign_in(page, lamps["buyer"]["email"])
    page.goto("/cart")
    page.get_by_role("checkbox", name=re.compile(f"Check out now :? ?{second['name']}")).uncheck()
    page.get_by_role("button", name="Proceed to checkout").click()
    expect(page).to_have_url(re.compile(r"/checkout$"))
    expect(page.get_by_role("main")).to_contain_text(first["name"])
    expect(page.get_by_role("main")).not_to_contain_text(second["name"])
    page.goto("/cart")
    expect(page.get_by_role("heading", name=re.compile("Saved for later"))).to_be_visible()
    page.get_by_role("link", name="Clear cart").click()
    page.get_by_role("button", name="Clear cart").click()
    expect(page.get_by_role("alert").first).to_contain_text("Your cart is empty now.")
