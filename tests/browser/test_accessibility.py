"""axe-core on the states a page can be in — forms with errors, empty lists, flashes, open panels and
menus — and the keyboard: every control reached by Tab shows where the focus is, and the off-canvas
filters, the menus and the auto-applying selects work without a mouse. Test test_responsive.py covers
each page type as it first loads."""

import re
import uuid

from playwright.sync_api import expect

from tests.browser.site import LAPTOP, PHONE, axe_violations, build_shop, open_context, sign_in
from tests.conftest import Actions

# Where focus is drawn: an outline or Bootstrap's focus box-shadow on the element, or an outline on a
# close ancestor that draws it for the element (a product card around its stretched link).
FOCUS_SHOWN = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) { return null; }
    const drawn = (node) => {
        const style = getComputedStyle(node);
        return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2)
            || (node === element && style.boxShadow && style.boxShadow !== "none");
    };
    let shown = false;
    for (let node = element, depth = 0; node && depth < 4 && !shown; node = node.parentElement, depth++) {
        shown = drawn(node);
    }
    const box = element.getBoundingClientRect();
    return {shown: shown, visible: box.width > 0 && box.height > 0,
            name: element.tagName.toLowerCase() + " " + (element.getAttribute("aria-label") || element.textContent
                  || element.getAttribute("name") || "").trim().replace(/\\s+/g, " ").slice(0, 50)};
}"""


def check(page, state: str, problems: list[str]) -> None:
    """Run axe on the page as it is now; note each violation with the state it was found in."""
    problems.extend(f"{state}: {violation}" for violation in axe_violations(page))


def test_forms_with_errors_flashes_and_empty_states_pass_axe(browser, live_server, app):
    shop = build_shop(app)
    newcomer = Actions(app, app.test_client()).create_user(email=f"new-{uuid.uuid4().hex[:6]}@example.com")
    problems: list[str] = []
    errors: list[str] = []  # script errors and CSP violations of every context
    context = open_context(browser, live_server, LAPTOP)
    page = context.new_page()

    page.goto("/login")
    page.get_by_label("E-mail").fill(shop.buyer["email"])
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text("incorrect")
    check(page, "sign-in refused", problems)

    page.goto("/register")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    check(page, "registration with every field missing", problems)

    sign_in(page, newcomer["email"])
    check(page, "the welcome flash", problems)
    empty = ["/cart", "/purchases", "/account/reviews", "/messages", "/seller", "/seller/inventory", "/seller/orders"]
    for path in empty:
        page.goto(path)
        expect(page.locator(".empty-state").first).to_be_visible()
        check(page, f"{path} empty", problems)
    page.goto(f"/users/{newcomer['id']}")
    check(page, "the public page of someone who sells nothing", problems)
    errors += context.errors
    context.close()

    context = open_context(browser, live_server, LAPTOP)
    page = context.new_page()
    page.goto(f"/products/{shop.products[5]['id']}")
    page.get_by_role("button", name="Add to cart").click()
    check(page, "a flash after adding to the cart as a guest", problems)
    sign_in(page, shop.buyer["email"])
    page.goto("/account/balance")
    page.get_by_label("Amount to add").fill("-5")
    page.get_by_role("button", name="Add money").click()
    expect(page.locator("#amount-error, .invalid-feedback").first).to_be_visible()
    check(page, "a refused top-up", problems)
    page.get_by_label("Amount to withdraw").fill("999999")
    page.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_text(re.compile("You cannot withdraw"))).to_be_visible()
    check(page, "a refused withdrawal", problems)

    page.goto(f"/products/{shop.products[3]['id']}/review")
    page.get_by_role("button", name="Publish review").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    check(page, "a review with its fields missing", problems)

    page.goto(f"/messages/{shop.purchase_id}/{shop.seller['id']}")
    page.get_by_role("button", name="Send").click()
    check(page, "an empty message refused", problems)

    page.goto(f"/users/{shop.seller['id']}?q=no-such-thing")
    check(page, "a storefront search without match", problems)
    errors += context.errors
    context.close()

    context = open_context(browser, live_server, LAPTOP)
    page = context.new_page()
    sign_in(page, shop.seller["email"])
    page.goto("/seller/products/new")
    page.get_by_role("button", name="Create product").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    check(page, "a new product with its fields missing", problems)
    page.goto(f"/seller/inventory/{shop.low_stock_product['id']}")
    page.get_by_label("Price").fill("nothing")
    page.get_by_role("button", name="Save").click()
    check(page, "an offer with a bad price", problems)
    page.goto("/seller/analytics?from=2025-02-30")
    check(page, "analytics with a date that does not exist", problems)
    errors += context.errors
    context.close()

    # The console's forms refused, on a phone: a wrong password, a bad coupon, a suspension without a reason.
    context = open_context(browser, live_server, PHONE)
    page = context.new_page()
    sign_in(page, shop.admin["email"])
    page.goto("/admin/reauthenticate")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("That is not your password.")).to_be_visible()
    check(page, "a wrong password to the console", problems)
    page.goto("/admin/coupons")
    page.get_by_label("Code", exact=True).fill("x")
    page.get_by_role("button", name="Create platform coupon").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    check(page, "a platform coupon with bad values", problems)
    page.goto(f"/admin/users/{shop.seller['id']}")
    page.get_by_role("button", name="Suspend user").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    check(page, "a suspension without a reason", problems)
    context.close()
    errors += context.errors
    assert problems + errors == [], "\n".join(problems + errors)


def test_open_panels_and_menus_pass_axe_and_work_from_the_keyboard(browser, live_server, app):
    shop = build_shop(app)
    problems: list[str] = []
    context = open_context(browser, live_server, PHONE)
    page = context.new_page()
    page.goto(f"/products?category={shop.category_slug}&in_stock=1&min_rating=1")

    # The filters open from the keyboard, take the focus, and close with Escape.
    toggle = page.get_by_role("button", name="Filters (3)")
    toggle.focus()
    page.keyboard.press("Enter")
    panel = page.get_by_role("dialog", name="Filters")
    expect(panel).to_be_visible()
    expect(panel.get_by_label("In stock only")).to_be_checked()
    check(page, "the filters panel open on a phone", problems)
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(page.locator(".offcanvas-backdrop")).to_have_count(0)  # faded out: axe reads true colours

    page.get_by_role("button", name="Toggle navigation").click()
    expect(page.locator(".navbar-collapse.show")).to_be_visible()
    check(page, "the menu open on a phone", problems)
    context.close()

    # The lists of the account and the seller center share the panel (templates/_filters.html).
    context = open_context(browser, live_server, PHONE)
    page = context.new_page()
    sign_in(page, shop.buyer["email"])
    page.goto("/purchases?status=pending")
    page.get_by_role("button", name="Filters (1)").click()
    expect(page.get_by_role("dialog", name="Filters").get_by_label("Status")).to_have_value("pending")
    check(page, "the purchase filters open on a phone", problems)
    context.close()

    context = open_context(browser, live_server, LAPTOP)
    page = context.new_page()
    sign_in(page, shop.buyer["email"])
    account = page.get_by_role("button", name=shop.buyer["full_name"])
    account.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Purchases")).to_be_visible()
    check(page, "the account menu open", problems)
    page.keyboard.press("Escape")

    # A sort stepped with the arrow keys waits for Enter instead of reloading at each option.
    page.goto(f"/users/{shop.seller['id']}")
    sort = page.get_by_label("Sort by").first
    sort.focus()
    page.keyboard.press("ArrowDown")
    expect(page).to_have_url(re.compile(rf"/users/{shop.seller['id']}$"))
    expect(page.get_by_role("button", name="Sort", exact=True)).to_be_visible()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"sort=price_asc"))
    context.close()
    assert problems + context.errors == [], "\n".join(problems + context.errors)


def test_every_control_reached_by_tab_shows_its_focus(browser, live_server, app):
    shop = build_shop(app)
    problems: list[str] = []
    for viewport, email, paths in [
        (PHONE, None, [f"/products?category={shop.category_slug}", f"/products/{shop.products[0]['id']}"]),
        (LAPTOP, None, [f"/products?q={shop.tag}", f"/users/{shop.seller['id']}"]),
        (LAPTOP, shop.seller["email"], ["/seller/inventory", "/seller/orders"]),
        (PHONE, shop.buyer["email"], ["/cart", f"/purchases/{shop.purchase_id}"]),
    ]:
        context = open_context(browser, live_server, viewport)
        page = context.new_page()
        if email:
            sign_in(page, email)
        for path in paths:
            page.goto(path)
            problems.extend(f"{path} at {viewport['width']} px: {name}" for name in unfocused_controls(page))
        context.close()
    assert problems == [], "\n".join(problems)


def unfocused_controls(page, presses: int = 60) -> list[str]:
    """Tab through the page from its top; name each control that takes the focus without showing it."""
    hidden = []
    seen = set()
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_SHOWN)
        if focused is None or focused["name"] in seen:
            continue
        seen.add(focused["name"])
        if focused["visible"] and not focused["shown"]:
            hidden.append(focused["name"])
    return hidden
