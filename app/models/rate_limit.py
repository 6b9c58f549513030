"""Request limits counted in PostgreSQL, so they hold across app servers.

Each limited request is one row (action, key, time); a request is refused while `limit` rows of
the same action and key lie inside the window. Used for registrations and password-reset
requests (per e-mail and per network address), password checks, bad reset links, and what an
account sends to the staff (feedback, review reports).
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection

from app import db, jobs

LOCK_NAMESPACE = 7_301_013  # pg_advisory_xact_lock(namespace, hashtext(action:key))
KEPT = "1 day"  # longer than any window


@dataclass(frozen=True)
class Limit:
    action: str
    limit: int
    window_seconds: int


class Limited(Exception):
    """A request refused by a limit; `wait` is the seconds until the next one is allowed."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"limited for {wait} s")
        self.wait = wait


def hit(conn: Connection, rule: Limit, key: str) -> int | None:
    """Count one request against `rule` for `key`; if the limit is reached, count nothing and
    return the seconds until the next request is allowed.

    An advisory lock on the action and key makes the count exact when requests race on
    several servers.
    """
    db.execute(
        conn,
        "SELECT pg_advisory_xact_lock(:namespace, hashtext(:name))",
        namespace=LOCK_NAMESPACE,
        name=f"{rule.action}:{key}",
    )
    wait = get_wait(conn, rule, key)
    if wait is not None and wait > 0:
        return int(wait)
    insert_hit(conn, rule.action, key)
    return None


def get_wait(conn: Connection, rule: Limit, key: str):
    """Seconds until the limit-th newest request in the window leaves it (None: under the limit)."""
    row = db.fetch_one(
        conn,
        """
        SELECT ceil(extract(epoch FROM hit_at + make_interval(secs => :window) - now())) AS wait
        FROM rate_limit_hits
        WHERE action = :action
          AND key = :key
          AND hit_at > now() - make_interval(secs => :window)
        ORDER BY hit_at DESC
        OFFSET :limit - 1
        LIMIT 1
        """,
        action=rule.action,
        key=key,
        window=rule.window_seconds,
        limit=rule.limit,
    )
    return row["wait"] if row else None


def insert_hit(conn: Connection, action: str, key: str) -> None:
    """Note one request."""
    db.execute(conn, "INSERT INTO rate_limit_hits (action, key) VALUES (:action, :key)", action=action, key=key)


def delete_old_hits(conn: Connection) -> int:
    """Remove requests older than any window."""
    return db.execute(conn, "DELETE FROM rate_limit_hits WHERE hit_at < now() - CAST(:kept AS interval)", kept=KEPT)


@jobs.periodic("rate_limits.prune", every=timedelta(hours=1))
def prune_hits(conn: Connection, payload: dict) -> None:
    """Periodic: forget requests no limit reads any more."""
    delete_old_hits(conn)


def wait_in_words(seconds: int) -> str:
    """A wait as people say it: "40 seconds", "1 minute", "15 minutes" (rounded up)."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
