"""The SQLAlchemy engine and small helpers for raw SQL with bound parameters.

Every model function goes through these: `one`, `all`, `value` for reads, and
`transaction()` for anything that writes. Rows come back as mappings (row["name"]).
"""

import functools
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ParamSpec, TypeVar

import psycopg2.errors
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from sqlalchemy import Connection, CursorResult, Engine, RowMapping, TextClause, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, SQLAlchemyError

from app.replicas import SESSION_KEY, STICKY_SECONDS, ReplicaSet

P = ParamSpec("P")
R = TypeVar("R")


class Database:
    """One engine per app. Inside a request every statement runs on one connection, checked out
    at first use and returned at teardown (see `RequestConnection`); outside one (CLI, worker)
    each use checks one out of the pool. Tests may pin a single connection whose outer
    transaction they roll back; code that opens a transaction then gets a SAVEPOINT on it."""

    def __init__(self, url: str, replica_urls: Sequence[str] = (), **engine_options: Any) -> None:
        # pool_pre_ping tests a connection once per checkout (the CLI, the worker, the tests).
        options = {"pool_size": 5, "max_overflow": 10, "pool_pre_ping": True} | engine_options
        # The project's driver is psycopg2 (SQLAlchemy 2.1 would pick psycopg 3 for postgresql://).
        driver_url = make_url(url).set(drivername="postgresql+psycopg2")
        self.engine: Engine = create_engine(driver_url, **options)
        # Requests' connections come from a pool of their own whose connections stay in autocommit:
        # switching a pooled connection to autocommit at checkout and back at return cost a round
        # trip and ~0.3 ms of CPU per request (docs/PERFORMANCE.md).
        # They skip pool_pre_ping: a ping is a round trip per request. A connection idle in the pool
        # for IDLE_PING_SECONDS is pinged at checkout instead (a server restart or a pooler's idle
        # timeout happens while it waits); one in constant use is not.
        request_options = options | {"pool_pre_ping": False}
        self.request_engine: Engine = create_engine(driver_url, isolation_level="AUTOCOMMIT", **request_options)
        _ping_after_idle(self.request_engine)
        _forward_events(self.request_engine, self.engine)
        # Streaming replicas for GET requests' reads (app/replicas.py), in autocommit like the above.
        replica_engines = {}
        for number, replica_url in enumerate(replica_urls, start=1):
            replica_engine = create_engine(
                make_url(replica_url).set(drivername="postgresql+psycopg2"),
                isolation_level="AUTOCOMMIT",
                **request_options,
            )
            _ping_after_idle(replica_engine)
            _forward_events(replica_engine, self.engine)
            replica_engines[f"replica{number}"] = replica_engine
        self.replicas = ReplicaSet(replica_engines)
        self.pinned: Connection | None = None

    def init_app(self, app: Flask) -> None:
        """Register the database on the app and return each request's connection at teardown."""
        app.extensions["bazaar_db"] = self
        app.teardown_appcontext(self.release)
        if self.replicas:
            app.after_request(self._remember_write)

    def _request_connection(self) -> "RequestConnection | None":
        """This request's connection (checked out now if it is the first use), or None outside a request."""
        if not has_request_context():
            return None
        current = g.get(_G_KEY)
        if current is None:
            current = RequestConnection(self.request_engine)
            setattr(g, _G_KEY, current)
        return current

    def _read_connection(self) -> "RequestConnection | None":
        """Where this request reads: a replica for a GET or HEAD that has not written (chosen at its
        first read, then kept), else the primary's request connection; None outside a request."""
        if not has_request_context():
            return None
        if self.replicas and self.pinned is None and request.method in ("GET", "HEAD") and not g.get(_WROTE_KEY):
            if _REPLICA_KEY not in g:
                connection, name = self.replicas.checkout(_sticky_wal_position())
                setattr(g, _REPLICA_KEY, RequestConnection(connection) if connection is not None else None)
                g.read_from = name or "primary"
            replica = g.get(_REPLICA_KEY)
            if replica is not None:
                return replica
        return self._request_connection()

    def _writing_connection(self) -> "RequestConnection | None":
        """The primary's request connection, noting that the request writes: its reads from now on
        go to the primary too, and its session will remember the WAL position (read-your-writes)."""
        current = self._request_connection()
        if current is not None and not g.get(_WROTE_KEY):
            setattr(g, _WROTE_KEY, True)
            if g.get("read_from", "primary") != "primary":
                g.read_from += " then primary"  # Server-Timing tells a mixed request apart
        return current

    def _remember_write(self, response):
        """After a request that wrote, keep the primary's WAL position in the session, so that the
        user's next reads come from a replica only once it has replayed this far. Guests without a
        session get none (their writes are rate limits and search logs they never read back)."""
        if g.get(_WROTE_KEY) and session and not self.pinned:
            try:
                connection = self._request_connection().connection
                position = connection.exec_driver_sql("SELECT pg_current_wal_lsn()").scalar()
            except DBAPIError:
                position = UNREACHABLE_WAL_POSITION  # unknown: read from the primary for a while
            session[SESSION_KEY] = [str(position), int(time.time())]
        return response

    def fall_back_to_primary(self, error: DBAPIError) -> bool:
        """After the replica failed a read of this request (a GET that has not written: every
        statement so far ran there), skip that replica and let the request run again on the
        primary (the caller dispatches it once more). False if the error is not that."""
        if not has_request_context() or g.get(_WROTE_KEY) or g.get(_FELL_BACK_KEY):
            return False
        replica = g.get(_REPLICA_KEY)
        connection_failed = isinstance(error.orig, psycopg2.OperationalError | psycopg2.InterfaceError)
        if replica is None or not connection_failed or isinstance(error.orig, psycopg2.errors.QueryCanceled):
            return False
        self.replicas.trip(g.read_from, str(error.orig).strip().splitlines()[0] if str(error.orig) else "read failed")
        replica.connection.invalidate()
        replica.close()
        setattr(g, _REPLICA_KEY, None)
        setattr(g, _FELL_BACK_KEY, True)
        g.read_from = "primary"
        return True

    def release(self, _error: BaseException | None = None) -> None:
        """Return the request's connections to their pools (teardown)."""
        for key in (_G_KEY, _REPLICA_KEY):
            current = g.pop(key, None) if has_app_context() else None
            if current is not None:
                current.close()

    @contextmanager
    def connect(self, writes: bool = False) -> Iterator[Connection]:
        """A connection for reads (or for one statement that `writes`, on the primary). In a request:
        the request's own, in autocommit, so a read is one round trip and holds no snapshot or lock
        between statements. Elsewhere: a pooled one whose implicit transaction is rolled back on return."""
        if self.pinned is not None:
            with self.pinned.begin_nested():
                yield self.pinned
            return
        current = self._writing_connection() if writes else self._read_connection()
        if current is not None:
            yield current.connection
            return
        with self.engine.connect() as connection:
            yield connection

    @contextmanager
    def early_connection(self, writes: bool = False) -> Iterator[tuple[Any, str | None]]:
        """A driver (psycopg2) connection for a request served before Flask (app/guest_fast_path.py),
        and where it reads as Server-Timing names it (None with no replicas): the tests' pinned one,
        else a replica's as for any guest's GET unless it `writes`, else one from the requests' pool
        (autocommit: each statement commits alone, and returning it costs no round trip)."""
        if self.pinned is not None:
            yield self.pinned.connection.dbapi_connection, None
            return
        if self.replicas and not writes:
            replica, name = self.replicas.checkout(None)
            if replica is not None:
                try:
                    yield replica.connection.dbapi_connection, name
                finally:
                    replica.close()
                return
        pooled = self.request_engine.raw_connection()
        try:
            yield pooled, "primary" if self.replicas else None
        finally:
            pooled.close()

    def transaction(self) -> AbstractContextManager[Connection]:
        """A connection in a transaction: committed on success, rolled back on error.
        Inside a request it is the request's connection (BEGIN … COMMIT on it; a SAVEPOINT
        when a transaction is already open on it)."""
        return self._transaction("BEGIN")

    @contextmanager
    def bookkeeping(self) -> Iterator[Connection]:
        """A transaction on the primary for the request's own bookkeeping (a token's last use, a rate
        limit's count) that its reads do not depend on: unlike transaction(), the request keeps reading
        from its replica and its session remembers no WAL position."""
        if self.pinned is not None:
            with self.pinned.begin_nested():
                yield self.pinned
            return
        current = self._request_connection()
        if current is None:
            with self.engine.begin() as connection:
                yield connection
            return
        with current.transaction("BEGIN") as connection:
            yield connection

    def read_transaction(self) -> AbstractContextManager[Connection]:
        """A read-only transaction on the request's read connection (a replica's, for a GET): for
        reads that want a transaction's settings, such as a local statement time limit."""
        return self._transaction("BEGIN READ ONLY", read_only=True)

    def snapshot(self) -> AbstractContextManager[Connection]:
        """A read-only transaction whose reads all see one snapshot (REPEATABLE READ), so what
        is read last is no newer than what was read first."""
        return self._transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "REPEATABLE READ", read_only=True)

    @contextmanager
    def _transaction(self, begin: str, isolation: str | None = None, read_only: bool = False) -> Iterator[Connection]:
        """`begin` on the request's connection (a replica's for a read-only one, when the request
        reads from one); a pooled connection at `isolation` outside a request."""
        if self.pinned is not None:
            with self.pinned.begin_nested():
                yield self.pinned
            return
        current = self._read_connection() if read_only else self._writing_connection()
        if current is not None:
            with current.transaction(begin) as connection:
                yield connection
            return
        engine = self.engine if isolation is None else self.engine.execution_options(isolation_level=isolation)
        with engine.begin() as connection:
            yield connection

    def run_single(self, sql: str, params: dict) -> CursorResult | None:
        """Run one statement on its own, atomically, in a request's autocommit connection without
        BEGIN/COMMIT around it (a single statement is its own transaction); None outside a request."""
        if self.pinned is not None:
            return None
        current = self._writing_connection()
        if current is None or current.depth:
            return None  # outside a request, or inside a transaction block: nest as before
        return current.connection.execute(statement(sql), params)


_G_KEY = "_bazaar_db_connection"
_REPLICA_KEY = "_bazaar_db_replica"
_WROTE_KEY = "_bazaar_db_wrote"
_FELL_BACK_KEY = "_bazaar_db_fell_back"
_READ_PAST_KEY = "_bazaar_db_read_past"
UNREACHABLE_WAL_POSITION = "FFFFFFFF/FFFFFFFF"  # no replica replays this far


def _sticky_wal_position() -> str | None:
    """The WAL position this request's reads must see (app/replicas.py): an API token's last write
    (read_past), else the session's last write if recent enough to matter."""
    if g.get(_READ_PAST_KEY):
        return g.get(_READ_PAST_KEY)
    remembered = session.get(SESSION_KEY)
    if not (isinstance(remembered, list) and len(remembered) == 2):
        return None
    position, written_at = remembered
    if not isinstance(position, str) or not isinstance(written_at, int):
        return None
    return position if time.time() - written_at < STICKY_SECONDS else None


IDLE_PING_SECONDS = 10


def _ping_after_idle(engine: Engine) -> None:
    """Test a pooled connection at checkout only if it sat unused for IDLE_PING_SECONDS or more; a
    dead one is replaced by a fresh one (SQLAlchemy's custom pessimistic ping: DisconnectionError
    makes the pool retry the checkout). A connection that dies in use fails that request, and
    SQLAlchemy then recycles every connection older than the failure."""

    @event.listens_for(engine.pool, "checkin")
    def checked_in(_dbapi_connection, record) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def checked_out(dbapi_connection, record, _proxy) -> None:
        if time.monotonic() - record.info.get("checked_in_at", float("-inf")) < IDLE_PING_SECONDS:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except psycopg2.Error as error:
            raise DisconnectionError("the pooled connection is gone") from error


def _forward_events(source: Engine, target: Engine) -> None:
    """Run `target`'s statement and checkout listeners for `source` too, so what listens to the
    app's engine (Server-Timing's statement count, the tests' count_queries) sees every request."""

    def statement(*args) -> None:
        target.dispatch.before_cursor_execute(*args)

    def checkout(*args) -> None:
        target.pool.dispatch.checkout(*args)

    event.listen(source, "before_cursor_execute", statement)
    event.listen(source.pool, "checkout", checkout)
    # Disposing of the app's engine (tests, before dropping their database) closes both pools.
    event.listen(target, "engine_disposed", lambda _engine: source.dispose())


_log = logging.getLogger(__name__)


class RequestConnection:
    """A request's connection, in autocommit: reads run alone; `transaction()` wraps its block in
    BEGIN and COMMIT (or ROLLBACK) on the same connection, nested blocks in SAVEPOINTs."""

    def __init__(self, source: Engine | Connection) -> None:
        # An autocommit engine (Database.request_engine), or a replica's connection already open.
        self.connection = source if isinstance(source, Connection) else source.connect()
        self.depth = 0  # open transaction() blocks

    @contextmanager
    def transaction(self, begin: str = "BEGIN") -> Iterator[Connection]:
        """`begin` … COMMIT around the block (a SAVEPOINT inside another); ROLLBACK on error."""
        self.depth += 1
        name = f"bazaar_{self.depth}"
        begin, commit, rollback = (
            (begin, "COMMIT", "ROLLBACK")
            if self.depth == 1
            else (f"SAVEPOINT {name}", f"RELEASE SAVEPOINT {name}", f"ROLLBACK TO SAVEPOINT {name}")
        )
        try:
            self.connection.exec_driver_sql(begin)
            try:
                yield self.connection
            except BaseException:
                self._quietly(rollback)
                raise
            self.connection.exec_driver_sql(commit)
        finally:
            self.depth -= 1

    def _quietly(self, statement: str) -> None:
        """Roll back after an error without hiding that error behind a second one (a dropped connection)."""
        try:
            self.connection.exec_driver_sql(statement)
        except SQLAlchemyError:  # DBAPIError, or PendingRollbackError once the connection has died
            _log.warning("%s failed after an error; the connection is discarded", statement, exc_info=True)
            self.connection.invalidate()

    def close(self) -> None:
        """Back to the pool, never inside a transaction (psycopg2 in autocommit would not roll one back)."""
        try:
            if not self.connection.invalidated and self.connection.connection.dbapi_connection.info.transaction_status:
                self._quietly("ROLLBACK")
        finally:
            self.connection.close()


def get_db() -> Database:
    """The current app's database."""
    return current_app.extensions["bazaar_db"]


def read_transaction():
    """Shortcut for `with read_transaction() as conn:` (Database.read_transaction)."""
    return get_db().read_transaction()


def bookkeeping():
    """Shortcut for `with bookkeeping() as conn:` (Database.bookkeeping)."""
    return get_db().bookkeeping()


def read_past(wal_position: str | None) -> None:
    """Read this request from a replica only once it has replayed past `wal_position` (an API
    token's last write: API clients carry no session)."""
    if wal_position and has_request_context():
        setattr(g, _READ_PAST_KEY, wal_position)


def request_wrote() -> bool:
    """Whether this request changed data on the primary (bookkeeping aside)."""
    return bool(g.get(_WROTE_KEY))


def connect():
    """Shortcut for `with connect() as conn:`: several reads on one connection."""
    return get_db().connect()


def transaction():
    """Shortcut for `with transaction() as conn:` in model code."""
    return get_db().transaction()


# A statement that changes rows (a writable CTE, INSERT … RETURNING read through `one` or `all`)
# or a sequence must run on the primary, whatever helper runs it; cached per SQL text.
_WRITING = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|nextval|setval)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def statement(sql: str) -> TextClause:
    """The statement for a SQL string, built once: text() scans the string for its :parameters
    each time, a fifth of a millisecond for a long query (a product page runs seven). A TextClause
    is immutable, so every caller may share it."""
    return text(sql)


@functools.lru_cache(maxsize=4096)
def writes(sql: str) -> bool:
    """Whether a statement may change data (and so must not run on a replica)."""
    return _WRITING.search(sql) is not None


def one(sql: str, **params: Any) -> RowMapping | None:
    """The first row of a query as a mapping, or None."""
    with get_db().connect(writes(sql)) as connection:
        return connection.execute(statement(sql), params).mappings().first()


def all(sql: str, **params: Any) -> Sequence[RowMapping]:  # noqa: A001 - mirrors Result.all()
    """Every row of a query as mappings."""
    with get_db().connect(writes(sql)) as connection:
        return connection.execute(statement(sql), params).mappings().all()


def value(sql: str, **params: Any) -> Any:
    """The first column of the first row, or None."""
    with get_db().connect(writes(sql)) as connection:
        return connection.execute(statement(sql), params).scalar()


def run(sql: str, **params: Any) -> int:
    """Run one writing statement in its own transaction; return the rows it touched."""
    result = get_db().run_single(sql, params)
    if result is not None:
        return result.rowcount
    with transaction() as connection:
        return connection.execute(statement(sql), params).rowcount


def run_returning(sql: str, **params: Any) -> RowMapping | None:
    """Run one writing statement in its own transaction; return its first RETURNING row."""
    result = get_db().run_single(sql, params)
    if result is not None:
        return result.mappings().first()
    with transaction() as connection:
        return connection.execute(statement(sql), params).mappings().first()


def fetch_one(connection: Connection, sql: str, **params: Any) -> RowMapping | None:
    """One row from a query inside an open transaction."""
    return connection.execute(statement(sql), params).mappings().first()


def fetch_all(connection: Connection, sql: str, **params: Any) -> Sequence[RowMapping]:
    """Every row from a query inside an open transaction."""
    return connection.execute(statement(sql), params).mappings().all()


def execute(connection: Connection, sql: str, **params: Any) -> int:
    """Run a statement inside an open transaction; return the rows it touched."""
    return connection.execute(statement(sql), params).rowcount


def contains_pattern(text_to_find: str) -> str:
    """A LIKE/ILIKE pattern matching `text_to_find` anywhere, its own % _ and \\ taken literally.

    Use with `ESCAPE '\\'` in the query.
    """
    escaped = text_to_find.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Retrying a transaction that lost a deadlock or a serialization check. Self-contained on
# purpose: the rest of this module may change without it.

RETRY_ATTEMPTS = 5  # tries in all, the first included
RETRY_BASE_SECONDS = 0.02  # the n-th retry sleeps up to this × 2**n, at random (full jitter)
_RETRYABLE = (psycopg2.errors.DeadlockDetected, psycopg2.errors.SerializationFailure)


class Busy(Exception):
    """The transaction kept losing to concurrent ones and was given up; nothing changed."""


def is_retryable(error: BaseException) -> bool:
    """True for a deadlock (40P01) or serialization failure (40001) from PostgreSQL."""
    return isinstance(error, DBAPIError) and isinstance(error.orig, _RETRYABLE)


def retry_on_conflict(function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` again, after a short random pause, when PostgreSQL rolled it back for a
    deadlock or serialization failure; raise Busy after RETRY_ATTEMPTS tries.

    Only for model functions that open their own transaction, never one called inside a
    caller's: the failed attempt is rolled back whole (to its SAVEPOINT when tests pin a
    connection), so a retry starts clean.
    """

    @functools.wraps(function)
    def retrying(*args: P.args, **kwargs: P.kwargs) -> R:
        attempt = 1
        while True:
            try:
                return function(*args, **kwargs)
            except DBAPIError as error:
                if not is_retryable(error):
                    raise
                if attempt == RETRY_ATTEMPTS:
                    raise Busy(f"{function.__qualname__} gave up after {attempt} tries") from error
                reason = type(error.orig).__name__
            _log.warning("%s: %s; retry %d of %d", function.__qualname__, reason, attempt, RETRY_ATTEMPTS - 1)
            time.sleep(random.uniform(0, RETRY_BASE_SECONDS * 2**attempt))
            attempt += 1

    return retrying
