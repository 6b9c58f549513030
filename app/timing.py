"""Server-Timing: each response says how long the app spent on it, how many SQL statements it ran,
whether it came from the guest page cache and, with replicas (app/replicas.py), which server its
reads came from — so benchmarks read server time, developers see N+1 at a glance and the cluster's
tests see where reads went."""

import time

from flask import Flask, Response, g, has_app_context
from sqlalchemy import event


def _start_clock() -> None:
    g.request_started = time.perf_counter()
    g.sql_statements = 0


def _count_statement(*_args) -> None:
    if has_app_context() and "sql_statements" in g:
        g.sql_statements += 1


def _add_header(response: Response) -> Response:
    if "request_started" in g:
        hit = g.get("page_cache") == "hit"
        response.headers["Server-Timing"] = header(g.request_started, g.sql_statements, g.get("read_from"), hit)
    return response


def header(started: float, statements: int, read_from: str | None, cache_hit: bool = False) -> str:
    """The Server-Timing value (also for a cached page served before Flask: app/guest_fast_path.py);
    `cache;desc="hit"` names a page that came from the guest page cache."""
    timing = f'app;dur={(time.perf_counter() - started) * 1000:.2f}, sql;desc="{statements} statements"'
    if read_from is not None:
        timing += f', read;desc="{read_from}"'
    if cache_hit:
        timing += ', cache;desc="hit"'
    return timing


def init_app(app: Flask) -> None:
    app.before_request(_start_clock)
    app.after_request(_add_header)
    event.listen(app.extensions["bazaar_db"].engine, "before_cursor_execute", _count_statement)
