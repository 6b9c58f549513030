"""The catalog's benchmark scenarios, measured with bench.http_bench through gunicorn.

Searches for a common word, a rare word, a word with no match and a misspelt one; a category and a
department browse; every sort with words and in a department; filters; a deep page; the product
page, its picture and the home page. The category, department and product are read from the
database (the largest of each); the words are options (defaults suit `db.generated --scale large`).

    DATABASE_URL=postgresql://…/bazaar_large env/bin/python -m bench.catalog_bench --requests 200
"""

import argparse
import os
import sys
from urllib.parse import urlencode

import psycopg2

from bench import http_bench

SORTS = ("price_asc", "price_desc", "rating", "best_selling", "newest")


def pick_places(database_url: str) -> dict:
    """The largest category and department and the product with the most offers."""
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.slug, d.slug
            FROM categories AS c
            JOIN departments AS d ON d.id = c.department_id
            ORDER BY (SELECT count(*) FROM products AS p WHERE p.category_id = c.id) DESC
            LIMIT 1
            """
        )
        category, department = cursor.fetchone()
        cursor.execute("SELECT id FROM products ORDER BY offer_count DESC, id LIMIT 1")
        (product_id,) = cursor.fetchone()
    connection.close()
    return {"category": category, "department": department, "product_id": product_id}


def scenarios(places: dict, words: argparse.Namespace) -> list[str]:
    """Every path to measure, in the order the table prints them."""

    def catalog(**args) -> str:
        return "/products" + (f"?{urlencode(args)}" if args else "")

    paths = [
        catalog(),
        catalog(q=words.common),
        catalog(q=words.middle),
        catalog(q=words.rare),
        catalog(q=words.none),
        catalog(q=words.typo),
        catalog(category=places["category"]),
        catalog(department=places["department"]),
    ]
    paths += [catalog(q=words.common, sort=sort) for sort in SORTS]
    paths += [catalog(q=words.middle, sort=sort) for sort in SORTS]
    paths += [catalog(department=places["department"], sort=sort) for sort in SORTS]
    paths += [
        catalog(q=words.common, min_price="20", max_price="100", min_rating="4", in_stock="1"),
        catalog(department=places["department"], min_price="100", max_price="500", in_stock="1", sort="price_asc"),
        catalog(q=words.common, category=places["category"], sort="price_desc"),
        catalog(q=words.common, include_unavailable="1", sort="newest"),
        catalog(q=words.common, page="40"),
        f"/products/{places['product_id']}",
        f"/products/{places['product_id']}/image",
        "/",
    ]
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--common", default="handle", help="a word in about 15 %% of products")
    parser.add_argument("--middle", default="kayak", help="a word in a few thousand products")
    parser.add_argument("--rare", default="s385", help="a word in a few dozen products")
    parser.add_argument("--none", default="xylophone", help="a word in no product")
    parser.add_argument("--typo", default="headsett", help="a misspelt word (the trigram fallback)")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL") or parser.error("set DATABASE_URL")
    paths = scenarios(pick_places(database_url), args)
    options = ["--requests", str(args.requests), "--concurrency", str(args.concurrency), "--workers", str(args.workers)]
    return http_bench.main([*paths, *options])


if __name__ == "__main__":
    sys.exit(main())
