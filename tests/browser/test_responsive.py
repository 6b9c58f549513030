"""Every page type at 390 px (a phone) and 1366 px (a laptop): no sideways scrolling, the page's main
action wholly on screen, what the page must show (a sale price, a discount, a line's status) on
screen, and no axe-core violation — one context per person (guest, buyer, seller, administrator,
moderator) and width, so the whole tour costs a few page loads each."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from app.models import admin_reports
from tests import factories
from tests.browser.site import LAPTOP, PHONE, axe_violations, build_shop, off_screen, open_context, overflow, sign_in
from tests.conftest import Actions


def form_button(page):
    """The last button of the main content: the submit button of a page that is one form."""
    return page.get_by_role("main").get_by_role("button").last


def guest_pages(shop):
    """(path, the page's main action) for someone not signed in."""
    first = shop.products[0]
    return [
        ("/", lambda page: page.get_by_role("link", name="Create an account")),
        (
            f"/products?q={shop.tag}",
            lambda page: page.get_by_role("link", name=re.compile(f"Side table {shop.tag}")).first,
            lambda page: [page.get_by_text("usually $20.50")],  # the first table's card, on sale
        ),
        (
            f"/products?category={shop.category_slug}&in_stock=1",
            # The "Filters (2)" button on a phone, the form's own button on a laptop.
            lambda page: page.get_by_role("button", name=re.compile(r"^(Filters \(2\)|Apply filters)$")).filter(
                visible=True
            ),
        ),
        ("/products?q=qqqqqqqqqqqqqqqqqq", lambda page: page.get_by_role("link", name=re.compile("^Bazaar"))),
        (
            f"/products?q=side+tabel+{shop.tag}",  # misspelt: corrected
            lambda page: page.get_by_role("link", name=f"side tabel {shop.tag}"),
            lambda page: [page.get_by_text(f"Showing results for side table {shop.tag}")],
        ),
        (
            f"/tags/teak-{shop.tag}",
            lambda page: page.get_by_role("link", name=re.compile(f"Side table {shop.tag}")).first,
            lambda page: [page.get_by_role("heading", name=f"Tagged “teak-{shop.tag}”")],
        ),
        (
            f"/products/{first['id']}",
            lambda page: page.get_by_role("button", name="Add to cart"),
            lambda page: [page.locator(".sale-price").first],
        ),
        (
            f"/products/{shop.family_id}",
            lambda page: page.get_by_role("button", name="Add to cart"),
            lambda page: [page.get_by_role("radio", name="120 cm"), page.get_by_test_id("chosen-variant")],
        ),
        (
            f"/users/{shop.seller['id']}",
            lambda page: page.get_by_role("link", name=re.compile(f"Side table {shop.tag}")).first,
        ),
        (f"/users/{shop.seller['id']}/reviews", lambda page: page.get_by_role("heading", level=1)),
        ("/insights", lambda page: page.get_by_role("heading", level=1)),
        ("/cart", lambda page: page.get_by_role("link", name="Browse the catalog")),
        ("/account/wishlist", lambda page: page.get_by_role("link", name="Browse the catalog")),
        ("/recently-viewed", lambda page: page.get_by_role("heading", level=1)),
        ("/login", lambda page: page.get_by_role("button", name="Sign in", exact=True)),
        ("/register", lambda page: page.get_by_role("button", name="Create account")),
        ("/forgot-password", lambda page: page.get_by_role("main").get_by_role("button")),
        ("/no-such-page", lambda page: page.get_by_role("link", name="Go to the home page")),
    ]


def buyer_pages(shop):
    first = shop.products[0]
    purchase = shop.purchase_id
    return [
        ("/", lambda page: page.get_by_role("link", name=re.compile(f"Side table {shop.tag}")).first),
        (
            "/cart",
            lambda page: action(page, r"^(Place order|Proceed to checkout)"),
            lambda page: [
                page.locator(".sale-price").first,
                page.get_by_test_id("coupon-discount"),
                page.get_by_test_id("points-discount"),
            ],
        ),
        ("/cart/clear", lambda page: page.get_by_role("button", name="Clear cart")),
        (
            "/account/wishlist",
            lambda page: page.get_by_role("button", name=re.compile(r"^Move to cart")).first,
            lambda page: [page.get_by_test_id("price-change").first],
        ),
        ("/recently-viewed", lambda page: page.get_by_role("button", name="Clear the list")),
        ("/account", lambda page: page.get_by_role("button", name="Save profile")),
        ("/account/balance", lambda page: page.get_by_role("button", name="Add money")),
        ("/purchases", lambda page: page.get_by_role("link", name=f"Purchase #{purchase}")),
        ("/purchases?status=cancelled", lambda page: page.get_by_role("link", name="Show all purchases")),
        (
            f"/purchases/{purchase}",
            lambda page: page.get_by_role("link", name=re.compile(r"^Cancel")).first,
            # The timeline: a line placed, one shipped, one delivered and one whose return is asked for.
            lambda page: [
                page.get_by_test_id("line-status").filter(has_text=re.compile(f"^{status}$"))
                for status in ("Placed", "Shipped", "Delivered", "Return requested")
            ],
        ),
        (
            f"/purchases/{purchase}/lines/{shop.pending_line_id}/cancel",
            lambda page: page.get_by_role("button", name=re.compile(r"^Cancel the line")),
        ),
        (f"/products/{first['id']}/review", lambda page: page.get_by_role("button", name="Publish review")),
        (f"/products/{first['id']}/review/delete", lambda page: page.get_by_role("button", name="Delete review")),
        ("/account/reviews", lambda page: page.get_by_role("link", name=re.compile(r"^Edit")).first),
        ("/messages", lambda page: page.get_by_role("link", name=re.compile(shop.seller["full_name"]))),
        (f"/messages/{purchase}/{shop.seller['id']}", lambda page: page.get_by_role("button", name="Send")),
        ("/account/insights", lambda page: page.get_by_role("button", name="Show")),
        ("/account/security", lambda page: page.get_by_role("heading", level=1)),
        ("/account/security/sign-out-everywhere", lambda page: page.get_by_role("heading", level=1)),
        ("/account/email", form_button),
        ("/account/coupons", lambda page: page.get_by_text(f"THANKS{shop.tag.upper()}").first),
        ("/account/points", lambda page: page.get_by_role("table").get_by_text("Spent").first),
        (f"/users/{shop.seller['id']}/review", lambda page: page.get_by_role("button", name="Publish review")),
        (f"/seller/offers/new?product_id={first['id']}", lambda page: page.get_by_role("main").get_by_role("button")),
        (f"/products/{first['id']}", lambda page: page.get_by_role("button", name="Add to cart")),
        ("/checkout", form_button),
        (f"/purchases/{purchase}/invoice", lambda page: page.get_by_role("heading", level=1)),
        ("/account/addresses", lambda page: page.get_by_role("heading", level=1)),
        ("/account/addresses/new", form_button),
        (f"/account/addresses/{shop.address_id}/edit", lambda page: page.get_by_role("button", name="Save address")),
        (
            f"/purchases/{purchase}/lines/{shop.delivered_line_id}/return",
            lambda page: page.get_by_role("button", name="Ask to return"),
        ),
        (
            f"/account/addresses/{shop.address_id}/delete",
            lambda page: page.get_by_role("button", name="Delete address"),
        ),
        (
            f"/account/security/sessions/{shop.other_session_id}/sign-out",
            lambda page: page.get_by_role("button", name="Sign out that session"),
        ),
        (
            f"/account/security/passkeys/{shop.passkey_id}/remove",
            lambda page: page.get_by_role("button", name=re.compile(r"^Remove passkey")),
        ),
        ("/feedback", lambda page: page.get_by_role("button", name="Send feedback")),
        (
            f"/reviews/product/{shop.other_review_id}/report",
            lambda page: page.get_by_role("button", name="Report review"),
        ),
    ]


def seller_pages(shop):
    low = shop.low_stock_product
    return [
        ("/seller", lambda page: page.get_by_role("button", name="Save threshold")),
        ("/seller/inventory", lambda page: page.get_by_role("button", name=re.compile(r"^Save")).first),
        (f"/seller/inventory/{low['id']}", lambda page: page.get_by_role("button", name="Save")),
        (
            f"/seller/inventory/{low['id']}/remove",
            lambda page: page.get_by_role("button", name=re.compile(r"^Stop selling")),
        ),
        ("/seller/orders", lambda page: action(page, r"^(Mark fulfilled|Mark shipped|Ship)").first),
        ("/seller/offers/new?q=table", lambda page: page.get_by_role("main").get_by_role("button", name="Search")),
        ("/seller/products/new", lambda page: page.get_by_role("button", name="Create product")),
        ("/seller/products/new-with-options", lambda page: page.get_by_role("button", name="Create product")),
        (f"/seller/products/{shop.family_id}/variants", lambda page: page.get_by_role("button", name="Add variant")),
        (f"/seller/products/{low['id']}/edit", lambda page: page.get_by_role("button", name="Save product")),
        (
            f"/seller/products/{shop.products[0]['id']}/images",
            lambda page: page.get_by_role("button", name="Add picture"),
            lambda page: [page.get_by_role("button", name="Move down picture 1")],
        ),
        ("/seller/analytics", lambda page: page.get_by_role("button", name="Show")),
        ("/seller/coupons", lambda page: page.get_by_role("button", name="Create coupon")),
        (f"/seller/coupons/{shop.coupon_id}", lambda page: page.get_by_role("button", name="Pause")),
        (
            "/seller/orders?status=return_requested",
            lambda page: page.get_by_role("link", name=re.compile(r"^Answer return")),
        ),
        (
            f"/seller/orders/{shop.returned_line_id}/return",
            lambda page: page.get_by_role("button", name="Accept and refund"),
        ),
        (
            f"/seller/shipping/{shop.shipping_method_id}/edit",
            lambda page: page.get_by_role("button", name="Save method"),
        ),
        (f"/seller/orders/ship?order_ids={shop.pending_line_id}", form_button),
        ("/seller/shipping", lambda page: page.get_by_role("heading", level=1)),
        (f"/seller/inventory/{low['id']}/sale", form_button),
    ]


def admin_pages(shop):
    """Every console page, as an administrator."""
    csv = lambda page: page.get_by_role("link", name=re.compile(r"^Download CSV"))  # noqa: E731
    return [
        ("/admin", lambda page: page.get_by_role("button", name=re.compile(r"^Turn approval"))),
        ("/admin/users", lambda page: page.get_by_role("link", name=shop.seller["full_name"])),
        (f"/admin/users/{shop.seller['id']}", lambda page: page.get_by_role("button", name="Suspend user")),
        ("/admin/catalog", lambda page: page.get_by_role("button", name="Create department")),
        (
            f"/admin/categories/{shop.products[0]['category_id']}/attributes",
            lambda page: page.get_by_role("button", name="Add attribute"),
        ),
        ("/admin/products", lambda page: page.get_by_role("link", name=re.compile(f"Side table {shop.tag}")).first),
        (f"/admin/products/{shop.products[0]['id']}", lambda page: page.get_by_role("button", name="Take down")),
        ("/admin/reviews", lambda page: page.get_by_role("link", name="Sturdy and handsome")),
        (f"/admin/reviews/product/{shop.review_id}", lambda page: page.get_by_role("button", name="Hide review")),
        ("/admin/feedback", lambda page: page.get_by_role("button", name=re.compile(r"^Close.*with this answer"))),
        ("/admin/coupons", lambda page: page.get_by_role("button", name="Create platform coupon")),
        (f"/admin/coupons/{shop.platform_coupon_id}", lambda page: page.get_by_role("button", name="Pause")),
        # /admin/reports opens the first report: each report once.
        *((f"/admin/reports/{name}", csv) for name in admin_reports.REPORTS),
        ("/admin/audit", lambda page: page.get_by_role("button", name="Filter", exact=True)),
        ("/admin/reauthenticate", lambda page: page.get_by_role("button", name="Confirm")),
    ]


def moderator_pages(shop):
    """The console views a moderator reaches."""
    return [
        ("/admin/reviews", lambda page: page.get_by_role("link", name="Sturdy and handsome")),
        (f"/admin/reviews/product/{shop.review_id}", lambda page: page.get_by_role("button", name="Hide review")),
        ("/admin/products", lambda page: page.get_by_role("link", name=re.compile(f"Side table {shop.tag}")).first),
        ("/admin/feedback", lambda page: page.get_by_role("button", name=re.compile(r"^Close.*with this answer"))),
    ]


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390px", "1366px"])
def test_every_page_type_fits_shows_its_action_and_passes_axe(browser, live_server, app, viewport):
    shop = build_shop(app)
    problems: list[str] = []
    for email, pages in [
        (None, guest_pages(shop)),
        (shop.buyer["email"], buyer_pages(shop)),
        (shop.seller["email"], seller_pages(shop)),
        (shop.admin["email"], admin_pages(shop)),
        (shop.moderator["email"], moderator_pages(shop)),
    ]:
        context = open_context(browser, live_server, viewport)
        page = context.new_page()
        if email:
            sign_in(page, email)
        if email == shop.buyer["email"]:
            use_coupon_and_points(page, shop)
        for path, main_action, *shown in pages:
            page.goto(path)
            checks = [overflow(page), _action_problem(main_action(page))]
            checks += [_shown_problem(locator) for show in shown for locator in show(page)]
            for problem in [*checks, *axe_violations(page)]:
                if problem:
                    problems.append(f"{path} ({email or 'guest'}): {problem}")
        problems.extend(context.errors)
        context.close()
    assert problems == [], "\n".join(problems)


def use_coupon_and_points(page, shop) -> None:
    """In the buyer's cart: the seller's coupon and some points, applied as a person does."""
    page.goto("/cart")
    page.get_by_label("Coupon code").fill(shop.coupon_code)
    page.get_by_role("button", name="Apply coupon").click()
    expect(page.get_by_test_id("coupon-discount")).to_be_visible()
    page.get_by_label("Pay with points").fill("20")
    page.get_by_role("button", name="Use points").click()
    expect(page.get_by_test_id("points-discount")).to_have_text("−$0.20")


def action(page, name: str):
    """The button or link whose accessible name matches `name`."""
    pattern = re.compile(name)
    return page.get_by_role("button", name=pattern).or_(page.get_by_role("link", name=pattern))


def _shown_problem(locator) -> str | None:
    """Why what the page must show (a sale price, a discount) is not on screen, or None."""
    try:
        expect(locator).to_be_visible(timeout=3_000)
    except AssertionError as error:
        return f"not shown: {str(error).splitlines()[0]}"
    return None


def _action_problem(locator) -> str | None:
    """Why the main action fails the check: missing, or not wholly on screen."""
    try:
        problem = off_screen(locator)
    except Exception as error:  # noqa: BLE001 - a missing element is reported with the others
        return f"main action missing: {str(error).splitlines()[0]}"
    return f"main action {problem}" if problem else None


def test_without_javascript_the_filters_sit_in_the_page_and_the_buttons_apply_them(browser, live_server, app):
    shop = build_shop(app)
    context = browser.new_context(base_url=live_server, viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"/products?category={shop.category_slug}")
    expect(page.get_by_role("button", name=re.compile(r"^Filters"))).to_be_hidden()
    page.get_by_label("Maximum price ($)").fill("25")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"max_price=25"))
    page.get_by_label("Sort by").select_option(label="Price: high to low")
    expect(page).to_have_url(re.compile(r"max_price=25"))  # nothing happens until the button
    page.get_by_role("button", name="Sort", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=price_desc"))
    expect(page.get_by_role("main").get_by_role("article").first).to_contain_text(f"Side table {shop.tag} 04")
    assert overflow(page) is None
    context.close()


def test_a_best_sellers_sellers_page_through_at_both_widths(browser, live_server, app):
    """Twelve sellers of one product: ten on the first page, the pager on screen and usable, the
    last two on the second, at 390 and 1366 px, without sideways scrolling or an axe violation."""
    tag = uuid.uuid4().hex[:6]
    people = Actions(app, app.test_client())
    kettle = factories.product(app, people.create_user()["id"], name=f"Popular kettle {tag}")
    for number in range(12):
        seller = people.create_user(full_name=f"Kettle seller {tag} {number:02d}")
        factories.offer(app, seller["id"], kettle["id"], f"{10 + number}.00", 5)
    problems: list[str | None] = []
    for viewport in (PHONE, LAPTOP):
        context = open_context(browser, live_server, viewport)
        page = context.new_page()
        page.goto(f"/products/{kettle['id']}")
        expect(page.get_by_text("1–10 of 12 sellers, cheapest first")).to_be_visible()
        pager = page.get_by_role("navigation", name="Seller pages")
        problems += [overflow(page), off_screen(pager.get_by_role("link", name="Next")), *axe_violations(page)]
        pager.get_by_role("link", name="Next").click()
        expect(page).to_have_url(re.compile(r"sellers_page=2#sellers-heading$"))
        expect(page.get_by_role("link", name=f"Kettle seller {tag} 11")).to_be_visible()
        expect(page.get_by_role("link", name=f"Kettle seller {tag} 00")).to_have_count(0)
        problems += [overflow(page), *axe_violations(page), *context.errors]
        context.close()
    assert [problem for problem in problems if problem] == []
