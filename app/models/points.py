"""Member points: earned when a line is delivered (one per whole currency unit paid), spent at
checkout (100 points = 1.00, at most half of a purchase), given back with a cancelled line, taken
back when a delivered line is refunded, and expired 12 months after they came in.

users.points_balance always equals the sum of the user's points_ledger rows: every change is one
statement that updates the balance only if the rule holds and writes the ledger row from its
result, like balance.debit. The balance sits on the users row, so the users lock of locks.py
covers it: checkout and cancellation hold it already, and earning and expiry take it (in id
order) before writing. Spending is a conditional UPDATE (`points_balance >= :points`): two
checkouts can never spend the same points.

Expiry is first in, first out: whatever goes out (spent, taken back, expired) uses the oldest
points first, so what expires now is what came in more than 12 months ago less everything that
ever went out, when that is positive. Only a reversal can take a balance below zero (points
earned on a line and spent before the line was refunded); later earnings fill it.
"""

from datetime import timedelta

from sqlalchemy import Connection

from app import db, jobs
from app.models import locks

EXPIRY = "12 months"  # an SQL interval: points expire this long after they came in
EXPIRY_BATCH = 500  # users whose points expire per job run; a full batch queues the next run at once


def get_balance(user_id: int) -> int:
    """The user's points."""
    return db.value("SELECT points_balance FROM users WHERE id = :user_id", user_id=user_id) or 0


def spend(conn: Connection, buyer_id: int, purchase_id: int, points: int) -> int | None:
    """Take `points` for a purchase with its ledger row, only if the balance covers them; the balance after, or None."""
    row = db.fetch_one(
        conn,
        """
        WITH spent AS (
            UPDATE users
            SET points_balance = points_balance - :points
            WHERE id = :buyer_id
              AND points_balance >= :points
            RETURNING id, points_balance
        )
        INSERT INTO points_ledger (user_id, kind, points, balance_after, purchase_id)
        SELECT id, 'spend', -:points, points_balance, :purchase_id
        FROM spent
        RETURNING balance_after
        """,
        buyer_id=buyer_id,
        points=points,
        purchase_id=purchase_id,
    )
    return row["balance_after"] if row else None


def refund_line(conn: Connection, line) -> int:
    """Give back the points spent on a cancelled or refunded (locked) line; return how many."""
    if not line["points_spent"]:
        return 0
    db.execute(
        conn,
        """
        WITH refunded AS (
            UPDATE users
            SET points_balance = points_balance + :points
            WHERE id = :buyer_id
            RETURNING id, points_balance
        )
        INSERT INTO points_ledger (user_id, kind, points, balance_after, order_id)
        SELECT id, 'refund', :points, points_balance, :order_id
        FROM refunded
        """,
        buyer_id=line["buyer_id"],
        points=line["points_spent"],
        order_id=line["id"],
    )
    return line["points_spent"]


def earn_for_lines(conn: Connection, order_ids: list[int]) -> int:
    """Credit the points these just-delivered (locked) lines earn, one ledger row each; return the total.

    A line earns one point per whole currency unit its buyer paid in money. The buyers' users rows
    are locked here, in id order, before the write (the lines came first, as locks.py orders).
    """
    buyers = db.fetch_all(
        conn, "SELECT DISTINCT buyer_id FROM orders WHERE id = ANY(:order_ids) AND paid >= 1", order_ids=order_ids
    )
    if not buyers:
        return 0
    locks.lock_users(conn, [row["buyer_id"] for row in buyers])
    return db.fetch_one(
        conn,
        """
        WITH earned AS (
            SELECT id AS order_id, buyer_id, CAST(floor(paid) AS integer) AS points
            FROM orders
            WHERE id = ANY(:order_ids)
              AND paid >= 1
        ),
        per_buyer AS (
            SELECT buyer_id, sum(points) AS points
            FROM earned
            GROUP BY buyer_id
        ),
        credited AS (
            UPDATE users AS u
            SET points_balance = u.points_balance + per_buyer.points
            FROM per_buyer
            WHERE u.id = per_buyer.buyer_id
            RETURNING u.id, u.points_balance
        ),
        written AS (
            -- One row per line, in line order; each balance_after is the balance less the rows after it.
            INSERT INTO points_ledger (user_id, kind, points, balance_after, order_id)
            SELECT earned.buyer_id, 'earn', earned.points,
                   credited.points_balance - coalesce(sum(earned.points) OVER (
                       PARTITION BY earned.buyer_id ORDER BY earned.order_id DESC
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                   ), 0),
                   earned.order_id
            FROM earned
            JOIN credited ON credited.id = earned.buyer_id
            ORDER BY earned.order_id
            RETURNING points
        )
        SELECT coalesce(sum(points), 0) AS total FROM written
        """,
        order_ids=order_ids,
    )["total"]


def reverse_for_line(conn: Connection, line) -> int:
    """Take back the points a refunded (locked) line earned on delivery, if it did; return how many.

    The buyer's users row is locked by the caller. The balance may go below zero: the points
    may have been spent already.
    """
    row = db.fetch_one(
        conn,
        """
        WITH earned AS (
            SELECT user_id, points
            FROM points_ledger
            WHERE order_id = :order_id
              AND kind = 'earn'
        ),
        taken AS (
            UPDATE users AS u
            SET points_balance = u.points_balance - earned.points
            FROM earned
            WHERE u.id = earned.user_id
            RETURNING u.id, u.points_balance, earned.points
        )
        INSERT INTO points_ledger (user_id, kind, points, balance_after, order_id)
        SELECT id, 'reverse', -points, points_balance, :order_id
        FROM taken
        RETURNING -points AS points
        """,
        order_id=line["id"],
    )
    return row["points"] if row else 0


def _users_with_points_due(conn: Connection, limit: int) -> list[int]:
    """Users who still hold points that came in more than EXPIRY ago (first in, first out)."""
    rows = db.fetch_all(
        conn,
        f"""
        SELECT user_id
        FROM points_ledger
        GROUP BY user_id
        HAVING coalesce(sum(points) FILTER (WHERE points > 0 AND created_at <= now() - interval '{EXPIRY}'), 0)
               + coalesce(sum(points) FILTER (WHERE points < 0), 0) > 0
        ORDER BY user_id
        LIMIT :limit
        """,  # noqa: S608 - a fixed interval constant
        limit=limit,
    )
    return [row["user_id"] for row in rows]


def expire_due(conn: Connection, limit: int = EXPIRY_BATCH) -> int:
    """Expire the points that came in more than EXPIRY ago and were not used; return how many users lost some.

    The users are locked first, in id order, and what expires is computed after the locks are
    granted, so a checkout spending points meanwhile is either seen whole or waits for this.
    """
    user_ids = _users_with_points_due(conn, limit)
    if not user_ids:
        return 0
    locks.lock_users(conn, user_ids)
    return db.execute(
        conn,
        f"""
        WITH due AS (
            SELECT user_id,
                   coalesce(sum(points) FILTER (WHERE points > 0 AND created_at <= now() - interval '{EXPIRY}'), 0)
                   + coalesce(sum(points) FILTER (WHERE points < 0), 0) AS points
            FROM points_ledger
            WHERE user_id = ANY(:user_ids)
            GROUP BY user_id
        ),
        taken AS (
            UPDATE users AS u
            SET points_balance = u.points_balance - due.points
            FROM due
            WHERE u.id = due.user_id
              AND due.points > 0
            RETURNING u.id, u.points_balance, due.points
        )
        INSERT INTO points_ledger (user_id, kind, points, balance_after)
        SELECT id, 'expire', -points, points_balance
        FROM taken
        ORDER BY id
        """,  # noqa: S608 - a fixed interval constant
        user_ids=user_ids,
    )


@jobs.periodic("points.expire", every=timedelta(hours=1))
def expire_job(conn: Connection, payload: dict) -> None:
    """Periodic: expire what is due; a full batch queues another run at once for the rest."""
    if expire_due(conn) == EXPIRY_BATCH:
        jobs.enqueue(conn, "points.expire", unique_key="points.expire:more")


def get_expiring(user_id: int, within: timedelta = timedelta(days=30)):
    """How many of the user's points expire within `within` (first in, first out), and when the
    oldest point still held expires."""
    return db.one(
        f"""
        WITH gone AS (
            SELECT coalesce(-sum(points) FILTER (WHERE points < 0), 0) AS points
            FROM points_ledger
            WHERE user_id = :user_id
        ),
        came AS (
            SELECT created_at, sum(points) OVER (ORDER BY created_at, id) AS running
            FROM points_ledger
            WHERE user_id = :user_id
              AND points > 0
        )
        SELECT greatest(coalesce(max(came.running) FILTER (
                   WHERE came.created_at <= now() + :within - interval '{EXPIRY}'), 0) - gone.points, 0) AS points,
               min(came.created_at) FILTER (WHERE came.running > gone.points) + interval '{EXPIRY}' AS next_at
        FROM gone
        LEFT JOIN came ON TRUE
        GROUP BY gone.points
        """,  # noqa: S608 - a fixed interval constant
        user_id=user_id,
        within=within,
    )


def count_ledger(user_id: int) -> int:
    """How many points ledger rows the user has."""
    return db.value("SELECT count(*) FROM points_ledger WHERE user_id = :user_id", user_id=user_id)


def list_ledger(user_id: int, limit: int, offset: int):
    """One page of the user's points ledger, newest first, with the product of each line's row."""
    return db.all(
        """
        SELECT l.id, l.kind, l.points, l.balance_after, l.created_at,
               coalesce(l.purchase_id, o.purchase_id) AS purchase_id, p.name AS product_name
        FROM points_ledger AS l
        LEFT JOIN orders AS o ON o.id = l.order_id
        LEFT JOIN products AS p ON p.id = o.product_id
        WHERE l.user_id = :user_id
        ORDER BY l.id DESC
        LIMIT :limit OFFSET :offset
        """,
        user_id=user_id,
        limit=limit,
        offset=offset,
    )
