"""Products that come in options (issue 17): variants with their own offers, one product in the catalog."""

import re
from decimal import Decimal

import pytest

from app.models import cart, checkout, offer, review, variant
from tests import factories
from tests.conftest import query_one


def make_family(app, creator_id: int, name: str = "Trail Runner", category_id: int | None = None) -> dict:
    """A product in Colour and Size with four variants, added as the seller center adds them."""
    parent = factories.product(app, creator_id, category_id, name)
    ids = {}
    with app.test_request_context():
        for values in (["Red", "M"], ["Red", "L"], ["Blue", "M"], ["Blue", "L"]):
            ids[" / ".join(values)] = variant.add_variant(creator_id, parent["id"], ["Colour", "Size"], values)
    return {"parent": parent, "ids": ids}


@pytest.fixture
def family(app, actions):
    creator = actions.create_user(full_name="Fay Family")
    cheap = actions.create_user(full_name="Cheap Seller")
    dear = actions.create_user(full_name="Dear Seller")
    made = make_family(app, creator["id"])
    ids = made["ids"]
    factories.offer(app, cheap["id"], ids["Red / M"], "40.00", 3)
    factories.offer(app, dear["id"], ids["Red / M"], "45.00", 5)
    factories.offer(app, dear["id"], ids["Blue / L"], "60.00", 2)
    factories.offer(app, cheap["id"], ids["Red / L"], "30.00", 0)  # the cheapest, out of stock
    return made | {"creator": creator, "cheap": cheap, "dear": dear}


def summary(app, product_id: int):
    return query_one(
        app,
        "SELECT offer_count, total_stock, min_price, max_price, min_price_before_sale, units_sold "
        "FROM products WHERE id = :id",
        id=product_id,
    )


def test_the_product_adds_up_its_variants(app, family):
    row = summary(app, family["parent"]["id"])
    assert row["offer_count"] == 4 and row["total_stock"] == 10
    # The cheapest variant in stock (Red / M at 40), the dearest variant's price for the range.
    assert row["min_price"] == Decimal("40.00") and row["max_price"] == Decimal("60.00")
    assert row["units_sold"] == 0
    blue = family["ids"]["Blue / L"]
    variant_row = query_one(app, "SELECT name, option_values FROM products WHERE id = :id", id=blue)
    assert variant_row["name"] == "Trail Runner — Blue / L" and variant_row["option_values"] == ["Blue", "L"]


def test_a_sale_of_a_variant_counts_for_the_product(app, actions, family):
    buyer = actions.create_user(balance="500.00")
    with app.test_request_context():
        cart.set_line(buyer["id"], family["dear"]["id"], family["ids"]["Blue / L"], 2)
        checkout.place_order(buyer["id"], checkout.new_token())
    row = summary(app, family["parent"]["id"])
    assert row["units_sold"] == 2 and row["total_stock"] == 8
    # Blue / L sold out: the range now ends at the dearest variant still priced (its offer stays).
    assert row["max_price"] == Decimal("60.00")
    # A buyer of a variant is a buyer of the product: their review counts as a verified purchase.
    with app.test_request_context():
        assert review.has_bought_product(family["parent"]["id"], buyer["id"])


def test_the_product_page_shows_the_chosen_variants_sellers(client, family):
    parent_id = family["parent"]["id"]
    page = client.get(f"/products/{parent_id}").get_data(as_text=True)
    # By default the cheapest variant in stock: Red / M, with both its sellers.
    assert 'data-testid="chosen-variant"' in page and "Red / M" in page
    assert "Cheap Seller" in page and "Dear Seller" in page
    assert "$40.00 – $60.00" in page
    assert f'name="product_id" value="{family["ids"]["Red / M"]}"' in page
    # The product itself is never added to a cart (its id appears only in the wishlist's heart).
    cart_forms = re.findall(r'<form method="post" action="/cart/add".*?</form>', page, re.S)
    assert cart_forms and not [form for form in cart_forms if f'value="{parent_id}"' in form]

    page = client.get(f"/products/{parent_id}?variant={family['ids']['Blue / L']}").get_data(as_text=True)
    assert f'name="product_id" value="{family["ids"]["Blue / L"]}"' in page and "Cheap Seller" not in page

    # The picker's form: one radio group per option, the chosen values checked.
    page = client.get(f"/products/{parent_id}?o0=Blue&o1=L").get_data(as_text=True)
    assert re.search(r'<legend[^>]*>Colour: <span class="fw-normal">Blue</span></legend>', page)
    assert re.search(r'name="o0" id="option-0-1" value="Blue"\s+checked', page)
    assert f'name="product_id" value="{family["ids"]["Blue / L"]}"' in page

    # A combination no variant has falls back to the closest one (Blue / M has no seller: still shown).
    page = client.get(f"/products/{parent_id}?o0=Blue&o1=M").get_data(as_text=True)
    assert "No seller offers this variant at the moment." in page


def test_a_variants_own_address_leads_to_its_product(client, family):
    variant_id = family["ids"]["Blue / L"]
    response = client.get(f"/products/{variant_id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/products/{family['parent']['id']}?variant={variant_id}")


@pytest.mark.parametrize(
    "query",
    ["variant=abc", "variant=-1", "variant=99999999999999999999999", "o0=Green", "o1=%3Cscript%3E", "o0=red"],
)
def test_unknown_variants_and_values_are_404(client, family, query):
    response = client.get(f"/products/{family['parent']['id']}?{query}")
    assert response.status_code == 404


def test_a_variant_of_another_product_is_404(app, client, family):
    other = make_family(app, family["creator"]["id"], "Road Runner")
    response = client.get(f"/products/{family['parent']['id']}?variant={other['ids']['Red / M']}")
    assert response.status_code == 404


def test_search_shows_the_product_once_with_its_price_range(app, client, family):
    page = client.get("/products?q=trail+runner").get_data(as_text=True)
    assert page.count('class="card h-100 product-card"') == 1
    assert "$40.00 – $60.00" in page
    assert "Trail Runner — Red / M" not in page


def test_the_product_itself_cannot_be_offered(app, actions, family):
    seller = actions.create_user()
    with app.test_request_context(), pytest.raises(offer.ProductHasVariants):
        offer.add_offer(seller["id"], family["parent"]["id"], Decimal("10.00"), 3)
    # Its variants can.
    with app.test_request_context():
        offer.add_offer(seller["id"], family["ids"]["Blue / M"], Decimal("55.00"), 3)
    assert summary(app, family["parent"]["id"])["offer_count"] == 5


def test_a_product_already_sold_as_it_is_gets_no_variants(app, actions):
    creator = actions.create_user()
    product = factories.product(app, creator["id"], name="Plain mug")
    factories.offer(app, creator["id"], product["id"], "8.00", 5)
    with app.test_request_context(), pytest.raises(variant.VariantRefused, match="already sold as it is"):
        variant.add_variant(creator["id"], product["id"], ["Colour"], ["Red"])


def test_a_seller_creates_a_product_with_options_and_its_variants(app, client, actions):
    creator = actions.signed_in_user()
    category = factories.category(app)
    response = actions.post(
        "/seller/products/new-with-options",
        {"name": "Wool scarf", "description": "Warm.", "category_id": category["id"], "options": "Colour, Length"},
    )
    assert response.status_code == 302
    product_id = int(re.search(r"/seller/products/(\d+)/variants", response.headers["Location"]).group(1))
    assert query_one(app, "SELECT option_names FROM products WHERE id = :id", id=product_id)["option_names"] == [
        "Colour",
        "Length",
    ]
    assert actions.post(f"/seller/products/{product_id}/variants", {"values": "Grey, 180 cm"}).status_code == 302
    page = client.get(f"/seller/products/{product_id}/variants").get_data(as_text=True)
    assert "Grey" in page and "180 cm" in page

    # The same variant twice, a value short, too many, and HTML (stored as text, shown escaped).
    duplicate = actions.post(f"/seller/products/{product_id}/variants", {"values": "grey ,180 CM"})
    assert duplicate.status_code == 409 and "already has the variant" in duplicate.get_data(as_text=True)
    assert actions.post(f"/seller/products/{product_id}/variants", {"values": "Grey"}).status_code == 409
    assert actions.post(f"/seller/products/{product_id}/variants", {"values": "a, b, c, d"}).status_code == 400
    assert actions.post(f"/seller/products/{product_id}/variants", {"values": ""}).status_code == 400
    assert actions.post(f"/seller/products/{product_id}/variants", {"values": "x" * 41 + ", M"}).status_code == 400
    assert actions.post(f"/seller/products/{product_id}/variants", {"values": "<b>Red</b>, 1 m"}).status_code == 302
    page = client.get(f"/products/{product_id}").get_data(as_text=True)
    assert "&lt;b&gt;Red&lt;/b&gt;" in page and "<b>Red</b>" not in page
    count = query_one(app, "SELECT count(*) AS n FROM products WHERE parent_id = :id", id=product_id)["n"]
    assert count == 2 and creator


def test_another_users_product_is_not_theirs_to_split(app, client, actions, family):
    actions.signed_in_user()
    parent_id = family["parent"]["id"]
    assert client.get(f"/seller/products/{parent_id}/variants").status_code == 404
    assert actions.post(f"/seller/products/{parent_id}/variants", {"values": "Green, S"}).status_code == 404
    # A variant is not a product of its own to split either, even for its creator.
    assert actions.post(f"/seller/products/{family['ids']['Red / M']}/variants", {"values": "X"}).status_code == 404
    assert client.get("/seller/products/99999999999999999999/variants").status_code == 404
    assert summary(app, parent_id)["offer_count"] == 4


def test_a_seller_of_a_variant_may_not_review_the_product(app, family):
    with app.test_request_context(), pytest.raises(review.ReviewRefused):
        review.save_review("product", family["parent"]["id"], family["dear"]["id"], 5, "Great", "Buy it.")


def test_the_product_page_runs_a_fixed_number_of_queries(app, client, actions, family, count_queries):
    parent_id = family["parent"]["id"]
    with count_queries() as few:
        client.get(f"/products/{parent_id}")
    with app.test_request_context():
        for size in ("S", "XL", "XXL"):
            variant_id = variant.add_variant(family["creator"]["id"], parent_id, [], ["Green", size])
            factories.offer(app, family["cheap"]["id"], variant_id, "33.00", 4)
    with count_queries() as many:
        page = client.get(f"/products/{parent_id}?o0=Green").get_data(as_text=True)
    assert "XXL" in page
    # Product, variants, their offers, also-bought, the gallery, and the reviews' list and summary.
    assert len(few) == len(many) <= 7


def test_a_sellers_analytics_count_a_products_variants_as_one_product(app, actions, family):
    from datetime import date, timedelta

    from app.models import analytics

    buyer = actions.create_user(balance="500.00")
    with app.test_request_context():
        cart.set_line(buyer["id"], family["dear"]["id"], family["ids"]["Red / M"], 1)
        cart.set_line(buyer["id"], family["dear"]["id"], family["ids"]["Blue / L"], 1)
        checkout.place_order(buyer["id"], checkout.new_token())
        today = date.today()
        period = analytics.Period(today - timedelta(days=2), today + timedelta(days=2), "UTC")
        rows = analytics.list_top_products_and_categories(family["dear"]["id"], period, 5)
    products = [row for row in rows if row["dimension"] == "product"]
    assert [(row["name"], row["units"], row["orders"]) for row in products] == [("Trail Runner", 2, 1)]
    assert products[0]["revenue"] == Decimal("105.00")


def test_taking_a_product_down_holds_its_variants_offers_and_restoring_releases_them(app, client, actions, family):
    from app.models import admin_products, audit

    moderator = actions.create_user()
    actor = audit.Actor(moderator["id"], "moderator", "127.0.0.1")
    parent_id = family["parent"]["id"]
    with app.test_request_context():
        held = admin_products.set_status(parent_id, "taken_down", "Counterfeit.", actor, "product.take_down")
    assert held == 4
    row = summary(app, parent_id)
    assert row["offer_count"] == 0 and row["min_price"] is None and row["max_price"] is None
    statuses = query_one(app, "SELECT array_agg(DISTINCT status) AS s FROM products WHERE parent_id = :p", p=parent_id)
    assert statuses["s"] == ["taken_down"]
    assert client.get(f"/products/{parent_id}").status_code == 404
    assert client.get(f"/products/{family['ids']['Red / M']}").status_code == 404
    with app.test_request_context():
        released = admin_products.set_status(parent_id, "listed", "Checked.", actor, "product.restore")
    assert released == 4 and summary(app, parent_id)["offer_count"] == 4


def test_the_drawn_pictures_take_the_chosen_colour(client, family):
    from app import pictures

    parent_id = family["parent"]["id"]
    red = client.get(f"/products/{parent_id}?o0=Red").get_data(as_text=True)
    blue = client.get(f"/products/{parent_id}?o0=Blue").get_data(as_text=True)
    assert f"-{pictures.NAMED_COLOURS['red']}-" in red and f"-{pictures.NAMED_COLOURS['blue']}-" in blue
