"""Coupons: a seller's pages, the cart's "Apply coupon" with the reason it does not apply, and bad input."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.models import coupon
from tests import factories
from tests.conftest import query_one


def local(moment: datetime) -> str:
    """A datetime-local value (the test users' zone is UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def new_coupon(app, seller_id, code="SAVE10", **fields) -> int:
    """A coupon made through the model (percent 10 unless told), inside the test's transaction."""
    fields.setdefault("percent_off", None if "amount_off" in fields else Decimal("10"))
    with app.test_request_context():
        return coupon.create_coupon(seller_id, code, **fields)


def coupon_row(app, code: str):
    return query_one(app, "SELECT * FROM coupons WHERE code = :code", code=code)


def count_coupons(app) -> int:
    return query_one(app, "SELECT count(*) AS n FROM coupons")["n"]


@pytest.fixture
def shop(app, actions):
    """A seller with two products in two categories, and a signed-in buyer with both in the cart."""
    seller = actions.create_user(full_name="Sally Seller")
    kitchen, garden = factories.category(app, name="Kitchen"), factories.category(app, name="Garden")
    pan = factories.product(app, seller["id"], kitchen["id"], name="Frying Pan")
    rake = factories.product(app, seller["id"], garden["id"], name="Garden Rake")
    factories.offer(app, seller["id"], pan["id"], price="30.00", quantity=10)
    factories.offer(app, seller["id"], rake["id"], price="15.00", quantity=10)
    buyer = actions.signed_in_user(full_name="Bo Buyer", balance="200.00")
    for product in (pan, rake):
        actions.post("/cart/add", {"product_id": product["id"], "seller_id": seller["id"], "quantity": "1"})
    return {"seller": seller, "buyer": buyer, "pan": pan, "rake": rake, "kitchen": kitchen, "garden": garden}


def apply(actions, code):
    return actions.post("/cart/coupon", {"code": code})


def form_error(response) -> str:
    page = response.get_data(as_text=True)
    found = re.search(r'class="invalid-feedback d-block"[^>]*>(.*?)</div>', page, re.S)
    return found.group(1).strip() if found else ""


# Seller pages


def coupon_form(**overrides) -> dict:
    form = {
        "code": "spring-15",
        "kind": "percent",
        "value": "15",
        "scope": "all",
        "category_id": "0",
        "per_buyer_limit": "1",
    }
    return form | overrides


def test_seller_creates_a_coupon_and_sees_it(app, actions):
    seller = actions.signed_in_user()
    response = actions.post("/seller/coupons", coupon_form(max_uses="100", min_spend="20"))
    assert response.status_code == 302, form_error(response)
    row = coupon_row(app, "SPRING-15")
    assert row["seller_id"] == seller["id"] and row["percent_off"] == Decimal("15.00")
    assert row["max_uses"] == 100 and row["min_spend"] == Decimal("20.00")
    page = actions.client.get("/seller/coupons").get_data(as_text=True)
    assert "SPRING-15" in page and "15% off" in page
    detail = actions.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not used yet" in detail


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code": "X'; DROP TABLE coupons; --"}, "3 to 32 letters"),
        ({"code": "<b>SALE</b>"}, "3 to 32 letters"),
        ({"code": ""}, "3 to 32 letters"),
        ({"value": "-5"}, "at most two decimals"),
        ({"value": "150"}, "at most 100"),
        ({"value": "0"}, "more than 0"),
        ({"value": "10.125"}, "at most two decimals"),
        ({"kind": "amount", "value": "4.999"}, "at most two decimals"),
        ({"min_spend": "abc"}, "at most two decimals"),
        ({"starts_at": "2031-05-02T10:00", "ends_at": "2031-05-01T10:00"}, "after the start"),
        ({"ends_at": "2031-13-01T10:00"}, "like 2026-12-24"),
        ({"ends_at": "9999-01-01T10:00"}, "from 1900 to 2999"),
        ({"scope": "category", "category_id": "0"}, "Choose the category"),
        ({"scope": "products", "product_ids": "12, x"}, "separated by commas"),
        ({"per_buyer_limit": "0"}, "from 1 to 1,000"),
        ({"max_uses": "99999999999999999999999"}, "from 1 to 1,000,000"),
    ],
)
def test_bad_coupon_forms_are_refused_and_change_nothing(app, actions, overrides, message):
    actions.signed_in_user()
    before = count_coupons(app)
    response = actions.post("/seller/coupons", coupon_form(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count_coupons(app) == before


def test_codes_are_unique_ignoring_case(app, actions):
    actions.signed_in_user()
    assert actions.post("/seller/coupons", coupon_form(code="HELLO")).status_code == 302
    response = actions.post("/seller/coupons", coupon_form(code="hello"))
    assert response.status_code == 400
    assert "HELLO is taken" in response.get_data(as_text=True)


def test_a_seller_lists_only_their_own_products(app, actions):
    other = actions.create_user()
    theirs = factories.product(app, other["id"])
    factories.offer(app, other["id"], theirs["id"])
    actions.signed_in_user()
    response = actions.post("/seller/coupons", coupon_form(scope="products", product_ids=str(theirs["id"])))
    assert response.status_code == 400
    assert f"You do not sell {theirs['id']}" in response.get_data(as_text=True)


def test_pause_and_resume_and_nobody_elses(app, actions):
    seller = actions.signed_in_user()
    coupon_id = new_coupon(app, seller["id"])
    assert actions.post(f"/seller/coupons/{coupon_id}/pause").status_code == 302
    assert coupon_row(app, "SAVE10")["paused_at"] is not None
    assert actions.post(f"/seller/coupons/{coupon_id}/resume").status_code == 302
    assert coupon_row(app, "SAVE10")["paused_at"] is None
    actions.logout()
    actions.signed_in_user()
    assert actions.client.get(f"/seller/coupons/{coupon_id}").status_code == 404
    assert actions.post(f"/seller/coupons/{coupon_id}/pause").status_code == 404
    assert actions.client.get(f"/seller/coupons/{2**70}").status_code == 404


def test_pause_needs_the_csrf_token(app, actions):
    seller = actions.signed_in_user()
    coupon_id = new_coupon(app, seller["id"])
    assert actions.client.post(f"/seller/coupons/{coupon_id}/pause").status_code == 400
    assert coupon_row(app, "SAVE10")["paused_at"] is None


# The cart's "Apply coupon"


def test_applying_a_coupon_shows_its_discount(app, actions, shop):
    new_coupon(app, shop["seller"]["id"], "PAN20", percent_off=Decimal("20"), scope_category_id=shop["kitchen"]["id"])
    response = apply(actions, "pan20")
    assert response.status_code == 302
    page = actions.client.get("/cart").get_data(as_text=True)
    assert "PAN20" in page and "−$6.00" in page  # 20 % of the pan only
    assert re.search(r'data-testid="cart-pay">\$39\.00<', page)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"starts_at": datetime.now(UTC) + timedelta(days=2)}, "has not started yet"),
        (
            {"starts_at": datetime.now(UTC) - timedelta(days=9), "ends_at": datetime.now(UTC) - timedelta(days=1)},
            "has expired",
        ),
        ({"min_spend": Decimal("100.00")}, "add $55.00 more"),
        ({"scope_product_ids": [2**40]}, "is not for anything in your cart"),
        ({"for_thanks": True}, "thank-you coupon for other buyers"),
    ],
)
def test_a_coupon_that_does_not_apply_says_why_and_is_not_kept(app, actions, shop, fields, message):
    new_coupon(app, shop["seller"]["id"], "NOPE", **fields)
    response = apply(actions, "NOPE")
    assert response.status_code == 409
    assert message in form_error(response)
    page = actions.client.get("/cart").get_data(as_text=True)
    assert "cart-pay" not in page


def test_used_up_and_already_used_and_paused(app, actions, shop):
    coupon_id = new_coupon(app, shop["seller"]["id"], "GONE", max_uses=1)
    query_one(app, "UPDATE coupons SET uses = 1 WHERE id = :id RETURNING id", id=coupon_id)
    assert "has been used up" in form_error(apply(actions, "GONE"))
    mine = new_coupon(app, shop["seller"]["id"], "ONCE")
    purchase = query_one(
        app,
        "INSERT INTO purchases (buyer_id, checkout_token, total) VALUES (:b, gen_random_uuid(), 0) RETURNING id",
        b=shop["buyer"]["id"],
    )
    query_one(
        app,
        """
        INSERT INTO coupon_uses (coupon_id, purchase_id, buyer_id, discount) VALUES (:c, :p, :b, 1) RETURNING id
        """,
        c=mine,
        p=purchase["id"],
        b=shop["buyer"]["id"],
    )
    assert "You have already used ONCE" in form_error(apply(actions, "ONCE"))
    new_coupon(app, shop["seller"]["id"], "RESTING")
    query_one(app, "UPDATE coupons SET paused_at = now() WHERE code = 'RESTING' RETURNING id")
    assert "is paused by Sally Seller" in form_error(apply(actions, "RESTING"))


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("NOSUCHCODE", 409, "There is no coupon NOSUCHCODE."),
        ("X' OR '1'='1", 400, "3 to 32 letters"),
        ("<script>alert(1)</script>", 400, "3 to 32 letters"),
        ("", 400, "3 to 32 letters"),
        ("A" * 40, 400, "3 to 32 letters"),
    ],
)
def test_bad_codes_are_form_errors(app, actions, shop, code, status, message):
    response = apply(actions, code)
    assert response.status_code == status
    assert message in form_error(response)
    assert "<script>alert" not in response.get_data(as_text=True)


def test_one_seller_coupon_per_seller_and_one_platform_coupon(app, actions, shop):
    new_coupon(app, shop["seller"]["id"], "FIRST")
    new_coupon(app, shop["seller"]["id"], "SECOND")
    new_coupon(app, None, "BAZAAR5", amount_off=Decimal("5.00"))
    new_coupon(app, None, "BAZAAR6", amount_off=Decimal("6.00"))
    assert apply(actions, "FIRST").status_code == 302
    assert "remove it to use SECOND" in form_error(apply(actions, "SECOND"))
    assert apply(actions, "BAZAAR5").status_code == 302
    assert "You already applied a Bazaar coupon, BAZAAR5" in form_error(apply(actions, "BAZAAR6"))
    page = actions.client.get("/cart").get_data(as_text=True)
    # 10 % of 45.00, then 5.00 off the 40.50 left.
    assert re.search(r'data-testid="cart-pay">\$35\.50<', page)
    assert actions.post("/cart/coupon/remove", {"code": "FIRST"}).status_code == 302
    page = actions.client.get("/cart").get_data(as_text=True)
    assert re.search(r'data-testid="cart-pay">\$40\.00<', page)


def test_a_guest_cannot_apply_a_coupon(app, client):
    response = client.post("/cart/coupon", data={"code": "SAVE10"})
    assert response.status_code in (302, 400)
    assert "Sign in" in client.get("/cart").get_data(as_text=True) or response.status_code == 400


def test_thank_you_coupons_show_on_the_buyers_page(app, actions, shop):
    coupon_id = new_coupon(app, shop["seller"]["id"], "THANKS", for_thanks=True)
    purchase = query_one(
        app,
        "INSERT INTO purchases (buyer_id, checkout_token, total) VALUES (:b, gen_random_uuid(), 0) RETURNING id",
        b=shop["buyer"]["id"],
    )
    query_one(
        app,
        "INSERT INTO coupon_grants (buyer_id, coupon_id, purchase_id) VALUES (:b, :c, :p) RETURNING buyer_id",
        b=shop["buyer"]["id"],
        c=coupon_id,
        p=purchase["id"],
    )
    page = actions.client.get("/account/coupons").get_data(as_text=True)
    assert "THANKS" in page and "thank-you" in page
    assert apply(actions, "THANKS").status_code == 302
