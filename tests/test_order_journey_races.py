"""The order journey's transitions under real concurrency: threads on their own connections,
released together, committing. Exactly one of two conflicting steps wins, each time, and the
books and every invariant of db/check.py hold afterwards.

Runs outside the per-test transaction (marker `concurrency`); the tables are emptied after.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.models import escrow, locks, order, purchase
from db.check import run_checks
from tests.journey import make_everyone_older, make_market, make_older, make_purchase_older, place
from tests.test_checkout_concurrency import assert_books_balance

pytestmark = pytest.mark.concurrency

ROUNDS = 12
REFUSALS = (order.TransitionRefused, purchase.CancelFailed)

# Sessions of this test database waiting for a lock (other test processes have databases of their own).
LOCK_WAITS = (
    "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def fetch(app, sql, **params):
    with app.extensions["bazaar_db"].engine.connect() as connection:
        return connection.execute(text(sql), params).mappings().all()


def race(app, *functions):
    """Run the functions on their own threads released by one barrier; return each outcome (a refusal
    is returned, not raised)."""
    barrier = threading.Barrier(len(functions))

    def call(function):
        with app.test_request_context():
            barrier.wait()
            try:
                return function()
            except REFUSALS as refusal:
                return refusal

    with ThreadPoolExecutor(max_workers=len(functions)) as pool:
        return list(pool.map(call, functions))


def in_job(app, work):
    """Run `work(conn)` as a job handler runs: in one transaction of its own."""

    def run():
        with app.extensions["bazaar_db"].transaction() as conn:
            return work(conn)

    return run


def assert_every_invariant(database_url):
    broken = [(name, count) for name, count in run_checks(database_url, workers=1) if count]
    assert broken == []


def test_buyer_confirms_while_the_delivery_job_runs(app, actions, database_url):
    market = make_market(app, actions, buyer_balance="2000.00")
    make_everyone_older(app)
    sam, bea = market["sam"], market["bea"]
    wins = {"buyer": 0, "job": 0}
    for _ in range(ROUNDS):
        purchase_id = place(app, bea, [(sam, market["mug"], 1)])
        line_id = fetch(app, "SELECT id FROM orders WHERE purchase_id = :p", p=purchase_id)[0]["id"]
        with app.test_request_context():
            order.mark_shipped(sam["id"], [line_id], "UPS", "1Z")
        make_older(app, line_id, 15)  # due for the job
        confirmed, delivered = race(
            app,
            lambda line_id=line_id, purchase_id=purchase_id: order.confirm_receipt(line_id, purchase_id, bea["id"]),
            in_job(app, order.deliver_overdue),
        )
        buyer_won = confirmed is None
        assert buyer_won == (delivered == 0), (confirmed, delivered)
        if not buyer_won:
            assert "already been delivered" in str(confirmed)
        row = fetch(app, "SELECT status, auto_delivered FROM orders WHERE id = :id", id=line_id)[0]
        assert row["status"] == "delivered" and row["auto_delivered"] == (not buyer_won)
        wins["buyer" if buyer_won else "job"] += 1
    # One "delivered" e-mail per line, whoever won.
    mails = fetch(app, "SELECT count(*) AS n FROM mail_outbox WHERE template = 'order_delivered'")[0]["n"]
    assert mails == ROUNDS and sum(wins.values()) == ROUNDS
    assert_books_balance(app)
    assert_every_invariant(database_url)


def test_seller_ships_while_buyer_cancels_exactly_one_wins(app, actions, database_url):
    market = make_market(app, actions, buyer_balance="2000.00")
    sam, bea = market["sam"], market["bea"]
    for _ in range(ROUNDS):
        purchase_id = place(app, bea, [(sam, market["lamp"], 1), (sam, market["mug"], 1)])
        lines = fetch(app, "SELECT id, product_id FROM orders WHERE purchase_id = :p ORDER BY id", p=purchase_id)
        lamp = next(row["id"] for row in lines if row["product_id"] == market["lamp"]["id"])
        marked, cancelled = race(
            app,
            lambda lines=lines: order.mark_shipped(sam["id"], [row["id"] for row in lines], "DHL", "JD1"),
            lambda lamp=lamp, purchase_id=purchase_id: purchase.cancel_line(lamp, purchase_id, bea["id"]),
        )
        cancel_won = isinstance(cancelled, purchase.Cancelled)
        assert (lamp in marked) != cancel_won, (marked, cancelled)
        status = fetch(app, "SELECT status FROM orders WHERE id = :id", id=lamp)[0]["status"]
        assert status == ("cancelled" if cancel_won else "shipped")
    assert_books_balance(app)
    assert_every_invariant(database_url)


def test_cancelling_the_last_two_lines_at_once_refunds_the_fee_once(app, actions, database_url):
    market = make_market(app, actions, buyer_balance="2000.00")
    sam, bea = market["sam"], market["bea"]
    for _ in range(ROUNDS):
        purchase_id = place(app, bea, [(sam, market["lamp"], 1), (sam, market["mug"], 1)])  # $33: $4.99 to ship
        lines = [row["id"] for row in fetch(app, "SELECT id FROM orders WHERE purchase_id = :p", p=purchase_id)]
        outcomes = race(
            app, *[lambda line=line, p=purchase_id: purchase.cancel_line(line, p, bea["id"]) for line in lines]
        )
        assert sum(outcome.fee_refunded for outcome in outcomes) == Decimal("4.99")
        fee = fetch(app, "SELECT fee_refunded FROM shipments WHERE purchase_id = :p", p=purchase_id)[0]
        assert fee["fee_refunded"] is True
    assert fetch(app, "SELECT pending_balance FROM users WHERE id = :id", id=sam["id"])[0]["pending_balance"] == 0
    assert_books_balance(app)
    assert_every_invariant(database_url)


def test_two_answers_to_one_return_and_the_release_job_at_once(app, actions, database_url):
    market = make_market(app, actions, buyer_balance="2000.00")
    make_everyone_older(app)
    sam, bea = market["sam"], market["bea"]
    for _ in range(ROUNDS // 2):
        purchase_id = place(app, bea, [(sam, market["lamp"], 1), (sam, market["mug"], 1)])
        lines = fetch(app, "SELECT id, product_id FROM orders WHERE purchase_id = :p ORDER BY id", p=purchase_id)
        lamp = next(row["id"] for row in lines if row["product_id"] == market["lamp"]["id"])
        mug = next(row["id"] for row in lines if row["product_id"] == market["mug"]["id"])
        with app.test_request_context():
            order.mark_shipped(sam["id"], [lamp, mug], "UPS", None)
            order.confirm_receipt(lamp, purchase_id, bea["id"])
            order.confirm_receipt(mug, purchase_id, bea["id"])
            order.request_return(lamp, purchase_id, bea["id"], "Scratched.")
        make_purchase_older(app, purchase_id, 31)  # the mug's window has closed: the job releases it meanwhile
        accepted, refused, released = race(
            app,
            lambda lamp=lamp: order.accept_return(lamp, sam["id"], restock=True),
            lambda lamp=lamp: order.refuse_return(lamp, sam["id"], "No."),
            in_job(app, escrow.release_due),
        )
        assert isinstance(accepted, Decimal) != (refused is None), (accepted, refused)
        assert released >= 1  # the mug, and a lamp of an earlier round whose return was refused
    # Every shipment has both lines settled once its return was accepted: its fee is released then.
    assert_books_balance(app)
    assert_every_invariant(database_url)


def test_a_return_asked_as_the_release_job_releases_the_line_is_refused(app, actions, database_url, monkeypatch):
    """The buyer's transaction begins while the return window is open; the release job, starting just
    after it closed, locks the line first and releases its money; the buyer, granted the lock once
    the job commits, is told the window has closed (a 409 on the page), and nothing is written."""
    market = make_market(app, actions, buyer_balance="2000.00")
    make_everyone_older(app)
    sam, bea = market["sam"], market["bea"]
    purchase_id = place(app, bea, [(sam, market["lamp"], 1)])
    line_id = fetch(app, "SELECT id FROM orders WHERE purchase_id = :p", p=purchase_id)[0]["id"]
    with app.test_request_context():
        order.mark_shipped(sam["id"], [line_id], "UPS", None)
        order.confirm_receipt(line_id, purchase_id, bea["id"])
    make_older(app, line_id, 30 - 2 / 86_400)  # the window closes two seconds from now
    closes_at = fetch(app, "SELECT delivered_at + interval '30 days' AS at FROM orders WHERE id = :id", id=line_id)
    closes_at = closes_at[0]["at"]
    buyer_began, job_locked = threading.Event(), threading.Event()
    lock_lines = locks.lock_order_lines

    def buyer_waits_before_its_lock(conn, order_ids):
        began_open = conn.execute(text("SELECT now() < :closes_at"), {"closes_at": closes_at}).scalar()
        buyer_began.set()
        assert job_locked.wait(10) and began_open
        return lock_lines(conn, order_ids)  # waits for the job's commit

    def job_after_the_window():
        assert buyer_began.wait(10)
        while fetch(app, "SELECT clock_timestamp() <= :closes_at AS open", closes_at=closes_at)[0]["open"]:
            time.sleep(0.1)
        return in_job(app, release_holding_the_line)()  # its transaction begins after the window closed

    def release_holding_the_line(conn):
        released = escrow.release_due(conn)
        job_locked.set()
        for _ in range(100):  # commit once the buyer waits for the line's lock
            if fetch(app, LOCK_WAITS)[0]["n"]:
                break
            time.sleep(0.1)
        return released

    monkeypatch.setattr(locks, "lock_order_lines", buyer_waits_before_its_lock)
    asked, released = race(
        app,
        lambda: order.request_return(line_id, purchase_id, bea["id"], "Too late?"),
        job_after_the_window,
    )
    assert released == 1
    assert isinstance(asked, order.TransitionRefused) and "return window of this line has closed" in str(asked)
    row = fetch(app, "SELECT status, released_at, return_requested_at FROM orders WHERE id = :id", id=line_id)[0]
    assert row["status"] == "delivered" and row["released_at"] is not None and row["return_requested_at"] is None
    assert fetch(app, "SELECT count(*) AS n FROM mail_outbox WHERE template = 'return_requested'")[0]["n"] == 0
    assert_books_balance(app)
    assert_every_invariant(database_url)
