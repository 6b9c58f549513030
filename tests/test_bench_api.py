"""bench/api_bench.py (issue 19's speed goals) at a tiny size: the paths it asks, and one whole run
through gunicorn that leaves the data as it found it (stocks back, its inventory events gone, its
token revoked). The run commits (marker `concurrency`); the tables are emptied after it."""

import datetime as dt

import pytest
from sqlalchemy import text

from bench import api_bench
from tests import factories


def test_read_paths_ask_every_search_and_every_grouping_over_a_month_and_a_year():
    seller = api_bench.Seller(id=7, lines=10, offers=3, latest=dt.date(2026, 11, 29))
    paths = dict(api_bench.read_paths(seller, ["cast iron skillet"]))
    assert paths["products q=cast iron skillet"] == "/api/v1/products?q=cast+iron+skillet"
    assert paths["page /products q=cast iron skillet"] == "/products?q=cast+iron+skillet"  # the anchor
    assert paths["sales category over a month"] == "/api/v1/sales?group_by=category&from=2026-10-30&to=2026-11-29"
    assert paths["sales day over a year"] == "/api/v1/sales?group_by=day&from=2025-11-30&to=2026-11-29"
    assert len(paths) == 2 + len(api_bench.GROUP_BYS) * len(api_bench.PERIODS)


def rows(app, sql: str, **params):
    with app.extensions["bazaar_db"].engine.connect() as connection:
        return connection.execute(text(sql), params).all()


@pytest.mark.concurrency
def test_a_tiny_run_measures_everything_and_leaves_the_data_as_it_was(app, actions, database_url, capsys):
    seller = actions.create_user(full_name="Bench Seller")
    for number in range(5):
        product = factories.product(app, seller["id"], name=f"Bench lamp {number}")
        factories.offer(app, seller["id"], product["id"], quantity=3 + number)
    stocks_before = rows(app, "SELECT product_id, quantity, updated_at FROM offers ORDER BY 1")
    events_before = rows(app, "SELECT * FROM inventory_events ORDER BY id")

    arguments = ["--database-url", database_url, "--seller", str(seller["id"]), "--searches", "lamp"]
    arguments += ["--requests", "2", "--bulk-runs", "1", "--bulk-items", "5", "--workers", "1"]
    assert api_bench.main(arguments) == 0

    output = capsys.readouterr().out
    table = output.split("PATCH /api/v1/offers")[0]
    measured = [line for line in table.splitlines() if line.startswith(("products ", "page ", "sales "))]
    assert len(measured) == 8 and all(" 200 " in line for line in measured), table
    assert "products q=lamp" in table.split("search through the API / the same search's catalog page")[1]
    assert "PATCH /api/v1/offers, 5 items, 2 runs" in output  # runs rounded up to even: stocks go back
    assert "one transaction per run (an event per item, one xmin): yes" in output
    assert "a stale item: 409, 0 events written (all or none)" in output
    assert "10 bench inventory events deleted" in output
    assert rows(app, "SELECT product_id, quantity, updated_at FROM offers ORDER BY 1") == stocks_before
    assert rows(app, "SELECT * FROM inventory_events ORDER BY id") == events_before
    [(name, revoked_at)] = rows(app, "SELECT name, revoked_at FROM api_tokens")
    assert name == api_bench.NAME_OF_TOKEN and revoked_at is not None
