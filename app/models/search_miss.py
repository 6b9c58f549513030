"""Catalog searches that found nothing, counted per normalised query and day (the console's report).

One INSERT … ON CONFLICT per miss keeps it cheap: a small row per query and day, never a log line
per search.
"""

import re

from app import db

MAX_LENGTH = 200
_SPACES = re.compile(r"\s+")


def normalise(query: str) -> str:
    """The query as it is counted: lower case, single spaces, at most MAX_LENGTH characters."""
    return _SPACES.sub(" ", query).strip().lower()[:MAX_LENGTH].strip()


RECORD_MISS = """
    INSERT INTO search_misses (day, query)
    VALUES (CAST(now() AT TIME ZONE 'UTC' AS date), :query)
    ON CONFLICT (day, query) DO UPDATE
    SET searches = search_misses.searches + 1
    """
# A count lost to a crash costs nothing worth a disk flush per search: the commit does not wait for
# one, so the row lock that every hit of a popular misspelling takes is held for microseconds.
_RECORD_MISS_FOR_DRIVER = "SET LOCAL synchronous_commit = off; " + RECORD_MISS.replace(":query", "%(query)s")


def record_miss(query: str) -> None:
    """Count one search that found nothing, under today's date (UTC)."""
    normalised = normalise(query)
    if normalised:
        db.run(RECORD_MISS, query=normalised)


def record_miss_on(dbapi_connection, query: str) -> None:
    """record_miss on a driver (psycopg2) connection to the primary, for a cached page's hit served
    before Flask (app/guest_fast_path.py): in a transaction of its own on an autocommit connection,
    sent with the statement in one round trip, else in the caller's (a test's)."""
    normalised = normalise(query)
    if not normalised:
        return
    statement = _RECORD_MISS_FOR_DRIVER
    if dbapi_connection.autocommit:
        statement = f"BEGIN; {statement}; COMMIT"
    with dbapi_connection.cursor() as cursor:
        cursor.execute(statement, {"query": normalised})
