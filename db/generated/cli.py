"""Command line: python -m db.generated [--scale tiny|demo|large] [--seed N] [--now DATE] [counts] [--yes].

Replaces everything in the DATABASE_URL database with a generated marketplace. --print-logins lists the
demo accounts without touching any database (./setup.sh prints them after seeding).
"""

import argparse
import dataclasses
import datetime as dt
import os
import sys

import psycopg2

from .. import manage
from .build import generate
from .people import format_logins
from .scales import SCALES

MINIMUM_USERS = 10  # the three demo accounts plus enough buyers and sellers


def _count(text: str) -> int:
    """A non-negative whole number."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return value


def _date(text: str) -> dt.date:
    """A YYYY-MM-DD date."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The generator's options."""
    parser = argparse.ArgumentParser(prog="python -m db.generated", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="demo", help="preset sizes (default demo)")
    parser.add_argument("--seed", type=_count, default=1, help="random seed; same seed and --now, same rows")
    parser.add_argument("--now", type=_date, help="the day the history ends, at midnight UTC (default today, UTC)")
    for name in ("users", "products", "offers", "purchases", "reviews"):
        parser.add_argument(f"--{name}", type=_count, metavar="N", help=f"override the scale's number of {name}")
    parser.add_argument("--yes", action="store_true", help="replace existing data without asking")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--print-logins", action="store_true", help="print the demo logins and exit (no database)")
    return parser


def _counts(args: argparse.Namespace, parser: argparse.ArgumentParser):
    """The scale's counts with any overrides, checked for sense."""
    overrides = {name: getattr(args, name) for name in ("users", "products", "offers", "purchases", "reviews")}
    counts = dataclasses.replace(SCALES[args.scale], **{k: v for k, v in overrides.items() if v is not None})
    if counts.users < MINIMUM_USERS:
        parser.error(f"--users must be at least {MINIMUM_USERS}")
    if counts.products < 1:
        parser.error("--products must be at least 1")
    if counts.offers < counts.products:
        parser.error("--offers must be at least --products (every product has an offer)")
    return counts


def _confirm(url: str, parser: argparse.ArgumentParser) -> None:
    """Stop unless the database is empty, --yes was given, or the person at the terminal agrees."""
    try:
        connection = psycopg2.connect(url)
    except psycopg2.OperationalError:
        return  # no database yet: nothing to lose
    try:
        users = manage.count_users(connection) if manage.table_exists(connection, "users") else 0
    finally:
        connection.close()
    if users == 0:
        return
    name = manage.database_name(url)
    if sys.stdin.isatty():
        answer = input(f"Replace the {users:,} users and everything else in database {name!r}? [y/N] ")
        if answer.strip().lower() in ("y", "yes"):
            return
    parser.error(f"database {name!r} already has {users:,} users; pass --yes to replace them")


def main(argv: list[str] | None = None) -> int:
    """Run the generator; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.print_logins:
        print(format_logins())
        return 0
    counts = _counts(args, parser)
    url = os.environ.get("DATABASE_URL")
    if not url:
        parser.error("DATABASE_URL is not set")
    if not args.yes:
        _confirm(url, parser)
    now = args.now or dt.datetime.now(dt.UTC).date()
    report = generate(url, counts, args.seed, now, show_progress=not args.quiet)
    print(report.render())
    return 0
