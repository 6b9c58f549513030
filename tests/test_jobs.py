"""The job queue (app/jobs.py) and its worker (python -m app.worker): handlers' writes commit with
their job, periodic jobs run once per period across workers, a worker killed with SIGKILL
mid-batch loses nothing, and SIGTERM lets the job in hand finish."""

import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from app import db, jobs, mail, worker
from tests.conftest import query_one, wait_for
from tests.mail import Mailbox, Slow, free_port

ROOT = Path(__file__).resolve().parent.parent


def run_worker(app) -> int:
    with app.app_context():
        worker.load_handlers()
        return worker.run_once()


def enqueue(app, kind: str, payload: dict | None = None, **options) -> int | None:
    with app.app_context(), db.transaction() as conn:
        return jobs.enqueue(conn, kind, payload, **options)


def job(app, job_id: int):
    return query_one(app, "SELECT * FROM jobs WHERE id = :id", id=job_id)


def _note(conn, payload) -> None:
    conn.execute(text("INSERT INTO rate_limit_hits (action, key) VALUES ('test', :key)"), {"key": payload["key"]})


def _note_then_fail(conn, payload) -> None:
    _note(conn, payload)
    raise RuntimeError("the handler broke")


@pytest.fixture
def test_kinds(monkeypatch):
    """Handlers that write a row, and write one then fail."""
    monkeypatch.setitem(jobs.HANDLERS, "test.note", jobs.Kind("test.note", _note))
    monkeypatch.setitem(jobs.HANDLERS, "test.note_then_fail", jobs.Kind("test.note_then_fail", _note_then_fail))


def notes(app, key: str) -> int:
    return query_one(app, "SELECT count(*) AS n FROM rate_limit_hits WHERE action = 'test' AND key = :k", k=key)["n"]


def test_a_handlers_writes_commit_with_its_job(app, test_kinds):
    job_id = enqueue(app, "test.note", {"key": "ok"})
    assert run_worker(app) >= 1
    assert notes(app, "ok") == 1
    assert job(app, job_id)["status"] == "done" and job(app, job_id)["finished_at"] is not None


def test_a_failed_handlers_writes_are_undone_and_it_is_retried_later(app, test_kinds):
    job_id = enqueue(app, "test.note_then_fail", {"key": "broken"})
    run_worker(app)
    row = job(app, job_id)
    assert notes(app, "broken") == 0
    assert row["status"] == "queued" and row["attempts"] == 1 and "RuntimeError: the handler broke" in row["last_error"]
    assert query_one(app, "SELECT run_at > now() AS later FROM jobs WHERE id = :id", id=job_id)["later"]


def _runs(kind: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("bazaar_jobs_run_total", {"kind": kind, "outcome": outcome}) or 0.0


def test_each_job_run_is_counted_by_kind_and_outcome(app, test_kinds):
    before = {outcome: _runs("test.note_then_fail", outcome) for outcome in ("done", "retry", "failed")}
    done_before = _runs("test.note", "done")
    enqueue(app, "test.note", {"key": "counted"})
    enqueue(app, "test.note_then_fail", {"key": "retried"})
    enqueue(app, "test.note_then_fail", {"key": "given-up"}, max_attempts=1)
    run_worker(app)
    assert _runs("test.note", "done") == done_before + 1
    assert _runs("test.note_then_fail", "retry") == before["retry"] + 1
    assert _runs("test.note_then_fail", "failed") == before["failed"] + 1
    assert _runs("test.note_then_fail", "done") == before["done"]
    assert REGISTRY.get_sample_value("bazaar_job_duration_seconds_count", {"kind": "test.note"}) >= 1


def test_jobs_due_later_wait(app, test_kinds):
    job_id = enqueue(app, "test.note", {"key": "later"}, run_at=_now(app) + timedelta(days=14))
    run_worker(app)
    assert job(app, job_id)["status"] == "queued" and notes(app, "later") == 0
    query_one(app, "UPDATE jobs SET run_at = now() WHERE id = :id RETURNING id", id=job_id)  # 14 days pass
    run_worker(app)
    assert job(app, job_id)["status"] == "done" and notes(app, "later") == 1


def _now(app):
    return query_one(app, "SELECT now() AS now")["now"]


def test_a_worker_leaves_kinds_it_does_not_know(app):
    job_id = enqueue(app, "someone.elses.kind", {"x": 1})
    run_worker(app)
    assert job(app, job_id)["status"] == "queued" and job(app, job_id)["attempts"] == 0


def test_a_unique_key_allows_one_queued_job(app, test_kinds):
    first = enqueue(app, "test.note", {"key": "u"}, unique_key="only-one")
    assert first is not None
    assert enqueue(app, "test.note", {"key": "u"}, unique_key="only-one") is None
    run_worker(app)
    assert enqueue(app, "test.note", {"key": "u"}, unique_key="only-one") is not None  # the first one is done


@pytest.fixture
def tick(monkeypatch):
    """A periodic job of our own, every hour."""
    monkeypatch.setitem(jobs.HANDLERS, "test.tick", jobs.Kind("test.tick", lambda conn, payload: None))
    monkeypatch.setitem(jobs.SCHEDULES, "test.tick", jobs.Schedule("test.tick", timedelta(hours=1)))


def count_ticks(app) -> int:
    return query_one(app, "SELECT count(*) AS n FROM jobs WHERE kind = 'test.tick'")["n"]


def test_a_periodic_job_is_enqueued_once_per_period_and_never_twice_at_once(app, tick):
    with app.app_context():
        jobs.enqueue_due_periodic_jobs()
        jobs.enqueue_due_periodic_jobs()
    assert count_ticks(app) == 1  # the next one is due in an hour
    query_one(app, "UPDATE periodic_jobs SET next_run_at = now() WHERE kind = 'test.tick' RETURNING kind")
    with app.app_context():
        jobs.enqueue_due_periodic_jobs()
    assert count_ticks(app) == 1  # due again, but the last one has not run yet: no overlap
    run_worker(app)
    query_one(app, "UPDATE periodic_jobs SET next_run_at = now() WHERE kind = 'test.tick' RETURNING kind")
    with app.app_context():
        jobs.enqueue_due_periodic_jobs()
    assert count_ticks(app) == 2


def _committed_mail(app, count: int) -> list[int]:
    """Queue `count` e-mails and commit them (for tests that run real worker processes)."""
    with app.test_request_context(), db.transaction() as conn:
        return [
            mail.send(conn, "verify_code", f"batch-{number}@example.com", code=f"{number:06d}", minutes=15)
            for number in range(count)
        ]


class WorkerProcess:
    """python -m app.worker in a subprocess on the test database, its log in a file."""

    def __init__(self, app, smtp_url: str, log: Path, *arguments: str) -> None:
        environment = os.environ | {
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "SMTP_URL": smtp_url,
        }
        self.log = log
        with log.open("a") as output:
            self.process = subprocess.Popen(  # noqa: S603 - our own module, run by this interpreter
                [sys.executable, "-m", "app.worker", "--poll", "0.5", *arguments],
                cwd=ROOT,
                env=environment,
                stderr=output,
            )

    def output(self) -> str:
        return self.log.read_text()

    def end(self) -> None:
        """Kill the process if a failed test left it running."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def _scrape(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:  # noqa: S310
            return response.read().decode()
    except OSError:
        return ""  # not listening yet


@pytest.mark.concurrency
def test_periodic_jobs_enqueued_by_racing_workers_once(app, tick):
    barrier = threading.Barrier(4)

    def race():
        with app.app_context():
            barrier.wait()
            jobs.enqueue_due_periodic_jobs()

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert count_ticks(app) == 1


@pytest.mark.concurrency
def test_a_worker_killed_mid_batch_loses_nothing(app, tmp_path):
    box = Mailbox(app, tmp_path / "mail", Slow(tmp_path / "mail", seconds=0.3))
    box.controller.start()
    started: list[WorkerProcess] = []
    try:
        outbox_ids = _committed_mail(app, 12)
        killed = WorkerProcess(app, box.url, tmp_path / "worker.log")
        started.append(killed)
        process = killed.process
        wait_for(lambda: len(box.messages()) >= 3)
        process.kill()  # SIGKILL: no clean-up of any kind
        assert process.wait(timeout=10) == -signal.SIGKILL

        states = query_one(
            app,
            """
            SELECT count(*) FILTER (WHERE status = 'sent') AS sent,
                   count(*) FILTER (WHERE status = 'queued') AS queued,
                   count(*) FILTER (WHERE status = 'failed') AS failed
            FROM mail_outbox
            """,
        )
        assert states["queued"] > 0 and states["failed"] == 0  # it died mid-batch
        assert states["sent"] + states["queued"] == 12

        # Another worker finishes the batch: every message arrives at least once.
        finisher = WorkerProcess(app, box.url, tmp_path / "finisher.log", "--once")
        started.append(finisher)
        assert finisher.process.wait(timeout=60) == 0, finisher.output()
        sent = query_one(app, "SELECT count(*) AS n FROM mail_outbox WHERE status = 'sent'")["n"]
        assert sent == 12
        expected = {
            query_one(app, "SELECT message_id FROM mail_outbox WHERE id = :id", id=i)["message_id"] for i in outbox_ids
        }
        caught = [message["Message-ID"] for message in box.messages()]
        assert set(caught) == expected and len(caught) >= 12
        assert query_one(app, "SELECT count(*) AS n FROM jobs WHERE kind = 'mail.send' AND status <> 'done'")["n"] == 0
    finally:
        for process in started:
            process.end()
        box.controller.stop()


@pytest.mark.concurrency
def test_sigterm_lets_the_job_in_hand_finish_then_stops(app, tmp_path):
    box = Mailbox(app, tmp_path / "mail", Slow(tmp_path / "mail", seconds=0.5))
    box.controller.start()
    started: list[WorkerProcess] = []
    try:
        _committed_mail(app, 6)
        metrics_port = free_port()
        worker_process = WorkerProcess(app, box.url, tmp_path / "worker.log", "--metrics-port", str(metrics_port))
        started.append(worker_process)
        wait_for(lambda: len(box.messages()) >= 1)
        # Its own metrics, served while it works: the job it finished and the loop's heartbeat.
        wait_for(lambda: 'bazaar_jobs_run_total{kind="mail.send",outcome="done"}' in _scrape(metrics_port))
        assert "bazaar_worker_heartbeat_timestamp_seconds " in _scrape(metrics_port)
        worker_process.process.send_signal(signal.SIGTERM)
        assert worker_process.process.wait(timeout=20) == 0
        assert "stopped" in worker_process.output()
        caught = len(box.messages())
        sent = query_one(app, "SELECT count(*) AS n FROM mail_outbox WHERE status = 'sent'")["n"]
        assert sent == caught and 1 <= caught < 6  # what it started it finished, then it stopped
    finally:
        for process in started:
            process.end()
        box.controller.stop()


@pytest.mark.parametrize(
    ("port", "message"),
    [("0", "a port is a number from 1 to 65535"), ("70000", "a port is a number from 1 to 65535"), ("taken", "in use")],
)
def test_a_metrics_port_it_cannot_serve_is_refused_with_a_clear_message(capsys, port, message):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        if port == "taken":
            port = str(holder.getsockname()[1])
        with pytest.raises(SystemExit) as stopped:
            worker.main(["--metrics-port", port])
    assert stopped.value.code == 2 and message in capsys.readouterr().err
