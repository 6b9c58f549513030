"""One connection per request (app/db.py): checked out at first use, returned at teardown; reads in
autocommit, so nothing is held between statements; transaction() is BEGIN … COMMIT on that same
connection. These tests commit for real, so they run unpinned and clean up after themselves."""

import psycopg2.extensions
import pytest
from flask import g
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from app import db

pytestmark = pytest.mark.concurrency  # unpinned: the request's own connection is what is tested

IDLE = psycopg2.extensions.TRANSACTION_STATUS_IDLE


@pytest.fixture
def probe(app):
    """A scratch table, committed, dropped afterwards."""
    with app.extensions["bazaar_db"].engine.begin() as connection:
        connection.execute(text("CREATE TABLE db_connection_probe (id int PRIMARY KEY)"))
    yield
    with app.extensions["bazaar_db"].engine.begin() as connection:
        connection.execute(text("DROP TABLE db_connection_probe"))


@pytest.fixture
def checkouts(app):
    """A list that gets one entry per connection checked out of the pool."""
    seen: list[int] = []

    def record(dbapi_connection, record, proxy):
        seen.append(id(dbapi_connection))

    engine = app.extensions["bazaar_db"].engine
    event.listen(engine, "checkout", record)
    yield seen
    event.remove(engine, "checkout", record)


def probe_ids(app) -> list[int]:
    """The probe table's ids as another connection sees them (committed rows only)."""
    with app.extensions["bazaar_db"].engine.connect() as connection:
        return list(connection.execute(text("SELECT id FROM db_connection_probe ORDER BY id")).scalars())


def request_connection():
    return g._bazaar_db_connection.connection


def insert_then_fail(probe_id: int) -> None:
    """Insert a probe row in a transaction, then fail inside it."""
    with db.transaction() as connection:
        db.execute(connection, "INSERT INTO db_connection_probe VALUES (:id)", id=probe_id)
        raise RuntimeError("the caller gives up")


def test_a_page_checks_out_one_connection_and_returns_it(app, client, checkouts):
    pool = app.extensions["bazaar_db"].request_engine.pool  # requests check out from their own pool
    response = client.get("/")  # departments, best sellers, new arrivals: several statements
    assert response.status_code == 200
    assert 'sql;desc="' in response.headers["Server-Timing"]
    assert len(checkouts) == 1
    assert pool.checkedout() == 0


def test_reads_share_the_connection_and_leave_no_transaction_open(app):
    with app.test_request_context():
        first = db.value("SELECT pg_backend_pid()")
        assert db.value("SELECT pg_backend_pid()") == first
        status = request_connection().connection.dbapi_connection.info.transaction_status
        assert status == IDLE  # autocommit: no snapshot or lock held between statements
        with app.extensions["bazaar_db"].engine.connect() as other:
            state = other.execute(text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": first}).scalar()
        assert state == "idle"


def test_a_transaction_runs_on_the_request_connection_and_commits(app, probe):
    with app.test_request_context():
        pid = db.value("SELECT pg_backend_pid()")
        with db.transaction() as connection:
            assert db.fetch_one(connection, "SELECT pg_backend_pid() AS pid")["pid"] == pid
            db.execute(connection, "INSERT INTO db_connection_probe VALUES (1)")
            assert probe_ids(app) == []  # not yet committed
            assert db.value("SELECT count(*) FROM db_connection_probe") == 1  # reads see their own writes
        assert probe_ids(app) == [1]


def test_an_error_rolls_the_transaction_back_and_the_connection_stays_usable(app, probe):
    with app.test_request_context():
        with pytest.raises(RuntimeError):
            insert_then_fail(1)
        assert request_connection().connection.dbapi_connection.info.transaction_status == IDLE
        assert db.run("INSERT INTO db_connection_probe VALUES (2)") == 1
    assert probe_ids(app) == [2]


def test_a_nested_transaction_is_a_savepoint(app, probe):
    with app.test_request_context(), db.transaction() as outer:
        db.execute(outer, "INSERT INTO db_connection_probe VALUES (1)")
        with pytest.raises(RuntimeError):
            insert_then_fail(2)
        with db.transaction() as inner:
            db.execute(inner, "INSERT INTO db_connection_probe VALUES (3)")
    assert probe_ids(app) == [1, 3]


def test_a_single_statement_needs_no_begin_or_commit(app, probe, count_queries):
    with app.test_request_context(), count_queries() as statements:
        assert db.run("INSERT INTO db_connection_probe VALUES (1)") == 1
    assert len(statements) == 1
    assert probe_ids(app) == [1]


def test_a_retry_after_a_deadlock_starts_a_clean_transaction(app, probe):
    attempts = []

    @db.retry_on_conflict
    def insert_and_maybe_lose():
        with db.transaction() as connection:
            db.execute(connection, "INSERT INTO db_connection_probe VALUES (:id)", id=len(attempts) + 1)
            attempts.append(1)
            if len(attempts) == 1:  # PostgreSQL's own deadlock error, raised on purpose
                db.execute(connection, "DO $$ BEGIN RAISE EXCEPTION 'lost' USING ERRCODE = '40P01'; END $$")

    with app.test_request_context():
        insert_and_maybe_lose()
    assert len(attempts) == 2
    assert probe_ids(app) == [2]  # the first attempt's row was rolled back with it


def test_a_transaction_left_open_is_rolled_back_at_teardown(app, probe):
    pool = app.extensions["bazaar_db"].request_engine.pool  # requests check out from their own pool
    with app.test_request_context(), db.connect() as connection:
        connection.exec_driver_sql("BEGIN")
        connection.exec_driver_sql("INSERT INTO db_connection_probe VALUES (1)")
    assert pool.checkedout() == 0
    assert probe_ids(app) == []
    with app.test_request_context():  # the pooled connection comes back clean
        assert db.value("SELECT count(*) FROM db_connection_probe") == 0
        assert request_connection().connection.dbapi_connection.info.transaction_status == IDLE


def test_code_outside_a_request_checks_out_per_use(app, probe, checkouts):
    with app.app_context():
        assert db.value("SELECT 1") == 1
        assert db.run("INSERT INTO db_connection_probe VALUES (1)") == 1
        assert "_bazaar_db_connection" not in g
    assert len(checkouts) == 2
    assert probe_ids(app) == [1]


def test_a_time_limit_set_in_a_transaction_ends_with_it(app):
    from sqlalchemy.exc import OperationalError

    from app.models import search

    def sleep_past_the_limit():
        with db.transaction() as connection:
            search.limit_statement_time(connection, 20)
            db.execute(connection, "SELECT pg_sleep(1)")

    with app.test_request_context():
        default = db.value("SHOW statement_timeout")
        with pytest.raises(OperationalError, match="statement timeout"):
            sleep_past_the_limit()
        assert db.value("SHOW statement_timeout") == default


def backend_pid(app) -> int:
    """The server process behind a request's connection (the request's pool, as a page uses it)."""
    with app.test_request_context(), db.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar()


@pytest.fixture
def one_pooled_connection(app):
    """The requests' pool emptied, so the next checkouts get one connection (the pool is FIFO), and
    emptied again after, so no later test meets a connection this one killed."""
    engine = app.extensions["bazaar_db"].request_engine
    engine.dispose()
    yield
    engine.dispose()


def terminate(app, pid: int) -> None:
    with app.extensions["bazaar_db"].engine.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()


def test_a_connection_idle_in_the_pool_and_gone_is_replaced_at_checkout(app, monkeypatch, one_pooled_connection):
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0)  # every checkout counts as after a long idle
    first = backend_pid(app)
    terminate(app, first)
    # The ping at checkout finds the pooled connection dead and the pool opens a new one.
    assert backend_pid(app) != first


def test_a_connection_in_constant_use_is_not_pinged_and_a_dead_one_fails_once(app, monkeypatch, one_pooled_connection):
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 3600)  # every checkout counts as just used
    first = backend_pid(app)
    terminate(app, first)
    # No ping: the request meets the dead connection (one error, as without pre-ping) ...
    with pytest.raises(DBAPIError) as failure:
        backend_pid(app)
    assert failure.value.connection_invalidated
    # ... and SQLAlchemy has replaced it for the next request.
    assert backend_pid(app) != first
