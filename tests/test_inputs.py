"""The input layer (app/inputs.py) and what it fixes: calendar-edge dates, NUL in search boxes,
numbers of hundreds of digits, and list filters that follow the user's local day."""

import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from app import inputs
from tests import factories
from tests.conftest import csrf_token, query_one
from tests.sales import buy

UTC = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("42", 42),
        (" 7 ", 7),
        ("+3", 3),
        ("-1", None),  # below the minimum
        ("0", 0),
        ("1000", None),  # above the maximum
        ("9" * 18, None),
        ("9" * 19, None),  # more digits than any id
        ("9" * 400, None),
        ("١٢٣", None),  # another script's digits: int() would read 123
        ("1e3", None),
        ("1.5", None),
        ("NaN", None),
        ("0x10", None),
        ("1_000", None),
        ("", None),
        (None, None),
        ("4\x00", None),
    ],
)
def test_whole_number_reads_ascii_digits_within_the_range(raw, expected):
    assert inputs.whole_number(raw, 0, 999) == expected


def test_whole_number_reaches_bigint_but_never_past_it():
    assert inputs.whole_number("9" * 18, 1, inputs.MAX_ID) == 10**18 - 1
    assert inputs.whole_number(str(2**63), 1, inputs.MAX_ID) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("lamp", "lamp"),
        ("\x00", ""),
        ("a\x00b", "a b"),
        ("  desk\x1b[2Jlamp\x7f ", "desk [2Jlamp"),
        ("tab\tkept", "tab\tkept"),
        ("x" * 5000, "x" * 100),
        (None, ""),
    ],
)
def test_clean_text_drops_control_characters_and_cuts(raw, expected):
    assert inputs.clean_text(raw, 100) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("yesterday", "must look like 2025-01-31"),
        ("2025-1-5", "must look like 2025-01-31"),
        ("2025-02-30", "2025-02-30 does not exist"),
        ("0001-01-01", "must be from 1900-01-01 to 2999-12-31"),
        ("9999-12-31", "must be from 1900-01-01 to 2999-12-31"),
        ("٢٠٢٥-٠١-٠١", "must look like 2025-01-31"),
        ("2025-01-01\x00", "must look like 2025-01-31"),
    ],
)
def test_parse_date_says_what_is_wrong(raw, message):
    with pytest.raises(inputs.InvalidInput, match=message):
        inputs.parse_date(raw, "from")


def test_parse_date_accepts_the_ends_of_its_range():
    assert inputs.parse_date(" 1900-01-01 ", "from") == date(1900, 1, 1)
    assert inputs.parse_date("2999-12-31", "to") == date(2999, 12, 31)


# Issue 12, "500s found" 1: period arithmetic at the calendar's ends.
EDGE_RANGES = [
    {"from": "9999-12-01", "to": "9999-12-31"},
    {"from": "0001-01-01", "to": "0001-01-05"},
    {"to": "0001-01-01"},
    {"from": "9999-12-31"},
    {"from": "1900-01-01", "to": "1900-01-05"},  # allowed: the period before it is in 1899
    {"from": "2999-12-01", "to": "2999-12-31"},  # allowed: its day after is in 3000
]


@pytest.mark.parametrize("dates", EDGE_RANGES)
def test_calendar_edges_are_a_clear_400_or_an_answer_on_every_analytics_route(client, actions, dates):
    actions.signed_in_user()
    allowed = dates.get("from", "").startswith(("1900", "2999"))
    api = client.get("/api/seller/sales", query_string={"group_by": "month"} | dates)
    if allowed:
        assert api.status_code == 200
        assert api.get_json()["from"] == dates["from"]
    else:
        assert api.status_code == 400
        body = api.get_json()
        assert set(body) == {"error", "allowed_group_by"}
        assert "1900-01-01 to 2999-12-31" in body["error"] or "after the to date" in body["error"]
    for url in ("/seller/analytics", "/seller/analytics.csv", "/account/insights", "/account/insights.csv"):
        response = client.get(url, query_string=dates)
        assert response.status_code == (200 if allowed else 400), url
        if not allowed and url.endswith("analytics"):
            assert re.search(r"1900-01-01 to 2999-12-31|after the to date", response.get_data(as_text=True))


# Issue 12, "500s found" 2: NUL in a search box.
@pytest.mark.parametrize("url", ["/purchases", "/seller/inventory", "/seller/orders", "/seller/offers/new"])
@pytest.mark.parametrize("keyword", ["\x00", "lamp\x00", "\x01\x1b\x7f"])
def test_control_characters_in_a_search_box_are_dropped(client, actions, url, keyword):
    actions.signed_in_user()
    assert client.get(url, query_string={"q": keyword}).status_code == 200


def test_a_search_without_its_control_characters_still_finds(app, client, actions):
    seller = actions.signed_in_user()
    lamp = factories.product(app, seller["id"], name="Desk Lamp")
    factories.offer(app, seller["id"], lamp["id"])
    for keyword in ("\x00lamp", "lamp\x00\x01"):
        assert "Desk Lamp" in client.get("/seller/inventory", query_string={"q": keyword}).get_data(as_text=True)


# Issue 11 §4: /purchases and /seller/orders filter by the user's local day.


@pytest.fixture
def late_purchase(app, actions):
    """A purchase at 03:30 UTC on March 1, 2025: still February 28 in New York."""
    seller = actions.create_user(full_name="Night Seller")
    category = factories.category(app)
    clock = factories.product(app, seller["id"], category["id"], name="Alarm Clock")
    factories.offer(app, seller["id"], clock["id"], quantity=5)
    buyer = actions.create_user(balance="100")
    line = buy(app, buyer, [(seller, clock, category, 1)], datetime(2025, 3, 1, 3, 30, tzinfo=UTC))[0]
    return {"seller": seller, "buyer": buyer, "purchase_id": line.purchase_id}


def _set_time_zone(app, user, name):
    query_one(app, "UPDATE users SET time_zone = :name WHERE id = :id RETURNING id", name=name, id=user["id"])


@pytest.mark.parametrize(
    ("who", "url"),
    [("buyer", "/purchases?date_from={day}&date_to={day}"), ("seller", "/seller/orders?date_from={day}&date_to={day}")],
)
@pytest.mark.parametrize(("time_zone", "day"), [("UTC", "2025-03-01"), ("America/New_York", "2025-02-28")])
def test_list_date_filters_use_the_users_local_day(app, client, actions, late_purchase, who, url, time_zone, day):
    _set_time_zone(app, late_purchase[who], time_zone)
    actions.login(late_purchase[who]["email"])
    number = f"Purchase #{late_purchase['purchase_id']}<"
    other_day = "2025-02-28" if day == "2025-03-01" else "2025-03-01"
    assert number in client.get(url.format(day=day)).get_data(as_text=True)
    assert number not in client.get(url.format(day=other_day)).get_data(as_text=True)


@pytest.mark.parametrize("url", ["/purchases", "/seller/orders"])
@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31", "2025-02-30", "2025-01-01\x00x"])
def test_list_date_filters_out_of_range_are_ignored_with_a_note(client, actions, url, raw):
    actions.signed_in_user()
    response = client.get(url, query_string={"date_from": raw, "date_to": raw})
    assert response.status_code == 200
    assert "Ignored the date" in response.get_data(as_text=True)


# Every query and form value arrives without NUL, whoever reads it (app/inputs.py InputRequest).


def test_no_view_ever_sees_a_nul_in_the_query_string_or_a_form(app):
    with app.test_request_context("/?q=la%00mp&na%00me=x", method="POST", data={"body": "a\x00b", "n": ["1", "\x002"]}):
        from flask import request

        assert request.args["q"] == "lamp" and request.args["name"] == "x"
        assert request.form["body"] == "ab" and request.form.getlist("n") == ["1", "2"]


def test_nul_free_data_keeps_several_values_and_files(app):
    data = inputs.NulFreeMultiDict({"a": ["x\x00", "y"], "b": "z"})
    assert data.getlist("a") == ["x", "y"] and data["b"] == "z"
    assert inputs.NulFreeMultiDict(data.copy()).getlist("a") == ["x", "y"]
    upload = io.BytesIO(b"\x00\x01binary stays")
    with app.test_request_context("/", method="POST", data={"image": (upload, "a\x00.png")}):
        from flask import request

        assert request.files["image"].read() == b"\x00\x01binary stays"


@pytest.mark.parametrize("url", ["/users/{seller}?q=%00", "/products?q=%00", "/seller/inventory?q=%00&sort=%00"])
def test_a_nul_anywhere_in_the_query_string_is_never_a_500(app, client, actions, url):
    seller = actions.signed_in_user()
    assert client.get(url.format(seller=seller["id"])).status_code == 200


# Forms read only what an HTML form posts (app/inputs.py posted_form_data).


@pytest.mark.parametrize(
    "body",
    [
        {"quantity": 2, "product_id": 1, "seller_id": 1},
        {"quantity": [1, 2], "product_id": {"a": 1}, "seller_id": None},
        [1, [2]],
        "just text",
    ],
)
def test_a_json_body_posted_to_a_form_is_a_form_error(client, actions, body):
    actions.signed_in_user()
    token = csrf_token(client)
    for url in ("/cart/add", "/account/profile", "/seller/threshold"):
        response = client.post(url, json=body, headers={"X-CSRFToken": token})
        assert response.status_code == 400, url


def test_a_file_sent_under_a_text_fields_name_is_left_out(client, actions):
    actions.signed_in_user()
    token = csrf_token(client)
    for url, fields in [("/cart/add", ("product_id", "seller_id", "quantity")), ("/account/profile", ("full_name",))]:
        data = {"csrf_token": token} | {name: (io.BytesIO(b"12"), "a.txt") for name in fields}
        assert client.post(url, data=data).status_code == 400, url
