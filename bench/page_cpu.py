"""The app's own CPU time per page, in-process (Flask's test client, no HTTP): a figure that a
busy shared machine disturbs far less than wall-clock throughput.

    DATABASE_URL=… env/bin/python -m bench.page_cpu --requests 200 / /products/3412 \
        --login buyer@example.com:buyer-password
    DATABASE_URL=… env/bin/python -m bench.page_cpu --profile /products/3412   # needs pyinstrument (not pinned)
    DATABASE_URL=… env/bin/python -m bench.page_cpu --direct --both-paths / /products /products/3412

CPU is this process's (time.process_time): Python, Jinja, SQLAlchemy and psycopg2, not
PostgreSQL's own work. The anchor (bench/anchor_app.py) is measured the same way for scale.
`--direct` calls the WSGI app with a fresh environ per request instead of the test client (whose
own work is a third of a cached guest page's), as gunicorn does, cookieless; `--both-paths` also
measures each path with the guest cache's early path off (app/guest_fast_path.py).
"""

import argparse
import os
import re
import sys
import time

from bench.anchor_app import create_app as create_anchor


def sign_in(client, login: str) -> None:
    """Sign the test client in with EMAIL:PASSWORD, as a browser would."""
    email, _, password = login.partition(":")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit(f"could not sign in as {email}: {response.status_code}")


def cpu_per_request(client, path: str, requests: int) -> tuple[float, float, str]:
    """Warm up, then (CPU ms, wall ms) per request and the last Server-Timing header."""
    for _ in range(min(20, requests)):
        client.get(path)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(requests):
        response = client.get(path)
    cpu_ms = (time.process_time() - cpu) / requests * 1000
    wall_ms = (time.perf_counter() - wall) / requests * 1000
    return cpu_ms, wall_ms, f"{response.status_code} {response.headers.get('Server-Timing', '')}"


class DirectClient:
    """Calls a WSGI app as a server does: a new environ per request, the body read and closed."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def get(self, path: str):
        from werkzeug.test import EnvironBuilder
        from werkzeug.wrappers import Response

        environ = EnvironBuilder(path=path).get_environ()
        return Response.from_app(self.wsgi_app, environ, buffered=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--login", help="EMAIL:PASSWORD to sign in first")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of each path")
    parser.add_argument("--direct", action="store_true", help="call the WSGI app directly, no test client")
    parser.add_argument("--both-paths", action="store_true", help="also measure with the guest early path off")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        parser.error("set DATABASE_URL")
    from app import create_app

    if args.direct and args.login:
        parser.error("--direct sends no cookie: it measures what a cookieless guest gets")
    anchor_app, app = create_anchor(), create_app()
    anchor = DirectClient(anchor_app.wsgi_app) if args.direct else anchor_app.test_client()
    anchor_cpu, anchor_wall, _ = cpu_per_request(anchor, "/?id=1", args.requests)
    client = DirectClient(app.wsgi_app) if args.direct else app.test_client()
    if args.login:
        sign_in(client, args.login)
    print(f"anchor: {anchor_cpu:.2f} ms CPU, {anchor_wall:.2f} ms wall per request; load {os.getloadavg()[0]:.1f}")
    print(f"{'path':50} {'CPU ms':>7} {'× anchor':>8} {'wall ms':>8}  status, Server-Timing")
    for path in args.paths:
        for early in (True, False) if args.both_paths else (True,):
            app.config["PAGE_CACHE_FAST_PATH"] = early
            cpu_ms, wall_ms, timing = cpu_per_request(client, path, args.requests)
            label = f"{path} ({'early' if early else 'in Flask'})" if args.both_paths else path
            print(f"{label[:50]:50} {cpu_ms:7.2f} {cpu_ms / anchor_cpu:8.1f} {wall_ms:8.2f}  {timing}")
        app.config["PAGE_CACHE_FAST_PATH"] = True
        if args.profile:
            from pyinstrument import Profiler  # ad hoc: `env/bin/pip install pyinstrument`

            with Profiler(interval=0.0005) as profiler:
                for _ in range(args.requests):
                    client.get(path)
            print(profiler.output_text(color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
