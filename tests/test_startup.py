"""create_app() refuses a PostgreSQL older than 14 with a message that says what to do."""

import pytest

import app as bazaar


def test_the_test_server_is_new_enough(app):
    number, name = bazaar.get_server_version(app.extensions["bazaar_db"])
    assert number >= bazaar.MINIMUM_POSTGRESQL and name


@pytest.mark.parametrize(("number", "name"), [(130011, "13.11"), (90624, "9.6.24")])
def test_an_old_server_stops_the_start_with_a_clear_message(database_url, monkeypatch, number, name):
    monkeypatch.setattr(bazaar, "get_server_version", lambda database: (number, name))
    with pytest.raises(RuntimeError, match=rf"needs PostgreSQL 14 or newer .* runs PostgreSQL {name}\."):
        bazaar.create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x"})


def test_fourteen_and_newer_start(database_url, monkeypatch):
    monkeypatch.setattr(bazaar, "get_server_version", lambda database: (140000, "14.0"))
    started = bazaar.create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x"})
    started.extensions["bazaar_db"].engine.dispose()
