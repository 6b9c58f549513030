"""The job worker: runs due jobs (e-mail delivery and scheduled work) from the PostgreSQL queue.

Usage: python -m app.worker [--once] [--poll SECONDS] [--metrics-port PORT [--metrics-host HOST]]
(DATABASE_URL names the database)

Run as many as you like, on any hosts: they share the queue through FOR UPDATE SKIP LOCKED and
keep nothing of their own. Between jobs a worker sleeps until a new job is NOTIFYed or --poll
seconds pass (for retries and jobs due later). SIGTERM or Ctrl-C lets the job in hand finish,
then stops. --once runs what is due, then exits (for tests and cron). --metrics-port serves the
worker's Prometheus metrics (jobs run by kind and outcome, their durations, the loop's heartbeat)
over HTTP on the loopback (--metrics-host to listen elsewhere).
"""

import argparse
import importlib
import logging
import os
import select
import signal
import sys

import psycopg2
from prometheus_client import Gauge, start_http_server

from app import create_app, jobs

# Modules that register job handlers (@jobs.handler, @jobs.periodic). Add yours here.
JOB_MODULES = (
    "app.mail",
    "app.models.email_code",
    "app.models.password_reset",
    "app.models.rate_limit",
    "app.models.order",  # orders.deliver: lines shipped 14 days ago and not confirmed are delivered
    "app.models.escrow",  # escrow.release: held money of lines past their return window
    "app.models.points",  # points.expire: points that came in 12 months ago and were not used
    "app.models.sale",  # sales.end: sales whose end has passed leave the catalog's prices
    "app.models.category",  # search.category_terms: renamed categories' names into their products' search
    "app.models.search_word",  # search.words: recount the catalog's words (typo correction, suggestions)
    "app.models.suggestion",  # search.suggestions: each word's most popular products, re-ranked hourly
    "app.wishlist_mail",  # wishlist.watch: mail opted-in owners when a wishlisted product is cheaper or back
)

_log = logging.getLogger("app.worker")

# A worker whose loop stopped turning (stuck in a handler, or on a lost database) stops moving this.
HEARTBEAT = Gauge("bazaar_worker_heartbeat_timestamp_seconds", "When the worker's loop last looked for jobs")


def load_handlers() -> None:
    """Import every module that registers job handlers."""
    for name in JOB_MODULES:
        importlib.import_module(name)


def run_once() -> int:
    """Enqueue the periodic jobs that are due, then run every due job; return how many ran."""
    jobs.enqueue_due_periodic_jobs()
    return jobs.run_due_jobs()


class Worker:
    """The loop: run what is due, wait for a NOTIFY, a poll or a signal, again until told to stop."""

    def __init__(self, database_url: str, poll_seconds: float) -> None:
        self.database_url = database_url
        self.poll_seconds = poll_seconds
        self.stopping = False
        self.listener = None
        self.wakeup_read, wakeup_write = os.pipe()
        os.set_blocking(wakeup_write, False)
        # A signal writes a byte here, which ends the wait at once.
        signal.set_wakeup_fd(wakeup_write)
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def stop(self, signum, frame) -> None:
        """Signal handler: finish the job in hand, then leave the loop."""
        self.stopping = True

    def listen(self):
        """A connection that receives the queue's NOTIFYs, or None while the database is unreachable."""
        try:
            connection = psycopg2.connect(self.database_url)
            connection.autocommit = True
            with connection.cursor() as cursor:
                # LISTEN takes a name, not a bound value: a constant of app/jobs.py, never input.
                cursor.execute(f"LISTEN {jobs.NOTIFY_CHANNEL}")
        except psycopg2.OperationalError as error:
            _log.warning("cannot LISTEN for new jobs (%s); polling meanwhile", str(error).strip())
            return None
        return connection

    def wait(self) -> None:
        """Sleep until a job is enqueued, a signal arrives or the poll interval passes."""
        if self.listener is None:
            self.listener = self.listen()
        waiting_on = [self.wakeup_read] + ([self.listener] if self.listener else [])
        readable, _, _ = select.select(waiting_on, [], [], self.poll_seconds)
        if self.wakeup_read in readable:
            os.read(self.wakeup_read, 512)
        if self.listener is not None and self.listener in readable:
            try:
                self.listener.poll()
                self.listener.notifies.clear()
            except psycopg2.OperationalError:
                # The database restarted or the connection dropped: listen again on the next wait.
                self.listener.close()
                self.listener = None

    def run(self) -> None:
        self.listener = self.listen()
        try:
            while not self.stopping:
                HEARTBEAT.set_to_current_time()
                try:
                    jobs.enqueue_due_periodic_jobs()
                    while not self.stopping and jobs.run_next_job():
                        pass
                except Exception:  # noqa: BLE001 - a lost database connection must not end the worker
                    _log.exception("the worker's loop failed; trying again after a pause")
                if not self.stopping:
                    self.wait()
        finally:
            if self.listener is not None:
                self.listener.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--once", action="store_true", help="run the due jobs, then exit")
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between looks for jobs due later")
    parser.add_argument("--metrics-port", type=int, help="serve Prometheus metrics over HTTP on this port")
    parser.add_argument("--metrics-host", default="127.0.0.1", help="where the metrics listen (default 127.0.0.1)")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker[%(process)d] %(levelname)s %(message)s")
    if options.metrics_port is not None and not options.once:
        if not 1 <= options.metrics_port <= 65535:
            parser.error(f"--metrics-port {options.metrics_port}: a port is a number from 1 to 65535")
        # prometheus-client's own server, a thread of this process: /metrics, nothing else.
        try:
            start_http_server(options.metrics_port, addr=options.metrics_host)
        except OSError as error:  # the port is taken, or the host is not an address of this machine
            parser.error(f"cannot serve metrics at {options.metrics_host}:{options.metrics_port}: {error.strerror}")
        _log.info("metrics at http://%s:%d/metrics", options.metrics_host, options.metrics_port)
    app = create_app()
    load_handlers()
    with app.app_context():
        if options.once:
            _log.info("ran %d jobs", run_once())
            return 0
        _log.info("waiting for jobs (%s)", ", ".join(sorted(jobs.HANDLERS)))
        Worker(app.config["DATABASE_URL"], options.poll).run()
        _log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
