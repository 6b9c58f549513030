"""A small shop with every kind of page filled in, and the checks every page must pass in Chromium:
no sideways scrolling, the page's main action on screen, and no axe-core violation."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import expect

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
    products: list[dict] = field(default_factory=list)
    low_stock_product: dict | None = None
    purchase_id: int = 0
    pending_line_id: int = 0
    category_slug: str = ""


def build_shop(app) -> Shop:
    """A seller with thirty offers (one low on stock), a buyer with purchases, reviews, a message
    thread and a cart larger than their balance — committed, for the live server."""
    tag = uuid.uuid4().hex[:6]
    people = Actions(app, app.test_client())
    seller = people.create_user(email=f"seller-{tag}@example.com", full_name=f"Teak House {tag}")
    buyer = people.create_user(email=f"buyer-{tag}@example.com", full_name=f"Robin Buyer {tag}", balance="500")
    department = factories.department(app, f"Furniture {tag}")
    category = factories.category(app, department["id"], f"Tables {tag}")
    shop = Shop(tag=tag, seller=seller, buyer=buyer, category_slug=category["slug"])
    for number in range(30):
        name = f"{LONG_NAME} {tag} {number:02d}" if number == 0 else f"Side table {tag} {number:02d}"
        product = factories.product(app, seller["id"], category["id"], name, "Solid wood.\nOiled by hand.")
        factories.offer(app, seller["id"], product["id"], f"{20 + number}.50", 3 if number == 1 else 40)
        shop.products.append(product)
    shop.low_stock_product = shop.products[1]
    now = datetime.now(UTC)
    first, second = shop.products[0], shop.products[2]
    buy(app, buyer, [(seller, first, category, 1), (seller, second, category, 2)], now - timedelta(days=40))
    lines = buy(app, buyer, [(seller, first, category, 1), (seller, shop.products[3], category, 1)], now)
    shop.purchase_id, shop.pending_line_id = lines[0].purchase_id, lines[0].order_id
    factories.product_review(app, first["id"], buyer["id"], 4, "Sturdy and handsome", "Took an hour to oil.")
    with app.test_request_context():
        from app.models import cart, message, review
        from app.models import seller as seller_model

        # Every offer at or under the warning level: the dashboard's alert links to them all.
        seller_model.update_low_stock_threshold(seller["id"], 40)

        review.save_review("seller", seller["id"], buyer["id"], 5, "Fast shipping", "Well packed.")
        message.send(shop.purchase_id, seller["id"], buyer["id"], "Could you ship it before Friday?")
        message.send(shop.purchase_id, seller["id"], seller["id"], "Yes, it leaves tomorrow morning.")
        # More in the cart than the balance holds: the cart shows "Add money".
        cart.set_line(buyer["id"], seller["id"], shop.products[29]["id"], 20)
    return shop


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
