"""The cluster's figures (issue 22): mixed-load throughput and p95 through HAProxy with 1 or 2 app
servers and 0 or 1 replica, the replica's lag under a write load, and PgBouncer against direct
connections at 200 clients.

It builds everything it measures from the parts of `./setup.sh cluster` (db/cluster.py), on a
throwaway primary of its own (initdb, demo data from db.generated) so the project's database is
untouched: a streaming replica (pg_basebackup -R), a PgBouncer in front of each, gunicorn servers
(--workers each) and HAProxy. The load is wrk on loopback, guests and the demo buyer mixed:

    env/bin/python -m bench.cluster_bench [--seconds 10] [--connections 16] [--workers 2] [--scale demo]

Two cores cap what a second app server or a replica can add on this machine: every process shares
them. The load average is printed with each row.
"""

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg2
from tqdm import tqdm

from bench.http_bench import ROOT, free_port
from db import cluster, manage

DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def lua(value: str) -> str:
    return json.dumps(value)


def mixed_script(product_ids: list[int], buyer_cookie: str) -> str:
    """Guests browse (home 15 %, catalog 20 %, search 20 %, product pages 20 %); the signed-in buyer
    reads product pages and their cart (25 %): pages the guest cache cannot serve."""
    targets = [(15, "/", None), (20, "/products", None), (10, "/products?q=lamp", None)]
    targets += [(10, "/products?q=table", None)]
    targets += [(20 / len(product_ids), f"/products/{pid}", None) for pid in product_ids]
    targets += [(15 / len(product_ids), f"/products/{pid}", buyer_cookie) for pid in product_ids]
    targets += [(10, "/cart", buyer_cookie)]
    entries = []
    for weight, path, cookie in targets:
        headers = f"{{[{lua('Cookie')}] = {lua(cookie)}}}" if cookie else "{}"
        entries.append(f"  {{weight = {weight}, path = {lua(path)}, headers = {headers}}},")
    return (
        "local targets = {\n"
        + "\n".join(entries)
        + """
}
local requests, cumulative, total = {}, {}, 0
for i, t in ipairs(targets) do total = total + t.weight end
init = function(args)
  local running = 0
  for i, t in ipairs(targets) do
    requests[i] = wrk.format("GET", t.path, t.headers)
    running = running + t.weight / total
    cumulative[i] = running
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end
request = function()
  local r = math.random()
  for i, c in ipairs(cumulative) do
    if r <= c then return requests[i] end
  end
  return requests[#requests]
end
"""
        + DONE
    )


def run_wrk(url: str, script: str, seconds: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        output = subprocess.run(  # noqa: S603 - our own arguments, a loopback URL
            ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s", "-s", handle.name, url],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        os.unlink(handle.name)
    found = re.search(r"^RESULT (\{.*\})$", output.stdout, re.MULTILINE)
    if not found:
        raise RuntimeError(f"wrk gave no result:\n{output.stdout}\n{output.stderr}")
    figures = json.loads(found.group(1))
    return {
        "rps": figures["requests"] / (figures["duration_us"] / 1e6),
        "p50": figures["p50_us"] / 1000,
        "p95": figures["p95_us"] / 1000,
        "p99": figures["p99_us"] / 1000,
        "errors": figures["errors"],
    }


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


@contextmanager
def app_servers(count: int, workers: int, environment: dict):
    """`count` gunicorn servers on free ports; their ports."""
    ports = [free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
            [
                f"{ROOT}/env/bin/gunicorn",
                *("--no-control-socket", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"),
                *("--log-level", "warning", "app:create_app()"),
            ],
            cwd=ROOT,
            env=os.environ | environment,
            start_new_session=True,
        )
        for port in ports
    ]
    try:
        for port in ports:
            wait_healthy(f"http://127.0.0.1:{port}/health")
        yield ports
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


@contextmanager
def haproxy(ports: list[int], folder: Path):
    port = free_port()
    config = cluster.haproxy_config(port, ports, folder)
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        ["haproxy", "-db", "-f", str(config)],  # noqa: S607 - the Debian package's
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(2.5)  # its checks see every server up
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_healthy(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer")
        time.sleep(0.3)


def sign_in(base: str, email: str, password: str) -> str:
    """The session cookie of the signed-in user, as a Cookie header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=10).read().decode()  # noqa: S310 - loopback
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password}).encode()
    opener.open(base + "/login", data=form, timeout=10).read()  # noqa: S310 - loopback
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


class LagSampler:
    """The replica's replay lag as the primary sees it (pg_stat_replication), every half second."""

    def __init__(self, primary_url: str) -> None:
        self.primary_url = primary_url
        self.bytes: list[int] = []
        self.seconds: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        connection = psycopg2.connect(self.primary_url)
        connection.autocommit = True
        with connection.cursor() as cursor:
            while not self.stop.wait(0.5):
                cursor.execute(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn),"
                    " coalesce(extract(epoch FROM replay_lag), 0) FROM pg_stat_replication"
                )
                row = cursor.fetchone()
                if row and row[0] is not None:
                    self.bytes.append(int(row[0]))
                    self.seconds.append(float(row[1]))
        connection.close()


class Writer:
    """A write load on the primary: small transactions that change stock, as checkouts and restocks do."""

    def __init__(self, primary_url: str) -> None:
        self.primary_url = primary_url
        self.transactions = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        connection = psycopg2.connect(self.primary_url)
        with connection.cursor() as cursor:
            cursor.execute("SELECT seller_id, product_id FROM offers ORDER BY product_id LIMIT 500")
            offers = cursor.fetchall()
            connection.commit()
            while not self.stop.is_set():
                seller_id, product_id = offers[self.transactions % len(offers)]
                cursor.execute(
                    "UPDATE offers SET updated_at = now() WHERE seller_id = %s AND product_id = %s",
                    (seller_id, product_id),
                )
                connection.commit()
                self.transactions += 1
        connection.close()


def pgbench(arguments: list[str], url: str) -> dict:
    """tps and average latency of one pgbench run (the wheel's pgbench)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    host = query.get("host", [parts.hostname])[0]
    port = str(parts.port or 5432)
    output = subprocess.run(  # noqa: S603 - the wheel's pgbench, our arguments
        [cluster.pg_bin("pgbench"), "-h", host, "-p", port, "-U", "postgres", *arguments, "pgbench"],
        capture_output=True,
        text=True,
        check=False,
        user=cluster.server_user(),
    )
    tps = re.search(r"tps = ([\d.]+)", output.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", output.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", output.stdout)
    if not tps:
        return {"tps": 0.0, "latency": 0.0, "failed": output.stderr.strip().splitlines()[-1:]}
    return {
        "tps": float(tps.group(1)),
        "latency": float(latency.group(1)),
        "failed": int(failed.group(1)) if failed else 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app server")
    parser.add_argument("--scale", default="demo", help="db.generated scale of the throwaway primary")
    parser.add_argument("--clients", type=int, default=200, help="pgbench clients for PgBouncer vs direct")
    args = parser.parse_args(argv)
    cluster.require_programs()
    base = Path(f"/tmp/bazaar-cluster-bench-{os.getpid()}")  # noqa: S108 - the server user must reach it
    shutil.rmtree(base, ignore_errors=True)
    cluster.owned_folder(base)
    settings = {"max_connections": "400", "shared_buffers": "256MB", "fsync": "off"}
    primary = cluster.new_primary(base / "primary", settings)
    replica, bouncers = None, []
    steps = tqdm(total=4, desc="building", unit="step")
    try:
        primary_url = manage.with_database(cluster.start_postgres(primary), "bazaar")
        manage.migrate(primary_url)
        steps.update()
        subprocess.run(  # noqa: S603 - our own module
            [f"{ROOT}/env/bin/python", "-m", "db.generated", "--scale", args.scale, "--yes", "--quiet"],
            cwd=ROOT,
            env=os.environ | {"DATABASE_URL": primary_url},
            check=True,
        )
        steps.update()
        replica = cluster.make_replica(str(primary), base / "replica", "bench_replica")
        cluster.start_postgres(replica)
        steps.update()
        ports = [free_port(), free_port()]
        bouncers = [
            cluster.pgbouncer_config("primary", str(primary), ports[0], base / "bouncers"),
            cluster.pgbouncer_config("replica", str(replica), ports[1], base / "bouncers", replica=True),
        ]
        for config in bouncers:
            cluster.start_pgbouncer(config)
        steps.update()
        steps.close()
        with psycopg2.connect(primary_url) as connection, connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM products WHERE status = 'listed' AND parent_id IS NULL"
                " ORDER BY units_sold DESC LIMIT 20"
            )
            product_ids = [row[0] for row in cursor.fetchall()]
        bounced = {
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{ports[0]}/bazaar",
            "SECRET_KEY": "cluster-bench",
            "SMTP_URL": "",
            "BAZAAR_REQUEST_LOG": "0",  # no JSON line per request on stderr (gunicorn.conf.py)
        }
        print(f"\nMixed load through HAProxy: wrk {args.connections} connections, {args.seconds} s per row, "
              f"{args.workers} gunicorn workers per app server, {args.scale} data")  # fmt: skip
        header = ("app servers", "replicas", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "load")
        print(" ".join(f"{name:>{width}}" for name, width in zip(header, (11, 8, 8, 7, 7, 7, 6, 5), strict=True)))
        rows = [(1, 0, False), (2, 0, False), (1, 1, False), (2, 1, False), (2, 1, True)]
        lag = None
        for servers, replicas, writing in rows:
            environment = bounced | {
                "DATABASE_REPLICA_URLS": f"postgresql://postgres@127.0.0.1:{ports[1]}/bazaar" if replicas else ""
            }
            with app_servers(servers, args.workers, environment) as app_ports, haproxy(app_ports, base) as url:
                cookie = sign_in(url, "buyer@example.com", "buyer-password")
                script = mixed_script(product_ids, cookie)
                run_wrk(url, script, 2, args.connections)  # warm the caches and pools
                sampler, writer = LagSampler(primary_url), Writer(primary_url)
                if writing:  # the replica's lag while the primary also takes a stream of writes
                    sampler.thread.start()
                    writer.thread.start()
                figures = run_wrk(url, script, args.seconds, args.connections)
                if writing:
                    sampler.stop.set()
                    writer.stop.set()
                    sampler.thread.join()
                    writer.thread.join()
                    lag = (sampler, writer)
            note = " + writer" if writing else ""
            print(
                f"{servers:>11} {replicas:>8} {figures['rps']:>8.0f} {figures['p50']:>7.1f} {figures['p95']:>7.1f}"
                f" {figures['p99']:>7.1f} {figures['errors']:>6} {load():>5}{note}"
            )
        if lag and lag[0].bytes:
            sampler, writer = lag
            print(
                f"\nReplica lag during the last row, with {writer.transactions / args.seconds:.0f} small write"
                f" transactions/s on the primary: replay behind by median"
                f" {statistics.median(sampler.bytes) / 1024:.0f} kB, max {max(sampler.bytes) / 1024:.0f} kB;"
                f" replay_lag max {max(sampler.seconds) * 1000:.0f} ms"
            )
        print(f"\nPgBouncer (transaction pooling, pool 20) against direct connections: pgbench, {args.clients} clients")
        subprocess.run(  # noqa: S603 - the wheel's tools
            [cluster.pg_bin("createdb"), "-h", str(primary), "-U", "postgres", "pgbench"],
            user=cluster.server_user(),
            check=True,
        )
        subprocess.run(  # noqa: S603
            [cluster.pg_bin("pgbench"), "-h", str(primary), "-U", "postgres", "-i", "-q", "-s", "10", "pgbench"],
            user=cluster.server_user(),
            check=True,
            capture_output=True,
        )
        direct = f"postgresql://postgres@/pgbench?host={primary}"
        pooled = f"postgresql://postgres@127.0.0.1:{ports[0]}/pgbench"
        print(f"{'mode':<42} {'direct tps':>10} {'ms':>6} {'PgBouncer tps':>13} {'ms':>6}")
        common = ["-n", "-S", "-c", str(args.clients), "-j", "2", "-T", str(args.seconds)]
        for label, extra in (("select-only, connections kept", []), ("select-only, a new connection each", ["-C"])):
            first, second = pgbench(common + extra, direct), pgbench(common + extra, pooled)
            print(
                f"{label:<42} {first['tps']:>10.0f} {first['latency']:>6.1f}"
                f" {second['tps']:>13.0f} {second['latency']:>6.1f}"
            )
        return 0
    finally:
        for config in bouncers:
            cluster.stop_pgbouncer(config)
        if replica is not None:
            cluster.stop_postgres(replica)
        cluster.stop_postgres(primary)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
