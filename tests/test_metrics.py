"""/metrics and the request log (issue 22, app/metrics.py, app/routes/metrics.py, app/request_log.py).

The metrics parse as Prometheus text and move with requests; only private addresses not behind a
proxy (or the bearer of METRICS_TOKEN) may read them; a scrape runs the same queries whatever the
queues hold, is never cached and makes no session. Each request gets an id, echoed and logged as
one JSON line. Under gunicorn the workers' values add up (multiprocess mode, gunicorn.conf.py).
"""

import io
import json
import logging
import os
import signal
import time
import urllib.request
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from app import create_app, request_log
from app.replicas import Replica
from app.routes.metrics import is_private
from bench.http_bench import gunicorn


def scrape(client, **kwargs) -> dict:
    """{(sample name, sorted labels): value} from /metrics."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return parse(response.get_data(as_text=True))


def parse(exposition: str) -> dict:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def requests_of(samples: dict, endpoint: str, status: str = "200") -> float:
    return samples.get(("bazaar_http_requests_total", (("endpoint", endpoint), ("status", status))), 0.0)


def test_counters_move_with_requests(client):
    before = scrape(client)
    for _ in range(3):
        assert client.get("/health").status_code == 200
    assert client.get("/no-such-page").status_code == 404
    after = scrape(client)
    assert requests_of(after, "main.health") == requests_of(before, "main.health") + 3
    # A path no rule matches is "none", never the path itself: the labels stay bounded.
    assert requests_of(after, "none", "404") == requests_of(before, "none", "404") + 1
    assert not any("no-such-page" in str(labels) for _name, labels in after)
    latency = ("bazaar_http_request_duration_seconds_count", (("endpoint", "main.health"),))
    assert after[latency] == before.get(latency, 0) + 3
    statements = ("bazaar_sql_statements_per_request_count", ())
    assert after[statements] >= before[statements] + 4
    reads = ("bazaar_request_reads_total", (("host", "primary"),))
    assert after[reads] >= before.get(reads, 0) + 3  # each /health reads once, from the primary
    assert after[("bazaar_db_pool_checked_out", (("database", "primary"),))] >= 1  # the test's own connection


def test_queue_depths_are_read_at_each_scrape_with_a_constant_number_of_queries(app, client, count_queries):
    with count_queries() as empty_queues:
        samples = scrape(client)
    assert samples[("bazaar_mail_outbox_queued", ())] == 0
    assert samples[("bazaar_queue_scrape_ok", ())] == 1
    database = app.extensions["bazaar_db"]
    database.pinned.execute(
        text(
            """
            INSERT INTO jobs (kind, run_at)
            VALUES ('mail.send', now() - interval '90 seconds'), ('mail.send', now() + interval '1 hour'),
                   ('orders.deliver', now() - interval '5 seconds')
            """
        )
    )
    database.pinned.execute(
        text(
            """
            INSERT INTO mail_outbox (message_id, template, recipient, subject, text_body, html_body, created_at)
            SELECT '<m' || n || '@test>', 'verify_code', 'a@example.com', 'Code', 'x', 'x',
                   now() - interval '1 minute' * n
            FROM generate_series(1, 4) AS n
            """
        )
    )
    with count_queries() as busy_queues:
        samples = scrape(client)
    assert len(busy_queues) == len(empty_queues) == 2
    assert samples[("bazaar_jobs_queued", (("kind", "mail.send"),))] == 2
    assert samples[("bazaar_jobs_due", (("kind", "mail.send"),))] == 1
    assert samples[("bazaar_jobs_oldest_due_seconds", (("kind", "mail.send"),))] >= 90
    assert samples[("bazaar_jobs_queued", (("kind", "orders.deliver"),))] == 1
    assert samples[("bazaar_mail_outbox_queued", ())] == 4
    assert samples[("bazaar_mail_outbox_oldest_seconds", ())] >= 240


@pytest.mark.parametrize(
    ("address", "headers", "allowed"),
    [
        ("127.0.0.1", {}, True),
        ("10.1.2.3", {}, True),
        ("192.168.0.9", {}, True),
        ("::1", {}, True),
        ("203.0.113.7", {}, False),  # the public
        ("2001:db8::1", {}, False),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.7"}, False),  # through HAProxy: anyone
        ("127.0.0.1", {"Forwarded": "for=203.0.113.7"}, False),
    ],
)
def test_only_private_addresses_not_behind_a_proxy_may_read(client, address, headers, allowed):
    response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address})
    assert response.status_code == (200 if allowed else 403)
    assert ("bazaar_http_requests_total" in response.get_data(as_text=True)) is allowed
    assert response.headers["Cache-Control"] == "no-store"


def test_with_a_token_only_its_bearer_may_read(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "a-long-random-token")
    assert client.get("/metrics").status_code == 403  # loopback is not enough any more
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    allowed = client.get(
        "/metrics",
        headers={"Authorization": "Bearer a-long-random-token", "X-Forwarded-For": "198.51.100.4"},
        environ_base={"REMOTE_ADDR": "198.51.100.4"},
    )
    assert allowed.status_code == 200


def test_ipv4_mapped_and_odd_addresses():
    assert is_private("::ffff:127.0.0.1")
    assert not is_private("::ffff:8.8.8.8")
    assert not is_private("")
    assert not is_private(None)
    assert not is_private("not an address")


def test_metrics_are_not_cached_and_make_no_session(app, client):
    response = client.get("/metrics")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session")) is None
    assert not any("/metrics" in key for key in app.extensions["page_cache"].entries)


@pytest.fixture
def log_lines():
    """The JSON lines the request log writes while the test runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(request_log.JsonFormatter())
    logger = logging.getLogger(request_log.__name__)
    logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)


def test_the_request_id_is_echoed_and_logged_as_json(client, log_lines):
    response = client.get("/health", headers={"X-Request-ID": "haproxy-given-id"})
    assert response.headers["X-Request-ID"] == "haproxy-given-id"
    [line] = log_lines()
    assert line["request_id"] == "haproxy-given-id"
    assert line["message"] == "request"
    assert line["method"] == "GET"
    assert line["endpoint"] == "main.health"
    assert line["status"] == 200
    # The same count as Server-Timing's (in tests it has the pinned connection's SAVEPOINTs too).
    assert f'sql;desc="{line["sql_statements"]} statements"' in response.headers["Server-Timing"]
    assert line["read_host"] == "primary"
    assert line["user_id"] is None
    assert isinstance(line["duration_ms"], float)
    assert line["time"].endswith("Z")


def test_haproxys_passing_health_checks_are_left_out_of_the_log(client, log_lines):
    """HAProxy checks every server every second (db/cluster.py sends the header): only a check that
    fails (not 200) would be worth a line, and a request without the header is logged as any other."""
    response = client.get("/health", headers={"X-Health-Check": "haproxy"})
    assert response.status_code == 200 and response.headers["X-Request-ID"]
    assert log_lines() == []
    client.get("/health")
    assert [(line["endpoint"], line["status"]) for line in log_lines()] == [("main.health", 200)]


@pytest.mark.parametrize("given", [None, "", "bad id with spaces", "x" * 200, "<script>", '{"json": 1}'])
def test_a_missing_or_malformed_request_id_is_replaced(client, log_lines, given):
    headers = {} if given is None else {"X-Request-ID": given}
    response = client.get("/health", headers=headers)
    generated = response.headers["X-Request-ID"]
    assert str(uuid.UUID(generated)) == generated
    assert [line["request_id"] for line in log_lines()] == [generated]


def test_a_signed_in_users_id_is_logged_without_a_query_of_its_own(client, actions, log_lines):
    user = actions.signed_in_user()
    client.get("/account")
    assert log_lines()[-1]["user_id"] == user["id"]
    client.get("/health")  # never loads the user: no query added for the log
    assert log_lines()[-1]["user_id"] is None


def test_one_line_per_request_without_the_path(client, log_lines):
    client.get("/products?q=my+secret+search")
    lines = log_lines()
    assert len(lines) == 1
    assert "secret" not in json.dumps(lines)


def fetch(base: str, path: str) -> str:
    with urllib.request.urlopen(base + path, timeout=10) as response:  # noqa: S310 - loopback only
        return response.read().decode()


def test_gunicorn_workers_add_up_in_the_servers_folder(database_url, tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"left by a server killed earlier")
    environment = {"PROMETHEUS_MULTIPROC_DIR": str(folder), "SECRET_KEY": "metrics-test", "BAZAAR_REQUEST_LOG": "0"}
    with gunicorn(2, database_url, environment) as base:
        assert not (folder / "counter_999999.db").exists()  # emptied at start
        for _ in range(20):
            fetch(base, "/health")
        samples = parse(fetch(base, "/metrics"))
        # The start-up probe's /health too; each worker counted its own, the scrape adds them up.
        assert requests_of(samples, "main.health") >= 21
        assert samples[("bazaar_db_pool_checked_out", (("database", "primary"),))] >= 1  # the scrape's own
        live = {int(path.stem.rsplit("_", 1)[1]) for path in folder.glob("gauge_livesum_*.db")}
        assert live
        victim = min(live)
        os.kill(victim, signal.SIGKILL)  # a worker dies: the master replaces it and marks it dead
        deadline = time.monotonic() + 20
        while (folder / f"gauge_livesum_{victim}.db").exists():
            assert time.monotonic() < deadline, "the dead worker's live gauges stayed"
            time.sleep(0.2)
        samples = parse(fetch(base, "/metrics"))
        assert requests_of(samples, "main.health") >= 21  # counters outlive the worker that counted
    assert not list(folder.glob("*.db"))  # and the server's own are gone when it stops


def test_replica_lag_is_published_from_the_last_check(app, client, monkeypatch):
    """The lag app/replicas.py measured last (here set by hand: the cluster test runs real replicas)."""
    replica = Replica("replica9", engine=None, lag_checked_at=100.0, lag_seconds=2.5)
    monkeypatch.setattr(app.extensions["bazaar_db"].replicas, "replicas", [replica])
    client.get("/health")
    assert scrape(client)[("bazaar_replica_lag_seconds", (("replica", "replica9"),))] == 2.5
    replica.lag_seconds, replica.lag_checked_at = float("inf"), 101.0  # stopped streaming
    client.get("/health")
    assert scrape(client)[("bazaar_replica_lag_seconds", (("replica", "replica9"),))] == float("inf")


def test_reads_by_host_and_lag_on_a_real_replica(replicated_servers):
    """With the streaming replica of tests/conftest.py: a GET's reads are counted for replica1, and
    its lag, measured before the first read, is published."""
    site = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": replicated_servers["primary"],
            "DATABASE_REPLICA_URLS": [replicated_servers["replica"]],
            "SECRET_KEY": "test-secret-key",
        }
    )
    try:
        client = site.test_client()
        before = scrape(client)
        assert 'read;desc="replica1"' in client.get("/health").headers["Server-Timing"]
        after = scrape(client)
        reads = ("bazaar_request_reads_total", (("host", "replica1"),))
        assert after[reads] >= before.get(reads, 0) + 2  # /health and the first scrape
        assert 0 <= after[("bazaar_replica_lag_seconds", (("replica", "replica1"),))] < 5
        assert ("bazaar_db_pool_checked_out", (("database", "replica1"),)) in after
    finally:
        site.extensions["bazaar_db"].engine.dispose()
