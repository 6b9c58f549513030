"""Server time of suggestions as you type (app/models/suggestion.py) over realistic typing.

    DATABASE_URL=postgresql://… env/bin/python -m bench.suggest_bench [--queries 200] [--seed 1]

Picks random listed products and makes what a shopper types on the way to them: a word's first 2 to
6 letters, a complete word and the start of the next, and a word of 5+ letters with two letters
swapped (a typo), then times suggestion.suggest() for each in-process, on the database the app
uses (every statement, the Python around them; no HTTP), each query once unless --rounds says more. Prints p50/p95/p99
per kind and overall.
"""

import argparse
import os
import random
import re
import statistics
import time

from flask import Flask
from sqlalchemy import text

from app.db import Database
from app.models import suggestion

WORD = re.compile(r"[^\W_]+")


def _names(app: Flask, count: int, seed: int) -> list[str]:
    with app.extensions["bazaar_db"].engine.connect() as connection:
        connection.execute(text("SELECT setseed(:seed)"), {"seed": seed / 1000})
        return list(
            connection.execute(
                text(
                    """
                    SELECT name FROM products TABLESAMPLE SYSTEM (1)
                    WHERE status = 'listed' AND parent_id IS NULL
                    ORDER BY random() LIMIT :count
                    """
                ),
                {"count": count},
            ).scalars()
        )


def typed_queries(names: list[str], count: int, seed: int) -> list[tuple[str, str]]:
    """(kind, text) pairs: prefixes, a word and the next one's start, typos."""
    chosen = random.Random(seed)
    queries = []
    while len(queries) < count:
        words = [word for word in WORD.findall(chosen.choice(names).lower()) if len(word) >= 2]
        if len(words) < 2:
            continue
        kind = ("prefix", "two words", "typo")[len(queries) % 3]
        word = chosen.choice(words)
        if kind == "prefix":
            queries.append((kind, word[: chosen.randint(2, min(6, len(word)))]))
        elif kind == "two words":
            at = chosen.randrange(len(words) - 1)
            queries.append((kind, f"{words[at]} {words[at + 1][: chosen.randint(1, len(words[at + 1]))]}"))
        else:
            long_words = [word for word in words if len(word) >= 5]
            if not long_words:
                continue
            word = chosen.choice(long_words)
            at = chosen.randrange(1, len(word) - 1)
            queries.append((kind, word[:at] + word[at + 1] + word[at] + word[at + 2 :]))
    return queries


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1, help="times each query is timed (every time counts)")
    parser.add_argument(
        "--best-of", type=int, default=1, help="time each query this many times and keep the fastest (a busy machine)"
    )
    arguments = parser.parse_args()
    app = Flask(__name__)
    Database(os.environ["DATABASE_URL"]).init_app(app)
    queries = typed_queries(_names(app, 2000, arguments.seed), arguments.queries, arguments.seed)
    timings: dict[str, list[float]] = {}
    found = 0
    with app.test_request_context():
        suggestion.suggest("warm up")
        for kind, query in queries:
            for _ in range(arguments.rounds):
                taken = []
                for _ in range(arguments.best_of):
                    started = time.perf_counter()
                    answer = suggestion.suggest(query)
                    taken.append((time.perf_counter() - started) * 1000)
                timings.setdefault(kind, []).append(min(taken))
            found += bool(answer["products"])
    everything = [value for values in timings.values() for value in values]
    for kind, values in [*timings.items(), ("all", everything)]:
        print(
            f"{kind:<10} n={len(values):<4} p50={statistics.median(values):6.2f} ms  "
            f"p95={percentile(values, 0.95):6.2f} ms  p99={percentile(values, 0.99):6.2f} ms  "
            f"max={max(values):6.2f} ms"
        )
    print(f"queries with a product suggested: {found}/{len(queries)}")


if __name__ == "__main__":
    main()
