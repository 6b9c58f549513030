"""Backups and point-in-time recovery on a throwaway PostgreSQL cluster of our own (never the shared server).

The round trip: a cluster archiving its WAL, the schema and tiny data, a base backup; then a write before the
chosen moment and one after it; a restore to that moment keeps the first, loses the second, and db/check.py
finds the restored copy clean.
"""

import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import pytest

from db import backup, manage

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated():
    """These tests run on a cluster of their own: no shared test database to make or roll back."""
    return


def init_cluster(pgdata: Path, settings: dict[str, str]) -> str:
    """initdb a new cluster with the embedded binaries, add settings, start it; return its URL."""
    pgdata.mkdir(mode=0o700)
    backup.give_to_server_user(pgdata)
    command = [
        backup.pg_tool("initdb"),
        "-D",
        str(pgdata),
        "--auth=trust",
        "-U",
        "postgres",
        "--no-sync",
    ]
    subprocess.run(command, check=True, capture_output=True, user=backup.server_user())  # noqa: S603
    lines = "".join(f"{name} = '{value.replace(chr(39), chr(39) * 2)}'\n" for name, value in settings.items())
    with (pgdata / "postgresql.auto.conf").open("a") as conf:
        conf.write(lines)
    backup.start_server(pgdata, timeout=60)
    return backup.url_for(pgdata, "postgres")


def run(url: str, statement: str, parameters=None):
    """Run one statement in its own committed transaction; return the first row if any."""
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(statement, parameters)
        row = cursor.fetchone() if cursor.description else None
    connection.close()
    return row


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A running cluster whose WAL is archived into <tmp>/backups/wal, with a migrated `bazaar` database."""
    root = tmp_path_factory.mktemp("backup")
    backups_dir = root / "backups"
    archive_dir = backup.prepare_archive_dir(backups_dir / "wal")
    pgdata = root / "primary"
    settings = {
        **backup.archive_settings(archive_dir),
        "shared_buffers": "32MB",
        "fsync": "off",  # a throwaway cluster: nothing to lose in a crash, and 2 cores shared
        "timezone": "UTC",
        "listen_addresses": "",
    }
    server_url = init_cluster(pgdata, settings)
    url = manage.with_database(server_url, "bazaar")
    manage.migrate(url)
    restored = []
    yield {"root": root, "backups": backups_dir, "url": url, "restored": restored}
    for folder in [*restored, pgdata]:
        if (folder / "postmaster.pid").exists():
            backup.stop_server(folder)
    shutil.rmtree(root)  # a cluster, its backups and copies: ~150 MB that pytest would keep


def generate_tiny(url: str) -> None:
    """Load the generator's tiny data set into the database at url."""
    command = [sys.executable, "-m", "db.generated", "--scale", "tiny", "--yes", "--quiet"]
    subprocess.run(command, check=True, cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, capture_output=True)  # noqa: S603


def add_department(url: str, name: str) -> None:
    run(url, "INSERT INTO departments (name, slug) VALUES (%s, %s)", (name, name.lower().replace(" ", "-")))


def department_names(url: str) -> set[str]:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT name FROM departments")
        names = {row[0] for row in cursor.fetchall()}
    connection.close()
    return names


def test_restore_to_a_time_keeps_earlier_writes_and_drops_later_ones(cluster):
    url, backups_dir = cluster["url"], cluster["backups"]
    generate_tiny(url)
    taken = backup.take_backup(url, backups_dir, progress=False)
    assert taken.archiving and taken.verified and taken.size_bytes > 0
    assert [entry.name for entry in backup.list_backups(backups_dir)] == [taken.name]

    add_department(url, "Before The Moment")
    time.sleep(0.2)
    moment = datetime.now(UTC)
    time.sleep(0.2)
    add_department(url, "After The Moment")

    into = cluster["root"] / "restored"
    cluster["restored"].append(into)
    restored_url = backup.restore(moment, into, backups_dir=backups_dir, source_url=url)

    names = department_names(restored_url)
    assert "Before The Moment" in names  # replayed from the archived WAL, after the base backup
    assert "After The Moment" not in names
    assert run(restored_url, "SELECT pg_is_in_recovery()") == (False,)
    checked = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "db.check"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": restored_url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The primary kept both writes and was never stopped.
    assert {"Before The Moment", "After The Moment"} <= department_names(url)


def test_a_damaged_backup_is_found(cluster, tmp_path):
    taken = backup.list_backups(cluster["backups"])[0]
    damaged = tmp_path / "damaged"
    shutil.copytree(cluster["backups"] / "base" / taken.name, damaged)
    data = bytearray((damaged / "base.tar.gz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (damaged / "base.tar.gz").write_bytes(bytes(data))
    with pytest.raises(backup.BackupError, match="is damaged"):
        backup.verify(damaged)


def test_restore_refuses_a_time_before_the_first_backup_and_a_used_folder(cluster):
    backups_dir = cluster["backups"]
    with pytest.raises(backup.BackupError, match="no backup had finished by"):
        backup.restore(datetime(2020, 1, 1, tzinfo=UTC), cluster["root"] / "early", backups_dir=backups_dir)
    with pytest.raises(backup.BackupError, match="already exists"):
        backup.restore(None, cluster["root"], backups_dir=backups_dir)
    assert not (cluster["root"] / "early").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [("yesterday", "is not a time"), ("2999-01-01T00:00:00Z", "in the future")],
)
def test_restore_explains_a_bad_time(cluster, text, message):
    with pytest.raises(backup.BackupError, match=message):
        backup.choose_backup(backup.list_backups(cluster["backups"]), backup.parse_time(text))


def test_a_role_without_replication_rights_gets_a_clear_message(cluster):
    url = cluster["url"]
    run(url, "DROP ROLE IF EXISTS shop_app")
    run(url, "CREATE ROLE shop_app LOGIN")
    app_url = url.replace("postgres:@", "shop_app:@", 1)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "db.backup", "backup", "--backups", str(cluster["root"] / "other"), "--quiet"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": app_url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "may not take a base backup" in result.stderr and "REPLICATION" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_archive_command_archives_a_segment_once(cluster):
    archive_dir = cluster["backups"] / "wal"
    segment = run(cluster["url"], "SELECT pg_walfile_name(pg_switch_wal())")[0]
    deadline = time.monotonic() + 30
    while not (archive_dir / segment).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (archive_dir / segment).exists()
    assert run(cluster["url"], "SELECT failed_count FROM pg_stat_archiver") == (0,)
    assert not list(archive_dir.glob("*.part"))


def test_a_time_past_the_archived_wal_is_refused_with_the_reason(cluster):
    run(cluster["url"], "SELECT 1")
    moment = datetime.now(UTC)  # nothing committed after it has reached the archive
    into = cluster["root"] / "too-late"
    cluster["restored"].append(into)
    with pytest.raises(backup.BackupError, match="archived WAL ends before the time asked for"):
        backup.restore(moment, into, backups_dir=cluster["backups"])


def test_a_failing_archive_command_is_reported(cluster):
    archive_dir = cluster["backups"] / "wal"
    archive_dir.chmod(0o555)  # the server's user may no longer write there
    try:
        run(cluster["url"], "SELECT pg_current_xact_id()")  # a write, so the switch closes a segment
        run(cluster["url"], "SELECT pg_switch_wal()")
        deadline = time.monotonic() + 20
        while (problem := backup.archiver_problem(cluster["url"])) is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        archive_dir.chmod(0o755)
    assert problem is not None and "could not archive WAL segment" in problem
