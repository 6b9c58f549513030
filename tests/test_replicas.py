"""Reads from a real streaming replica (issue 22, app/replicas.py) on a throwaway primary and replica
made with the embedded PostgreSQL's own binaries (initdb, pg_basebackup -R; tests/conftest.py):

- a GET reads from the replica; a POST, and every read after a write, from the primary;
- read-your-writes: after a write, a replica that has not replayed it is not read from (the user
  sees their change at once), and once it has, it is again;
- a replica that is down, or lags past the limit, is skipped and the site still answers.

Marked `concurrency`: it commits on real connections (and the shared test database is untouched).
"""

import re
import time

import pytest
from sqlalchemy import create_engine, make_url, text

from app import create_app, replicas
from db import cluster
from tests import factories
from tests.api import bearer, make_token
from tests.conftest import Actions

pytestmark = pytest.mark.concurrency


def _engine(url: str):
    return create_engine(make_url(url).set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT")


@pytest.fixture
def servers(replicated_servers):
    """The throwaway primary and replica of tests/conftest.py, shared with the cluster's chaos test."""
    return replicated_servers


@pytest.fixture
def site(servers, monkeypatch):
    """The app on the primary and the replica, its test client, and Actions on it."""
    monkeypatch.setattr(replicas, "RETRY_SECONDS", 0.2)
    monkeypatch.setattr(replicas, "LAG_CHECK_SECONDS", 0.0)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": servers["primary"],
            "DATABASE_REPLICA_URLS": [servers["replica"]],
            "SECRET_KEY": "test-secret-key",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    client = app.test_client()
    yield {"app": app, "client": client, "actions": Actions(app, client)}
    app.extensions["bazaar_db"].engine.dispose()
    resume_replay(servers)


def read_host(server_timing: str) -> str | None:
    """The database server a response's reads came from, as its Server-Timing header names it."""
    found = re.search(r'read;desc="([^"]+)"', server_timing)
    return found.group(1) if found else None


def read_from(response) -> str | None:
    return read_host(response.headers.get("Server-Timing", ""))


def on_replica(servers, sql: str):
    engine = _engine(servers["replica"])
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def pause_replay(servers) -> None:
    on_replica(servers, "SELECT pg_wal_replay_pause()")


def resume_replay(servers) -> None:
    on_replica(servers, "SELECT pg_wal_replay_resume()")


def wait_until_replayed(servers, seconds: float = 10) -> None:
    """Until the replica streams and has replayed everything the primary has written."""
    engine = _engine(servers["primary"])
    with engine.connect() as connection:
        position = connection.execute(text("SELECT CAST(pg_current_wal_lsn() AS text)")).scalar()
    engine.dispose()
    deadline = time.monotonic() + seconds
    caught_up = (
        f"SELECT pg_last_wal_receive_lsn() IS NOT NULL AND pg_last_wal_replay_lsn() >= CAST('{position}' AS pg_lsn)"
    )
    while not on_replica(servers, caught_up):
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)


def test_gets_read_from_the_replica_and_posts_from_the_primary(site, servers):
    client = site["client"]
    wait_until_replayed(servers)
    response = client.get("/products")
    assert response.status_code == 200 and read_from(response) == "replica1"
    assert read_from(client.get("/health")) == "replica1"
    posted = client.post("/login", data={"email": "nobody@example.com", "password": "x"})
    assert posted.status_code in (200, 400) and read_from(posted) is None  # a POST never reads a replica


def test_a_user_reads_their_own_write_even_before_the_replica_has_it(site, servers):
    app, client, actions = site["app"], site["client"], site["actions"]
    user = actions.create_user(full_name="Wanda Wish")
    product = factories.product(app, user["id"], name="Replica Lamp")
    factories.offer(app, user["id"], product["id"])
    assert actions.login(user["email"]).status_code == 302
    wait_until_replayed(servers)
    assert read_from(client.get("/account/wishlist")) == "replica1"  # caught up: the replica serves
    pause_replay(servers)
    added = actions.post("/account/wishlist/add", {"product_id": product["id"]})
    assert added.status_code == 302
    page = client.get("/account/wishlist")
    assert read_from(page) == "primary", "the replica has not replayed the write: the primary must serve"
    assert "Replica Lamp" in page.get_data(as_text=True)
    # Another client, with no write of its own, is served by the (stale) replica meanwhile.
    stranger = app.test_client()
    assert read_from(stranger.get("/products")) == "replica1"
    resume_replay(servers)
    wait_until_replayed(servers)
    page = client.get("/account/wishlist")
    assert read_from(page) == "replica1" and "Replica Lamp" in page.get_data(as_text=True)


def test_a_lagging_replica_is_skipped_until_it_catches_up(site, servers, monkeypatch):
    app, client = site["app"], site["client"]
    monkeypatch.setattr(replicas, "MAX_LAG_SECONDS", 0.3)
    wait_until_replayed(servers)
    pause_replay(servers)
    seller = site["actions"].create_user()
    factories.product(app, seller["id"])  # WAL the paused replica receives but does not replay
    time.sleep(0.6)
    response = client.get("/products")
    assert response.status_code == 200 and read_from(response) == "primary"
    resume_replay(servers)
    wait_until_replayed(servers)
    time.sleep(0.3)  # past RETRY_SECONDS
    assert read_from(client.get("/products")) == "replica1"


def test_a_replica_that_is_down_is_skipped_and_tried_again(site, servers):
    client = site["client"]
    wait_until_replayed(servers)
    assert read_from(client.get("/products")) == "replica1"
    cluster.stop_postgres(servers["replica_folder"])
    try:
        for _ in range(3):
            response = client.get("/products")
            assert response.status_code == 200 and read_from(response) == "primary"
    finally:
        cluster.start_postgres(servers["replica_folder"])
    time.sleep(0.3)  # past RETRY_SECONDS
    deadline = time.monotonic() + 30  # its WAL receiver retries every 5 s (wal_retrieve_retry_interval)
    while read_from(client.get("/products")) != "replica1":
        assert time.monotonic() < deadline, "the replica was not used again after it came back"
        time.sleep(0.2)


def test_a_read_that_fails_on_the_replica_runs_again_on_the_primary(site, servers, monkeypatch):
    client = site["client"]
    wait_until_replayed(servers)
    assert read_from(client.get("/products")) == "replica1"  # the pooled replica connection is measured
    monkeypatch.setattr(replicas, "LAG_CHECK_SECONDS", 3600.0)  # so the next request's first statement is the page's
    on_replica(
        servers,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
    )
    response = client.get("/products")
    assert response.status_code == 200 and read_from(response) == "primary"


def test_an_api_token_reads_its_own_write_and_api_reads_use_the_replica(site, servers):
    app, client, actions = site["app"], site["client"], site["actions"]
    seller = actions.create_user()
    product = factories.product(app, seller["id"], name="API Lamp")
    factories.offer(app, seller["id"], product["id"], quantity=5)
    writer, reader = make_token(app, seller["id"]), make_token(app, seller["id"])
    wait_until_replayed(servers)
    url = f"/api/v1/offers/{product['id']}"
    first = client.get(url, headers=bearer(writer))
    assert first.status_code == 200 and read_from(first) == "replica1"  # the token's bookkeeping aside
    pause_replay(servers)
    changed = client.patch(url, json={"quantity": 9}, headers=bearer(writer) | {"If-Match": "*"})
    assert changed.status_code == 200
    again = client.get(url, headers=bearer(writer))
    assert read_from(again) == "primary" and again.get_json()["quantity"] == 9
    other = client.get(url, headers=bearer(reader))  # another token has not written: the (stale) replica
    assert read_from(other) == "replica1" and other.get_json()["quantity"] == 5
    resume_replay(servers)
    wait_until_replayed(servers)
    assert read_from(client.get(url, headers=bearer(writer))) == "replica1"
