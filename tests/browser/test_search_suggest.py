"""The header's search box as a combobox in Chromium: typing lists suggestions, the arrow keys and
Enter follow one, Escape closes the list, a click follows one; the ARIA attributes say what is going
on; without JavaScript it is a plain search form; at 390 and 1366 px it fits and axe finds nothing."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests import factories
from tests.browser.site import LAPTOP, PHONE, axe_violations, open_context, overflow


@pytest.fixture
def earbuds(app, actions):
    """Three products and a category, committed for the live server, the hourly counts done."""
    seller = actions.create_user(full_name="Sue Suggest")
    department = factories.department(app, "Electronics suggest")
    category = factories.category(app, department["id"], "Wireless audio")
    made = {}
    for name, sold in (
        ("Arcwell Wireless Earbuds", 30),
        ("Arcwell Wireless Speaker with a very long name that has to wrap on a small phone screen", 20),
        ("Boomtide Wired Earphones", 10),
    ):
        made[name] = factories.product(app, seller["id"], category["id"], name)
        factories.offer(app, seller["id"], made[name]["id"], "40.00", 5)
        with app.extensions["bazaar_db"].transaction() as connection:
            connection.execute(
                text("UPDATE products SET units_sold = :sold WHERE id = :id"), {"sold": sold, "id": made[name]["id"]}
            )
    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(text("SELECT recount_search_words()"))
        connection.execute(text("SELECT refresh_search_suggestions()"))
    return made["Arcwell Wireless Earbuds"]


def _search_box(page):
    """The search box, opening the collapsed menu first on a phone."""
    toggle = page.get_by_role("button", name="Toggle navigation")
    if toggle.is_visible():
        toggle.click()
    box = page.get_by_role("combobox", name="Search products")
    expect(box).to_be_visible()
    return box


def test_type_choose_with_the_keyboard_and_go(page, earbuds):
    requests = []
    page.on("request", lambda request: requests.append(request.url) if "/products/suggest" in request.url else None)
    page.goto("/")
    box = _search_box(page)
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_attribute("aria-autocomplete", "list")
    listbox_id = box.get_attribute("aria-controls")

    box.press_sequentially("a")  # one character: no request
    page.wait_for_timeout(400)
    assert requests == []

    box.press_sequentially("rcwell wirel", delay=20)
    listbox = page.get_by_role("listbox", name="Search suggestions")
    expect(listbox).to_be_visible()
    assert listbox.get_attribute("id") == listbox_id
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.first).to_have_text("Arcwell Wireless Earbuds")
    expect(page.get_by_test_id("suggestion-count")).to_have_text("2 suggestions. Use the up and down arrows to choose.")
    assert len(requests) <= 3  # debounced: not one a key

    box.press("ArrowDown")
    first = options.first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    expect(box).to_be_focused()
    box.press("ArrowDown")
    box.press("ArrowUp")
    expect(first).to_have_attribute("aria-selected", "true")

    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile("."))
    expect(box).to_have_value("arcwell wirel")  # Escape closes the list, the text stays

    box.press("ArrowDown")  # opens it again, on the first
    expect(listbox).to_be_visible()
    expect(first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/products/{earbuds['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Arcwell Wireless Earbuds")


def test_enter_without_a_choice_searches_and_a_click_follows(page, earbuds):
    page.goto("/")
    box = _search_box(page)
    box.press_sequentially("boomt", delay=20)
    option = page.get_by_role("option", name="Boomtide Wired Earphones")
    expect(option).to_be_visible()
    box.press("Enter")  # no option chosen: the form's search
    expect(page).to_have_url(re.compile(r"/products\?q=boomt$"))

    box = _search_box(page)
    box.fill("")
    box.press_sequentially("wireless au", delay=20)
    category = page.get_by_role("option", name=re.compile("^Wireless audio"))
    expect(category).to_contain_text("Category in Electronics suggest")
    category.click()
    expect(page).to_have_url(re.compile(r"/products\?category=category-"))


def test_without_javascript_it_is_a_plain_search_form(browser, live_server, earbuds):
    context = browser.new_context(base_url=live_server, viewport=LAPTOP, java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    box = page.get_by_role("searchbox", name="Search products")
    assert box.get_attribute("role") is None and box.get_attribute("aria-expanded") is None
    box.fill("earbuds")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/products\?q=earbuds$"))
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390px", "1366px"])
def test_the_open_list_fits_and_passes_axe(browser, live_server, earbuds, viewport):
    context = open_context(browser, live_server, viewport)
    page = context.new_page()
    page.goto("/")
    box = _search_box(page)
    box.press_sequentially("arcw", delay=20)
    options = page.get_by_role("listbox", name="Search suggestions").get_by_role("option")
    expect(options).to_have_count(2)
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    listbox_box = page.get_by_role("listbox").bounding_box()
    assert listbox_box["x"] >= 0 and listbox_box["x"] + listbox_box["width"] <= viewport["width"]
    assert overflow(page) is None
    assert axe_violations(page) == []
    assert context.errors == []
    context.close()
