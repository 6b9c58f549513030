"""E-mail when a wishlisted product gets cheaper or is back in stock, for owners who opted in on
their wishlist page; and the "seen out of stock" mark the wishlist's "back in stock" reads.

A periodic job (the worker runs it every WATCH_EVERY) compares each opted-in item with what the
last check saw (alert_price, alert_in_stock): a lower price, or stock where there was none, is
news. Each owner gets one message listing their news, written to the outbox in the job's
transaction; an item is mailed about at most once a day (alerted_at), and news within that day
waits for the next check after it. A price that rose or stock that ran out moves the baseline
quietly, so a later drop is measured from there.
"""

from datetime import timedelta
from itertools import groupby

from sqlalchemy import Connection

from app import db, jobs, mail

WATCH_EVERY = timedelta(minutes=30)
BATCH = 1000  # items mailed about per run; a full batch queues the next run at once


def mark_seen_out(conn: Connection) -> int:
    """Note, at most daily, that wishlisted products have no stock now (for "back in stock")."""
    return db.execute(
        conn,
        """
        UPDATE wishlist_items AS w
        SET seen_out_at = now()
        FROM products AS p
        WHERE p.id = w.product_id
          AND p.total_stock = 0
          AND (w.seen_out_at IS NULL OR w.seen_out_at < now() - interval '1 day')
        """,
    )


def take_news(conn: Connection):
    """The opted-in items that got cheaper or came back since the last check and were not mailed
    about today, with their owners, marked as mailed now (skipping rows another run holds)."""
    return db.fetch_all(
        conn,
        """
        WITH due AS (
            SELECT w.user_id, w.product_id, w.alert_price AS was_price, p.min_price AS price,
                   p.total_stock > 0 AS in_stock, (p.total_stock > 0 AND NOT w.alert_in_stock) AS back_in_stock,
                   p.name AS product_name
            FROM users AS u
            JOIN wishlist_items AS w ON w.user_id = u.id
            JOIN products AS p ON p.id = w.product_id
            WHERE u.wishlist_alerts
              AND p.status = 'listed'
              AND (p.min_price < w.alert_price OR (p.total_stock > 0 AND NOT w.alert_in_stock))
              AND (w.alerted_at IS NULL OR w.alerted_at <= now() - interval '1 day')
            ORDER BY w.user_id, w.product_id
            LIMIT :batch
            FOR UPDATE OF w SKIP LOCKED
        ),
        marked AS (
            UPDATE wishlist_items AS w
            SET alerted_at = now(),
                alert_price = due.price,
                alert_in_stock = due.in_stock
            FROM due
            WHERE w.user_id = due.user_id
              AND w.product_id = due.product_id
        )
        SELECT due.*, u.email, u.full_name
        FROM due
        JOIN users AS u ON u.id = due.user_id
        ORDER BY due.user_id, due.product_id
        """,
        batch=BATCH,
    )


def lower_baselines(conn: Connection) -> int:
    """Follow prices that rose and stock that ran out, so the next drop or return counts from there."""
    return db.execute(
        conn,
        """
        UPDATE wishlist_items AS w
        SET alert_price = greatest(w.alert_price, p.min_price),
            alert_in_stock = w.alert_in_stock AND p.total_stock > 0
        FROM users AS u, products AS p
        WHERE u.wishlist_alerts
          AND w.user_id = u.id
          AND p.id = w.product_id
          AND (p.min_price > w.alert_price OR (w.alert_in_stock AND p.total_stock = 0))
        """,
    )


@jobs.periodic("wishlist.watch", every=WATCH_EVERY)
def watch(conn: Connection, payload: dict) -> None:
    """Periodic: mark products out of stock, then mail each opted-in owner their wishlist's news."""
    mark_seen_out(conn)
    news = take_news(conn)
    lower_baselines(conn)
    for _, rows in groupby(news, key=lambda row: row["user_id"]):
        items = list(rows)
        mail.send(
            conn,
            "wishlist_news",
            items[0]["email"],
            name=items[0]["full_name"],
            items=[
                dict(item) | {"link": mail.absolute_url("catalog.show", product_id=item["product_id"])}
                for item in items
            ],
            link=mail.absolute_url("wishlist.show"),
        )
    if len(news) == BATCH:
        jobs.enqueue(conn, "wishlist.watch", unique_key="wishlist.watch:more")
