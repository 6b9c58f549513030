"""The product page's gallery in Chromium: the buttons and the arrow keys move through the pictures
and say which one shows; without JavaScript the thumbnails still bring each picture into view; at
390 and 1366 px it fits and axe finds nothing."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.site import LAPTOP, PHONE, add_gallery, axe_violations, open_context, overflow


@pytest.fixture
def table(app, actions):
    """A product with a gallery of three (an upload, then two drawn views), committed for the live server."""
    seller = actions.create_user(full_name="Gus Gallery")
    department = factories.department(app, "Furniture gallery")
    category = factories.category(app, department["id"], "Tables gallery")
    product = factories.product(app, seller["id"], category["id"], "Oak gallery table", "Oiled oak.")
    factories.offer(app, seller["id"], product["id"], "120.00", 4)
    add_gallery(app, product, seller)
    return product


# Whether picture `number` is the one the row of pictures shows (scrolled to its left edge).
SHOWS = """number => {
    const main = document.querySelector(".gallery-main");
    const slide = document.getElementById("picture-" + number);
    return Math.abs(slide.getBoundingClientRect().left - main.getBoundingClientRect().left) < 2;
}"""


def test_the_gallery_moves_with_buttons_arrow_keys_and_thumbnails(page, table):
    page.goto(f"/products/{table['id']}")
    pictures = page.get_by_role("region", name="Pictures of Oak gallery table")
    status = page.get_by_role("status").filter(has_text=re.compile(r"^Picture \d of 3$"))
    expect(status).to_have_text("Picture 1 of 3")
    expect(pictures.get_by_role("img", name="The table from the front, oiled", exact=True)).to_be_visible()

    page.get_by_role("button", name="Next picture").click()
    expect(status).to_have_text("Picture 2 of 3")
    page.wait_for_function(SHOWS, arg=2)

    # The keyboard: focus the pictures, then the arrows, End and Home.
    pictures.focus()
    page.keyboard.press("ArrowRight")
    expect(status).to_have_text("Picture 3 of 3")
    page.keyboard.press("ArrowRight")  # past the last: back to the first
    expect(status).to_have_text("Picture 1 of 3")
    page.keyboard.press("End")
    expect(status).to_have_text("Picture 3 of 3")
    page.keyboard.press("ArrowLeft")
    expect(status).to_have_text("Picture 2 of 3")
    page.wait_for_function(SHOWS, arg=2)

    # The thumbnails: links by name; the arrows move between them and the focus follows.
    thumbnails = page.get_by_role("list", name="All pictures")
    third = thumbnails.get_by_role("link", name=re.compile("^Picture 3 of 3: A close-up of its drawer"))
    third.click()
    expect(status).to_have_text("Picture 3 of 3")
    expect(third).to_have_attribute("aria-current", "true")
    page.keyboard.press("ArrowLeft")
    second = thumbnails.get_by_role("link", name=re.compile("^Picture 2 of 3"))
    expect(second).to_be_focused()
    expect(second).to_have_attribute("aria-current", "true")
    expect(third).not_to_have_attribute("aria-current", "true")
    page.keyboard.press("Home")
    expect(status).to_have_text("Picture 1 of 3")
    page.wait_for_function(SHOWS, arg=1)


def test_without_javascript_thumbnails_are_links_to_each_picture(browser, live_server, table):
    context = browser.new_context(base_url=live_server, viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"/products/{table['id']}")
    expect(page.get_by_role("button", name="Next picture")).to_be_hidden()
    page.get_by_role("link", name=re.compile("^Picture 3 of 3")).click()
    expect(page).to_have_url(re.compile("#picture-3$"))
    # wait_for_function cannot poll on a page without scripts: page.evaluate still runs.
    for _ in range(100):
        if page.evaluate(SHOWS, 3):
            break
        page.wait_for_timeout(100)
    assert page.evaluate(SHOWS, 3)
    assert overflow(page) is None
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390px", "1366px"])
def test_the_gallery_fits_and_passes_axe(browser, live_server, table, viewport):
    context = open_context(browser, live_server, viewport)
    page = context.new_page()
    page.goto(f"/products/{table['id']}")
    expect(page.get_by_role("button", name="Next picture")).to_be_visible()
    cover = page.get_by_role("img", name="The table from the front, oiled", exact=True)
    expect(cover).to_be_visible()
    box = cover.bounding_box()
    # The 4:3 photo is contained in its square: nothing cut off (its natural size keeps its shape).
    natural = page.evaluate("img => [img.naturalWidth, img.naturalHeight]", cover.element_handle())
    assert natural == [400, 300] and box["width"] > 100
    assert overflow(page) is None
    assert axe_violations(page) == []
    assert context.errors == []
    context.close()
