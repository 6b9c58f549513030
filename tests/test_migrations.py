"""The migrations: a fresh database and an upgraded old one end up with the same schema,
an old database keeps its data, and a revision that fails leaves the previous one in place."""

import gzip
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.exc import IntegrityError

from db import check, manage
from tests.direct import execute, fetch

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASELINE_SQL = manage.MIGRATIONS_DIR / "baseline"

# What pg_catalog says about each kind of schema object, as comparable text.
CATALOG_QUERIES = {
    "columns": """
        SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity, generation_expression
        FROM information_schema.columns
        WHERE table_schema = 'public'
        ORDER BY 1, 2
    """,
    "constraints": """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace
        ORDER BY 1, 2
    """,
    "indexes": """
        SELECT tablename, indexname, indexdef
        FROM pg_indexes
        WHERE schemaname = 'public'
        ORDER BY 1, 2
    """,
    "triggers": """
        SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid)
        FROM pg_trigger
        WHERE NOT tgisinternal
        ORDER BY 1, 2
    """,
    "functions": """
        SELECT proname, md5(pg_get_functiondef(oid))
        FROM pg_proc
        WHERE pronamespace = 'public'::regnamespace AND prokind = 'f'
          AND NOT EXISTS (SELECT 1 FROM pg_depend WHERE objid = pg_proc.oid AND deptype = 'e')
        ORDER BY 1
    """,
}


def catalog(url: str) -> dict[str, list[tuple]]:
    """Tables and columns, constraints, indexes, triggers and functions of the public schema."""
    return {kind: fetch(url, query) for kind, query in CATALOG_QUERIES.items()}


def create_wave1_database(url: str) -> None:
    """A database as the code before migrations made it: the baseline SQL run directly, no version table."""
    manage.drop_database(url)
    manage.ensure_database(url)
    connection = psycopg2.connect(url)
    with connection, connection.cursor() as cursor:
        for name in ("schema.sql", "functions.sql", "indexes.sql"):
            cursor.execute((BASELINE_SQL / name).read_text())
    connection.close()


def load_data_dump(url: str, dump: Path) -> None:
    """Load a data-only pg_dump (COPY blocks and setval calls), triggers off as pg_restore would."""
    text = gzip.decompress(dump.read_bytes()).decode()
    blocks = re.findall(r"^(COPY (\S+) \(.*?\) FROM stdin;)\n(.*?)^\\\.$", text, flags=re.MULTILINE | re.DOTALL)
    connection = psycopg2.connect(url)
    with connection, connection.cursor() as cursor:
        tables = [table for _, table, _ in blocks]
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")  # noqa: S608 - names from our own dump
        for statement, _, rows in blocks:
            cursor.copy_expert(statement.replace("FROM stdin;", "FROM STDIN"), io.StringIO(rows))
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")  # noqa: S608 - names from our own dump
        for setval in re.findall(r"^SELECT pg_catalog\.setval\(.*?\);$", text, flags=re.MULTILINE):
            cursor.execute(setval)
    connection.close()


def row_counts(url: str) -> dict[str, int]:
    """Rows per table (the version table aside)."""
    tables = [name for (name,) in fetch(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    counts = {}
    for table in tables:
        if table != "alembic_version":
            counts[table] = fetch(url, f'SELECT count(*) FROM "{table}"')[0][0]  # noqa: S608 - catalog names
    return counts


def current_version(url: str) -> list[str]:
    return [row[0] for row in fetch(url, "SELECT version_num FROM alembic_version")]


@pytest.fixture
def scratch_url(database_url):
    """A database of its own for one test, dropped afterwards."""
    url = manage.with_database(database_url, manage.database_name(database_url) + "_migrations")
    manage.drop_database(url)
    yield url
    manage.drop_database(url)


def test_fresh_database_and_upgraded_wave1_database_have_the_same_schema(database_url, scratch_url):
    create_wave1_database(scratch_url)
    result = manage.migrate(scratch_url)
    assert result.adopted
    assert current_version(scratch_url) == current_version(database_url)
    fresh, upgraded = catalog(database_url), catalog(scratch_url)
    for kind in CATALOG_QUERIES:
        assert upgraded[kind] == fresh[kind], kind
    assert {row[0] for row in fresh["columns"]} >= {"users", "orders", "offers", "products", "report_snapshots"}


def test_wave1_database_with_demo_data_keeps_every_row_when_upgraded(scratch_url):
    create_wave1_database(scratch_url)
    load_data_dump(scratch_url, FIXTURES / "wave1_tiny_data.sql.gz")
    before = row_counts(scratch_url)
    assert before["users"] == 60 and before["orders"] > 0

    result = manage.migrate(scratch_url)

    assert result.adopted
    after = row_counts(scratch_url)
    # 0014 moves each seller's unreleased proceeds into escrow with one 'hold' row per seller; every
    # other row is kept as it was.
    holds = fetch(scratch_url, "SELECT count(*) FROM balance_ledger WHERE kind = 'hold'")[0][0]
    after["balance_ledger"] -= holds
    assert {table: after[table] for table in before} == before
    broken = [(name, count) for name, count in check.run_checks(scratch_url, workers=1) if count]
    assert broken == []
    # 0017 hid wave 1's reviews by a product's own sellers, each with an audit row, and deleted none.
    hidden = fetch(scratch_url, "SELECT count(*) FROM product_reviews WHERE hidden_at IS NOT NULL")[0][0]
    audited = fetch(scratch_url, "SELECT count(*) FROM audit_log WHERE action = 'review.hide'")[0][0]
    assert hidden == audited > 0
    # Migrating again is a no-op.
    assert manage.migrate(scratch_url).applied == []


def test_adopting_a_wave1_database_made_before_report_snapshots_adds_that_table(scratch_url):
    create_wave1_database(scratch_url)
    execute(scratch_url, "DROP TABLE report_snapshots")
    manage.migrate(scratch_url)
    assert fetch(scratch_url, "SELECT to_regclass('public.report_snapshots') IS NOT NULL")[0][0]


BROKEN_REVISION = '''"""A revision that fails halfway."""

from alembic import op

revision = "9999_broken"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE TABLE half_done (id integer)")
    op.execute("INSERT INTO users (id) VALUES (1)")  # violates NOT NULL: the revision fails here
'''


def test_a_revision_that_fails_midway_leaves_the_previous_revision(scratch_url, tmp_path):
    manage.migrate(scratch_url)
    before = current_version(scratch_url)
    head = ScriptDirectory.from_config(manage.alembic_config(scratch_url)).get_current_head()
    (tmp_path / "9999_broken.py").write_text(BROKEN_REVISION.format(head=head))

    with pytest.raises(IntegrityError, match="not-null constraint"):
        manage.migrate(scratch_url, version_locations=[tmp_path])

    assert current_version(scratch_url) == before
    assert fetch(scratch_url, "SELECT to_regclass('public.half_done')")[0][0] is None


@pytest.mark.parametrize("wave1", [False, True], ids=["empty", "wave1"])
def test_servers_migrating_at_the_same_moment_apply_each_revision_once(database_url, scratch_url, wave1):
    if wave1:
        create_wave1_database(scratch_url)
    else:
        manage.ensure_database(scratch_url)
    environment = {**os.environ, "DATABASE_URL": scratch_url}
    migrators = [
        subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "db.manage", "migrate"], env=environment, stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [migrator.communicate(timeout=60)[0] for migrator in migrators]
    assert [migrator.returncode for migrator in migrators] == [0, 0, 0]
    assert sum("adopted" in output for output in outputs) == (1 if wave1 else 0)
    assert sum("applied 0001_baseline" in output for output in outputs) == (0 if wave1 else 1)
    assert current_version(scratch_url) == current_version(database_url)


def test_status_lists_applied_and_pending_revisions(scratch_url):
    manage.ensure_database(scratch_url)
    assert manage.describe_status(scratch_url).startswith("pending  0001_baseline")
    manage.migrate(scratch_url)
    assert "pending" not in manage.describe_status(scratch_url)


def test_a_server_older_than_14_is_refused_with_a_clear_message():
    class OldServer:
        server_version = 130011

    with pytest.raises(manage.ServerTooOld, match="PostgreSQL 13 is too old.*14 or newer"):
        manage.check_server_version(OldServer())


def test_0024_makes_each_uploaded_picture_position_1_of_its_products_gallery(scratch_url):
    create_wave1_database(scratch_url)
    load_data_dump(scratch_url, FIXTURES / "wave1_tiny_data.sql.gz")
    execute(
        scratch_url,
        """
        WITH image AS (
            INSERT INTO images (uploader_id, content_type, width, height, data)
            SELECT creator_id, 'image/webp', 400, 300, '\\x52494646' FROM products WHERE id = 1
            RETURNING id
        )
        UPDATE products SET image_id = (SELECT id FROM image) WHERE id = 1
        """,
    )
    manage.migrate(scratch_url)
    rows = fetch(scratch_url, "SELECT product_id, position, image_id, drawn_view, alt_text FROM product_images")
    image_id = fetch(scratch_url, "SELECT image_id FROM products WHERE id = 1")[0][0]
    assert rows == [(1, 1, image_id, None, "")]
    assert [(name, count) for name, count in check.run_checks(scratch_url, workers=1) if count] == []


def test_0030_gives_old_purchases_the_code_of_their_delivery_country(scratch_url):
    """The country line of each purchase's address copy (not the name line) becomes its ISO code."""
    manage.ensure_database(scratch_url)
    command.upgrade(manage.alembic_config(scratch_url), "0029_search_suggestions")
    execute(
        scratch_url,
        """
        WITH buyer AS (
            INSERT INTO users (email, full_name, address, password_hash)
            VALUES ('jordan@example.com', 'Jordan', '1 Main St', 'x')
            RETURNING id
        )
        INSERT INTO purchases (buyer_id, checkout_token, total, ship_to)
        SELECT buyer.id, gen_random_uuid(), 0, label
        FROM buyer, unnest(ARRAY[
            E'Jordan\\n1 Main St\\n10115 Berlin\\nGermany\\nPhone: +49 30 1234',
            E'Jordan\\n1 Main St\\nTown\\n  united states of america. ',
            E'Jordan\\nPSC 5228, Box 1724\\nfr',
            E'Jordan\\n1 Main St\\nAtlantis',
            E'Jordan'
        ]) WITH ORDINALITY AS labels (label, n)
        ORDER BY n
        """,
    )
    manage.migrate(scratch_url)
    rows = fetch(scratch_url, "SELECT ship_country FROM purchases ORDER BY id")
    assert [row[0] for row in rows] == ["DE", "US", "FR", None, None]


def test_0034_gives_each_attribute_value_its_products_category(scratch_url):
    """Values written before 0034 get their product's category; a later move carries them along."""
    manage.ensure_database(scratch_url)
    command.upgrade(manage.alembic_config(scratch_url), "0033_catalog_has_word")
    execute(
        scratch_url,
        """
        WITH department AS (
            INSERT INTO departments (name, slug) VALUES ('Electronics', 'electronics') RETURNING id
        ), categories AS (
            INSERT INTO categories (department_id, name, slug)
            SELECT department.id, name, slug FROM department, (VALUES ('Laptops', 'laptops'), ('Tablets', 'tablets'))
                AS given (name, slug)
            RETURNING id, slug
        ), creator AS (
            INSERT INTO users (email, full_name, address, password_hash)
            VALUES ('casey@example.com', 'Casey', '1 Main St', 'x')
            RETURNING id
        ), defined AS (
            INSERT INTO category_attributes (category_id, key, label, type)
            SELECT id, 'screen_size', 'Screen size', 'number' FROM categories
        ), product AS (
            INSERT INTO products (category_id, creator_id, name)
            SELECT categories.id, creator.id, 'Lumetra Air 15' FROM categories, creator WHERE slug = 'laptops'
            RETURNING id
        )
        INSERT INTO product_attributes (product_id, key, value_number) SELECT id, 'screen_size', 15.6 FROM product
        """,
    )
    manage.migrate(scratch_url)
    by_slug = "SELECT c.slug FROM product_attributes AS a JOIN categories AS c ON c.id = a.category_id"
    assert fetch(scratch_url, by_slug) == [("laptops",)]
    execute(scratch_url, "UPDATE products SET category_id = (SELECT id FROM categories WHERE slug = 'tablets')")
    assert fetch(scratch_url, by_slug) == [("tablets",)]
