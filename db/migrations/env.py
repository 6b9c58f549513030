"""Alembic's entry point: run the plain-SQL revisions in versions/ against DATABASE_URL.

Each revision runs in its own transaction, so one that fails midway leaves the database at
the revision before it. A session advisory lock makes servers that start at the same time
apply the migrations one after the other instead of racing.
"""

import os
import time

from alembic import context
from sqlalchemy import create_engine, make_url, pool, text

from db import manage

MIGRATION_LOCK = 7_201_100  # any constant: the advisory lock on it serialises migrators
LOCK_POLL_SECONDS = 0.1


def database_url() -> str:
    """The URL that db/manage.py passed in, else DATABASE_URL (for the alembic command line)."""
    url = context.config.attributes.get("database_url") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("DATABASE_URL is not set.")
    return make_url(url).set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


def record_applied_revision(*, step, **_) -> None:
    """Note each revision this run applies, for db/manage.py to report."""
    context.config.attributes.setdefault("applied", []).append(step.up_revision_id)


def adopt_legacy_database(connection) -> bool:
    """Stamp a database made before migrations (tables, no version table) at the baseline; True if it was one.

    Its data is not touched. Done under the migration lock, so two servers adopting at once
    cannot stamp a database that the other has already upgraded.
    """
    present = connection.execute(
        text("SELECT to_regclass('public.users') IS NOT NULL AND to_regclass('public.alembic_version') IS NULL")
    ).scalar()
    if not present:
        connection.rollback()
        return False
    for name, statement in manage.LATE_BASELINE_TABLES.items():
        if connection.execute(text("SELECT to_regclass(:name) IS NULL"), {"name": f"public.{name}"}).scalar():
            connection.execute(text(statement))
    context.get_context().stamp(context.script, manage.BASELINE_REVISION)
    connection.commit()
    return True


def take_migration_lock(connection) -> None:
    """Wait for the migration lock by trying again and again, holding no snapshot in between.

    A server blocked inside pg_advisory_lock() keeps its statement's snapshot, and CREATE INDEX
    CONCURRENTLY in the migrating server waits for every older snapshot to go: a deadlock.
    """
    while not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK}).scalar():
        connection.rollback()
        time.sleep(LOCK_POLL_SECONDS)


def run_migrations_online() -> None:
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        take_migration_lock(connection)
        connection.commit()  # the session lock stays; Alembic starts its transactions afresh
        try:
            context.configure(
                connection=connection, transaction_per_migration=True, on_version_apply=record_applied_revision
            )
            if adopt_legacy_database(connection):
                context.config.attributes["adopted"] = True
            with context.begin_transaction():
                context.run_migrations()
        finally:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Bazaar's migrations run against a database (offline SQL output is not supported).")
run_migrations_online()
