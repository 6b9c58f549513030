"""Measure pages through the real app: gunicorn on loopback, percentiles of server time.

Starts gunicorn against DATABASE_URL (or --url an already running site), optionally signs
in, then requests each path N times and prints p50/p95/p99 of the app's own time (from the
Server-Timing header) and of the round trip, plus the SQL statements per request.

    env/bin/python -m bench.http_bench --requests 200 / /account/balance --login buyer@example.com:buyer-password
"""

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER_TIMING = re.compile(r"app;dur=([\d.]+)")
SQL_COUNT = re.compile(r'sql;desc="(\d+) statements"')


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(
    workers: int,
    database_url: str,
    extra_env: dict | None = None,
    app_spec: str = "app:create_app()",
    directory: Path = ROOT,
    probe: str = "/health",
):
    """Serve `app_spec` from `directory` on a free loopback port for the duration of the block."""
    port = free_port()
    command = [
        str(ROOT / "env" / "bin" / "gunicorn"),
        *("--no-control-socket", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"),
        *("--log-level", "warning", app_spec),
    ]
    # No JSON request lines on stderr (gunicorn.conf.py): a benchmark prints its own figures.
    environment = os.environ | {"DATABASE_URL": database_url, "BAZAAR_REQUEST_LOG": "0"} | (extra_env or {})
    process = subprocess.Popen(command, cwd=directory, env=environment)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        # Up to 30 s: on a machine shared with other test runs, importing the app alone can take 10.
        for _ in range(300):
            try:
                urllib.request.urlopen(base + probe, timeout=2).read()  # noqa: S310 - loopback only
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a loaded machine can outlast gunicorn's graceful stop
            process.kill()
            process.wait()


class Session:
    """A browser-like client: cookies kept, CSRF token read from the page's meta tag."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.token: str | None = None

    def get(self, path: str):
        """GET a path; return (status, round-trip ms, server ms, SQL statements)."""
        started = time.perf_counter()
        try:
            response = self.opener.open(self.base + path, timeout=30)
            status = response.status
        except urllib.error.HTTPError as error:
            response, status = error, error.code
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        timing = response.headers.get("Server-Timing", "")
        server = SERVER_TIMING.search(timing)
        statements = SQL_COUNT.search(timing)
        server_ms = float(server.group(1)) if server else elapsed
        return status, elapsed, server_ms, int(statements.group(1)) if statements else -1

    def page(self, path: str) -> str:
        """The body of a page (following redirects)."""
        return self.opener.open(self.base + path, timeout=30).read().decode()

    def post(self, path: str, data: dict) -> tuple[int, str]:
        """POST a form with this session's CSRF token; return (final status, body).

        A list value sends its field once per item (checkboxes)."""
        encoded = urllib.parse.urlencode(data | {"csrf_token": self.csrf_token()}, doseq=True).encode()
        try:
            response = self.opener.open(self.base + path, data=encoded, timeout=60)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        return response.status, response.read().decode()

    def csrf_token(self) -> str:
        """The session's CSRF token, read once from a page (it lasts as long as the session)."""
        if self.token is None:
            page = self.page("/login")
            self.token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
        return self.token

    def login(self, email: str, password: str) -> None:
        self.post("/login", {"email": email, "password": password})
        self.token = None  # signing in starts a new session
        if not any(cookie.name == "session" for cookie in self.jar):
            raise RuntimeError(f"could not sign in as {email}")


def measure(session: Session, path: str, requests: int, concurrency: int) -> dict:
    """Request `path` many times; summarise server and round-trip times."""
    for _ in range(min(10, requests)):  # warm caches and connection pools
        session.get(path)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda _: session.get(path), range(requests)))
    wall = time.perf_counter() - started
    statuses = {status for status, *_ in results}
    server = [result[2] for result in results]
    total = [result[1] for result in results]
    return {
        "path": path,
        "status": ",".join(str(status) for status in sorted(statuses)),
        "sql": max(result[3] for result in results),
        "p50": percentile(server, 0.50),
        "p95": percentile(server, 0.95),
        "p99": percentile(server, 0.99),
        "mean": statistics.fmean(server),
        "rt_p95": percentile(total, 0.95),
        "rps": requests / wall,
    }


def print_table(rows: list[dict], requests: int, concurrency: int) -> None:
    print(f"\n{requests} requests per path, concurrency {concurrency}; times in ms (server = Server-Timing)")
    header = f"{'path':60} {'status':>7} {'sql':>4} {'p50':>7} {'p95':>7} {'p99':>7} {'rt p95':>7} {'req/s':>7}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['path'][:60]:60} {row['status']:>7} {row['sql']:>4} {row['p50']:7.1f} {row['p95']:7.1f} "
            f"{row['p99']:7.1f} {row['rt_p95']:7.1f} {row['rps']:7.0f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="paths to request, e.g. / /products?q=lamp")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--url", help="an already running site (default: start gunicorn on DATABASE_URL)")
    parser.add_argument("--login", help="EMAIL:PASSWORD to sign in first")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1:
        parser.error("--requests and --concurrency must be at least 1")

    @contextmanager
    def site():
        if args.url:
            yield args.url.rstrip("/")
        else:
            database_url = os.environ.get("DATABASE_URL") or parser.error("set DATABASE_URL or --url")
            with gunicorn(args.workers, database_url) as base:
                yield base

    with site() as base:
        session = Session(base)
        if args.login:
            email, _, password = args.login.partition(":")
            session.login(email, password)
        rows = [measure(session, path, args.requests, args.concurrency) for path in args.paths]
    print_table(rows, args.requests, args.concurrency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
