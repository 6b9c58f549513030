"""Analytics and recommendations at scale: time every insight page, every group-by of the sales
API, and the pages that show recommendations, through gunicorn, as the busiest seller and buyer.

    # a copy of the large data set (nothing may be connected to bazaar_large meanwhile):
    psql … -c "CREATE DATABASE bazaar_analytics_bench TEMPLATE bazaar_large STRATEGY FILE_COPY"
    DATABASE_URL=…/bazaar_analytics_bench env/bin/python -m bench.analytics_bench --requests 200

It signs in as the seller with the most order lines and the buyer with the most, after giving
them a known password in the copy (so it refuses the shared databases), then prints p50/p95/p99
of the server time (Server-Timing) per path.
"""

import argparse
import os
import sys

from bench.http_bench import Session, gunicorn, measure, print_table

PROTECTED = {"bazaar", "bazaar_test", "bazaar_large"}
PASSWORD = "analytics-bench-password"  # noqa: S105 - set only in a throwaway copy of the data


def _guard(database_url: str) -> None:
    from db.manage import database_name

    if database_name(database_url) in PROTECTED:
        sys.exit(f"refusing to write into {database_name(database_url)}: use a copy (see --help)")


def _app(database_url: str):
    from app import create_app

    return create_app({"DATABASE_URL": database_url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})


def busiest(column: str) -> int:
    """The seller (or buyer) with the most order lines."""
    from app import db

    sql = {"seller": "SELECT seller_id FROM orders", "buyer": "SELECT buyer_id FROM orders"}[column]
    return db.value(f"{sql} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")


def best_selling_product() -> int:
    from app import db

    return db.value("SELECT id FROM products ORDER BY units_sold DESC, id LIMIT 1")


def sign_in_details(user_id: int) -> tuple[str, str]:
    """Give the user a known password (in the copy); return (e-mail, a one-line summary)."""
    from app import db
    from app.models import user as user_model
    from app.passwords import hash_password

    user_model.update_password_hash(user_id, hash_password(PASSWORD))
    row = db.one(
        """
        SELECT u.email, u.time_zone,
               (SELECT count(*) FROM orders WHERE seller_id = u.id) AS sold,
               (SELECT count(*) FROM orders WHERE buyer_id = u.id) AS bought
        FROM users AS u
        WHERE u.id = :id
        """,
        id=user_id,
    )
    summary = f"user {user_id} ({row['time_zone']}): {row['sold']:,} lines sold, {row['bought']:,} lines bought"
    return row["email"], summary


def seller_paths(group_bys: list[str]) -> list[str]:
    """The seller's pages: the dashboard with a few groupings, a CSV, and every group-by of the API."""
    pages = [
        "/seller/analytics",
        "/seller/analytics?group_by=category,month",
        "/seller/analytics?group_by=product,week&chart=line",
        "/seller/analytics?group_by=day",
        "/seller/analytics.csv?group_by=product,month",
    ]
    return pages + [f"/api/seller/sales?group_by={group_by}" for group_by in group_bys]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seller", type=int, help="seller id (default: the one with the most order lines)")
    parser.add_argument("--only", help="time only paths containing this text")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL") or sys.exit("set DATABASE_URL to your copy of the large data set")
    _guard(database_url)

    from app.models import analytics

    app = _app(database_url)
    with app.test_request_context():
        seller_id = args.seller or busiest("seller")
        buyer_id = busiest("buyer")
        seller_email, seller_summary = sign_in_details(seller_id)
        buyer_email, buyer_summary = sign_in_details(buyer_id)
        product_id = best_selling_product()
    app.extensions["bazaar_db"].engine.dispose()
    print(f"Seller: {seller_summary}\nBuyer: {buyer_summary}\nBest-selling product: {product_id}", flush=True)

    plan = [
        ("seller", seller_email, seller_paths(list(analytics.GROUPINGS))),
        ("buyer", buyer_email, ["/account/insights", "/", "/cart", f"/products/{product_id}"]),
        ("guest", None, ["/insights", "/", "/cart", f"/products/{product_id}"]),
    ]
    rows = []
    with gunicorn(args.workers, database_url) as base:
        for who, email, paths in plan:
            session = Session(base)
            if email:
                session.login(email, PASSWORD)
            for path in paths:
                if args.only and args.only not in path:
                    continue
                row = measure(session, path, args.requests, args.concurrency)
                row["path"] = f"{who} {path}"
                rows.append(row)
                print(f"  {row['path'][:70]:70} p95 {row['p95']:6.1f} ms", flush=True)
    print_table(rows, args.requests, args.concurrency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
