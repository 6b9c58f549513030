"""Known-item search quality (issue 18): does the catalog search find a product its shopper has in mind?

Picks products with a unique name at random (fixed seed; listed, not a variant, with an offer, so the
default catalog search can show them) and searches for each of them four ways, in-process, as the
catalog page does (`find_products(read_criteria({"q": text}, tree), 1)`):

  (a) name      its whole name
  (b) rare      two of its rarer name words (fewest products' names hold them; words of 3+ letters
                and no digits first, so a model code such as "E616" is used only when nothing else is left)
  (c) typo      its name with one letter swapped with the next, dropped or doubled (the three in turn)
                in one word of 5+ letters; the misspelt word is in no product's name
  (d) category  its category's name and one of its name words

and reports how often the product is first, in the top 5 and on page 1 (24 products), and the
server time of each search (p50/p95). Beside it, the exact-ranking reference: where ranking every
match exactly would put the product (computed by SQL over all matches, not through the app):

  a product matches when each query word (`plainto_tsquery('english', word)`; stop words dropped)
  matches its search_vector or its category's or department's name; matches are ordered by
  tier (3: every word in the title — name, brand and tags, `to_tsvector('english', name || ' ' ||
  search_terms)`, which was the 'A' weight of search_vector; 2: every word in the title or the
  category/department name; 1: otherwise), then units_sold DESC, then id. `--order shipped` ranks
  by the tiers the search was built with instead (README, "Relevance"): every word in the name;
  in the name or category/department name; in those or the brand and tags; anywhere. For (c)
  the reference is that of the correctly spelt name. The table also counts the searches the app
  cut off at its time limit ("too slow": nothing shown).

Read only: every connection runs with default_transaction_read_only. At a million products the
word counts take ~30 s and the 1,200 searches and references a few minutes.

    DATABASE_URL='postgresql://postgres:@/bazaar_large?host=/work/main/db/pgdata' \\
        env/bin/python -m bench.search_quality --products 300 --seed 18
"""

import argparse
import csv
import os
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg2
from tqdm import tqdm

from bench.http_bench import percentile

PAGE_SIZE = 24  # the catalog's page: "found" means on the first page
KINDS = {"a": "name", "b": "rare", "c": "typo", "d": "category"}
TYPO_KINDS = ("swap", "drop", "double")
TYPO_MIN_LENGTH = 5
# PostgreSQL's english stop words that occur in product names: they match nothing in a search.
STOP_WORDS = frozenset(
    "a about all an and are as at be by for from has have in into is it its of off on or our out over so "  # noqa: SIM905
    "than that the their this to too up very was what when with you your".split()
)

_NAME_WORD = re.compile(r"[^\W_]+")  # letters and digits, as PostgreSQL's [[:alnum:]] splits names

# Where a query word may be found, for the reference's tiers (`{n}`: the word's number).
SOURCES = {
    "name": "to_tsvector('english', p.name) @@ CAST(%(q{n})s AS tsquery)",
    "title": "to_tsvector('english', p.name || ' ' || p.search_terms) @@ CAST(%(q{n})s AS tsquery)",
    "labels": "to_tsvector('english', p.search_terms) @@ CAST(%(q{n})s AS tsquery)",
    "place": "p.category_id = ANY(CAST(%(c{n})s AS integer[]))",
}
# The reference's tiers above "anywhere", best first: every word is in one of the sources named.
ORDERS = {
    "issue": (("title",), ("title", "place")),
    "shipped": (("name",), ("name", "place"), ("name", "place", "labels")),
}
ELIGIBLE = "p.status = 'listed' AND p.parent_id IS NULL AND p.offer_count > 0"


@dataclass(frozen=True)
class Product:
    """A product to look for, with what its searches are made of."""

    id: int
    name: str
    category: str


@dataclass
class Outcome:
    """The results of one kind of search over every product."""

    positions: list[int | None] = field(default_factory=list)  # 1-based on page 1, None if not there
    references: list[int | None] = field(default_factory=list)  # exact ranking, None if beyond page 1
    milliseconds: list[float] = field(default_factory=list)
    too_slow: int = 0  # searches cut off at the app's time limit


# ---------------------------------------------------------------- pure helpers (tests/test_bench_search.py)


def name_words(text: str) -> list[str]:
    """The lower-case words of a name, letters and digits, in order, each once."""
    return list(dict.fromkeys(word.lower() for word in _NAME_WORD.findall(text)))


def is_plain(word: str) -> bool:
    """A word of 3+ letters and no digits that is not a stop word: what a shopper types."""
    return len(word) >= 3 and word.isalpha() and word.lower() not in STOP_WORDS


def rarer_words(name: str, frequency: dict[str, int], count: int = 2) -> list[str]:
    """The name's `count` rarest words (fewest products' names hold them), plain words first,
    in the order the name has them."""
    words = [word for word in name_words(name) if word not in STOP_WORDS]
    ranked = sorted(words, key=lambda word: (not is_plain(word), frequency.get(word, 0), word))
    chosen = set(ranked[:count])
    return [word for word in words if word in chosen]


def misspell(word: str, kind: str, position: int) -> str:
    """`word` with one typo of `kind` at `position`: swap it with the next letter, drop it or double it."""
    if kind == "swap":
        return word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    if kind == "drop":
        return word[:position] + word[position + 1 :]
    if kind == "double":
        return word[: position + 1] + word[position:]
    raise ValueError(f"unknown typo kind {kind!r}")


def typo_name(name: str, kind: str, rng: random.Random, vocabulary: set[str]) -> str | None:
    """The name with one typo of `kind` in one of its words of TYPO_MIN_LENGTH+ letters, chosen at
    random among those that make a word in no name (a typo that spells another real word, such as
    "lights" → "light", cannot be corrected) and still has TYPO_MIN_LENGTH letters (the typo rules
    go by the length typed: Meilisearch forgives no typo in "tril", typed for "trail"); None if
    there is none."""
    spans = [
        match.span()
        for match in _NAME_WORD.finditer(name)
        if len(match.group()) >= TYPO_MIN_LENGTH and match.group().isalpha()
    ]
    choices = []
    for start, end in spans:
        word = name[start:end]
        last = len(word) - 1 if kind == "swap" else len(word)
        choices += [
            (start, end, position) for position in range(last) if kind != "swap" or word[position] != word[position + 1]
        ]
    rng.shuffle(choices)
    for start, end, position in choices:
        typo = misspell(name[start:end], kind, position)
        if typo.lower() not in vocabulary and len(typo) >= TYPO_MIN_LENGTH:
            return name[:start] + typo + name[end:]
    return None


def category_query(name: str, category: str, rng: random.Random) -> str:
    """The category's name and one plain word of the product's name not already in it."""
    taken = set(name_words(category))
    words = [word for word in name_words(name) if is_plain(word) and word not in taken]
    words = words or [word for word in name_words(name) if word not in taken] or name_words(name)
    return f"{category} {rng.choice(words)}"


def position_of(product_id: int, shown: list[int]) -> int | None:
    """1-based position of the product among those shown, or None."""
    return shown.index(product_id) + 1 if product_id in shown else None


def share(positions: list[int | None], within: int) -> float:
    """The fraction of positions at most `within` (None counts as a miss)."""
    return sum(1 for position in positions if position is not None and position <= within) / len(positions)


def read_only(url: str) -> str:
    """The database URL with every transaction read only (libpq's `options`)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not any(key == "options" for key, _ in query):
        query.append(("options", "-c default_transaction_read_only=on"))
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote, safe="/")))


# ---------------------------------------------------------------- the database side


def pick_products(cursor, count: int, seed: int) -> tuple[list[Product], int]:
    """Twice `count` products with a unique name, in a random (seeded) order, among those search can
    show (some cannot be misspelt), and how many such products there are."""
    cursor.execute(
        f"""
        SELECT min(p.id)
        FROM products AS p
        WHERE {ELIGIBLE}
        GROUP BY lower(p.name)
        HAVING count(*) = 1
        ORDER BY 1
        """  # noqa: S608 - a fixed fragment
    )
    ids = [row[0] for row in cursor.fetchall()]
    random.Random(seed).shuffle(ids)
    cursor.execute(
        """
        SELECT p.id, p.name, c.name
        FROM products AS p
        JOIN categories AS c ON c.id = p.category_id
        WHERE p.id = ANY(%s)
        """,
        (ids[: count * 2],),
    )
    found = {row[0]: Product(*row) for row in cursor.fetchall()}
    return [found[product_id] for product_id in ids[: count * 2]], len(ids)


def name_word_counts(cursor) -> dict[str, int]:
    """How many products (that search can show) have each word in their name; category and
    department name words are in it too (with a count of 0 if no name holds them)."""
    cursor.execute(
        f"""
        SELECT w.word, count(DISTINCT p.id)
        FROM products AS p
        CROSS JOIN LATERAL regexp_split_to_table(lower(p.name), '[^[:alnum:]]+') AS w(word)
        WHERE {ELIGIBLE} AND w.word <> ''
        GROUP BY w.word
        UNION ALL
        SELECT DISTINCT w.word, 0
        FROM (SELECT name FROM categories UNION ALL SELECT name FROM departments) AS place
        CROSS JOIN LATERAL regexp_split_to_table(lower(place.name), '[^[:alnum:]]+') AS w(word)
        WHERE w.word <> ''
        """  # noqa: S608 - a fixed fragment
    )
    counts: dict[str, int] = {}
    for word, products in cursor.fetchall():
        counts[word] = max(products, counts.get(word, 0))
    return counts


def reference_position(cursor, words: list[str], product_id: int, order: str = "issue") -> int | None:
    """Where the exact ranking of every match of the words puts the product (1-based), or None when
    PAGE_SIZE or more matches rank above it (or it does not match). `order` is one of ORDERS."""
    cursor.execute(
        """
        SELECT plainto_tsquery('english', w.word)::text,
               ARRAY(
                   SELECT c.id
                   FROM categories AS c
                   JOIN departments AS d ON d.id = c.department_id
                   WHERE to_tsvector('english', c.name) || to_tsvector('english', d.name)
                         @@ plainto_tsquery('english', w.word)
               )
        FROM unnest(%s::text[]) AS w(word)
        """,
        (words,),
    )
    terms = [(query, categories) for query, categories in cursor.fetchall() if query]  # stop words match nothing
    if not terms:
        return None
    params: dict = {"id": product_id, "cap": PAGE_SIZE}
    matches = []
    for number, (query, categories) in enumerate(terms):
        params |= {f"q{number}": query, f"c{number}": categories}
        matches.append(f"(p.search_vector @@ CAST(%(q{number})s AS tsquery) OR {SOURCES['place'].format(n=number)})")
    match = " AND ".join(matches)
    levels = ORDERS[order]
    cases = " ".join(
        f"WHEN {_every_word_in(sources, len(terms))} THEN {len(levels) + 1 - index}"
        for index, sources in enumerate(levels)
    )
    tier = f"CASE {cases} ELSE 1 END"
    cursor.execute(
        f"""
        WITH target AS (
            SELECT p.id, p.units_sold, {tier} AS tier, ({match}) AS matches
            FROM products AS p
            WHERE p.id = %(id)s
        )
        SELECT t.matches,
               (SELECT count(*)
                FROM (
                    SELECT 1
                    FROM products AS p
                    WHERE {ELIGIBLE}
                      AND {match}
                      AND ({tier}, p.units_sold, -p.id) > (t.tier, t.units_sold, -t.id)
                    LIMIT %(cap)s
                ) AS ahead)
        FROM target AS t
        """,  # noqa: S608 - fixed fragments, values bound
        params,
    )
    matched, ahead = cursor.fetchone()
    return ahead + 1 if matched and ahead < PAGE_SIZE else None


def _every_word_in(sources: tuple[str, ...], words: int) -> str:
    """SQL: each of the query's words is in one of the sources."""
    each = [" OR ".join(SOURCES[source].format(n=number) for source in sources) for number in range(words)]
    return " AND ".join(f"({one})" for one in each)


def app_search(catalog, catalog_page) -> Callable[[str], tuple[list[int], float, bool]]:
    """A function that runs a search as the catalog page does: (ids on page 1, milliseconds, cut off)."""

    def search(text: str) -> tuple[list[int], float, bool]:
        started = time.perf_counter()
        tree = catalog.list_categories()
        criteria = catalog.read_criteria({"q": text}, tree)
        results = catalog_page.find_products(criteria, 1)
        elapsed = (time.perf_counter() - started) * 1000
        return [item["id"] for item in results.page.items], elapsed, results.too_slow

    return search


# ---------------------------------------------------------------- the run


def make_searches(
    products: list[Product], count: int, frequency: dict[str, int], seed: int
) -> list[tuple[Product, dict[str, str]]]:
    """The four searches of the first `count` products that allow all four (a typo needs a long word)."""
    rng = random.Random(seed)
    vocabulary = set(frequency)
    planned = []
    for product in products:
        typo = typo_name(product.name, TYPO_KINDS[len(planned) % len(TYPO_KINDS)], rng, vocabulary)
        if typo is None:
            continue
        searches = {
            "a": product.name,
            "b": " ".join(rarer_words(product.name, frequency)),
            "c": typo,
            "d": category_query(product.name, product.category, rng),
        }
        planned.append((product, searches))
        if len(planned) == count:
            break
    return planned


def run(planned, search, cursor, clean_query, order: str) -> dict[str, Outcome]:
    """Every search through the app and its exact-ranking reference."""
    outcomes = {kind: Outcome() for kind in KINDS}
    references: dict[tuple[str, int], int | None] = {}
    for product, searches in tqdm(planned, desc="products", unit="product"):
        for kind, text in searches.items():
            shown, milliseconds, too_slow = search(text)
            outcome = outcomes[kind]
            outcome.too_slow += too_slow
            outcome.positions.append(position_of(product.id, shown))
            outcome.milliseconds.append(milliseconds)
            correct = searches["a"] if kind == "c" else text  # a perfect corrector's words
            words = (clean_query(correct)[0] or "").split()
            key = (" ".join(words), product.id)
            if key not in references:
                references[key] = reference_position(cursor, words, product.id, order)
            outcome.references.append(references[key])
    return outcomes


def rows(outcomes: dict[str, Outcome], planned) -> list[tuple[str, Outcome]]:
    """The table's rows: each kind of search, and the typos split by kind."""
    table = [(f"({kind}) {KINDS[kind]}", outcome) for kind, outcome in outcomes.items()]
    typos = outcomes["c"]
    for number, typo in enumerate(TYPO_KINDS):
        picked = range(number, len(planned), len(TYPO_KINDS))  # make_searches rotates the kinds
        if not picked:
            continue
        part = Outcome(
            [typos.positions[index] for index in picked],
            [typos.references[index] for index in picked],
            [typos.milliseconds[index] for index in picked],
            too_slow=-1,  # not split by kind
        )
        table.insert(3 + number, (f"    {typo}", part))
    return table


def write_details(path: str, outcomes: dict[str, Outcome], planned) -> None:
    """One CSV row per search: the product, the kind and text of the search, the position the app
    gave the product on page 1 and the exact ranking's (empty: not on page 1), and the milliseconds."""
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["product_id", "name", "kind", "search", "position", "reference", "ms"])
        for kind, outcome in outcomes.items():
            for index, (product, searches) in enumerate(planned):
                writer.writerow(
                    [
                        product.id,
                        product.name,
                        KINDS[kind],
                        searches[kind],
                        outcome.positions[index] or "",
                        outcome.references[index] or "",
                        f"{outcome.milliseconds[index]:.1f}",
                    ]
                )


def print_table(outcomes: dict[str, Outcome], planned, database: str, seconds: float) -> None:
    """The shares per kind of search, beside the exact ranking's, and the server times."""
    print(f"\n{len(planned)} products on {database}; {seconds:.0f} s; share of searches (page 1 = {PAGE_SIZE})")
    print(f"load average {os.getloadavg()[0]:.1f}; too slow: searches cut off at the app's time limit")
    header = (
        f"{'kind':14} {'first':>6} {'top5':>6} {'found':>6}   {'ref 1st':>7} {'ref top5':>8} {'ref p1':>6}"
        f"   {'p50 ms':>7} {'p95 ms':>7} {'too slow':>8}"
    )
    print(header)
    print("-" * len(header))
    for label, outcome in rows(outcomes, planned):
        print(
            f"{label:14} {share(outcome.positions, 1):6.2f} {share(outcome.positions, 5):6.2f} "
            f"{share(outcome.positions, PAGE_SIZE):6.2f}   {share(outcome.references, 1):7.2f} "
            f"{share(outcome.references, 5):8.2f} {share(outcome.references, PAGE_SIZE):6.2f}   "
            f"{percentile(outcome.milliseconds, 0.5):7.1f} {percentile(outcome.milliseconds, 0.95):7.1f} "
            f"{outcome.too_slow if outcome.too_slow >= 0 else '':>8}"
        )
    print("\nexamples (first 3 products):")
    for product, searches in planned[:3]:
        print(f"  #{product.id} {product.name!r} [{product.category}]")
        for kind, text in searches.items():
            print(f"      ({kind}) {text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--details", help="write every search and where it put the product to this CSV file")
    parser.add_argument("--order", choices=ORDERS, default="shipped", help="the exact ranking's tiers (see above)")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("set DATABASE_URL or --database-url")
    if args.products < 1:
        parser.error("--products must be at least 1")
    url = read_only(args.database_url)
    os.environ["DATABASE_URL"] = url  # create_app reads it
    from app import create_app
    from app.models import catalog, catalog_page

    started = time.perf_counter()
    connection = psycopg2.connect(url)
    connection.set_session(readonly=True, autocommit=True)
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '120s'")
        print("picking products and counting name words…", file=sys.stderr)
        products, unique = pick_products(cursor, args.products, args.seed)
        frequency = name_word_counts(cursor)
        planned = make_searches(products, args.products, frequency, args.seed)
        print(f"{unique:,} searchable products have a unique name; {len(frequency):,} name words", file=sys.stderr)
        with create_app().app_context():
            outcomes = run(planned, app_search(catalog, catalog_page), cursor, catalog.clean_query, args.order)
    connection.close()
    database = urlsplit(url).path.lstrip("/") or "?"
    print_table(outcomes, planned, database, time.perf_counter() - started)
    if args.details:
        write_details(args.details, outcomes, planned)
    return 0


if __name__ == "__main__":
    sys.exit(main())
