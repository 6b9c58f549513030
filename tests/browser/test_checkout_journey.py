"""A guest fills a cart, registers, and the cart follows; they top up, place the order,
see the purchase and cancel a line — in a real browser."""

import re
import uuid

from playwright.sync_api import expect

from tests import factories


def test_guest_cart_to_purchase_and_cancellation(page, app, actions, mailbox):
    tag = uuid.uuid4().hex[:6]
    seller = actions.create_user(full_name=f"Shop {tag}")
    kettle = factories.product(app, seller["id"], name=f"Copper Kettle {tag}")
    teapot = factories.product(app, seller["id"], name=f"Glass Teapot {tag}")
    factories.offer(app, seller["id"], kettle["id"], price="30.00", quantity=5)
    factories.offer(app, seller["id"], teapot["id"], price="12.50", quantity=5)

    # As a guest: two of the kettle, one teapot.
    page.goto(f"/products/{kettle['id']}")
    page.get_by_label(f"Quantity from Shop {tag}").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Added 2 × Copper Kettle {tag} to your cart.")
    page.goto(f"/products/{teapot['id']}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_test_id("cart-count")).to_contain_text("3")

    page.get_by_role("link", name=re.compile("^Cart")).click()
    expect(page.get_by_test_id("cart-total")).to_have_text("$72.50")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("E-mail").fill(f"buyer-{tag}@example.com")
    page.get_by_label("Full name").fill("Guest Turned Buyer")
    page.get_by_label("Shipping address").fill("7 Checkout Lane")
    page.get_by_label("Password", exact=True).fill("buyer-pass-123")
    page.get_by_label("Repeat password").fill("buyer-pass-123")
    page.get_by_role("button", name="Create account").click()
    # The 6-digit code comes by e-mail (caught by a real SMTP server); it confirms the address and signs in.
    code_field = page.get_by_label("6-digit code")
    expect(code_field).to_be_visible()
    code_field.fill(mailbox.code(f"buyer-{tag}@example.com"))
    page.get_by_role("button", name="Confirm").click()

    # Registration brought the guest back to the cart, now kept in the account.
    expect(page).to_have_url(re.compile(r"/cart$"))
    expect(page.get_by_test_id("cart-total")).to_have_text("$72.50")
    expect(page.get_by_text("Your balance is $72.50 short.")).to_be_visible()

    # Adding money from here returns to the cart.
    page.get_by_role("link", name="Add money").click()
    page.get_by_label("Amount to add").fill("100")
    page.get_by_role("button", name="Add money").click()
    expect(page).to_have_url(re.compile(r"/cart$"))
    expect(page.get_by_role("alert")).to_contain_text("Your balance is $100.00.")

    # The review: the profile's address (no address book yet), each seller's shipping, the total.
    page.get_by_role("button", name="Proceed to checkout").click()
    expect(page.get_by_role("main")).to_contain_text("7 Checkout Lane")
    expect(page.get_by_test_id("checkout-total")).to_have_text("$72.50")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("alert")).to_contain_text("Your order is placed.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Purchase #")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("$27.50")

    # Cancel the teapot: a confirmation says what comes back, then it is refunded and the line says so.
    page.get_by_role("link", name=f"Cancel Glass Teapot {tag}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cancel 1 × Glass Teapot {tag}?")
    expect(page.get_by_role("main")).to_contain_text("$12.50 goes back to your balance")
    expect(page.get_by_role("main")).to_contain_text("it becomes $40.00")
    page.get_by_role("button", name="Cancel the line and refund $12.50").click()
    expect(page.get_by_role("alert")).to_contain_text("Line cancelled: $12.50 is back in your balance.")
    teapot_row = page.get_by_role("listitem").filter(has_text=f"Glass Teapot {tag}")
    expect(teapot_row).to_contain_text("Cancelled")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("$40.00")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Your purchases").click()
    expect(page.get_by_role("table")).to_contain_text("Placed")
