"""A member applies a coupon in the cart, pays part of the order with points, sees both on the
review page and places the order — in Chromium at a laptop's and a phone's width, no page scrolling
sideways; then finds the points spent on /account/points."""

import re
import uuid
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from app.models import address, cart, checkout, coupon, order
from tests import factories
from tests.browser.site import LAPTOP, PHONE, fits, open_context
from tests.conftest import TEST_PASSWORD


def give_points(app, buyer_id: int, seller_id: int, product_id: int) -> None:
    """Points the way a member earns them: a purchase delivered (one per dollar paid)."""
    with app.app_context():
        cart.set_line(buyer_id, seller_id, product_id, 1)
        placed = checkout.place_order(buyer_id, checkout.new_token())
        engine = app.extensions["bazaar_db"].engine
        with engine.connect() as connection:
            line_id = connection.execute(
                text("SELECT id FROM orders WHERE purchase_id = :p"), {"p": placed.purchase_id}
            ).scalar()
        order.mark_shipped(seller_id, [line_id], "Post", None)
        order.confirm_receipt(line_id, placed.purchase_id, buyer_id)


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366px", "390px"])
def test_coupon_and_points_at_checkout(browser, live_server, app, actions, viewport):
    tag = uuid.uuid4().hex[:6]
    seller = actions.create_user(full_name=f"Lamp Shop {tag}")
    lamp = factories.product(app, seller["id"], name=f"Brass Lamp {tag}")
    voucher = factories.product(app, seller["id"], name=f"Gift Card {tag}")
    factories.offer(app, seller["id"], lamp["id"], price="80.00", quantity=5)
    factories.offer(app, seller["id"], voucher["id"], price="300.00", quantity=1)
    buyer = actions.create_user(email=f"member-{tag}@example.com", balance="500.00")
    give_points(app, buyer["id"], seller["id"], voucher["id"])  # 300 points
    code = f"LAMP{tag.upper()}"
    with app.app_context():
        coupon.create_coupon(seller["id"], code, percent_off=Decimal("25"))
        where = {"full_name": "Member", "line1": "1 Lamp Lane", "city": "Lampton", "postal_code": "12345"}
        address.add_address(buyer["id"], where | {"line2": "", "country": "Lampland", "phone": ""}, True)
        cart.set_line(buyer["id"], seller["id"], lamp["id"], 1)

    context = open_context(browser, live_server, viewport)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("E-mail").fill(buyer["email"])
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.goto("/cart")
    expect(page.get_by_test_id("cart-total")).to_have_text("$80.00")
    fits(page)

    # A code that is not one is refused with the reason, and nothing is applied.
    page.get_by_label("Coupon code").fill("NOSUCHCODE")
    page.get_by_role("button", name="Apply coupon").click()
    expect(page.get_by_role("alert").filter(has_text="There is no coupon NOSUCHCODE.")).to_be_visible()
    fits(page)

    page.get_by_label("Coupon code").fill(code.lower())
    page.get_by_role("button", name="Apply coupon").click()
    expect(page.get_by_test_id("coupon-discount")).to_contain_text("−$20.00")
    expect(page.get_by_test_id("cart-pay")).to_have_text("$60.00")

    # Points: at most half of what is left, and no more than the member has.
    expect(page.get_by_text("You have 300 points; up to 300 can pay for this order")).to_be_visible()
    page.get_by_label("Pay with points").fill("250")
    page.get_by_role("button", name="Use points").click()
    expect(page.get_by_test_id("points-discount")).to_have_text("−$2.50")
    expect(page.get_by_test_id("cart-pay")).to_have_text("$57.50")
    fits(page)

    page.get_by_role("button", name="Proceed to checkout").click()
    expect(page.get_by_test_id("checkout-coupon")).to_have_text("−$20.00")
    expect(page.get_by_test_id("checkout-points")).to_have_text("−$2.50")
    expect(page.get_by_test_id("checkout-total")).to_have_text("$57.50")
    fits(page)
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("alert").first).to_contain_text("Your order is placed.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Purchase #")
    fits(page)

    page.goto("/account/points")
    expect(page.get_by_test_id("points-balance")).to_have_text("50")
    expect(page.get_by_role("table")).to_contain_text("Spent")
    fits(page)
    errors = context.errors
    context.close()
    assert errors == []
    with app.extensions["bazaar_db"].engine.connect() as connection:
        paid = connection.execute(text("SELECT balance FROM users WHERE id = :id"), {"id": buyer["id"]}).scalar()
    assert paid == Decimal("500.00") - Decimal("300.00") - Decimal("57.50")
    assert re.fullmatch(r"LAMP[0-9A-F]{6}", code)
