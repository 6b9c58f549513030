"""A buyer's spending on /account/insights, and the public marketplace overview on /insights."""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from tests.conftest import query_one
from tests.sales import buy, cancel
from tests.test_analytics import csv_rows, table_rows

UTC = ZoneInfo("UTC")
RANGE = {"from": "2025-01-01", "to": "2025-06-30"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def spending(app, actions):
    """A buyer who bought from two sellers in three categories, with one cancelled line, and
    another buyer whose purchases must never show."""
    alice, bob = actions.create_user(full_name="Alice"), actions.create_user(full_name="Bob")
    garden = factories.category(app, name="Garden")
    kitchen = factories.category(app, name="Kitchen")
    toys = factories.category(app, name="Toys")
    rake = factories.product(app, alice["id"], garden["id"], name="Rake")
    pan = factories.product(app, bob["id"], kitchen["id"], name="Pan")
    kite = factories.product(app, bob["id"], toys["id"], name="Kite")
    factories.offer(app, alice["id"], rake["id"], price="19.99", quantity=50)
    factories.offer(app, bob["id"], pan["id"], price="35.00", quantity=50)
    factories.offer(app, bob["id"], kite["id"], price="8.25", quantity=50)
    buyer = actions.create_user(full_name="Bea", balance="2000")
    other = actions.create_user(full_name="Otto", balance="2000")
    lines = []
    lines += buy(app, buyer, [(alice, rake, garden, 2), (bob, pan, kitchen, 1)], at("2025-01-10 10:00"))
    lines += buy(app, buyer, [(bob, kite, toys, 3)], at("2025-03-05 10:00"))
    lines += buy(app, buyer, [(bob, pan, kitchen, 2)], at("2025-06-30 23:00"))
    cancelled = buy(app, buyer, [(alice, rake, garden, 4)], at("2025-04-01 10:00"))
    cancel(app, cancelled[0])
    lines += cancelled
    buy(app, other, [(bob, pan, kitchen, 9)], at("2025-02-01 10:00"))
    return {"buyer": buyer, "other": other, "lines": lines}


def test_spending_by_category_and_month_match_python_sums(client, actions, spending):
    actions.login(spending["buyer"]["email"])
    counted = [line for line in spending["lines"] if not line.cancelled]
    by_category, by_month = defaultdict(Decimal), defaultdict(Decimal)
    for line in counted:
        by_category[line.category] += line.line_total
        by_month[line.ordered_at.strftime("%b %Y")] += line.line_total
    page = client.get("/account/insights", query_string=RANGE)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    categories = table_rows(text, "spending-categories-table")
    assert categories[0] == ["Category", "Spent", "Units", "Orders"]
    assert {row[0]: row[1] for row in categories[1:]} == {name: f"${total:,.2f}" for name, total in by_category.items()}
    months = table_rows(text, "spending-months-table")
    assert [row[0] for row in months[1:]] == ["Jan 2025", "Feb 2025", "Mar 2025", "Apr 2025", "May 2025", "Jun 2025"]
    assert {row[0]: row[1] for row in months[1:] if row[1] != "$0.00"} == {
        month: f"${total:,.2f}" for month, total in by_month.items()
    }
    total = sum(by_category.values())
    assert f'data-testid="total-spent">${total:,.2f}</p>' in text
    assert 'data-testid="total-sellers">2</p>' in text and 'data-testid="total-orders">3</p>' in text
    download = client.get("/account/insights.csv", query_string=RANGE | {"table": "categories"})
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert {row[0]: row[1] for row in csv_rows(download)[1:]} == {
        name: f"{value:.2f}" for name, value in by_category.items()
    }
    assert client.get("/account/insights.csv", query_string={"table": "sellers"}).status_code == 400


def test_charts_are_labelled_and_their_data_travels_as_json(client, actions, spending):
    actions.login(spending["buyer"]["email"])
    text = client.get("/account/insights", query_string=RANGE).get_data(as_text=True)
    assert '<canvas id="spending-categories-chart" data-chart="spending-categories-chart-data" role="img"' in text
    assert 'aria-label="Doughnut chart: Spending by category. The table below gives the same numbers."' in text
    assert '<script type="application/json" id="spending-months-chart-data">' in text
    assert '<caption class="caption-top">Spending by month' in text
    assert '<th scope="col"' in text and '<th scope="row"' in text
    assert text.count("vendor/chartjs/chart.umd.min.") == 1  # the name carries a content hash


def test_a_new_buyer_sees_empty_insights(client, actions):
    actions.signed_in_user()
    text = client.get("/account/insights").get_data(as_text=True)
    assert "Nothing in this period." in text
    assert 'data-testid="total-spent">$0.00</p>' in text


@pytest.fixture
def market(app, actions):
    """Two departments; products at several prices; sellers with and without enough reviews."""
    sellers = [actions.create_user(full_name=f"Seller {n}") for n in range(3)]
    home = factories.department(app, name="Home")
    sport = factories.department(app, name="Sport")
    lamps = factories.category(app, home["id"], name="Lamps")
    rugs = factories.category(app, home["id"], name="Rugs")
    balls = factories.category(app, sport["id"], name="Balls")
    prices = {"Lamp A": ("4.99", lamps), "Lamp B": ("15.00", lamps), "Rug": ("250.00", rugs), "Ball": ("20.00", balls)}
    products = {}
    for name, (price, category) in prices.items():
        products[name] = factories.product(app, sellers[0]["id"], category["id"], name=name)
        factories.offer(app, sellers[0]["id"], products[name]["id"], price=price, quantity=20)
    factories.product(app, sellers[0]["id"], balls["id"], name="Unsold ball")  # no offer: no price
    buyer = actions.create_user(balance="5000")
    buy(
        app,
        buyer,
        [(sellers[0], products["Ball"], balls, 5), (sellers[0], products["Rug"], rugs, 1)],
        at("2025-01-01 10:00"),
    )
    authors = [actions.create_user() for _ in range(6)]
    for seller, ratings in zip(sellers, [[5, 5, 4, 5, 5], [5, 5, 5, 5], [3, 4, 3, 4, 3, 4]], strict=False):
        for author, rating in zip(authors, ratings, strict=False):
            query_one(
                app,
                """
                INSERT INTO seller_reviews (seller_id, author_id, rating, title, body)
                VALUES (:seller, :author, :rating, 'T', 'B') RETURNING id
                """,
                seller=seller["id"],
                author=author["id"],
                rating=rating,
            )
    return {"sellers": sellers}


def test_marketplace_overview_by_department_price_and_rating(client, market):
    response = client.get("/insights")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    departments = table_rows(text, "departments-table")
    assert departments[0] == ["Department", "Products", "On offer", "Units sold"]
    assert departments[1:] == [["Sport", "2", "1", "5"], ["Home", "3", "3", "1"]]
    prices = dict(table_rows(text, "prices-table")[1:])
    assert prices["Under $5"] == "1"
    assert prices["$10 to under $20"] == "1" and prices["$20 to under $50"] == "1"
    assert prices["$200 to under $500"] == "1" and prices["$1,000 and over"] == "0"
    assert sum(int(count) for count in prices.values()) == 4
    sellers = table_rows(text, "sellers-table")[1:]
    # Seller 1 has only four reviews: not enough for the list.
    assert sellers == [["Seller 0", "4.80", "5"], ["Seller 2", "3.50", "6"]]
    assert f'<a href="/users/{market["sellers"][0]["id"]}">Seller 0</a>' in text
    assert "vendor/chartjs/chart.umd.min." in text  # the name carries a content hash


def test_the_overview_is_public_and_reads_fresh_snapshots_in_three_queries(app, client, market, count_queries):
    app.config["REPORT_SNAPSHOT_SECONDS"] = 300
    try:
        client.get("/insights")  # computes and stores the whole-catalog snapshots
        with count_queries() as statements:
            assert "Seller 0" in client.get("/insights").get_data(as_text=True)
    finally:
        app.config["REPORT_SNAPSHOT_SECONDS"] = 0
    # Two snapshot reads and the best-rated sellers; nothing reads every product again.
    assert len(statements) == 3


def test_stale_snapshots_are_recomputed_and_stored_for_every_server(app, client, market, count_queries):
    from tests.conftest import query_one

    with count_queries() as statements:
        assert client.get("/insights").status_code == 200
    assert len(statements) == 7  # each stale snapshot: read, recompute, store; plus the sellers
    stored = query_one(app, "SELECT count(*) AS n FROM report_snapshots WHERE computed_at = now()")
    assert stored["n"] == 2
