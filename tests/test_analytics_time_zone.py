"""Days and months are the user's: the time-zone setting on /account, and sales near midnight
landing on the right local day and month in the analytics."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from tests.conftest import query_one
from tests.sales import buy

UTC = ZoneInfo("UTC")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def midnight_sales(app, actions):
    """Sales at 03:30 UTC on March 1 (still February 28 in New York) and at 15:30 UTC on
    February 28 (already March 1 in Tokyo), and one at noon UTC on February 15."""
    seller = actions.create_user(full_name="Night Seller")
    category = factories.category(app, name="Clocks")
    clock = factories.product(app, seller["id"], category["id"], name="Alarm Clock")
    factories.offer(app, seller["id"], clock["id"], price="10.00", quantity=50)
    buyer = actions.create_user(balance="1000")
    item = (seller, clock, category, 1)
    buy(app, buyer, [item], at("2025-03-01 03:30"))
    buy(app, buyer, [(seller, clock, category, 2)], at("2025-02-28 15:30"))
    buy(app, buyer, [(seller, clock, category, 4)], at("2025-02-15 12:00"))
    return {"seller": seller, "buyer": buyer}


def set_time_zone(app, user, name):
    query_one(app, "UPDATE users SET time_zone = :name WHERE id = :id RETURNING id", name=name, id=user["id"])


def units_by(client, group_by, **dates):
    rows = client.get("/api/seller/sales", query_string={"group_by": group_by} | dates).get_json()["rows"]
    return {row[group_by]: row["units"] for row in rows if row["units"]}


@pytest.mark.parametrize(
    ("time_zone", "days", "months"),
    [
        ("UTC", {"2025-02-15": 4, "2025-02-28": 2, "2025-03-01": 1}, {"2025-02": 6, "2025-03": 1}),
        # 03:30 UTC on March 1 is 22:30 on February 28 in New York.
        ("America/New_York", {"2025-02-15": 4, "2025-02-28": 3}, {"2025-02": 7}),
        # 15:30 UTC on February 28 is 00:30 on March 1 in Tokyo.
        ("Asia/Tokyo", {"2025-02-15": 4, "2025-03-01": 3}, {"2025-02": 4, "2025-03": 3}),
    ],
)
def test_sales_land_on_the_local_day_and_month(app, client, actions, midnight_sales, time_zone, days, months):
    set_time_zone(app, midnight_sales["seller"], time_zone)
    actions.login(midnight_sales["seller"]["email"])
    feb_to_mar = {"from": "2025-02-01", "to": "2025-03-31"}
    assert units_by(client, "day", **feb_to_mar) == days
    assert units_by(client, "month", **feb_to_mar) == months
    assert client.get("/api/seller/sales?group_by=month").get_json()["time_zone"] == time_zone


def test_the_date_range_is_in_local_days_too(app, client, actions, midnight_sales):
    set_time_zone(app, midnight_sales["seller"], "America/New_York")
    actions.login(midnight_sales["seller"]["email"])
    march_first = client.get("/api/seller/sales?group_by=day&from=2025-03-01&to=2025-03-01").get_json()
    assert march_first["rows"] == [{"day": "2025-03-01", "revenue": "0.00", "units": 0, "orders": 0}]
    feb_28 = client.get("/api/seller/sales?group_by=day&from=2025-02-28&to=2025-02-28").get_json()
    assert feb_28["totals"]["units"]["current"] == 3


def test_buyer_months_follow_the_buyers_time_zone(app, client, actions, midnight_sales):
    set_time_zone(app, midnight_sales["buyer"], "Asia/Tokyo")
    actions.login(midnight_sales["buyer"]["email"])
    response = client.get("/account/insights.csv?table=months&from=2025-02-01&to=2025-03-31")
    assert response.get_data(as_text=True).splitlines() == [
        "Month,Spent,Units,Orders",
        "2025-02,40.00,4,1",
        "2025-03,30.00,3,2",
    ]


def test_choose_a_time_zone_on_the_account_page(app, client, actions):
    user = actions.signed_in_user()
    page = client.get("/account").get_data(as_text=True)
    assert '<option selected value="UTC">UTC</option>' in page
    assert '<optgroup label="America">' in page and '<option value="America/New_York">New York</option>' in page
    response = actions.post("/account/time-zone", {"time_zone": "America/New_York"})
    assert response.status_code == 302
    assert (
        query_one(app, "SELECT time_zone FROM users WHERE id = :id", id=user["id"])["time_zone"] == "America/New_York"
    )
    page = client.get("/account", follow_redirects=True).get_data(as_text=True)
    assert '<option selected value="America/New_York">New York</option>' in page


@pytest.mark.parametrize(
    "name", ["", "Mars/Olympus_Mons", "localtime", "america/new_york", "UTC'; DROP TABLE users; --"]
)
def test_an_unknown_time_zone_is_refused(app, actions, name):
    user = actions.signed_in_user()
    response = actions.post("/account/time-zone", {"time_zone": name})
    assert response.status_code == 400
    assert "Choose a time zone from the list." in response.get_data(as_text=True)
    assert query_one(app, "SELECT time_zone FROM users WHERE id = :id", id=user["id"])["time_zone"] == "UTC"


def test_the_time_zone_form_needs_its_csrf_token(app, client, actions):
    user = actions.signed_in_user()
    response = client.post("/account/time-zone", data={"time_zone": "Asia/Tokyo"})
    assert response.status_code == 400
    assert query_one(app, "SELECT time_zone FROM users WHERE id = :id", id=user["id"])["time_zone"] == "UTC"


def test_a_stored_time_zone_the_app_does_not_offer_falls_back_to_utc(app, client, actions, midnight_sales):
    set_time_zone(app, midnight_sales["seller"], "Not/A_Zone")
    actions.login(midnight_sales["seller"]["email"])
    response = client.get("/api/seller/sales?group_by=month")
    assert response.status_code == 200 and response.get_json()["time_zone"] == "UTC"
