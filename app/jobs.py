"""The job queue: rows in PostgreSQL that workers (python -m app.worker) run, with retries.

Enqueue in the caller's own transaction, so a job exists exactly when the change that asked for
it commits (the transactional outbox):

    with db.transaction() as conn:
        ...                                      # the change
        jobs.enqueue(conn, "orders.deliver", {"order_id": 7}, run_at=shipped_at + timedelta(days=14))

and register what runs it, in a module listed in app/worker.py JOB_MODULES:

    @jobs.handler("orders.deliver")
    def deliver(conn, payload): ...              # its writes commit with the job, or not at all

    @jobs.periodic("points.expire", every=timedelta(hours=1))
    def expire_points(conn, payload): ...

A worker takes a due row with FOR UPDATE SKIP LOCKED and runs it in the transaction that holds
the lock: if the worker dies, PostgreSQL rolls that transaction back and the job is due again
(at least once; a handler that talks to the outside world may repeat that part). A handler that
raises is retried with exponential backoff until max_attempts, then marked failed.
"""

import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter, Histogram
from sqlalchemy import Connection

from app import db

Handler = Callable[[Connection, dict], None]
FailureHook = Callable[[Connection, dict, str], None]

NOTIFY_CHANNEL = "bazaar_jobs"  # enqueue NOTIFYs it on commit, so an idle worker wakes at once
DEFAULT_MAX_ATTEMPTS = 10
BACKOFF_BASE_SECONDS = 15  # the n-th retry waits about this × 2**(n-1) …
BACKOFF_LONGEST_SECONDS = 60 * 60  # … at most an hour
ERROR_LENGTH = 2000

_log = logging.getLogger(__name__)

# What this process ran, counted after each job's transaction commits. A worker serves them at
# --metrics-port (app/worker.py); the app servers' /metrics shows the queues' depth instead.
JOBS_RUN = Counter("bazaar_jobs_run", "Jobs run, by kind and outcome (done, retry, failed)", ["kind", "outcome"])
JOB_SECONDS = Histogram(
    "bazaar_job_duration_seconds",
    "Time a job took from its claim to its commit, by kind",
    ["kind"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


@dataclass(frozen=True)
class Kind:
    """What runs one kind of job, and what to do when it fails for good."""

    name: str
    run: Handler
    on_failure: FailureHook | None = None


@dataclass(frozen=True)
class Schedule:
    """A periodic job: enqueued every `every`, never queued or running twice at once."""

    kind: str
    every: timedelta


HANDLERS: dict[str, Kind] = {}
SCHEDULES: dict[str, Schedule] = {}


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help (an address the mail server refuses)."""


def handler(kind: str, on_failure: FailureHook | None = None) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of jobs of `kind`."""

    def register(function: Handler) -> Handler:
        if kind in HANDLERS:
            raise ValueError(f"two handlers for job kind {kind!r}")
        HANDLERS[kind] = Kind(kind, function, on_failure)
        return function

    return register


def periodic(kind: str, every: timedelta) -> Callable[[Handler], Handler]:
    """Register the decorated function as a job of `kind` that workers enqueue every `every`."""

    def register(function: Handler) -> Handler:
        handler(kind)(function)
        SCHEDULES[kind] = Schedule(kind, every)
        return function

    return register


def enqueue(
    conn: Connection,
    kind: str,
    payload: dict | None = None,
    run_at: datetime | None = None,
    unique_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> int | None:
    """Queue a job in the caller's transaction; return its id, or None if a job with the same
    `unique_key` is already queued or running."""
    row = db.fetch_one(
        conn,
        """
        WITH queued AS (
            INSERT INTO jobs (kind, payload, run_at, unique_key, max_attempts)
            VALUES (:kind, CAST(:payload AS jsonb), coalesce(:run_at, now()), :unique_key, :max_attempts)
            ON CONFLICT (unique_key) WHERE status = 'queued' DO NOTHING
            RETURNING id
        )
        SELECT id, pg_notify(:channel, '')
        FROM queued
        """,
        kind=kind,
        payload=json.dumps(payload or {}),
        run_at=run_at,
        unique_key=unique_key,
        max_attempts=max_attempts,
        channel=NOTIFY_CHANNEL,
    )
    return row["id"] if row else None


# The worker's side.


def backoff_seconds(attempts: int) -> float:
    """How long to wait before the next try after `attempts` failed ones: doubling, with jitter."""
    delay = min(BACKOFF_BASE_SECONDS * 2 ** min(attempts - 1, 30), BACKOFF_LONGEST_SECONDS)
    # Jitter spreads out the retries of jobs that failed together (a mail server that was down).
    return delay * random.uniform(0.8, 1.0)


def claim_next_job(conn: Connection, kinds: list[str]):
    """Lock the oldest due job of a kind this worker knows, skipping those other workers hold; or None."""
    return db.fetch_one(
        conn,
        """
        SELECT id, kind, payload, attempts, max_attempts
        FROM jobs
        WHERE status = 'queued'
          AND run_at <= now()
          AND kind = ANY(:kinds)
        ORDER BY run_at, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
        """,
        kinds=kinds,
    )


def mark_job_done(conn: Connection, job_id: int) -> None:
    """Record that a job ran to the end."""
    db.execute(
        conn,
        """
        UPDATE jobs
        SET status = 'done', attempts = attempts + 1, finished_at = now()
        WHERE id = :job_id
        """,
        job_id=job_id,
    )


def record_job_failure(conn: Connection, job_id: int, error: str, give_up: bool, retry_in: float) -> str:
    """Count a failed run: due again after `retry_in` seconds, or failed for good; return the new status."""
    return db.fetch_one(
        conn,
        """
        UPDATE jobs
        SET attempts = attempts + 1,
            last_error = :error,
            status = CASE WHEN :give_up OR attempts + 1 >= max_attempts THEN 'failed' ELSE 'queued' END,
            finished_at = CASE WHEN :give_up OR attempts + 1 >= max_attempts THEN now() END,
            run_at = now() + make_interval(secs => :retry_in)
        WHERE id = :job_id
        RETURNING status
        """,
        job_id=job_id,
        error=error[:ERROR_LENGTH],
        give_up=give_up,
        retry_in=retry_in,
    )["status"]


def run_next_job() -> bool:
    """Run one due job in the transaction that locks it; False if none was due."""
    started = time.perf_counter()
    with db.transaction() as conn:
        job = claim_next_job(conn, sorted(HANDLERS))
        if job is None:
            return False
        kind = HANDLERS[job["kind"]]
        try:
            # A savepoint: a failed handler's writes are undone, the failure is still recorded.
            with conn.begin_nested():
                kind.run(conn, job["payload"])
        except Exception as error:  # noqa: BLE001 - any failure of a handler is recorded and retried
            outcome = "retry" if _record_failure(conn, job, kind, error) == "queued" else "failed"
        else:
            mark_job_done(conn, job["id"])
            outcome = "done"
    JOBS_RUN.labels(kind.name, outcome).inc()
    JOB_SECONDS.labels(kind.name).observe(time.perf_counter() - started)
    return True


def _record_failure(conn: Connection, job, kind: Kind, error: Exception) -> str:
    """Log a failed run, schedule its retry or give up, and tell the kind's failure hook; return
    the job's new status ("queued" again or "failed")."""
    message = f"{type(error).__name__}: {error}"
    permanent = isinstance(error, PermanentError)
    _log.warning("job %s (%s) failed on attempt %d: %s", job["id"], job["kind"], job["attempts"] + 1, message)
    status = record_job_failure(conn, job["id"], message, permanent, backoff_seconds(job["attempts"] + 1))
    if status == "failed" and kind.on_failure:
        with conn.begin_nested():
            kind.on_failure(conn, job["payload"], message)
    return status


def run_due_jobs(limit: int | None = None) -> int:
    """Run due jobs one after another until none is due (or `limit` ran); return how many ran."""
    count = 0
    while (limit is None or count < limit) and run_next_job():
        count += 1
    return count


def add_schedule(conn: Connection, kind: str) -> None:
    """Make sure a periodic job has its row (due at once the first time)."""
    db.execute(
        conn,
        "INSERT INTO periodic_jobs (kind, next_run_at) VALUES (:kind, now()) ON CONFLICT (kind) DO NOTHING",
        kind=kind,
    )


def advance_schedule(conn: Connection, kind: str, every: timedelta) -> bool:
    """Move a due periodic job's next run one period on; True if it was due (and so is ours to enqueue).

    The row lock makes this exact across workers: a second worker waits, then finds it no longer due.
    """
    return (
        db.execute(
            conn,
            """
            UPDATE periodic_jobs
            SET next_run_at = now() + make_interval(secs => :every), last_enqueued_at = now()
            WHERE kind = :kind
              AND next_run_at <= now()
            """,
            kind=kind,
            every=every.total_seconds(),
        )
        == 1
    )


def enqueue_due_periodic_jobs() -> int:
    """Enqueue every periodic job whose time has come; return how many were enqueued."""
    count = 0
    for schedule in SCHEDULES.values():
        with db.transaction() as conn:
            add_schedule(conn, schedule.kind)
            if advance_schedule(conn, schedule.kind, schedule.every):
                # The unique key keeps a slow run from overlapping the next one.
                count += enqueue(conn, schedule.kind, unique_key=f"periodic:{schedule.kind}") is not None
    return count


# Housekeeping: finished jobs are kept a while for inspection, then removed.

DONE_JOBS_KEPT = "7 days"
FAILED_JOBS_KEPT = "30 days"
PRUNE_BATCH = 10_000


def delete_finished_jobs(conn: Connection) -> int:
    """Remove up to PRUNE_BATCH finished jobs past their keeping time."""
    return db.execute(
        conn,
        """
        DELETE FROM jobs
        WHERE id IN (
            SELECT id
            FROM jobs
            WHERE status <> 'queued'
              AND finished_at < now() - CAST(CASE status WHEN 'done' THEN :done_kept ELSE :failed_kept END AS interval)
            LIMIT :batch
        )
        """,
        done_kept=DONE_JOBS_KEPT,
        failed_kept=FAILED_JOBS_KEPT,
        batch=PRUNE_BATCH,
    )


@periodic("jobs.prune", every=timedelta(hours=1))
def prune_jobs(conn: Connection, payload: dict[str, Any]) -> None:
    """Periodic: remove old finished jobs."""
    delete_finished_jobs(conn)


def count_queued_jobs():
    """Per kind: the jobs queued or running, how many of them are due, and the age in seconds of
    the oldest due one (None if none is) — the queue's depth for /metrics (app/metrics.py)."""
    return db.all(
        """
        SELECT kind,
               count(*) AS queued,
               count(*) FILTER (WHERE run_at <= now()) AS due,
               extract(epoch FROM now() - min(run_at) FILTER (WHERE run_at <= now())) AS oldest_due_seconds
        FROM jobs
        WHERE status = 'queued'
        GROUP BY kind
        """
    )
