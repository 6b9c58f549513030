"""The seller API's speed goals (issue 19), through gunicorn, with a token made for the run.

- `GET /api/v1/products?q=…` for several searches: the catalog's target (search pages p95 < 100 ms,
  issue 4; issue 18 aims at 50 ms), each beside the same search's catalog page (`/products?q=`, as a
  guest, the page cache off) and their ratio: the API should cost no more than the page;
- `GET /api/v1/sales?group_by=day|product|category` over a month and over a year, for the seller
  with the most order lines: the analytics target (every group-by p95 < 200 ms, issue 8);
- `PATCH /api/v1/offers` with 1,000 items in one request (< 1 s): each run moves every stock by
  one (+1, then back), sending the stock it read as `expected_quantity`, as a seller's tool does.
  After each run the bench reads the inventory events it wrote and checks they are one transaction
  (one item each, all with one xmin); one more request with a single stale item must be a 409 that writes
  nothing (all or none).

The run is left as it found the data: an even number of bulk runs puts every stock back, and at
the end the bench deletes the inventory events it wrote and restores the offers' updated_at (in
one transaction, only if every stock is back; --keep-events leaves them), and revokes its token.
The API's own writes stay: the token row (revoked), its last use, the rate limit's hits.

    DATABASE_URL='postgresql://postgres:@/bazaar_large?host=/work/main/db/pgdata' \\
        env/bin/python -m bench.api_bench --requests 100 --bulk-runs 10
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

import psycopg2
from tqdm import tqdm

from bench import http_bench

SEARCHES = ("running shoes", "cast iron skillet", "wireless headphones", "stainless steel saucepan", "handle")
GROUP_BYS = ("day", "product", "category")
PERIODS = {"month": 30, "year": 364}  # days before the seller's latest sale
BULK_ITEMS = 1_000
NO_PAGE_CACHE = {"BAZAAR_PAGE_CACHE_SECONDS": "0"}  # a repeated catalog page would be a cache hit
NAME_OF_TOKEN = "api_bench (revoked after the run)"  # noqa: S105 - a label, not a secret


def create_app_for_bench():
    """The app as gunicorn serves it, with the per-token rate limit out of the way (the bench sends
    far more than 300 requests a minute with its one token)."""
    from app import create_app

    return create_app({"API_RATE_LIMIT": 1_000_000_000})


@dataclass(frozen=True)
class Seller:
    """Who the bench acts as, and the span of their sales."""

    id: int
    lines: int
    offers: int
    latest: date


def pick_seller(connection, seller_id: int | None) -> Seller:
    """The given seller, or the one with the most order lines (the analytics target's seller)."""
    with connection.cursor() as cursor:
        if seller_id is None:
            cursor.execute("SELECT seller_id FROM orders GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
            busiest = cursor.fetchone()
            if busiest is None:
                sys.exit("no order lines in this database: pass --seller")
            (seller_id,) = busiest
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM orders WHERE seller_id = %(id)s),
                   (SELECT count(*) FROM offers WHERE seller_id = %(id)s),
                   (SELECT max(ordered_at) FROM orders WHERE seller_id = %(id)s)
            """,
            {"id": seller_id},
        )
        lines, offers, latest = cursor.fetchone()
    connection.rollback()
    return Seller(seller_id, lines, offers, (latest or datetime.now(UTC)).date())


def make_token(database_url: str, seller_id: int) -> tuple[int, str]:
    """A live token with every seller scope, made as /account/tokens makes one."""
    from app import create_app
    from app.models import api_token

    app = create_app({"DATABASE_URL": database_url})
    with app.app_context():
        expires = datetime.now(UTC) + timedelta(days=1)
        made = api_token.create_token(seller_id, NAME_OF_TOKEN, ["read", "listings", "orders"], expires)
    app.extensions["bazaar_db"].engine.dispose()
    return made


def revoke_token(database_url: str, seller_id: int, token_id: int) -> None:
    from app import create_app
    from app.models import api_token

    app = create_app({"DATABASE_URL": database_url})
    with app.app_context():
        api_token.revoke_token(seller_id, token_id)
    app.extensions["bazaar_db"].engine.dispose()


def read_paths(seller: Seller, searches: list[str]) -> list[tuple[str, str]]:
    """(label, path) of every GET to time: each search through the API and, beside it, as the catalog
    page a guest sees (the anchor: the same search, rendered as HTML)."""
    paths = []
    for text in searches:
        query = urlencode({"q": text})
        paths += [
            (f"products q={text}", f"/api/v1/products?{query}"),
            (f"page /products q={text}", f"/products?{query}"),
        ]
    for period, days in PERIODS.items():
        start = (seller.latest - timedelta(days=days)).isoformat()
        for group_by in GROUP_BYS:
            query = urlencode({"group_by": group_by, "from": start, "to": seller.latest.isoformat()})
            paths.append((f"sales {group_by} over a {period}", f"/api/v1/sales?{query}"))
    return paths


def measure_reads(session: http_bench.Session, paths: list[tuple[str, str]], requests: int) -> list[dict]:
    """p50/p95/p99 of each GET's server time."""
    rows = []
    for label, path in tqdm(paths, desc="GET", unit=" paths", file=sys.stderr):
        rows.append(http_bench.measure(session, path, requests, 1) | {"path": label})
    return rows


def read_offers(connection, seller_id: int, size: int) -> tuple[dict[int, int], dict]:
    """The seller's first `size` offers (by product id): product id -> stock, and -> updated_at."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT product_id, quantity, updated_at
            FROM offers
            WHERE seller_id = %s
            ORDER BY product_id
            LIMIT %s
            """,
            (seller_id, size),
        )
        offers = cursor.fetchall()
    connection.rollback()
    return {row[0]: row[1] for row in offers}, {row[0]: row[2] for row in offers}


def patch(base: str, token: str, items: list[dict]) -> tuple[int, float, float, int, dict]:
    """PATCH /api/v1/offers; (status, round trip ms, server ms, statements, body)."""
    request = urllib.request.Request(  # noqa: S310 - loopback only
        base + "/api/v1/offers",
        data=json.dumps({"items": items}).encode(),
        method="PATCH",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    try:
        response = urllib.request.urlopen(request, timeout=60)  # noqa: S310 - loopback only
    except urllib.error.HTTPError as error:
        response = error
    body = json.loads(response.read() or b"{}")
    elapsed = (time.perf_counter() - started) * 1000
    timing = response.headers.get("Server-Timing", "")
    server = http_bench.SERVER_TIMING.search(timing)
    statements = http_bench.SQL_COUNT.search(timing)
    return (
        response.status if hasattr(response, "status") else response.code,
        elapsed,
        float(server.group(1)) if server else elapsed,
        int(statements.group(1)) if statements else -1,
        body,
    )


def events_since(connection, seller_id: int, after_id: int) -> tuple[int, int]:
    """The seller's inventory events after `after_id`: how many, and written by how many transactions
    (distinct xmin: the id of the transaction that inserted the row)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*), count(DISTINCT xmin::text)
            FROM inventory_events
            WHERE seller_id = %s AND id > %s
            """,
            (seller_id, after_id),
        )
        counts = cursor.fetchone()
    connection.rollback()
    return counts


def last_event_id(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM inventory_events")
        (value,) = cursor.fetchone()
    connection.rollback()
    return value


def measure_bulk(base: str, token: str, connection, seller_id: int, stocks: dict[int, int], runs: int) -> dict:
    """`runs` PATCHes of every offer in `stocks` (+1, then back), each checked to be one transaction;
    then one with a stale item, which must change nothing."""
    server, total, statements, transactions = [], [], set(), []
    current = dict(stocks)
    for run in tqdm(range(runs), desc="PATCH", unit=" runs", file=sys.stderr):
        step = 1 if run % 2 == 0 else -1
        items = [
            {"product_id": product_id, "quantity": quantity + step, "expected_quantity": quantity}
            for product_id, quantity in current.items()
        ]
        before = last_event_id(connection)
        status, elapsed, server_ms, count, body = patch(base, token, items)
        if status != 200 or body.get("changed") != len(items):
            raise RuntimeError(f"bulk PATCH answered {status}: {body}")
        transactions.append(events_since(connection, seller_id, before))
        current = {product_id: quantity + step for product_id, quantity in current.items()}
        server.append(server_ms)
        total.append(elapsed)
        statements.add(count)
    stale = [
        {"product_id": product_id, "quantity": quantity, "expected_quantity": quantity}
        for product_id, quantity in current.items()
    ]
    stale[-1]["expected_quantity"] += 1
    before = last_event_id(connection)
    stale_status, *_ = patch(base, token, stale)
    return {
        "server": server,
        "total": total,
        "statements": statements,
        "transactions": transactions,
        "stale_status": stale_status,
        "stale_events": events_since(connection, seller_id, before)[0],
        "back": current == stocks,
    }


def clean_up(connection, seller_id: int, stocks: dict[int, int], updated: dict, first_event: int) -> int:
    """Delete the bench's inventory events and restore the offers' updated_at, if every stock is back
    where it was; returns the events deleted."""
    products = list(stocks)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT product_id, quantity FROM offers WHERE seller_id = %s AND product_id = ANY(%s) FOR UPDATE",
            (seller_id, products),
        )
        if dict(cursor.fetchall()) != stocks:
            connection.rollback()
            raise RuntimeError("stocks moved during the bench: its inventory events are kept")
        cursor.execute(
            """
            DELETE FROM inventory_events
            WHERE seller_id = %s AND product_id = ANY(%s) AND id > %s AND reason IN ('restock', 'adjustment')
            """,
            (seller_id, products, first_event),
        )
        deleted = cursor.rowcount
        cursor.execute(
            """
            UPDATE offers AS o
            SET updated_at = before.updated_at
            FROM unnest(%s::bigint[], %s::timestamptz[]) AS before(product_id, updated_at)
            WHERE o.seller_id = %s AND o.product_id = before.product_id
            """,
            (products, [updated[product_id] for product_id in products], seller_id),
        )
    connection.commit()
    return deleted


def print_ratios(reads: list[dict]) -> None:
    """Each search's p50 and p95 through the API over the catalog page's."""
    pages = {row["path"].removeprefix("page /"): row for row in reads if row["path"].startswith("page /")}
    print("\nsearch through the API / the same search's catalog page (guest, page cache off)")
    for row in reads:
        page = pages.get(row["path"])
        if page:
            print(f"  {row['path'][:44]:44} p50 {row['p50'] / page['p50']:.2f}  p95 {row['p95'] / page['p95']:.2f}")


def print_bulk(result: dict, size: int) -> None:
    server, total = result["server"], result["total"]
    one = all(count == size and xmins == 1 for count, xmins in result["transactions"])
    print(f"\nPATCH /api/v1/offers, {size} items, {len(server)} runs; ms")
    print(
        f"server p50 {http_bench.percentile(server, 0.5):.1f}  p95 {http_bench.percentile(server, 0.95):.1f}  "
        f"min {min(server):.1f}  max {max(server):.1f}; round trip p50 {http_bench.percentile(total, 0.5):.1f}  "
        f"p95 {http_bench.percentile(total, 0.95):.1f}; statements {sorted(result['statements'])}"
    )
    print(
        f"one transaction per run (an event per item, one xmin): {'yes' if one else 'NO'} "
        f"{sorted(set(result['transactions']))}"
    )
    print(f"a stale item: {result['stale_status']}, {result['stale_events']} events written (all or none)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--requests", type=int, default=100, help="requests per GET path")
    parser.add_argument("--bulk-runs", type=int, default=10, help="PATCH runs (rounded up to even)")
    parser.add_argument("--bulk-items", type=int, default=BULK_ITEMS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seller", type=int, help="seller id (default: the one with the most order lines)")
    parser.add_argument("--searches", nargs="*", default=list(SEARCHES))
    parser.add_argument("--keep-events", action="store_true", help="keep the bulk runs' inventory events")
    parser.add_argument("--bulk-only", action="store_true", help="time only the bulk PATCH, not the GETs")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("set DATABASE_URL or --database-url")
    if args.requests < 1 or args.bulk_runs < 1 or not 1 <= args.bulk_items <= BULK_ITEMS:
        parser.error("--requests and --bulk-runs must be at least 1, --bulk-items 1 to 1000")
    runs = args.bulk_runs + args.bulk_runs % 2
    connection = psycopg2.connect(args.database_url)
    seller = pick_seller(connection, args.seller)
    stocks, updated = read_offers(connection, seller.id, args.bulk_items)
    print(
        f"seller {seller.id}: {seller.lines:,} order lines, {seller.offers:,} offers, latest sale {seller.latest}; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    token_id, token = make_token(args.database_url, seller.id)
    first_event = last_event_id(connection)
    try:
        with http_bench.gunicorn(
            args.workers, args.database_url, NO_PAGE_CACHE, app_spec="bench.api_bench:create_app_for_bench()"
        ) as base:
            session = http_bench.Session(base)
            session.opener.addheaders.append(("Authorization", f"Bearer {token}"))
            paths = [] if args.bulk_only else read_paths(seller, args.searches)
            reads = measure_reads(session, paths, args.requests)
            bulk = measure_bulk(base, token, connection, seller.id, stocks, runs)
    finally:
        revoke_token(args.database_url, seller.id, token_id)
    deleted = 0 if args.keep_events else clean_up(connection, seller.id, stocks, updated, first_event)
    connection.close()
    if reads:
        http_bench.print_table(reads, args.requests, 1)
        print_ratios(reads)
    print_bulk(bulk, len(stocks))
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end; {deleted} bench inventory events deleted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
