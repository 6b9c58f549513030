"""Seller center at scale: build a big seller in a copy of the large data set, then time its pages.

    # a copy of the large data set (nothing may be connected to bazaar_large meanwhile):
    psql … -c "CREATE DATABASE bazaar_seller_bench TEMPLATE bazaar_large STRATEGY FILE_COPY"
    DATABASE_URL=…/bazaar_seller_bench env/bin/python -m bench.seller_bench build --offers 10000 --lines 50000
    DATABASE_URL=…/bazaar_seller_bench env/bin/python -m bench.seller_bench run --requests 200

`build` grows the seller who already has the most offers through the app's own code paths
(offer.add_offer, balance.top_up, cart.set_line, checkout.place_order), so every ledger row,
inventory event and catalog summary is written as in production. It then spreads the new
order lines over the last two years and marks the older ones fulfilled (as years of trading
would have), keeping ordered_at <= fulfilled_at. It refuses the shared databases.
"""

import argparse
import contextlib
import os
import random
import sys
import time
from decimal import Decimal

from sqlalchemy import text

from bench.http_bench import Session, gunicorn, measure, print_table

PROTECTED = {"bazaar", "bazaar_test", "bazaar_large"}
PASSWORD = "seller-bench-password"  # noqa: S105 - a benchmark login in a throwaway copy
LINES_PER_PURCHASE = 10


def _guard(database_url: str) -> None:
    from db.manage import database_name

    if database_name(database_url) in PROTECTED:
        sys.exit(f"refusing to write into {database_name(database_url)}: use a copy (see --help)")


def _app(database_url: str):
    from app import create_app

    return create_app({"DATABASE_URL": database_url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})


def _scalar(sql: str, **params):
    from app import db

    return db.value(sql, **params)


def biggest_seller() -> int:
    return _scalar("SELECT seller_id FROM offers GROUP BY seller_id ORDER BY count(*) DESC, seller_id LIMIT 1")


def add_offers(seller_id: int, wanted: int, rng: random.Random) -> None:
    """Offer random products the seller does not sell yet, until they have `wanted` offers."""
    from app import db
    from app.models import offer

    have = _scalar("SELECT count(*) FROM offers WHERE seller_id = :s", s=seller_id)
    missing = max(0, wanted - have)
    candidates = db.all(
        """
        SELECT p.id
        FROM products AS p
        WHERE NOT EXISTS (SELECT 1 FROM offers AS o WHERE o.product_id = p.id AND o.seller_id = :seller_id)
        ORDER BY random()
        LIMIT :missing
        """,
        seller_id=seller_id,
        missing=missing,
    )
    for number, row in enumerate(candidates, 1):
        price = Decimal(rng.randint(199, 19999)) / 100
        offer.add_offer(seller_id, row["id"], price, rng.choice([0, 1, 3, 8, 40, 200, 900]))
        if number % 1000 == 0:
            print(f"  {number:,} offers added", flush=True)


def add_order_lines(seller_id: int, wanted: int, rng: random.Random) -> None:
    """Real checkouts of the seller's in-stock offers by existing buyers, until `wanted` lines."""
    from app import db
    from app.models import balance, cart, checkout

    have = _scalar("SELECT count(*) FROM orders WHERE seller_id = :s", s=seller_id)
    buyers = [row["id"] for row in db.all("SELECT id FROM users WHERE id <> :s ORDER BY id", s=seller_id)]
    started = time.perf_counter()
    while have < wanted:
        products = [
            row["product_id"]
            for row in db.all(
                """
                SELECT product_id FROM offers
                WHERE seller_id = :seller_id AND is_active AND quantity >= 2
                ORDER BY random() LIMIT :n
                """,
                seller_id=seller_id,
                n=LINES_PER_PURCHASE,
            )
        ]
        if len(products) < LINES_PER_PURCHASE:
            _restock(seller_id)
            continue
        buyer_id = rng.choice(buyers)
        db.run("DELETE FROM cart_lines WHERE user_id = :u AND NOT saved_for_later", u=buyer_id)
        for product_id in products:
            cart.set_line(buyer_id, seller_id, product_id, 1)
        with contextlib.suppress(balance.BalanceCeiling):  # a rich buyer needs no more
            balance.top_up(buyer_id, Decimal("5000.00"))
        try:
            checkout.place_order(buyer_id, checkout.new_token())
        except checkout.CheckoutFailed as failure:
            print("  checkout refused:", failure.problems[0], flush=True)
            continue
        have += LINES_PER_PURCHASE
        if have % 5000 < LINES_PER_PURCHASE:
            print(f"  {have:,} lines ({time.perf_counter() - started:.0f} s)", flush=True)


def _restock(seller_id: int) -> None:
    """Restock some offers through the seller's own edit path when too few can still sell."""
    from app import db
    from app.models import offer

    for row in db.all(
        "SELECT product_id, price, quantity FROM offers WHERE seller_id = :s AND is_active ORDER BY random() LIMIT 200",
        s=seller_id,
    ):
        offer.update_offer(seller_id, row["product_id"], row["price"], row["quantity"] + 50, row["quantity"])


def age_order_lines(seller_id: int, pending: int) -> None:
    """Spread the seller's lines placed today over two years; fulfil all but the newest `pending`."""
    from app import db

    with db.transaction() as conn:
        conn.execute(
            text(
                """
                UPDATE orders
                SET ordered_at = now() - random() * interval '730 days'
                WHERE seller_id = :seller_id
                  AND ordered_at > now() - interval '1 day'
                  AND fulfilled_at IS NULL
                  AND cancelled_at IS NULL
                """
            ),
            {"seller_id": seller_id},
        )
        conn.execute(
            text(
                """
                UPDATE orders
                SET fulfilled_at = ordered_at + interval '2 days'
                WHERE id IN (SELECT id FROM orders
                             WHERE seller_id = :seller_id AND fulfilled_at IS NULL AND cancelled_at IS NULL
                             ORDER BY ordered_at DESC
                             OFFSET :pending)
                """
            ),
            {"seller_id": seller_id, "pending": pending},
        )


def set_password(seller_id: int) -> str:
    """Give the bench seller a known password; return their e-mail."""
    from app.models import user as user_model
    from app.passwords import hash_password

    user_model.update_password_hash(seller_id, hash_password(PASSWORD))
    return user_model.get_user(seller_id)["email"]


def build(args) -> int:
    database_url = os.environ.get("DATABASE_URL") or sys.exit("set DATABASE_URL to your copy of the large data set")
    _guard(database_url)
    rng = random.Random(args.seed)
    app = _app(database_url)
    with app.test_request_context():
        seller_id = args.seller or biggest_seller()
        print(f"Seller {seller_id}: adding offers up to {args.offers:,}", flush=True)
        add_offers(seller_id, args.offers, rng)
        print(f"Seller {seller_id}: adding order lines up to {args.lines:,}", flush=True)
        add_order_lines(seller_id, args.lines, rng)
        age_order_lines(seller_id, args.pending)
        email = set_password(seller_id)
        summary = _summary(seller_id)
    print(f"Done: {email} / {PASSWORD}: {summary}")
    return 0


def _summary(seller_id: int) -> str:
    from app import db

    row = db.one(
        """
        SELECT (SELECT count(*) FROM offers WHERE seller_id = :s) AS offers,
               (SELECT count(*) FROM orders WHERE seller_id = :s) AS lines,
               (SELECT count(*) FROM orders WHERE seller_id = :s
                  AND fulfilled_at IS NULL AND cancelled_at IS NULL) AS pending
        """,
        s=seller_id,
    )
    return f"{row['offers']:,} offers, {row['lines']:,} order lines, {row['pending']:,} pending"


def scenarios(sample: dict) -> list[str]:
    """The pages a seller uses, with their sorts and filters."""
    buyer_word = sample["buyer_name"].split()[0]
    product_word = sample["product_word"]
    return [
        "/seller",
        "/seller/inventory",
        f"/seller/inventory?q={product_word}",
        "/seller/inventory?sort=name&dir=asc",
        "/seller/inventory?sort=name&dir=desc",
        "/seller/inventory?sort=price&dir=desc",
        "/seller/inventory?sort=stock&dir=asc",
        "/seller/inventory?sort=sold&dir=desc",
        "/seller/inventory?show=low&sort=stock&dir=asc",
        "/seller/inventory?show=out",
        "/seller/inventory?sort=name&dir=asc&page=150",
        f"/seller/inventory/{sample['busiest_product']}",
        "/seller/orders",
        "/seller/orders?status=pending",
        "/seller/orders?status=fulfilled",
        f"/seller/orders?q={buyer_word}",
        f"/seller/orders?q={product_word}",
        f"/seller/orders?q={product_word}&page=9",
        f"/seller/orders?q={sample['product_word_in_2_percent']}",
        "/seller/orders?date_from=2025-06-01&date_to=2025-06-30",
        "/seller/orders?page=1500",
        f"/users/{sample['seller_id']}",
    ]


def _sample(seller_id: int) -> dict:
    from app import db

    return dict(
        db.one(
            """
            SELECT :s AS seller_id,
                   (SELECT product_id FROM orders WHERE seller_id = :s
                    GROUP BY product_id ORDER BY count(*) DESC LIMIT 1) AS busiest_product,
                   (SELECT u.full_name FROM orders AS o JOIN users AS u ON u.id = o.buyer_id
                    WHERE o.seller_id = :s ORDER BY o.id LIMIT 1) AS buyer_name,
                   (SELECT split_part(p.name, ' ', 1) FROM offers AS o JOIN products AS p ON p.id = o.product_id
                    WHERE o.seller_id = :s ORDER BY o.product_id LIMIT 1) AS product_word,
                   (SELECT word
                    FROM orders AS o
                    JOIN products AS p ON p.id = o.product_id,
                         regexp_split_to_table(lower(p.name), '[^a-z]+') AS word
                    WHERE o.seller_id = :s AND length(word) >= 4
                    GROUP BY word
                    ORDER BY abs(count(*) - 0.02 * (SELECT count(*) FROM orders WHERE seller_id = :s)), word
                    LIMIT 1) AS product_word_in_2_percent
            """,
            s=seller_id,
        )
    )


def run(args) -> int:
    database_url = os.environ.get("DATABASE_URL") or sys.exit("set DATABASE_URL")
    app = _app(database_url)
    with app.app_context():
        seller_id = args.seller or biggest_seller()
        sample = _sample(seller_id)
        email = set_password(seller_id) if args.set_password else None
        email = email or _scalar("SELECT email FROM users WHERE id = :s", s=seller_id)
        summary = _summary(seller_id)
    print(f"Seller {seller_id} ({summary}); {args.requests} requests per page", flush=True)
    with gunicorn(args.workers, database_url) as base:
        session = Session(base)
        session.login(email, PASSWORD)
        paths = [path for path in scenarios(sample) if not args.only or any(part in path for part in args.only)]
        rows = [measure(session, path, args.requests, args.concurrency) for path in paths]
    print_table(rows, args.requests, args.concurrency)
    slow = [row["path"] for row in rows if row["p95"] >= 100 or row["status"] != "200"]
    print("\nall pages p95 < 100 ms with status 200" if not slow else f"\nOVER BUDGET: {slow}")
    return 0 if not slow else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="grow a seller to the wanted size (in a copy!)")
    build_parser.add_argument("--seller", type=int, help="seller id (default: the one with most offers)")
    build_parser.add_argument("--offers", type=int, default=10_000)
    build_parser.add_argument("--lines", type=int, default=50_000)
    build_parser.add_argument("--pending", type=int, default=400, help="newest lines left to fulfil")
    build_parser.add_argument("--seed", type=int, default=6)
    run_parser = commands.add_parser("run", help="time the seller pages through gunicorn")
    run_parser.add_argument("--seller", type=int)
    run_parser.add_argument("--requests", type=int, default=200)
    run_parser.add_argument("--concurrency", type=int, default=1)
    run_parser.add_argument("--workers", type=int, default=4)
    run_parser.add_argument("--set-password", action="store_true", help="(re)set the seller's bench password")
    run_parser.add_argument("--only", action="append", metavar="TEXT", help="only the pages whose path contains TEXT")
    args = parser.parse_args(argv)
    return build(args) if args.command == "build" else run(args)


if __name__ == "__main__":
    sys.exit(main())
