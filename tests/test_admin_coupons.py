"""Console: the platform's coupons. The table (search, filters, sort, paging, CSV), creating one,
bad input refused as form errors with nothing written, pause and resume with a reason, the uses
and the discount given, and an audit row for each change (the command line's too)."""

import csv
import io
import re
from decimal import Decimal

import pytest

from app import coupon_cli
from app.models import cart, checkout, coupon
from tests import factories
from tests.conftest import query_one
from tests.test_admin import make_staff

GOOD = {
    "code": "spring15",
    "description": "Spring sale",
    "kind": "percent",
    "value": "15",
    "min_spend": "",
    "scope": "all",
    "seller_id": "",
    "category_id": "0",
    "product_ids": "",
    "starts_at": "",
    "ends_at": "",
    "max_uses": "100",
    "per_buyer_limit": "1",
}


def value(app, sql, **params):
    return next(iter(query_one(app, sql, **params).values()))


def audit_count(app, action: str) -> int:
    return value(app, "SELECT count(*) FROM audit_log WHERE action = :action", action=action)


def new_coupon(app, code, seller_id=None, **fields) -> int:
    fields.setdefault("percent_off", None if "amount_off" in fields else Decimal("10"))
    with app.test_request_context():
        return coupon.create_coupon(seller_id, code, **fields)


@pytest.fixture
def admin(app):
    people, user = make_staff(app, "administrator")
    return {"client": people, "user": user}


def test_an_administrator_creates_a_platform_coupon_and_it_is_audited(app, admin):
    response = admin["client"].post("/admin/coupons", GOOD)
    assert response.status_code == 302, response.get_data(as_text=True)
    row = query_one(app, "SELECT * FROM coupons WHERE code = 'SPRING15'")
    assert response.headers["Location"] == f"/admin/coupons/{row['id']}"
    assert row["seller_id"] is None and row["percent_off"] == Decimal("15.00") and row["max_uses"] == 100
    assert row["description"] == "Spring sale" and row["scope_seller_id"] is None
    entry = query_one(app, "SELECT * FROM audit_log WHERE action = 'coupon.create'")
    assert entry["target_type"] == "coupon" and entry["target_id"] == row["id"]
    assert entry["actor_id"] == admin["user"]["id"] and entry["after"]["code"] == "SPRING15"
    page = admin["client"].client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Platform coupon SPRING15" in page and "coupon.create" in page


def test_a_platform_coupon_may_cover_one_sellers_offers_or_listed_products(app, admin, actions):
    seller = actions.create_user(full_name="Sue Seller")
    product = factories.product(app, seller["id"], name="Tea Tin")
    response = admin["client"].post("/admin/coupons", GOOD | {"scope": "seller", "seller_id": str(seller["id"])})
    assert response.status_code == 302
    assert value(app, "SELECT scope_seller_id FROM coupons WHERE code = 'SPRING15'") == seller["id"]
    listed = GOOD | {"code": "TEA5", "kind": "amount", "value": "5", "scope": "products"}
    response = admin["client"].post("/admin/coupons", listed | {"product_ids": f"{product['id']}, {product['id']}"})
    assert response.status_code == 302
    row = query_one(app, "SELECT amount_off, scope_product_ids FROM coupons WHERE code = 'TEA5'")
    assert row == {"amount_off": Decimal("5.00"), "scope_product_ids": [product["id"]]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "X'; DROP TABLE coupons; --"}, "Enter a coupon code"),
        ({"code": "<b>HI</b>"}, "Enter a coupon code"),
        ({"code": ""}, "Enter a coupon code"),
        ({"value": "150"}, "at most 100"),
        ({"kind": "amount", "value": "0"}, "An amount must be from"),
        ({"value": "9" * 400}, ""),
        ({"max_uses": "9" * 400}, "Enter a whole number from 1 to 1,000,000"),
        ({"per_buyer_limit": "0"}, "Enter a whole number from 1 to 1,000"),
        ({"kind": "bitcoin"}, "Not a valid choice"),
        ({"scope": "everyone"}, "Not a valid choice"),
        ({"scope": "seller"}, "Enter the user id of the seller"),
        ({"scope": "seller", "seller_id": "999999999"}, "There is no user 999999999."),
        ({"scope": "seller", "seller_id": "9" * 400}, "Enter a whole number from 1 to"),
        ({"scope": "category"}, "Choose the category"),
        ({"scope": "products", "product_ids": "1, x"}, "Enter product numbers"),
        ({"scope": "products", "product_ids": "999999998, 999999999"}, "There is no product 999999998, 999999999."),
        ({"starts_at": "2030-01-02T00:00", "ends_at": "2030-01-01T00:00"}, "The end must come after the start."),
        ({"ends_at": "9999-12-31T23:59"}, "Enter a date and time from 1900 to 2999."),
        ({"description": "x" * 201}, "under 200 characters"),
        ({"description": "bell\x07"}, "control characters"),
    ],
)
def test_bad_input_is_a_form_error_and_changes_nothing(app, admin, change, message):
    response = admin["client"].post("/admin/coupons", GOOD | change)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "is-invalid" in page and message in page
    assert value(app, "SELECT count(*) FROM coupons") == 0
    assert audit_count(app, "coupon.create") == 0


def test_a_taken_code_is_a_form_error_and_changes_nothing(app, admin, actions):
    seller = actions.create_user()
    new_coupon(app, "SPRING15", seller["id"])
    response = admin["client"].post("/admin/coupons", GOOD)
    assert response.status_code == 400
    assert "The code SPRING15 is taken" in response.get_data(as_text=True)
    assert value(app, "SELECT count(*) FROM coupons") == 1 and audit_count(app, "coupon.create") == 0


def test_pause_and_resume_need_a_reason_and_are_audited(app, admin):
    coupon_id = new_coupon(app, "WINTER10")
    people = admin["client"]
    refused = people.post(f"/admin/coupons/{coupon_id}/pause", {"reason": "  "})
    assert refused.status_code == 400 and "Say why" in refused.get_data(as_text=True)
    assert value(app, "SELECT paused_at FROM coupons WHERE id = :id", id=coupon_id) is None

    assert people.post(f"/admin/coupons/{coupon_id}/pause", {"reason": "Abused on a forum"}).status_code == 302
    assert value(app, "SELECT paused_at FROM coupons WHERE id = :id", id=coupon_id) is not None
    again = people.post(f"/admin/coupons/{coupon_id}/pause", {"reason": "Twice"}, follow_redirects=True)
    assert "This coupon is paused already." in again.get_data(as_text=True)
    assert people.post(f"/admin/coupons/{coupon_id}/resume", {"reason": "Fixed"}).status_code == 302
    assert value(app, "SELECT paused_at FROM coupons WHERE id = :id", id=coupon_id) is None

    rows = [
        (row["action"], row["reason"], row["after"])
        for row in [
            query_one(app, "SELECT * FROM audit_log WHERE action = :a AND target_id = :id", a=action, id=coupon_id)
            for action in ("coupon.pause", "coupon.resume")
        ]
    ]
    assert rows == [
        ("coupon.pause", "Abused on a forum", {"paused": True}),
        ("coupon.resume", "Fixed", {"paused": False}),
    ]
    assert audit_count(app, "coupon.pause") == 1


def test_a_sellers_coupon_is_not_the_consoles(app, admin, actions):
    seller = actions.create_user()
    coupon_id = new_coupon(app, "SELLER5", seller["id"])
    assert admin["client"].client.get(f"/admin/coupons/{coupon_id}").status_code == 404
    assert admin["client"].post(f"/admin/coupons/{coupon_id}/pause", {"reason": "No"}).status_code == 404
    assert admin["client"].client.get(f"/admin/coupons/{2**63}").status_code == 404
    assert "SELLER5" not in admin["client"].client.get("/admin/coupons").get_data(as_text=True)
    assert value(app, "SELECT paused_at FROM coupons WHERE id = :id", id=coupon_id) is None


def test_a_change_needs_a_recent_password(app, admin):
    from tests.test_admin import _age_password

    _age_password(app, admin["user"]["id"], 16)
    response = admin["client"].post("/admin/coupons", GOOD)
    assert response.status_code == 302 and "/admin/reauthenticate" in response.headers["Location"]
    assert value(app, "SELECT count(*) FROM coupons") == 0


def test_the_table_searches_filters_sorts_pages_and_downloads(app, admin):
    for number in range(30):
        new_coupon(app, f"BULK{number:02d}")
    paused = new_coupon(app, "PAUSEDONE", amount_off=Decimal("3.00"))
    with app.test_request_context():
        coupon.set_paused(paused, None, True)
    client = admin["client"].client

    first = client.get("/admin/coupons?sort=code&dir=asc").get_data(as_text=True)
    assert "31 results" in first and "BULK00" in first and "BULK25" not in first
    second = client.get("/admin/coupons?sort=code&dir=asc&page=2").get_data(as_text=True)
    assert "BULK25" in second and "BULK00" not in second
    assert "1 result<" in client.get("/admin/coupons?q=pausedone").get_data(as_text=True)
    filtered = client.get("/admin/coupons?status=paused").get_data(as_text=True)
    assert "1 result<" in filtered and "PAUSEDONE" in filtered
    assert "1 result<" in client.get("/admin/coupons?kind=amount").get_data(as_text=True)
    assert "31 results" in client.get("/admin/coupons?status=nonsense&sort=nonsense").get_data(as_text=True)

    download = client.get("/admin/coupons?status=running&format=csv")
    assert download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert len(rows) == 30 and {row["Status"] for row in rows} == {"running"}
    assert rows[0]["Discount"] == "10% off" and rows[0]["Covers"] == "everything"


def test_the_page_shows_the_uses_and_the_discount_given(app, admin, actions):
    seller = actions.create_user(full_name="Sam Seller")
    buyer = actions.create_user(full_name="Bea Buyer", balance="200")
    product = factories.product(app, seller["id"], name="Clock")
    factories.offer(app, seller["id"], product["id"], price="40.00", quantity=5)
    coupon_id = new_coupon(app, "CLOCK25", percent_off=Decimal("25"))
    with app.test_request_context():
        cart.set_line(buyer["id"], seller["id"], product["id"], 1)
        checkout.place_order(buyer["id"], checkout.new_token(), coupon_codes=["CLOCK25"])

    page = admin["client"].client.get(f"/admin/coupons/{coupon_id}").get_data(as_text=True)
    assert "Bea Buyer" in page and "Uses" in page
    assert re.search(r'data-testid="discount-given">\$10\.00<', page)
    listing = admin["client"].client.get("/admin/coupons").get_data(as_text=True)
    assert "$10.00" in listing


def test_the_command_line_is_audited_too(app, capsys):
    assert coupon_cli.main(["cli10", "--percent", "10"], app=app) == 0
    assert coupon_cli.main(["CLI10", "--pause"], app=app) == 0
    assert coupon_cli.main(["CLI10", "--pause"], app=app) == 0  # already paused: says so, no second row
    assert "CLI10 is paused." in capsys.readouterr().out
    for action in ("coupon.create", "coupon.pause"):
        row = query_one(app, "SELECT actor_id, actor_role FROM audit_log WHERE action = :a", a=action)
        assert row == {"actor_id": None, "actor_role": "command line"}
    assert audit_count(app, "coupon.pause") == 1
