"""A small shop with every kind of page filled in, and the checks every page must pass in Chromium:
no sideways scrolling, the page's main action on screen, and no axe-core violation."""

import io
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import text

from app import images
from app.models import (
    address,
    admin_coupons,
    audit,
    cart,
    checkout,
    coupon,
    feedback,
    message,
    order,
    passkey,
    product_image,
    recently_viewed,
    review,
    review_report,
    sale,
    shipping,
    variant,
    wishlist,
)
from app.models import seller as seller_model
from app.models import session as session_model
from tests import factories
from tests.browser.conftest import _console_error
from tests.conftest import TEST_PASSWORD, Actions
from tests.sales import buy

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
LONG_NAME = "Hand-carved Mid-century Modern Solid Teak Wood Coffee Table with Two Drawers"


@dataclass
class Shop:
    """Ids and names of the rows the pages show."""

    tag: str
    seller: dict
    buyer: dict
    admin: dict
    moderator: dict
    products: list[dict] = field(default_factory=list)
    low_stock_product: dict | None = None
    purchase_id: int = 0
    pending_line_id: int = 0
    shipped_line_id: int = 0
    delivered_line_id: int = 0
    returned_line_id: int = 0
    category_slug: str = ""
    coupon_code: str = ""
    coupon_id: int = 0
    platform_coupon_id: int = 0
    review_id: int = 0  # the buyer's product review, reported to the moderators
    other_review_id: int = 0  # someone else's review of the same product: the buyer may report it
    address_id: int = 0
    shipping_method_id: int = 0
    other_session_id: int = 0  # the buyer signed in on a phone too
    passkey_id: int = 0
    family_id: int = 0  # a product in sizes (issue 17): its variants carry the offers


def add_gallery(app, product: dict, seller: dict) -> None:
    """A gallery of three: an uploaded 4:3 photo (the cover), then the drawn side view and close-up."""
    photo = io.BytesIO()
    Image.new("RGB", (400, 300), (150, 90, 40)).save(photo, format="PNG")
    with app.test_request_context():
        processed = images.process_upload(io.BytesIO(photo.getvalue()))
        product_image.add_image(product["id"], seller["id"], processed, "The table from the front, oiled")
    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(
            text(
                """
                INSERT INTO product_images (product_id, position, drawn_view, alt_text)
                VALUES (:id, 2, 2, 'The table from the side'), (:id, 3, 3, 'A close-up of its drawer')
                """
            ),
            {"id": product["id"]},
        )


def build_shop(app) -> Shop:
    """A seller with thirty offers (one low on stock, one on sale), coupons and shipping methods; a
    buyer with purchases (a line placed, one shipped, one delivered, one they asked to return), points,
    an address, a passkey, a second session, reviews, feedback, a message thread, a wishlist, recently
    viewed products and a cart larger than their balance; an administrator and a moderator with a
    reported review, feedback and a platform coupon in their console — committed, for the live server."""
    tag = uuid.uuid4().hex[:6]
    people = Actions(app, app.test_client())
    seller = people.create_user(email=f"seller-{tag}@example.com", full_name=f"Teak House {tag}")
    buyer = people.create_user(email=f"buyer-{tag}@example.com", full_name=f"Robin Buyer {tag}", balance="500")
    admin = people.create_user(email=f"admin-{tag}@example.com", full_name=f"Ada Admin {tag}")
    moderator = people.create_user(email=f"moderator-{tag}@example.com", full_name=f"Mo Moderator {tag}")
    critic = people.create_user(email=f"critic-{tag}@example.com", full_name=f"Cy Critic {tag}")
    with app.extensions["bazaar_db"].transaction() as connection:
        for user, role in ((admin, "administrator"), (moderator, "moderator")):
            connection.execute(text("UPDATE users SET role = :role WHERE id = :id"), {"role": role, "id": user["id"]})
    department = factories.department(app, f"Furniture {tag}")
    category = factories.category(app, department["id"], f"Tables {tag}")
    shop = Shop(tag=tag, seller=seller, buyer=buyer, admin=admin, moderator=moderator, category_slug=category["slug"])
    for number in range(30):
        name = f"{LONG_NAME} {tag} {number:02d}" if number == 0 else f"Side table {tag} {number:02d}"
        product = factories.product(app, seller["id"], category["id"], name, "Solid wood.\nOiled by hand.")
        factories.offer(app, seller["id"], product["id"], f"{20 + number}.50", 3 if number == 1 else 40)
        shop.products.append(product)
    shop.low_stock_product = shop.products[1]
    products = shop.products
    add_gallery(app, products[0], seller)
    family = factories.product(app, seller["id"], category["id"], f"Bench {tag}", "Oak.")
    shop.family_id = family["id"]
    with app.test_request_context():
        for length, price in (("120 cm", "80.00"), ("160 cm", "95.00"), ("200 cm", "120.00")):
            variant_id = variant.add_variant(seller["id"], family["id"], ["Length"], [length])
            factories.offer(app, seller["id"], variant_id, price, 0 if length == "200 cm" else 5)
    _label(app, category["id"], products, seller["id"], tag)
    shop.coupon_code = f"TEAK{tag.upper()}"
    with app.test_request_context():
        shop.coupon_id = coupon.create_coupon(
            seller["id"], shop.coupon_code, description="Ten percent off every table", percent_off=Decimal("10"),
            per_buyer_limit=3, ends_at=datetime.now(UTC) + timedelta(days=30),
        )  # fmt: skip
        # A thank-you coupon: every purchase from the seller gives it to the buyer.
        coupon.create_coupon(seller["id"], f"THANKS{tag.upper()}", amount_off=Decimal("5"), for_thanks=True)
    now = datetime.now(UTC)
    first = products[0]
    buy(app, buyer, [(seller, first, category, 1), (seller, products[2], category, 2)], now - timedelta(days=40))
    # One purchase whose lines are each at another step: placed, shipped, delivered, return asked for.
    lines = buy(app, buyer, [(seller, products[n], category, 1) for n in (0, 3, 4, 5)], now)
    shop.purchase_id = lines[0].purchase_id
    shop.pending_line_id, shop.shipped_line_id, shop.delivered_line_id, shop.returned_line_id = (
        line.order_id for line in lines
    )
    reviewed = factories.product_review(app, first["id"], buyer["id"], 4, "Sturdy and handsome", "Took an hour to oil.")
    shop.review_id = reviewed["id"]
    with app.test_request_context():
        order.mark_shipped(seller["id"], [line.order_id for line in lines[1:]], "DHL", f"JD{tag.upper()}01")
        for line_id in (shop.delivered_line_id, shop.returned_line_id):
            order.confirm_receipt(line_id, shop.purchase_id, buyer["id"])  # earns points
        order.request_return(shop.returned_line_id, shop.purchase_id, buyer["id"], "The legs wobble.")
        # A purchase with the coupon and a few points: the coupon's uses and the points ledger.
        cart.set_line(buyer["id"], seller["id"], products[6]["id"], 1)
        checkout.place_order(buyer["id"], checkout.new_token(), coupon_codes=[shop.coupon_code], points_to_spend=10)
        wishlist.add(buyer["id"], first["id"])  # before the sale: the wishlist shows the price fell
        sale.start_sale(seller["id"], first["id"], Decimal("15.00"), now + timedelta(days=3))

        # Every offer at or under the warning level: the dashboard's alert links to them all.
        seller_model.update_low_stock_threshold(seller["id"], 40)
        shop.shipping_method_id = shipping.add_method(
            seller["id"], {"name": "Courier", "fee": "6.50", "free_over": "100", "min_days": 1, "max_days": 3}
        )
        where = {"full_name": buyer["full_name"], "line1": "221 Baker Street", "line2": "Flat B", "city": "Springfield"}
        where |= {"postal_code": "12345", "country": "United States", "phone": "+1 555 0100"}
        shop.address_id = address.add_address(buyer["id"], where, True)
        phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari"
        session_model.create_session(buyer["id"], False, phone, "203.0.113.7")
        sessions = session_model.list_sessions(buyer["id"])
        shop.other_session_id = next(row["id"] for row in sessions if row["user_agent"] == phone)
        shop.passkey_id = passkey.create_passkey(
            buyer["id"], "Robin's phone", uuid.uuid4().bytes, b"public key", 0, "localhost", ["internal"], True
        )

        review.save_review("seller", seller["id"], buyer["id"], 5, "Fast shipping", "Well packed.")
        message.send(shop.purchase_id, seller["id"], buyer["id"], "Could you ship it before Friday?")
        message.send(shop.purchase_id, seller["id"], seller["id"], "Yes, it leaves tomorrow morning.")
        # More in the cart than the balance holds: the cart shows "Add money"; the first table is on sale.
        cart.set_line(buyer["id"], seller["id"], products[29]["id"], 20)
        cart.set_line(buyer["id"], seller["id"], first["id"], 1)
        # A wishlist (the first table went on sale since it was added) and products viewed lately.
        wishlist.add(buyer["id"], products[7]["id"])
        for product in (first, products[7]):
            recently_viewed.record_and_list(buyer["id"], product["id"], 1)
    shop.other_review_id = factories.product_review(app, first["id"], critic["id"], 2, "Wobbly", "Uneven legs.")["id"]
    with app.test_request_context():
        review_report.report_review("product", shop.review_id, critic["id"], "spam", "It reads like an advert.")
        as_admin = audit.Actor(admin["id"], "administrator", "127.0.0.1")
        feedback.send_feedback(buyer["id"], "suggestion", "Night mode", "The site is too bright at night.", "/")
        answered = feedback.send_feedback(buyer["id"], "problem", "Invoice", "The invoice had no address.", "/")
        feedback.close_feedback(answered, "Fixed: invoices show the delivery address now.", as_admin)
        shop.platform_coupon_id = admin_coupons.create_platform_coupon(
            f"BAZAAR{tag.upper()}", {"amount_off": Decimal("3"), "min_spend": Decimal("30")}, as_admin
        )
    return shop


def _label(app, category_id: int, products: list[dict], seller_id: int, tag: str) -> None:
    """Brands, tags and a wood attribute (issue 17) on the first products: /tags/teak-<tag> lists ten."""
    from app.models import product_labels

    with app.extensions["bazaar_db"].transaction() as connection:
        for product in products[:10]:
            product_labels.set_brand_and_tags(
                connection, product["id"], seller_id, f"Teakworks {tag}", [f"teak-{tag}", "oiled", "handmade"]
            )
        add_wood_and_width(connection, category_id, products[:10])


def add_wood_and_width(connection, category_id: int, products: list[dict]) -> None:
    """The category's attributes Wood (Teak or Oak) and Width (cm); the products in turn Teak and
    Oak, 40 cm wide and 5 cm more each."""
    connection.execute(
        text(
            """
            INSERT INTO category_attributes (category_id, key, label, type, unit, choices)
            VALUES (:id, 'wood', 'Wood', 'choice', NULL, ARRAY['Teak', 'Oak']),
                   (:id, 'width', 'Width', 'number', 'cm', NULL)
            """
        ),
        {"id": category_id},
    )
    for number, product in enumerate(products):
        connection.execute(
            text(
                """
                INSERT INTO product_attributes (product_id, key, value_text, value_number)
                VALUES (:id, 'wood', :wood, NULL), (:id, 'width', NULL, :width)
                """
            ),
            {"id": product["id"], "wood": ("Teak", "Oak")[number % 2], "width": 40 + number * 5},
        )


def sign_in(page, email: str) -> None:
    """Sign in through the form, as a person does."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text("Welcome back")


def open_context(browser, live_server, viewport: dict):
    """A context whose pages carry axe-core (bypass_csp: the site's CSP blocks an injected script)
    and record script errors and CSP violations in `context.errors`."""
    context = browser.new_context(base_url=live_server, viewport=viewport, bypass_csp=True)
    context.set_default_timeout(20_000)  # a tour of many pages on a busy 2-core machine
    context.add_init_script(path=str(AXE))
    context.errors = []

    def watch(page):
        page.on("pageerror", lambda error: context.errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: _console_error(message, context.errors))

    context.on("page", watch)
    return context


def axe_violations(page) -> list[str]:
    """Every axe-core violation on the page as it is now, of any impact, one line each, once any
    transition under way has ended (a panel fading in has colours between its two states)."""
    page.wait_for_function(
        """() => document.getAnimations().every(a =>
            a.playState !== "running" || a.effect.getComputedTiming().endTime === Infinity)"""
    )
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " " + (n.failureSummary || ""))}));
        }"""
    )
    return [f"{v['id']} ({v['impact']}): {' | '.join(v['nodes'])}" for v in found]


def overflow(page) -> str | None:
    """Why the page scrolls sideways, naming the widest elements, or None if it does not."""
    return page.evaluate(
        """() => {
            const width = window.innerWidth;
            if (document.documentElement.scrollWidth <= width) { return null; }
            const wide = [...document.querySelectorAll("body *")]
                .filter(e => e.getBoundingClientRect().right > width + 1)
                .slice(0, 4).map(e => e.tagName.toLowerCase() + "." + [...e.classList].join("."));
            return `scrollWidth ${document.documentElement.scrollWidth} > ${width}: ${wide.join(", ")}`;
        }"""
    )


def fits(page) -> None:
    """The page as it is now does not scroll sideways."""
    assert overflow(page) is None, f"{page.url}: {overflow(page)}"


def off_screen(locator) -> str | None:
    """Why the element is not on screen once scrolled to, or None if it is wholly inside the viewport."""
    locator.wait_for(state="visible", timeout=3_000)
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    width = locator.page.evaluate("window.innerWidth")
    if box is None:
        return "not displayed"
    if box["x"] < 0 or box["x"] + box["width"] > width + 0.5:
        return f"spans x {box['x']:.0f}–{box['x'] + box['width']:.0f} of {width}"
    return None
