"""The console dashboard's figures: people, orders and sales (GMV) in the viewer's days, and
what waits for someone (late lines, open reports and feedback, products to approve).

Sales read orders_ordered_idx (ordered_at, lines not cancelled) alone; "late" lines come from
the small partial index of lines still open.
"""

from app import db

CHART_DAYS = 30
LATE_AFTER = "3 days"


def get_figures(time_zone: str):
    """Every headline number at once; days start at midnight in `time_zone`."""
    return db.one(
        f"""
        WITH bounds AS (
            SELECT date_trunc('day', now() AT TIME ZONE :tz) AT TIME ZONE :tz AS today,
                   (date_trunc('day', now() AT TIME ZONE :tz) - INTERVAL '6 days') AT TIME ZONE :tz AS week,
                   (date_trunc('day', now() AT TIME ZONE :tz) - INTERVAL '29 days') AT TIME ZONE :tz AS month
        ),
        sales AS (
            SELECT count(DISTINCT o.purchase_id) FILTER (WHERE o.ordered_at >= b.today) AS orders_today,
                   coalesce(sum(o.line_total) FILTER (WHERE o.ordered_at >= b.today), 0) AS gmv_today,
                   coalesce(sum(o.line_total) FILTER (WHERE o.ordered_at >= b.week), 0) AS gmv_week,
                   coalesce(sum(o.line_total), 0) AS gmv_month
            FROM bounds AS b
            JOIN orders AS o ON o.ordered_at >= b.month AND o.cancelled_at IS NULL
        )
        SELECT (SELECT count(*) FROM users) AS users,
               (SELECT count(*) FROM users WHERE created_at >= b.today) AS new_today,
               s.orders_today, s.gmv_today, s.gmv_week, s.gmv_month,
               (SELECT count(*)
                FROM orders
                WHERE fulfilled_at IS NULL
                  AND cancelled_at IS NULL
                  AND ordered_at < now() - INTERVAL '{LATE_AFTER}') AS late_lines,
               (SELECT count(*) FROM review_reports WHERE resolved_at IS NULL) AS open_reports,
               (SELECT count(*) FROM feedback WHERE closed_at IS NULL) AS open_feedback,
               (SELECT count(*) FROM products WHERE status = 'pending') AS pending_products
        FROM bounds AS b, sales AS s
        """,  # noqa: S608 - a fixed interval constant
        tz=time_zone,
    )


def list_daily_sales(time_zone: str, days: int = CHART_DAYS):
    """Sales (GMV) and orders per day over the last `days` days, today included, zero-filled."""
    return db.all(
        """
        SELECT CAST(day AS date) AS day,
               coalesce(sum(o.line_total), 0) AS gmv,
               count(DISTINCT o.purchase_id) AS orders
        FROM generate_series(
                 date_trunc('day', now() AT TIME ZONE :tz) - make_interval(days => :days - 1),
                 date_trunc('day', now() AT TIME ZONE :tz),
                 INTERVAL '1 day'
             ) AS day
        LEFT JOIN orders AS o
          ON o.cancelled_at IS NULL
         AND o.ordered_at >= day AT TIME ZONE :tz
         AND o.ordered_at < (day + INTERVAL '1 day') AT TIME ZONE :tz
        GROUP BY day
        ORDER BY day
        """,
        tz=time_zone,
        days=days,
    )
