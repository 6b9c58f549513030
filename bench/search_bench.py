"""Search pages' server time (issue 18), measured with bench.http_bench through gunicorn.

Each search — a common word, two words, the rarest real word, a model code, a phrase in quotes,
two and three words all misspelt, synonyms of words the catalog uses — is requested as it is,
filtered (a category, a price range, in stock), sorted by price and by date, and at page 2.
Then suggestions as you type (`/products/suggest?q=`) for prefixes and typos: a route that is
not there (404) is reported as missing, not measured.

The words' defaults suit `db.generated --scale large` (1M products; matches on search_vector):
"handle" 169,185 (17 %), "running shoes" 11,068, "picture" 883 (the rarest word that is not a
model code), "s385" 141 (0.01 %), "cast iron skillet" 560, "wireless headphones" 733,
"stainless steel saucepan" 548; "television", "couch" and "trainers" match nothing as words
(the catalog says tv, sofa, sneakers) and "notebook" 6,022 (paper; laptops say laptop).
Each search's filtered variant uses the category of the best-selling product matching what it means.
The guest page cache is off (BAZAAR_PAGE_CACHE_SECONDS=0: a repeated search would be a cache hit),
and every connection is read only (default_transaction_read_only): the app is served by
`create_app_without_writes`, which skips the one write a search page makes (counting a search that
found nothing for the console's report, app/models/search_miss.py) — an upsert of one small row.

    DATABASE_URL='postgresql://postgres:@/bazaar_large?host=/work/main/db/pgdata' \\
        env/bin/python -m bench.search_bench --requests 100
"""

import argparse
import os
import sys
import urllib.error
from dataclasses import dataclass
from urllib.parse import urlencode

import psycopg2

from bench import http_bench
from bench.search_quality import read_only

FILTERS = {"min_price": "20", "max_price": "200", "in_stock": "1"}
TOO_SLOW = "This search took too long"  # the page's words when a query hit the time limit
VARIANTS = ("", "filtered", "price_asc", "newest", "page 2")


def create_app_without_writes():
    """The app, with the count of searches that found nothing turned off (its one write): gunicorn's
    app for this benchmark on a read-only connection."""
    from app import create_app
    from app.routes import catalog

    catalog.record_miss = lambda query: None
    return create_app()


@dataclass(frozen=True)
class Search:
    """A search to measure: its label, what is typed, and what it means (for picking its category)."""

    label: str
    text: str
    meaning: str


def searches(args: argparse.Namespace) -> list[Search]:
    """The searches, from the options."""
    chosen = [
        Search("common word", args.common, args.common),
        Search("two words", args.two_words, args.two_words),
        Search("rarest word", args.rare, args.rare),
        Search("model code", args.code, args.code),
        Search("phrase", f'"{args.phrase}"', args.phrase),
        Search("2 misspelt", *args.typo2.split(":", 1)),
        Search("3 misspelt", *args.typo3.split(":", 1)),
    ]
    chosen += [Search("synonym", *pair.split(":", 1)) for pair in args.synonyms]
    return chosen


def pick_categories(database_url: str, chosen: list[Search]) -> dict[str, str]:
    """Each meaning's category: that of its best-selling match (the largest category if none)."""
    categories = {}
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.slug
            FROM categories AS c
            ORDER BY (SELECT count(*) FROM products AS p WHERE p.category_id = c.id) DESC, c.id
            LIMIT 1
            """
        )
        (largest,) = cursor.fetchone()
        for search in chosen:
            cursor.execute(
                """
                SELECT c.slug
                FROM products AS p
                JOIN categories AS c ON c.id = p.category_id
                WHERE p.search_vector @@ websearch_to_tsquery('english', %s)
                  AND p.status = 'listed' AND p.parent_id IS NULL AND p.offer_count > 0
                ORDER BY p.units_sold DESC, p.id
                LIMIT 1
                """,
                (search.meaning,),
            )
            row = cursor.fetchone()
            categories[search.meaning] = row[0] if row else largest
    connection.close()
    return categories


def search_paths(chosen: list[Search], categories: dict[str, str]) -> list[tuple[str, str]]:
    """(label, path) of every search page to measure, each search in every variant."""

    def catalog(**args) -> str:
        return f"/products?{urlencode(args)}"

    paths = []
    for search in chosen:
        label = f"{search.label}: {search.text}"
        variants = {
            "": catalog(q=search.text),
            "filtered": catalog(q=search.text, category=categories[search.meaning], **FILTERS),
            "price_asc": catalog(q=search.text, sort="price_asc"),
            "newest": catalog(q=search.text, sort="newest"),
            "page 2": catalog(q=search.text, page="2"),
        }
        paths += [(f"{label} {variant}".rstrip(), variants[variant]) for variant in VARIANTS]
    return paths


def suggest_paths(prefixes: list[str], typos: list[str]) -> list[tuple[str, str]]:
    """(label, path) of the suggestion requests."""
    return [(f"suggest prefix: {text}", f"/products/suggest?{urlencode({'q': text})}") for text in prefixes] + [
        (f"suggest typo: {text}", f"/products/suggest?{urlencode({'q': text})}") for text in typos
    ]


def print_table(rows: list[dict], requests: int) -> None:
    """Percentiles of server time (Server-Timing) per scenario."""
    print(f"\n{requests} requests per scenario, concurrency 1; server time (Server-Timing) in ms")
    print(f"load average {os.getloadavg()[0]:.1f}; too slow: the page said the search ran out of time")
    header = f"{'scenario':52} {'status':>6} {'sql':>4} {'p50':>7} {'p95':>7} {'p99':>7} {'rt p95':>7}"
    print(header)
    print("-" * len(header))
    for row in rows:
        if row.get("missing"):
            print(f"{row['label'][:52]:52} {row['status']:>6}  missing: not measured")
            continue
        print(
            f"{row['label'][:52]:52} {row['status']:>6} {row['sql']:>4} {row['p50']:7.1f} {row['p95']:7.1f} "
            f"{row['p99']:7.1f} {row['rt_p95']:7.1f}{'  too slow: cut off' if row['too_slow'] else ''}"
        )


def probe(session: http_bench.Session, path: str) -> tuple[int, bool]:
    """One request: its status and whether the page says the search ran out of time."""
    try:
        response = session.opener.open(session.base + path, timeout=30)
    except urllib.error.HTTPError as error:
        return error.code, False
    return response.status, TOO_SLOW in response.read().decode()


def measure_all(base: str, scenarios: list[tuple[str, str]], requests: int, show_paths: bool) -> list[dict]:
    """Measure each scenario; a path that answers 404 on a first try is marked missing."""
    session = http_bench.Session(base)
    rows = []
    for label, path in scenarios:
        if show_paths:
            print(f"{label}: {path}", file=sys.stderr)
        status, too_slow = probe(session, path)
        if status == 404:
            rows.append({"label": label, "status": "404", "missing": True})
            continue
        rows.append({"label": label, "too_slow": too_slow} | http_bench.measure(session, path, requests, 1))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--common", default="handle", help="a word in about 17 %% of products")
    parser.add_argument("--two-words", default="running shoes")
    parser.add_argument("--rare", default="picture", help="the rarest word that is not a model code")
    parser.add_argument("--code", default="s385", help="a model code, in about 0.01 %% of products")
    parser.add_argument("--phrase", default="cast iron skillet", help="searched in quotes")
    parser.add_argument("--typo2", default="wireles headphnes:wireless headphones", help="TYPED:MEANT")
    parser.add_argument("--typo3", default="stainles stel sacepan:stainless steel saucepan", help="TYPED:MEANT")
    parser.add_argument(
        "--synonyms", nargs="*", default=["television:tv", "couch:sofa", "trainers:sneakers", "notebook:laptop"]
    )
    parser.add_argument("--prefixes", nargs="*", default=["he", "hea", "headph", "wirel", "stainless st"])
    parser.add_argument("--suggest-typos", nargs="*", default=["headpones", "lantrn", "yogga", "wireles"])
    parser.add_argument("--only", help="measure only scenarios whose label contains this")
    parser.add_argument("--show-paths", action="store_true", help="print each scenario's path")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("set DATABASE_URL or --database-url")
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    for pair in [args.typo2, args.typo3, *args.synonyms]:
        if ":" not in pair:
            parser.error(f"{pair!r} is not TYPED:MEANT")
    database_url = read_only(args.database_url)
    chosen = searches(args)
    scenarios = search_paths(chosen, pick_categories(database_url, chosen))
    scenarios += suggest_paths(args.prefixes, args.suggest_typos)
    if args.only:
        scenarios = [(label, path) for label, path in scenarios if args.only in label]
    no_cache = {"BAZAAR_PAGE_CACHE_SECONDS": "0"}
    app_spec = "bench.search_bench:create_app_without_writes()"
    with http_bench.gunicorn(args.workers, database_url, no_cache, app_spec) as base:
        rows = measure_all(base, scenarios, args.requests, args.show_paths)
    print_table(rows, args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
