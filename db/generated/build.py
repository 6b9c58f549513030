"""Load a planned world into a database: fresh schema, COPY every table, then indexes and statistics.

The schema comes from the migrations (db/manage.py migrate); the secondary indexes they made are
read from the catalog, dropped for the load and built again after it, so new revisions need
nothing here.

The load runs in one transaction with triggers off (superuser: session_replication_role=replica,
which also skips foreign-key checks; otherwise each table's user triggers are disabled), so the
summary columns come from summaries.py and check.py verifies them afterwards.
"""

import datetime as dt
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import psycopg2
from psycopg2 import sql
from tqdm import tqdm

from .. import manage
from .copyload import LoadResult, TableSource, copy_table
from .tables import table_sources
from .world import STAGES, Counts, make_world

INDEX_WORKERS = 2


@dataclass
class Report:
    """What a generation did and how long each part took."""

    tables: list[LoadResult] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)

    def render(self) -> str:
        """The summary table printed at the end of a run."""
        lines = [f"{'table':<22} {'rows':>12} {'seconds':>9} {'rows/s':>12}"]
        for result in self.tables:
            rate = result.rows / result.seconds if result.seconds > 0 else 0.0
            lines.append(f"{result.table:<22} {result.rows:>12,} {result.seconds:>9.2f} {rate:>12,.0f}")
        total_rows = sum(result.rows for result in self.tables)
        for phase, seconds in self.phases.items():
            lines.append(f"{phase:<22} {'':>12} {seconds:>9.2f}")
        lines.append(f"{'total':<22} {total_rows:>12,} {sum(self.phases.values()):>9.2f}")
        return "\n".join(lines)


def _is_superuser(connection) -> bool:
    """Whether the connected role may set session_replication_role."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def _set_triggers(cursor, sources: list[TableSource], superuser: bool, enabled: bool) -> None:
    """Turn trigger firing off for the load, or back on after it."""
    if superuser:
        cursor.execute("SET session_replication_role = " + ("DEFAULT" if enabled else "replica"))
        return
    action = sql.SQL("ENABLE" if enabled else "DISABLE")
    for source in sources:
        cursor.execute(sql.SQL("ALTER TABLE {} {} TRIGGER USER").format(sql.Identifier(source.name), action))


def _load(connection, sources: list[TableSource], show_progress: bool) -> list[LoadResult]:
    """COPY every table in one transaction (truncated first, so COPY FREEZE applies)."""
    superuser = _is_superuser(connection)
    results = []
    with connection.cursor() as cursor:
        _set_triggers(cursor, sources, superuser, enabled=False)
        cursor.execute(
            """
            SELECT tablename FROM pg_tables
            WHERE schemaname = 'public' AND tablename <> 'alembic_version'
            ORDER BY tablename
            """
        )
        names = sql.SQL(", ").join(sql.Identifier(name) for (name,) in cursor.fetchall())
        cursor.execute(sql.SQL("TRUNCATE {}").format(names))
        for source in sources:
            results.append(copy_table(cursor, source, show_progress))
        _set_triggers(cursor, sources, superuser, enabled=True)
    connection.commit()
    return results


def secondary_index_statements(connection) -> list[str]:
    """CREATE INDEX statements of every index that backs no constraint, the GIN ones (slowest) first."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT pg_get_indexdef(index.indexrelid)
            FROM pg_index AS index
            JOIN pg_class AS class ON class.oid = index.indexrelid
            JOIN pg_namespace AS namespace ON namespace.oid = class.relnamespace
            WHERE namespace.nspname = 'public'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = index.indexrelid)
            ORDER BY class.relname
            """
        )
        statements = [row[0] for row in cursor.fetchall()]
    connection.rollback()
    return sorted(statements, key=lambda statement: "USING gin" not in statement)


def drop_secondary_indexes(connection) -> list[str]:
    """Drop the indexes a bulk load would only slow down; return the statements that rebuild them."""
    statements = secondary_index_statements(connection)
    with connection.cursor() as cursor:
        for statement in statements:
            name = re.match(r"CREATE (?:UNIQUE )?INDEX (\S+) ON", statement).group(1)
            cursor.execute(sql.SQL("DROP INDEX public.{}").format(sql.Identifier(name)))
    connection.commit()
    return statements


def _run_statement(url: str, statement: str) -> None:
    """Run one statement on its own connection, committed."""
    connection = psycopg2.connect(url)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def build_indexes(url: str, statements: list[str], workers: int = INDEX_WORKERS) -> None:
    """Build the secondary indexes, a few at a time on separate connections."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(_run_statement, url, statement) for statement in statements]:
            future.result()


def _finish(connection) -> None:
    """Count the catalog's words and keep each word's best sellers (the load ran without the triggers
    that add them), move every identity and serial sequence (api_tokens, offline_sales) past the largest
    id, then refresh planner statistics."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT recount_search_words()")
        cursor.execute("SELECT refresh_search_suggestions()")
        cursor.execute(
            """
            SELECT table_name, column_name
            FROM information_schema.columns
            WHERE table_schema = 'public'
              AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')
            ORDER BY table_name
            """
        )
        for table, column in cursor.fetchall():
            cursor.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), coalesce(max({}), 0) + 1, false) FROM {}"
                ).format(sql.Identifier(column), sql.Identifier(table)),
                (table, column),
            )
    connection.commit()
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.autocommit = False


class _Clock:
    """Times named phases into a report."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.started = time.perf_counter()

    def lap(self, phase: str) -> None:
        """Record the time since the last lap under `phase`."""
        now = time.perf_counter()
        self.report.phases[phase] = self.report.phases.get(phase, 0.0) + now - self.started
        self.started = now


def generate(url: str, counts: Counts, seed: int, now: dt.date, show_progress: bool = True) -> Report:
    """Replace the database's contents with a generated marketplace and report the timings."""
    report = Report()
    clock = _Clock(report)
    with tqdm(
        total=len(STAGES), desc=f"{'planning':<22}", unit=" stages", file=sys.stderr, disable=not show_progress
    ) as bar:
        world = make_world(counts, seed, now, report=lambda stage: (bar.set_postfix_str(stage), bar.update(1)))
    sources = table_sources(world)
    clock.lap("planning")
    manage.ensure_database(url)
    connection = psycopg2.connect(url)
    try:
        manage.drop_schema(connection)
        manage.migrate(url)
        index_statements = drop_secondary_indexes(connection)
        clock.lap("schema")
        report.tables = _load(connection, sources, show_progress)
        clock.lap("copy")
        build_indexes(url, index_statements)
        clock.lap("indexes")
        _finish(connection)
        clock.lap("sequences + analyze")
    finally:
        connection.close()
    return report
