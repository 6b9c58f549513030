"""Offline sales (recorded through the API) in a seller's analytics: a channel of its own, counted
once, and never in the platform's figures."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.models import admin_dashboard, offline_sale
from tests import factories, test_analytics
from tests.conftest import query_one
from tests.sales import _write
from tests.test_analytics import RANGE, csv_rows, sign_in_as, table_rows

shop = test_analytics.shop  # the seller, products and order lines of the analytics tests


def record_offline(app, seller, product, quantity, unit_price, moment, key):
    """An offline sale as POST /api/v1/sales records it, moved to `moment` (None: now)."""
    with app.test_request_context():
        sale, _ = offline_sale.record_sale(
            seller["id"], product["id"], quantity, Decimal(unit_price), key=key, digest=key
        )
    if moment is not None:
        _write(app, "UPDATE offline_sales SET created_at = :at WHERE id = :id RETURNING id", at=moment, id=sale["id"])
    return sale


@pytest.fixture
def stall(app, shop):
    """The shop's seller also sold 3 chess sets (45.99) and 2 novels at a fair, offline."""
    seller = shop["seller"]
    _, chess, _ = shop["products"]["chess"]
    _, novel, _ = shop["products"]["novel"]
    record_offline(app, seller, chess, 3, "40.00", datetime(2025, 3, 10, 12, tzinfo=UTC), "fair-1")
    record_offline(app, seller, novel, 2, "10.00", datetime(2025, 3, 10, 13, tzinfo=UTC), "fair-2")
    return shop


def test_the_page_shows_each_channel_and_counts_offline_sales_once(client, actions, stall):
    sign_in_as(actions, stall["seller"])
    both = client.get("/seller/analytics", query_string=RANGE | {"group_by": "product"}).get_data(as_text=True)
    online = client.get("/seller/analytics", query_string=RANGE | {"group_by": "product", "channel": "online"})
    offline = client.get("/seller/analytics", query_string=RANGE | {"group_by": "product", "channel": "offline"})
    assert online.status_code == offline.status_code == 200
    online, offline = online.get_data(as_text=True), offline.get_data(as_text=True)
    assert "Offline sales (recorded through the API): $140.00 (5 units, 2 sales)" in " ".join(both.split())
    rows = {row[0]: row[1:] for row in table_rows(offline, "sales-table")[1:]}
    assert rows == {"Chess Set": ["$120.00", "3", "1"], "Novel": ["$20.00", "2", "1"]}
    chess_both = {row[0]: row[1:] for row in table_rows(both, "sales-table")[1:]}["Chess Set"]
    chess_online = {row[0]: row[1:] for row in table_rows(online, "sales-table")[1:]}["Chess Set"]
    revenue = Decimal(chess_both[0].strip("$").replace(",", ""))
    assert revenue == Decimal(chess_online[0].strip("$").replace(",", "")) + 120
    assert int(chess_both[1]) == int(chess_online[1]) + 3 and int(chess_both[2]) == int(chess_online[2]) + 1
    # The top tables follow the channel too; the select keeps the choice.
    assert [row[0] for row in table_rows(offline, "products-table")[1:]] == ["Chess Set", "Novel"]
    assert '<option value="offline" selected>' in offline


def test_the_csv_and_the_json_follow_the_channel(client, actions, stall):
    sign_in_as(actions, stall["seller"])
    page = client.get("/seller/analytics", query_string=RANGE | {"channel": "offline"}).get_data(as_text=True)
    assert "channel=offline" in page  # the CSV links carry it
    download = client.get("/seller/analytics.csv", query_string=RANGE | {"table": "sales", "channel": "offline"})
    months = {row[0]: row[1:] for row in csv_rows(download)[1:]}
    assert months["2025-03"] == ["140.00", "5", "2"] and months["2025-01"] == ["0.00", "0", "0"]
    body = client.get("/api/seller/sales", query_string=RANGE).get_json()
    assert body["channels"]["offline"] == {"revenue": "140.00", "units": 5, "orders": 2}


def test_an_unknown_channel_shows_both(client, actions, stall):
    sign_in_as(actions, stall["seller"])
    page = client.get("/seller/analytics", query_string=RANGE | {"channel": "<script>"})
    assert page.status_code == 200 and '<option value="" selected>' in page.get_data(as_text=True)


def test_the_dashboard_still_runs_six_statements_per_channel(client, actions, stall, count_queries):
    sign_in_as(actions, stall["seller"])
    client.get("/seller/analytics")
    for channel in ("", "online", "offline"):
        with count_queries() as statements:
            assert client.get("/seller/analytics", query_string=RANGE | {"channel": channel}).status_code == 200
        assert len(statements) == 6, statements


def test_an_offline_sale_takes_an_offer_off_the_slow_movers(app, client, actions, shop):
    seller = shop["seller"]
    lamp = factories.product(app, seller["id"], name="Dusty Lamp")
    factories.offer(app, seller["id"], lamp["id"], price="20.00", quantity=3)
    sign_in_as(actions, seller)

    def names() -> list[str]:
        page = client.get("/seller/analytics").get_data(as_text=True)
        return [row[0] for row in table_rows(page, "slow-movers-table")[1:]]

    assert "Dusty Lamp" in names()
    record_offline(app, seller, lamp, 1, "20.00", datetime.now(UTC) - timedelta(days=5), "lamp")
    assert "Dusty Lamp" not in names()


def test_offline_sales_are_not_platform_revenue(app, shop):
    """The console's GMV and the catalog's units sold count order lines only."""
    _, chess, _ = shop["products"]["chess"]
    with app.test_request_context():
        before = admin_dashboard.get_figures("UTC")
    units_before = query_one(app, "SELECT units_sold FROM products WHERE id = :id", id=chess["id"])["units_sold"]
    record_offline(app, shop["seller"], chess, 2, "45.99", None, "today")
    with app.test_request_context():
        after = admin_dashboard.get_figures("UTC")
    assert (after["gmv_today"], after["orders_today"]) == (before["gmv_today"], before["orders_today"])
    assert (
        query_one(app, "SELECT units_sold FROM products WHERE id = :id", id=chess["id"])["units_sold"] == units_before
    )
