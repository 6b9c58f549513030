"""A guest searches, filters, sorts, pages forward and back, opens a product and adds it to the cart;
filters a category by its attributes at 1366 and 390 px."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.site import add_wood_and_width, axe_violations, fits, open_context


def _token() -> str:
    """A made-up word, letters only, that no other test's products contain."""
    return "zq" + "".join(chr(ord("a") + int(digit, 16)) for digit in uuid.uuid4().hex[:8])


@pytest.fixture
def lamps(app, actions):
    """Thirty lamps and five shades in one department, all in stock, committed for the live server."""
    word = _token()
    seller = actions.create_user(full_name=f"Seller {word}")
    department = factories.department(app, f"Lighting {word}")
    lamps_category = factories.category(app, department["id"], f"Lamps {word}")
    shades_category = factories.category(app, department["id"], f"Shades {word}")
    for number in range(30):
        product = factories.product(app, seller["id"], lamps_category["id"], f"Lamp {word} {number:02d}", "A lamp.")
        factories.offer(app, seller["id"], product["id"], f"{10 + number}.00", 7)
    for number in range(5):
        product = factories.product(app, seller["id"], shades_category["id"], f"Shade {word} {number}", "A shade.")
        factories.offer(app, seller["id"], product["id"], "5.00", 7)
    return word


def first_card(page):
    return page.get_by_role("main").get_by_role("article").first


def test_search_filter_sort_page_open_and_add_to_cart(page, lamps):
    word = lamps
    page.goto("/")
    page.get_by_role("combobox", name="Search products").fill(word)
    page.get_by_role("combobox", name="Search products").press("Enter")
    expect(page).to_have_url(re.compile(rf"/products\?q={word}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Results for “{word}”")
    expect(page.locator("#result-count")).to_contain_text("1–24 of 35 results")

    # Filter: the department, then one of its categories (the counts are for this search).
    facets = page.get_by_role("navigation", name="Departments and categories")
    facets.get_by_text(f"Lighting {word} (35)").click()  # opens the department's categories
    expect(facets.get_by_role("link", name=f"Lamps {word}")).to_be_visible()
    facets.get_by_role("link", name=f"All of Lighting {word}").click()
    expect(page.locator("#result-count")).to_contain_text("1–24 of 35 results")
    expect(facets.get_by_text("(30)")).to_be_visible()
    facets.get_by_role("link", name=f"Lamps {word}").click()
    expect(page).to_have_url(re.compile(r"category=category-"))
    expect(page.locator("#result-count")).to_contain_text("1–24 of 30 results")

    page.get_by_label("Minimum price ($)").fill("15")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"min_price=15"))
    expect(page.locator("#result-count")).to_contain_text("1–24 of 25 results")

    # Sort (the select applies at once), then page forward; the back button returns to the first
    # page, state in the URL.
    expect(page.get_by_role("button", name="Sort", exact=True)).to_be_hidden()
    page.get_by_label("Sort by").select_option(label="Price: high to low")
    expect(page).to_have_url(re.compile(r"sort=price_desc"))
    expect(first_card(page)).to_contain_text(f"Lamp {word} 29")
    first_page_url = page.url

    page.get_by_role("navigation", name="Result pages").get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator("#result-count")).to_contain_text("25–25 of 25 results")
    expect(first_card(page)).to_contain_text(f"Lamp {word} 05")

    page.go_back()
    expect(page).to_have_url(first_page_url)
    expect(first_card(page)).to_contain_text(f"Lamp {word} 29")
    expect(page.get_by_label("Sort by")).to_have_value("price_desc")
    expect(page.get_by_label("Minimum price ($)")).to_have_value("15.00")
    page.go_forward()
    expect(page).to_have_url(re.compile(r"page=2"))

    # Open the product and add it to the cart as a guest.
    page.get_by_role("link", name=f"Lamp {word} 05", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Lamp {word} 05")
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    expect(breadcrumb.get_by_role("link", name=f"Lamps {word}")).to_be_visible()
    sellers = page.get_by_role("table")
    expect(sellers.get_by_role("link", name=f"Seller {word}")).to_be_visible()
    sellers.get_by_label(f"Quantity from Seller {word}").fill("2")
    sellers.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Added 2 × Lamp {word} 05 to your cart.")


def test_keyboard_reaches_the_filters_and_results(page, lamps):
    word = lamps
    page.goto(f"/products?q={word}")
    page.get_by_label("In stock only").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Apply filters")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"in_stock=1"))
    expect(page.get_by_label("In stock only")).to_be_checked()


def test_a_search_with_no_match_shows_an_empty_state(page, lamps):
    page.goto("/products?q=qqqqqqqqqqqqqqqqqqqqq")
    expect(page.get_by_text("No products match")).to_be_visible()
    expect(page.get_by_role("heading", name="Popular right now")).to_be_visible()  # never a dead end


def test_a_misspelt_search_is_corrected_and_can_be_searched_as_typed(page, lamps):
    word = lamps
    # One letter changed mid-word: one typo. (Not the last letter dropped: "zq…mpe" without its
    # "e" is the same English stem, a match as typed.)
    typo = word[:5] + ("x" if word[5] != "x" else "y") + word[6:]
    page.goto("/")
    search_box = page.get_by_role("combobox", name="Search products").or_(
        page.get_by_role("searchbox", name="Search products")
    )
    search_box.fill(f"lamp {typo}")
    search_box.press("Enter")
    status = page.get_by_role("status").filter(has_text="Showing results for")
    expect(status).to_contain_text(f"Showing results for lamp {word} · Search instead for lamp {typo}")
    expect(page.locator("#result-count")).to_contain_text("1–24 of 30 results")
    page.get_by_label("Sort by").select_option(label="Price: high to low")  # a full results page
    expect(first_card(page)).to_contain_text(f"Lamp {word} 29")
    expect(status).to_be_visible()

    status.get_by_role("link", name=f"lamp {typo}").click()
    expect(page).to_have_url(re.compile(r"as_typed=1"))
    expect(page.get_by_text("No products match")).to_be_visible()
    page.get_by_role("link", name="Search with the spelling corrected").click()
    expect(page.locator("#result-count")).to_contain_text("of 30 results")


@pytest.fixture
def boots(app, actions):
    """Boots in three sizes, the largest sold out, committed for the live server."""
    from app.models import variant

    word = _token()
    seller = actions.create_user(full_name=f"Cobbler {word}")
    boot = factories.product(app, seller["id"], name=f"Boot {word}", description="Leather.")
    with app.test_request_context():
        for size, price, stock in (("8", "70.00", 4), ("9", "75.00", 4), ("10", "80.00", 0)):
            variant_id = variant.add_variant(seller["id"], boot["id"], ["Size"], [size])
            factories.offer(app, seller["id"], variant_id, price, stock)
    return {"word": word, "boot": boot}


def test_a_guest_picks_a_variant_by_mouse_and_by_keyboard_and_adds_it_to_the_cart(page, boots):
    word = boots["word"]
    page.goto(f"/products?q={word}")
    card = first_card(page)
    expect(card).to_contain_text("$70.00 – $80.00")  # one card for the boot, with its price range
    expect(page.get_by_role("main").get_by_role("article")).to_have_count(1)
    card.get_by_role("link").click()
    chosen = page.get_by_test_id("chosen-variant")
    expect(chosen).to_contain_text("8 · ")  # the cheapest size in stock

    # A click applies at once.
    page.locator("label", has_text=re.compile(r"^9$")).click()
    expect(page).to_have_url(re.compile(r"o0=9"))
    expect(chosen).to_contain_text("9 · ")
    expect(page.get_by_role("radio", name="9")).to_be_checked()

    # The arrow keys only move the choice; the button (or Enter) applies it.
    page.get_by_role("radio", name="9").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="10")).to_be_checked()
    expect(chosen).to_contain_text("9 · ")
    page.get_by_role("button", name="Show this variant").click()
    expect(chosen).to_contain_text("Out of stock")
    expect(page.get_by_role("button", name="Add to cart")).to_be_disabled()

    page.locator("label", has_text=re.compile(r"^9$")).click()
    expect(chosen).to_contain_text("9 · ")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("main")).to_contain_text(f"Boot {word} — 9")


@pytest.fixture
def tables(app, actions):
    """Ten tables in one category with a wood (Teak or Oak, in turn) and a width (40, 45 … 85 cm)."""
    word = _token()
    seller = actions.create_user(full_name=f"Seller {word}")
    department = factories.department(app, f"Furniture {word}")
    category = factories.category(app, department["id"], f"Tables {word}")
    products = []
    for number in range(10):
        product = factories.product(app, seller["id"], category["id"], f"Table {word} {number:02d}", "Solid wood.")
        factories.offer(app, seller["id"], product["id"], f"{50 + number}.00", 4)
        products.append(product)
    with app.extensions["bazaar_db"].transaction() as connection:
        add_wood_and_width(connection, category["id"], products)
    return {"word": word, "slug": category["slug"]}


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 800}, {"width": 390, "height": 844}], ids=["1366px", "390px"]
)
def test_a_guest_filters_a_category_by_its_attributes(browser, live_server, tables, viewport):
    word = tables["word"]
    context = open_context(browser, live_server, viewport)
    page = context.new_page()
    try:
        page.goto(f"/products?category={tables['slug']}")
        cards = page.get_by_role("main").get_by_role("article")
        expect(cards).to_have_count(10)
        filters_button = page.get_by_role("button", name=re.compile("^Filters"))
        if filters_button.is_visible():  # the phone's filters open in a panel
            filters_button.click()
        page.get_by_role("group", name="Wood").get_by_label(re.compile("^Teak")).check()
        page.get_by_role("group", name="Width").get_by_label("Minimum (cm)").fill("60")
        page.get_by_role("button", name="Apply filters").click()
        expect(cards).to_have_count(3)
        names = sorted(cards.get_by_role("heading").all_inner_texts())
        assert names == [f"Table {word} 04", f"Table {word} 06", f"Table {word} 08"]
        fits(page)
        assert axe_violations(page) == []

        # A bound that is not a number: said so, and the other filter still applies.
        page.goto(f"/products?category={tables['slug']}&attr.wood=Oak&attr.width.min=-3")
        expect(page.get_by_role("main")).to_contain_text("is not a number")
        expect(cards).to_have_count(5)
        fits(page)
        assert context.errors == []
    finally:
        context.close()


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 800}, {"width": 390, "height": 844}], ids=["1366px", "390px"]
)
def test_a_guest_served_from_the_page_cache_adds_to_the_cart_in_one_click(browser, live_server, lamps, viewport):
    """Pages another guest opened first come from the guest cache, before Flask (Server-Timing says
    so), each with this visitor's own CSRF token: the lamp goes into the cart in one click."""
    word = lamps
    earlier = open_context(browser, live_server, viewport)
    earlier_page = earlier.new_page()
    earlier_page.goto(f"/products?q={word}")
    earlier_page.get_by_role("link", name=f"Lamp {word} 07", exact=True).click()
    product_url = earlier_page.url
    earlier.close()

    context = open_context(browser, live_server, viewport)
    page = context.new_page()
    searched = page.goto(f"/products?q={word}")
    assert 'cache;desc="hit"' in searched.headers["server-timing"]
    expect(page.locator("#result-count")).to_contain_text("1–24 of 35 results")
    fits(page)
    with page.expect_response(product_url) as opened:
        page.get_by_role("link", name=f"Lamp {word} 07", exact=True).click()
    assert 'cache;desc="hit"' in opened.value.headers["server-timing"]
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Lamp {word} 07")
    assert axe_violations(page) == []
    fits(page)
    sellers = page.get_by_role("table")
    sellers.get_by_label(f"Quantity from Seller {word}").fill("3")
    sellers.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Added 3 × Lamp {word} 07 to your cart.")
    # Now the visitor has a cart: their pages are rendered for them.
    again = page.goto(product_url)
    assert "cache;" not in again.headers["server-timing"]
    expect(page.get_by_test_id("cart-count")).to_contain_text("3")
    assert context.errors == []
    context.close()
