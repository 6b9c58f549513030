"""The SQLAlchemy engine and small helpers for raw SQL with bound parameters.

Every model function goes through these: `one`, `all`, `value` for reads, and
`transaction()` for anything that writes. Rows come back as mappings (row["name"]).
"""

import functools
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import psycopg2.errors
from flask import current_app
from sqlalchemy import Connection, Engine, RowMapping, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

P = ParamSpec("P")
R = TypeVar("R")


class Database:
    """One engine per app. Tests may pin a single connection whose outer transaction
    they roll back; code that opens a transaction then gets a SAVEPOINT on it."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        options = {"pool_size": 5, "max_overflow": 10, "pool_pre_ping": True} | engine_options
        # The project's driver is psycopg2 (SQLAlchemy 2.1 would pick psycopg 3 for postgresql://).
        driver_url = make_url(url).set(drivername="postgresql+psycopg2")
        self.engine: Engine = create_engine(driver_url, **options)
        self.pinned: Connection | None = None

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads; whatever it did is rolled back on return."""
        if self.pinned is not None:
            with self.pinned.begin_nested():
                yield self.pinned
            return
        with self.engine.connect() as connection:
            yield connection

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection in a transaction: committed on success, rolled back on error."""
        if self.pinned is not None:
            with self.pinned.begin_nested():
                yield self.pinned
            return
        with self.engine.begin() as connection:
            yield connection


def get_db() -> Database:
    """The current app's database."""
    return current_app.extensions["bazaar_db"]


def transaction():
    """Shortcut for `with transaction() as conn:` in model code."""
    return get_db().transaction()


def one(sql: str, **params: Any) -> RowMapping | None:
    """The first row of a query as a mapping, or None."""
    with get_db().connect() as connection:
        return connection.execute(text(sql), params).mappings().first()


def all(sql: str, **params: Any) -> Sequence[RowMapping]:  # noqa: A001 - mirrors Result.all()
    """Every row of a query as mappings."""
    with get_db().connect() as connection:
        return connection.execute(text(sql), params).mappings().all()


def value(sql: str, **params: Any) -> Any:
    """The first column of the first row, or None."""
    with get_db().connect() as connection:
        return connection.execute(text(sql), params).scalar()


def run(sql: str, **params: Any) -> int:
    """Run one writing statement in its own transaction; return the rows it touched."""
    with transaction() as connection:
        return connection.execute(text(sql), params).rowcount


def run_returning(sql: str, **params: Any) -> RowMapping | None:
    """Run one writing statement in its own transaction; return its first RETURNING row."""
    with transaction() as connection:
        return connection.execute(text(sql), params).mappings().first()


def fetch_one(connection: Connection, sql: str, **params: Any) -> RowMapping | None:
    """One row from a query inside an open transaction."""
    return connection.execute(text(sql), params).mappings().first()


def fetch_all(connection: Connection, sql: str, **params: Any) -> Sequence[RowMapping]:
    """Every row from a query inside an open transaction."""
    return connection.execute(text(sql), params).mappings().all()


def execute(connection: Connection, sql: str, **params: Any) -> int:
    """Run a statement inside an open transaction; return the rows it touched."""
    return connection.execute(text(sql), params).rowcount


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
_log = logging.getLogger(__name__)


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
