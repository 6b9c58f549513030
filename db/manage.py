"""Database housekeeping for ./setup.sh: create the database, apply the schema, seed, check.

Usage: python -m db.manage init|reset|check|status   (DATABASE_URL names the database)
"""

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

DB_DIR = Path(__file__).resolve().parent
SCHEMA_FILES = ("schema.sql", "functions.sql", "indexes.sql")


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


def read_schema(*names: str) -> str:
    return "\n".join((DB_DIR / name).read_text() for name in names)


def schema_present(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('public.users') IS NOT NULL")
        return cursor.fetchone()[0]


def apply_schema(connection, names=SCHEMA_FILES) -> None:
    """Run the schema files in one transaction."""
    with connection.cursor() as cursor:
        cursor.execute(read_schema(*names))
    connection.commit()


def drop_schema(connection) -> None:
    """Remove every table, function and type of ours (the public schema, recreated empty)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    connection.commit()


def count_users(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM users")
        return cursor.fetchone()[0]


def init(url: str) -> str:
    """Create database and schema as needed; say what was done."""
    created = ensure_database(url)
    with psycopg2.connect(url) as connection:
        if schema_present(connection):
            state = "schema already present"
        else:
            apply_schema(connection)
            state = "schema created"
        users = count_users(connection)
    connection.close()
    return f"{'created database, ' if created else ''}{state}, {users} users"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["init", "reset", "status"])
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("DATABASE_URL is not set.", file=sys.stderr)
        return 2
    if args.action == "init":
        print(init(url))
    elif args.action == "reset":
        ensure_database(url)
        with psycopg2.connect(url) as connection:
            drop_schema(connection)
            apply_schema(connection)
        connection.close()
        print("schema recreated, database empty")
    else:
        with psycopg2.connect(url) as connection:
            present = schema_present(connection)
            print(f"users: {count_users(connection)}" if present else "no schema")
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
