"""Prometheus metrics (issue 22): what each request did, the database pools, the replicas and the
queues, served at /metrics (app/routes/metrics.py).

Under gunicorn each worker is a process of its own: with PROMETHEUS_MULTIPROC_DIR set (by
gunicorn.conf.py, a folder per app server) prometheus-client keeps every worker's values in files
there and a scrape adds them up (multiprocess mode). Without it (tests, `flask run`) the values live
in this process's default registry. Either way the variable must be set before prometheus_client is
first imported: the library picks its storage at import.

Every label has a bounded set of values: the endpoint is the URL rule's name ("catalog.product"),
never the path, and a request no rule matched is "none".
"""

import logging
import time

from flask import Flask, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from app import jobs, mail
from app.db import Database

disable_created_metrics()  # no *_created series: multiprocess mode has none either

REQUESTS = Counter("bazaar_http_requests", "Requests answered, by endpoint and status", ["endpoint", "status"])
LATENCY = Histogram(
    "bazaar_http_request_duration_seconds",
    "Time from the app's first look at a request to its response, by endpoint",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# No endpoint label: per-endpoint statement counts are in the request log (app/request_log.py).
SQL_STATEMENTS = Histogram(
    "bazaar_sql_statements_per_request",
    "SQL statements one request ran",
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89),
)
READS = Counter("bazaar_request_reads", "Requests that ran SQL, by the server their reads came from", ["host"])
POOL_CHECKED_OUT = Gauge(
    "bazaar_db_pool_checked_out",
    "Connections checked out of the app's pools, by database server (all live workers)",
    ["database"],
    multiprocess_mode="livesum",
)
REPLICA_LAG = Gauge(
    "bazaar_replica_lag_seconds",
    "Replay lag at a worker's last check of the replica (+Inf: not streaming; app/replicas.py)",
    ["replica"],
    multiprocess_mode="livemostrecent",
)

_OWNER_KEY = "bazaar_metrics_pool"
_log = logging.getLogger(__name__)


def multiprocess_mode() -> bool:
    """Whether values are shared through PROMETHEUS_MULTIPROC_DIR (fixed at prometheus_client's import)."""
    return values.ValueClass is not values.MutexValue


def watch_pools(database: Database) -> None:
    """Count each pool's checked-out connections. The request pool's checkouts are forwarded to
    the app engine's listeners (app/db.py _forward_events), so each listener counts only the
    connections its own pool made (tagged when made)."""
    pools = [("primary", database.engine), ("primary", database.request_engine)]
    pools += [(replica.name, replica.engine) for replica in database.replicas.replicas]
    for name, engine in pools:
        _watch_pool(engine.pool, POOL_CHECKED_OUT.labels(name))


def _watch_pool(pool, gauge) -> None:
    owner = object()  # the pool's listeners survive engine.dispose(), which makes a new pool

    def made(_dbapi_connection, record) -> None:
        record.record_info[_OWNER_KEY] = owner

    def checked_out(_dbapi_connection, record, _proxy) -> None:
        if record.record_info.get(_OWNER_KEY) is owner:
            gauge.inc()

    def checked_in(_dbapi_connection, record) -> None:
        if record is not None and record.record_info.get(_OWNER_KEY) is owner:
            gauge.dec()

    event.listen(pool, "connect", made)
    event.listen(pool, "checkout", checked_out)
    event.listen(pool, "checkin", checked_in)


def _start_clock() -> None:
    g.metrics_started = time.perf_counter()


def endpoint_label() -> str:
    """The URL rule's endpoint name, or "none" when no rule matched (404, 405)."""
    return request.url_rule.endpoint if request.url_rule is not None else "none"


def record_request(response):
    """Count the request, its time, its SQL statements and where its reads came from."""
    if "metrics_started" not in g:
        return response
    count_request(
        endpoint_label(), response.status_code, g.metrics_started, g.get("sql_statements", 0), g.get("read_from")
    )
    _report_lag()
    return response


def count_request(endpoint: str, status: int, started: float, statements: int, read_from: str | None) -> None:
    """Count one request (also a cached page served before Flask: app/guest_fast_path.py)."""
    REQUESTS.labels(endpoint, str(status)).inc()
    LATENCY.labels(endpoint).observe(time.perf_counter() - started)
    SQL_STATEMENTS.observe(statements)
    if statements:
        READS.labels(read_from or "primary").inc()


def _report_lag() -> None:
    """Publish each replica's lag when this worker measured it anew since the last request."""
    reported = current_app.extensions["bazaar_metrics"]  # replica name: the check last published
    for replica in current_app.extensions["bazaar_db"].replicas.replicas:
        if replica.lag_seconds is not None and reported.get(replica.name) != replica.lag_checked_at:
            REPLICA_LAG.labels(replica.name).set(replica.lag_seconds)
            reported[replica.name] = replica.lag_checked_at


class QueueCollector:
    """The job queue's and the outbox's depth, read at each scrape: one query each."""

    def collect(self):
        try:
            job_rows = jobs.count_queued_jobs()
            outbox = mail.count_queued_messages()
        except SQLAlchemyError as error:
            _log.warning("/metrics could not read the queues: %s", str(error).strip().splitlines()[0])
            yield GaugeMetricFamily("bazaar_queue_scrape_ok", "Whether the queues could be read", value=0)
            return
        yield GaugeMetricFamily("bazaar_queue_scrape_ok", "Whether the queues could be read", value=1)
        queued = GaugeMetricFamily("bazaar_jobs_queued", "Jobs queued or running, by kind", labels=["kind"])
        due = GaugeMetricFamily("bazaar_jobs_due", "Queued jobs whose time has come, by kind", labels=["kind"])
        oldest = GaugeMetricFamily(
            "bazaar_jobs_oldest_due_seconds", "How long the oldest due job has waited, by kind", labels=["kind"]
        )
        for row in job_rows:
            queued.add_metric([row["kind"]], row["queued"])
            due.add_metric([row["kind"]], row["due"])
            oldest.add_metric([row["kind"]], float(row["oldest_due_seconds"] or 0))
        yield from (queued, due, oldest)
        yield GaugeMetricFamily("bazaar_mail_outbox_queued", "E-mails still to deliver", value=outbox["queued"])
        yield GaugeMetricFamily(
            "bazaar_mail_outbox_oldest_seconds",
            "How long the oldest undelivered e-mail has waited (0: none waits)",
            value=float(outbox["oldest_seconds"] or 0),
        )


class _Forward:
    """This process's registry as one collector of the scrape's registry."""

    def collect(self):
        return REGISTRY.collect()


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus's text format, and its content type: every worker's values
    (multiprocess mode) or this process's, and the queues read now."""
    registry = CollectorRegistry()
    registry.register(QueueCollector())  # first: the pools then count the connection it holds
    if multiprocess_mode():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward())
    return generate_latest(registry), CONTENT_TYPE_LATEST


def init_app(app: Flask) -> None:
    """Count every request. Called right after the database is set up, so that its pools are
    watched from their first connection and this runs among the last after-request functions."""
    app.extensions["bazaar_metrics"] = {}
    watch_pools(app.extensions["bazaar_db"])
    app.before_request(_start_clock)
    app.after_request(record_request)
