"""Server-Timing: each response says how long the app spent on it, how many SQL statements it
ran and, with replicas (app/replicas.py), which server its reads came from — so benchmarks read
server time, developers see N+1 at a glance and the cluster's tests see where reads went."""

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
        elapsed = (time.perf_counter() - g.request_started) * 1000
        timing = f'app;dur={elapsed:.2f}, sql;desc="{g.sql_statements} statements"'
        if "read_from" in g:
            timing += f', read;desc="{g.read_from}"'
        response.headers["Server-Timing"] = timing
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start_clock)
    app.after_request(_add_header)
    event.listen(app.extensions["bazaar_db"].engine, "before_cursor_execute", _count_statement)
