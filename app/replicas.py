"""Reads from PostgreSQL streaming replicas, with read-your-writes (issue 22).

`DATABASE_REPLICA_URLS` (comma-separated) names the replicas. A GET or HEAD request reads from one
of them until it writes; everything else, and every read after a write, goes to the primary. The
model is GitLab's database load balancing, without its bug #413203:

- After a request that wrote, the session (the signed cookie: no shared cache) keeps the
  primary's WAL position. A later request reads from a replica only if THAT replica has replayed
  past the position — checked on the replica it will read from, before its first read, and the
  request then stays on it. One caught-up replica never un-sticks the user from the others.
- A replica that cannot be reached, or lags more than MAX_LAG_SECONDS, is skipped for
  RETRY_SECONDS (a circuit breaker per app process: health, not data), then tried again.
- With no usable replica, everything runs on the primary.

Lag is measured on the replica alone: nothing waits to be replayed (receive = replay) is lag 0,
else the age of the last replayed transaction; a replica not streaming at all counts as lagging.
"""

import logging
import random
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

MAX_LAG_SECONDS = 5.0
RETRY_SECONDS = 10.0
LAG_CHECK_SECONDS = 1.0
# How long the session keeps a write's WAL position: beyond this, any replica still behind it
# lags more than MAX_LAG_SECONDS and is skipped anyway.
STICKY_SECONDS = 60
SESSION_KEY = "_wal"

_log = logging.getLogger(__name__)


@dataclass
class Replica:
    """One replica's engine and what this process knows of its health."""

    name: str
    engine: Engine
    down_until: float = 0.0
    lag_checked_at: float = float("-inf")
    lagging: bool = False
    lag_seconds: float | None = None  # at the last check (/metrics reports it, app/metrics.py)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def usable(self, now: float) -> bool:
        return now >= self.down_until and not self.lagging

    def trip(self, reason: str) -> None:
        """Skip this replica for RETRY_SECONDS; its pooled connections, likely dead too, are dropped."""
        self.down_until = time.monotonic() + RETRY_SECONDS
        self.lag_checked_at = float("-inf")
        self.engine.dispose()
        _log.warning("replica %s skipped for %g s: %s", self.name, RETRY_SECONDS, reason)


# Not streaming (just restarted, or cut off from the primary): its staleness is unknown, so it
# counts as lagging until its WAL receiver runs again.
LAG_SQL = """
    SELECT CASE WHEN pg_last_wal_receive_lsn() IS NULL THEN 'Infinity'
                WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
                ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)
           END AS lag
"""
CAUGHT_UP_SQL = "SELECT pg_last_wal_replay_lsn() >= CAST(%s AS pg_lsn)"


class ReplicaSet:
    """The app's replicas; `checkout` picks one for a request."""

    def __init__(self, engines: dict[str, Engine]) -> None:
        self.replicas = [Replica(name, engine) for name, engine in engines.items()]

    def __bool__(self) -> bool:
        return bool(self.replicas)

    def trip(self, name: str, reason: str) -> None:
        """Skip the named replica for RETRY_SECONDS (a read on it failed)."""
        for replica in self.replicas:
            if replica.name == name:
                replica.trip(reason)

    def checkout(self, wal_position: str | None):
        """An open connection (SQLAlchemy, autocommit) to a healthy replica that has replayed past
        `wal_position` (None: any), and that replica's name; (None, None) if there is none."""
        now = time.monotonic()
        candidates = [replica for replica in self.replicas if now >= replica.down_until]
        random.shuffle(candidates)
        for replica in candidates:
            connection = None
            try:
                connection = replica.engine.connect()
                self._check_lag(replica, connection, now)
                if not replica.usable(now):
                    connection.close()
                    continue
                if wal_position and not connection.exec_driver_sql(CAUGHT_UP_SQL, (wal_position,)).scalar():
                    connection.close()
                    continue  # behind this user's last write: another replica, or the primary
                return connection, replica.name
            except SQLAlchemyError as error:  # unreachable, restarted (a pool of dead connections), …
                if connection is not None:
                    if isinstance(error, DBAPIError):
                        connection.invalidate()
                    connection.close()
                replica.trip(str(error).strip().splitlines()[0])
        return None, None

    @staticmethod
    def _check_lag(replica: Replica, connection, now: float) -> None:
        """Measure the replica's lag at most once per LAG_CHECK_SECONDS per process."""
        if now - replica.lag_checked_at < LAG_CHECK_SECONDS:
            return
        with replica.lock:
            if now - replica.lag_checked_at < LAG_CHECK_SECONDS:
                return
            lag = float(connection.exec_driver_sql(LAG_SQL).scalar())
            was_lagging, replica.lagging = replica.lagging, lag > MAX_LAG_SECONDS
            replica.lag_seconds = lag
            replica.lag_checked_at = now
            if replica.lagging != was_lagging:
                _log.warning(
                    "replica %s %s (lag %.1f s)", replica.name, "lags" if replica.lagging else "caught up", lag
                )
