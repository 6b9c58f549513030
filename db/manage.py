"""Database housekeeping for ./setup.sh: create the database and bring its schema to the newest revision.

Usage: python -m db.manage migrate [--status] | reset | status   (DATABASE_URL names the database)

The schema is the chain of Alembic revisions in db/migrations/versions/ (plain SQL, forward only).
A database made before migrations existed (tables present, no alembic_version table) is adopted:
stamped at the baseline revision, its data untouched, then upgraded like any other (migrations/env.py).
"""

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from psycopg2 import sql

DB_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = DB_DIR / "migrations"
BASELINE_REVISION = "0001_baseline"
MINIMUM_SERVER_VERSION = 140000  # CREATE OR REPLACE TRIGGER arrived in PostgreSQL 14
# Tables that databases made by wave 1 may predate, with the statement the baseline made them by.
LATE_BASELINE_TABLES = {
    "report_snapshots": """
        CREATE TABLE report_snapshots (
            name        text PRIMARY KEY,
            payload     jsonb NOT NULL,
            computed_at timestamptz NOT NULL DEFAULT now()
        )
    """,
}


class ServerTooOld(RuntimeError):
    """The PostgreSQL server is older than the schema needs."""


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def ensure_database(url: str) -> bool:
    """Create the URL's database if the server lacks it; return True if it was created."""
    name = database_name(url)
    try:
        psycopg2.connect(url).close()
        return False
    except psycopg2.OperationalError as error:
        if "does not exist" not in str(error):
            raise
    admin = psycopg2.connect(with_database(url, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
    return True


def drop_database(url: str) -> None:
    """Drop the URL's database (used by tests for their throwaway one)."""
    admin = psycopg2.connect(with_database(url, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(url))))
    admin.close()


def check_server_version(connection) -> None:
    """Refuse, with a message a person can act on, a server too old for the schema."""
    if connection.server_version < MINIMUM_SERVER_VERSION:
        major = connection.server_version // 10000
        raise ServerTooOld(
            f"PostgreSQL {major} is too old for Bazaar: it needs PostgreSQL 14 or newer "
            "(the schema uses CREATE OR REPLACE TRIGGER). Point DATABASE_URL at a newer server, "
            "or unset it to use the embedded one."
        )


def table_exists(connection, name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (f"public.{name}",))
        return cursor.fetchone()[0]


def drop_schema(connection) -> None:
    """Remove every table, function and type of ours (the public schema, recreated empty)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    connection.commit()


def count_users(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM users")
        return cursor.fetchone()[0]


def alembic_config(url: str, version_locations: list[Path] | None = None) -> Config:
    """Alembic's configuration for this database, without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = [MIGRATIONS_DIR / "versions", *(version_locations or [])]
    config.set_main_option("version_locations", " ".join(str(path) for path in locations))
    config.set_main_option("path_separator", "space")
    config.attributes["database_url"] = url
    return config


def applied_revisions(connection, script: ScriptDirectory) -> set[str]:
    """The revisions recorded in alembic_version and all their ancestors."""
    if not table_exists(connection, "alembic_version"):
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT version_num FROM alembic_version")
        heads = [row[0] for row in cursor.fetchall()]
    connection.rollback()
    return {revision.revision for revision in script.iterate_revisions(heads, "base")}


@dataclass(frozen=True)
class Revision:
    id: str
    title: str
    applied: bool


def list_revisions(url: str, version_locations: list[Path] | None = None) -> list[Revision]:
    """Every revision, oldest first, with whether this database has it."""
    script = ScriptDirectory.from_config(alembic_config(url, version_locations))
    with psycopg2.connect(url) as connection:
        applied = applied_revisions(connection, script)
    connection.close()
    revisions = reversed(list(script.walk_revisions()))
    return [Revision(r.revision, (r.doc or "").splitlines()[0], r.revision in applied) for r in revisions]


@dataclass(frozen=True)
class Migration:
    adopted: bool  # a pre-migrations database was stamped at the baseline
    applied: list[Revision]


def migrate(url: str, version_locations: list[Path] | None = None) -> Migration:
    """Create the database if needed and upgrade it to the newest revision; say what was done."""
    ensure_database(url)
    with psycopg2.connect(url) as connection:
        check_server_version(connection)
    connection.close()
    config = alembic_config(url, version_locations)
    command.upgrade(config, "heads")
    applied = config.attributes.get("applied", [])
    return Migration(
        config.attributes.get("adopted", False),
        [revision for revision in list_revisions(url, version_locations) if revision.id in applied],
    )


def describe_status(url: str) -> str:
    """One line per revision: applied or pending."""
    ensure_database(url)
    lines = []
    for revision in list_revisions(url):
        lines.append(f"{'applied' if revision.applied else 'pending'}  {revision.id:<28} {revision.title}")
    with psycopg2.connect(url) as connection:
        if not table_exists(connection, "alembic_version") and table_exists(connection, "users"):
            lines.append("(a database made before migrations: ./setup.sh migrate adopts it at the baseline)")
    connection.close()
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["migrate", "reset", "status"])
    parser.add_argument("--status", action="store_true", help="with migrate: list applied and pending revisions")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("DATABASE_URL is not set.", file=sys.stderr)
        return 2
    try:
        return _run(args, url)
    except ServerTooOld as error:
        print(f"setup.sh: {error}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, url: str) -> int:
    if args.action == "migrate" and args.status:
        print(describe_status(url))
    elif args.action == "migrate":
        result = migrate(url)
        if result.adopted:
            print(f"adopted a database made before migrations: stamped {BASELINE_REVISION}, data kept")
        for revision in result.applied:
            print(f"applied {revision.id}: {revision.title}")
        print(f"{len(result.applied)} revision(s) applied" if result.applied else "schema up to date")
    elif args.action == "reset":
        ensure_database(url)
        with psycopg2.connect(url) as connection:
            drop_schema(connection)
        connection.close()
        migrate(url)
        print("schema recreated, database empty")
    else:
        with psycopg2.connect(url) as connection:
            present = table_exists(connection, "users")
            print(f"users: {count_users(connection)}" if present else "no schema")
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
