"""Reviews, helpful votes and messages in a real browser, and hostile text that must not run."""

import re
import uuid

from playwright.sync_api import expect
from sqlalchemy import text

from tests import factories
from tests.conftest import TEST_PASSWORD

PAYLOADS = [
    '<script>alert("title")</script>',
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(2)>',
    "javascript:alert(3)",
]


def sign_in(page, email):
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Welcome back")


def sign_out(page, name):
    page.get_by_role("button", name=name).click()  # the account menu
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert")).to_contain_text("You are signed out.")


def bought(app, actions, tag):
    seller = actions.create_user(full_name=f"Seller {tag}")
    buyer = actions.create_user(full_name=f"Buyer {tag}", balance="100")
    product = factories.product(app, seller["id"], name=f"Trail Lantern {tag}")
    factories.offer(app, seller["id"], product["id"], price="20.00")
    with app.app_context():
        from app.models import cart, checkout, order

        cart.set_line(buyer["id"], seller["id"], product["id"], 1)
        purchase_id = checkout.place_order(buyer["id"], checkout.new_token()).purchase_id
        # Shipped: only a shipped line makes its buyer's review a verified purchase.
        with app.extensions["bazaar_db"].connect() as connection:
            line_ids = (
                connection.execute(text("SELECT id FROM orders WHERE purchase_id = :id"), {"id": purchase_id})
                .scalars()
                .all()
            )
        order.mark_fulfilled(seller["id"], list(line_ids))
    return seller, buyer, product, purchase_id


def test_review_vote_and_message(page, app, actions):
    tag = uuid.uuid4().hex[:6]
    seller, buyer, product, purchase_id = bought(app, actions, tag)
    voter = actions.create_user(full_name=f"Voter {tag}")

    sign_in(page, buyer["email"])
    page.goto(f"/purchases/{purchase_id}")
    page.get_by_role("link", name=f"Review product Trail Lantern {tag}").click()
    page.get_by_label("Rating").select_option("5")
    page.get_by_label("Title").fill("Bright and light")
    page.get_by_label("Review", exact=True).fill("Lasted a whole weekend.")
    page.get_by_role("button", name="Publish review").click()
    expect(page.get_by_role("alert")).to_contain_text("Thank you for your review.")
    expect(page.get_by_role("article")).to_contain_text("Verified purchase")

    page.goto(f"/purchases/{purchase_id}")
    page.get_by_role("link", name=f"Review Seller {tag}").click()
    page.get_by_label("Rating").select_option("4")
    page.get_by_label("Title").fill("Quick shipping")
    page.get_by_label("Review", exact=True).fill("Well packed.")
    page.get_by_role("button", name="Publish review").click()
    expect(page.get_by_role("alert")).to_contain_text("Thank you for your review.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Reviews of Seller {tag}")

    page.goto(f"/purchases/{purchase_id}")
    page.get_by_role("link", name=f"Message Seller {tag}").click()
    page.get_by_label("Message", exact=True).fill("Could you add spare batteries?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_contain_text("Message sent.")
    sign_out(page, f"Buyer {tag}")

    sign_in(page, voter["email"])
    page.goto(f"/products/{product['id']}")
    page.get_by_role("button", name=re.compile(r"^Helpful\s*: Bright and light")).click()
    expect(page.get_by_role("alert")).to_contain_text("Thanks for your vote.")
    expect(page.get_by_test_id("helpful-count")).to_have_text("1 person found this helpful")
    sign_out(page, f"Voter {tag}")

    sign_in(page, seller["email"])
    expect(page.get_by_test_id("unread-count")).to_have_text("1 unread messages")
    page.goto("/messages")
    page.get_by_role("link", name=f"Buyer {tag}").click()
    expect(page.get_by_role("list", name="Messages")).to_contain_text("Could you add spare batteries?")
    page.get_by_label("Message", exact=True).fill("Yes, two sets are on their way.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("list", name="Messages").get_by_role("listitem")).to_have_count(2)
    expect(page.get_by_test_id("unread-count")).to_have_count(0)


def test_hostile_text_is_shown_and_never_runs(page, app, actions):
    tag = uuid.uuid4().hex[:6]
    seller, buyer, product, purchase_id = bought(app, actions, tag)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    sign_in(page, buyer["email"])
    page.goto("/account")
    page.get_by_label("Full name").fill(PAYLOADS[1])
    page.get_by_label("Shipping address").fill(PAYLOADS[2])
    page.get_by_role("button", name="Save profile").click()
    page.goto(f"/products/{product['id']}/review")
    page.get_by_label("Rating").select_option("1")
    page.get_by_label("Title").fill(PAYLOADS[0])
    page.get_by_label("Review", exact=True).fill(" ".join(PAYLOADS))
    page.get_by_role("button", name="Publish review").click()
    page.goto(f"/messages/{purchase_id}/{seller['id']}")
    page.get_by_label("Message", exact=True).fill(" ".join(PAYLOADS))
    page.get_by_role("button", name="Send").click()

    for path in [
        f"/products/{product['id']}",
        "/account/reviews",
        f"/messages/{purchase_id}/{seller['id']}",
        f"/users/{buyer['id']}",
    ]:
        page.goto(path)
        expect(page.locator("main")).to_contain_text(PAYLOADS[0] if "users" not in path else PAYLOADS[1])
    assert dialogs == []
