"""The order journey in Chromium at a laptop's and a phone's width: the buyer adds an address,
reviews the order (another shipping method reprices it at once; the address; a note) and places it;
the seller marks it shipped with a tracking number; the buyer confirms receipt and asks for a
return; the seller accepts it with a refund; the buyer sees the refund in the purchase's header.
No page scrolls sideways."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from app.models import shipping
from tests import factories
from tests.browser.site import LAPTOP, PHONE, fits, open_context, sign_in
from tests.conftest import Actions


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366px", "390px"])
def test_address_review_place_ship_confirm_return_refund(browser, live_server, app, viewport):
    tag = uuid.uuid4().hex[:6]
    people = Actions(app, app.test_client())
    seller = people.create_user(email=f"lamps-{tag}@example.com", full_name=f"Lamp Works {tag}")
    buyer = people.create_user(email=f"jo-{tag}@example.com", full_name=f"Jo Buyer {tag}", balance="200")
    lamp = factories.product(app, seller["id"], name=f"Brass Reading Lamp {tag}")
    factories.offer(app, seller["id"], lamp["id"], price="40.00", quantity=5)
    with app.test_request_context():
        for name, fee, days in (("Courier", "6.50", 1), ("Economy", "2.00", 5)):
            shipping.add_method(
                seller["id"], {"name": name, "fee": fee, "free_over": None, "min_days": days, "max_days": days + 2}
            )
    buyer_context = open_context(browser, live_server, viewport)
    seller_context = open_context(browser, live_server, viewport)
    page, shop = buyer_context.new_page(), seller_context.new_page()
    sign_in(page, buyer["email"])
    sign_in(shop, seller["email"])

    # An address for the address book.
    page.goto("/account/addresses/new")
    fits(page)
    page.get_by_label("Full name").fill(f"Jo Buyer {tag}")
    page.get_by_label("Street and number").fill("221 Baker Street")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("Postal code").fill("12345")
    page.get_by_label("Country").fill("United States")
    page.get_by_role("button", name="Save address").click()
    expect(page.get_by_role("alert")).to_contain_text("Address saved.")
    fits(page)

    # The lamp in the cart, then the review: the seller's courier, the address, a note, the total.
    page.goto(f"/products/{lamp['id']}")
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/cart")
    page.get_by_role("button", name="Proceed to checkout").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your order")
    expect(page.get_by_label(re.compile("221 Baker Street"))).to_be_checked()
    expect(page.get_by_test_id("checkout-total")).to_have_text("$42.00")  # the cheapest method first
    page.get_by_label(f"Shipping from Lamp Works {tag}").select_option(label="Courier, 1–3 days: $6.50")
    expect(page.get_by_test_id("checkout-total")).to_have_text("$46.50")  # repriced at once, nothing placed
    fits(page)
    page.get_by_label("Note to the sellers (optional)").fill("Ring twice, please.")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("alert")).to_contain_text("Your order is placed.")
    expect(page.get_by_test_id("line-status")).to_have_text("Placed")
    purchase_url = page.url
    fits(page)

    # The seller ships it: the lines to ship, oldest first, then the carrier and tracking number.
    shop.goto("/seller/orders")
    expect(shop.get_by_role("main")).to_contain_text("221 Baker Street")
    expect(shop.get_by_role("main")).to_contain_text("Ring twice, please.")
    fits(shop)
    shop.get_by_role("link", name=re.compile(r"^Mark shipped")).click()
    fits(shop)
    shop.get_by_label("Carrier").fill("DHL")
    shop.get_by_label("Tracking number (optional)").fill("JD0123456")
    shop.get_by_role("button", name="Mark shipped").click()
    expect(shop.get_by_role("alert")).to_contain_text("Marked 1 line shipped")
    expect(shop.get_by_role("main")).to_contain_text("Nothing to ship")

    # The buyer confirms receipt and asks for a return, saying why.
    page.goto(purchase_url)
    expect(page.get_by_role("main")).to_contain_text("JD0123456")
    page.get_by_role("button", name=re.compile(r"^Confirm receipt")).click()
    expect(page.get_by_role("alert")).to_contain_text("the line is delivered")
    page.get_by_role("link", name=re.compile(r"^Return")).click()
    fits(page)
    page.get_by_label("Why are you returning it?").fill("The shade arrived dented.")
    page.get_by_role("button", name="Ask to return").click()
    expect(page.get_by_role("alert")).to_contain_text("Return requested")
    expect(page.get_by_test_id("line-status")).to_have_text("Return requested")

    # The seller accepts it: the lamp comes back to stock and the buyer is refunded.
    shop.goto("/seller/orders?status=return_requested")
    expect(shop.get_by_role("main")).to_contain_text("The shade arrived dented.")
    shop.get_by_role("link", name=re.compile(r"^Answer return")).click()
    fits(shop)
    shop.get_by_label(re.compile("It comes back to me")).check()
    shop.get_by_role("button", name="Accept and refund").click()
    expect(shop.get_by_role("alert")).to_contain_text("Return accepted: $40.00 refunded to the buyer")

    page.goto(purchase_url)
    expect(page.get_by_test_id("line-status")).to_have_text("Refunded")
    expect(page.get_by_test_id("original-total")).to_have_text("$46.50")
    expect(page.get_by_test_id("refunds")).to_have_text("-$40.00")
    expect(page.get_by_test_id("net-paid")).to_have_text("$6.50")
    fits(page)
    page.get_by_role("link", name="Invoice").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invoice for purchase #")
    fits(page)
    errors = buyer_context.errors + seller_context.errors
    buyer_context.close()
    seller_context.close()
    assert errors == []
