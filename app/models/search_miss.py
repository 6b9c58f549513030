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


def record_miss(query: str) -> None:
    """Count one search that found nothing, under today's date (UTC)."""
    normalised = normalise(query)
    if not normalised:
        return
    db.run(
        """
        INSERT INTO search_misses (day, query)
        VALUES (CAST(now() AT TIME ZONE 'UTC' AS date), :query)
        ON CONFLICT (day, query) DO UPDATE
        SET searches = search_misses.searches + 1
        """,
        query=normalised,
    )
