"""Snapshots of expensive, public query results, kept in PostgreSQL (report_snapshots).

The app keeps no state of its own: a result that is too costly to compute on every request
is stored here with its time, and any app server reuses it until it is older than allowed.
"""

import json
from collections.abc import Callable
from decimal import Decimal

from app import db


def rows(name: str, max_age_seconds: int, compute: Callable[[], list]) -> list[dict]:
    """The rows of snapshot `name`, recomputed with `compute()` when missing or too old.

    When several servers find it stale at once, the one that takes the advisory lock
    recomputes and the others keep serving the previous snapshot.
    """
    with db.transaction() as conn:
        current = db.fetch_one(
            conn,
            """
            SELECT payload, computed_at > now() - make_interval(secs => :max_age) AS fresh,
                   pg_try_advisory_xact_lock(hashtext('report_snapshots:' || name)) AS mine
            FROM report_snapshots
            WHERE name = :name
            """,
            name=name,
            max_age=max_age_seconds,
        )
        if current is not None and (current["fresh"] or not current["mine"]):
            return current["payload"]
        payload = [dict(row) for row in compute()]
        db.execute(
            conn,
            """
            INSERT INTO report_snapshots (name, payload)
            VALUES (:name, CAST(:payload AS jsonb))
            ON CONFLICT (name) DO UPDATE
            SET payload = EXCLUDED.payload,
                computed_at = now()
            """,
            name=name,
            payload=json.dumps(payload, default=_plain),
        )
        return payload


def _plain(value):
    """JSON for what psycopg2 returns beyond JSON's types: sums come back as Decimal."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return str(value)
