"""The sales API's filters at scale: for the busiest seller, time the two statements of
GET /api/v1/sales (reports.sales_report) under each filter and group-by, and name the indexes their
plans use. Read only: it runs the queries and EXPLAIN (ANALYZE) them, so any copy of the large data
set with migration 0030 applied will do.

    DATABASE_URL=…/bazaar_large env/bin/python -m bench.sales_filters_bench [--seller ID] [--repeat 7] [--case …]

Printed per case: the median wall time of the report in-process (both statements, Python included)
over --repeat runs, each statement's EXPLAIN ANALYZE execution time, and the scans of its plan.
"""

import argparse
import re
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import text

from app import create_app, db, reports
from app.models import analytics

SCAN = re.compile(r"(Index Only Scan|Index Scan|Seq Scan|Bitmap Index Scan)(?: Backward)? (?:using (\w+) )?on (\w+)")


def busiest_seller() -> int:
    """The seller with the most order lines."""
    return db.value("SELECT seller_id FROM orders GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")


def cases(seller_id: int) -> dict[str, analytics.Filters]:
    """Each filter alone at its least selective, a rare value, and all of them together."""
    product = db.value(
        "SELECT product_id FROM orders WHERE seller_id = :s GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1", s=seller_id
    )
    category = db.value(
        """
        SELECT p.category_id FROM orders AS o JOIN products AS p ON p.id = o.product_id
        WHERE o.seller_id = :s GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1
        """,
        s=seller_id,
    )
    return {
        "no filter": analytics.Filters(),
        "status=delivered": analytics.Filters(statuses=("delivered",)),
        "status=placed,shipped": analytics.Filters(statuses=("placed", "shipped")),
        "status=cancelled": analytics.Filters(statuses=("cancelled",)),
        "product_id (best seller)": analytics.Filters(product_id=product),
        "category_id (best)": analytics.Filters(category_id=category),
        "min_amount=100": analytics.Filters(min_amount=Decimal(100)),
        "max_amount=5": analytics.Filters(max_amount=Decimal(5)),
        "buyer_country=US (all)": analytics.Filters(buyer_country="US"),
        "buyer_country=DE (rare)": analytics.Filters(buyer_country="DE"),
        "channel=offline": analytics.Filters(channel="offline"),
        "all together": analytics.Filters(
            product_id=product,
            category_id=category,
            statuses=("delivered",),
            min_amount=Decimal(1),
            max_amount=Decimal(5000),
            buyer_country="US",
        ),
    }


def explained(run) -> list[tuple[float, set[str]]]:
    """Run `run` with every db.one/db.all EXPLAIN ANALYZEd too: (execution ms, scans) per statement."""
    plans = []
    real_one, real_all = db.one, db.all

    def explain(sql, **params):
        with db.get_db().connect() as connection:
            lines = connection.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql), params).scalars().all()
        milliseconds = next(float(line.split()[2]) for line in lines if line.startswith("Execution Time"))
        scans = {
            f"{found[0]} {found[1] or ''} on {found[2]}".replace("  ", " ") for found in SCAN.findall("\n".join(lines))
        }
        plans.append((milliseconds, scans))
        return real_one(sql, **params) if "bounds" in sql else real_all(sql, **params)

    db.one, db.all = explain, explain
    try:
        run()
    finally:
        db.one, db.all = real_one, real_all
    return plans


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seller", type=int, help="default: the seller with the most order lines")
    parser.add_argument("--group-by", action="append", help="default: month, category,month, product")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--case", action="append", help="only the cases whose name contains this (repeatable)")
    args = parser.parse_args(argv)
    app = create_app()
    with app.app_context():
        seller_id = args.seller or busiest_seller()
        today = db.value("SELECT CAST(max(ordered_at) AS date) FROM orders")
        period = analytics.Period(today - timedelta(days=364), today, "UTC")
        print(f"seller {seller_id}, {period.start} to {period.end}")
        for name, filters in cases(seller_id).items():
            if args.case and not any(part in name for part in args.case):
                continue
            for group_by in args.group_by or ["month", "category,month", "product"]:
                grouping = analytics.GROUPINGS[group_by]
                walls = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    reports.sales_report(seller_id, period, grouping, filters)
                    walls.append((time.perf_counter() - started) * 1000)
                plans = explained(lambda: reports.sales_report(seller_id, period, grouping, filters))  # noqa: B023
                sql = " + ".join(f"{milliseconds:.1f}" for milliseconds, _ in plans)
                scans = sorted(set().union(*(scans for _, scans in plans)) - {"Seq Scan on categories"})
                print(f"{name:26} {group_by:15} {statistics.median(walls):7.1f} ms  (SQL {sql})  {', '.join(scans)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
