"""A live server on a free port and a headless Chromium driven by Playwright."""

import os
import shutil
import threading

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app import create_app

# Without the networking flags Chromium keeps trying to reach hosts this machine cannot.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


LIVE_APPS = []  # the live server's app, whose per-process page cache outlives each test


@pytest.fixture(autouse=True)
def _fresh_live_cache():
    """Empty the live server's page cache after each test: the tables are emptied with their ids
    restarted, so the next test's product 1 could be served the last test's product 1 (its version
    row restarts too). Never so in production, where ids are not reused."""
    yield
    for app in LIVE_APPS:
        app.extensions["page_cache"].clear()


def _read_files_whole(file):
    with file:
        return [file.read()]


def _files_closed_on_dropped_connections(app):
    """Werkzeug's development server skips the response's close() when the browser drops the
    connection while the server drains the request (a favicon cancelled by the next navigation), so
    WhiteNoise's open file would be left to the garbage collector and its ResourceWarning. Static
    files are small: read them whole and close them before the first byte is written."""

    def serve(environ, start_response):
        environ["wsgi.file_wrapper"] = _read_files_whole
        return app(environ, start_response)

    return serve


@pytest.fixture(scope="session")
def live_server(database_url):
    """The app served over HTTP in a background thread, on the test database."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "browser-test-key",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "REPORT_SNAPSHOT_SECONDS": 0,
            # The journeys judge what a page does, not how fast: on a busy CI machine a catalog
            # statement can pass 250 ms, and the page would say the search took too long.
            "CATALOG_TIME_LIMIT_MS": 10_000,
        }
    )
    LIVE_APPS.append(app)
    server = make_server("127.0.0.1", 0, _files_closed_on_dropped_connections(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    app.extensions["bazaar_db"].engine.dispose()


def _console_error(message, errors: list[str]) -> None:
    """Keep console errors, except the browser's note that a form answered 4xx on purpose."""
    if message.type == "error" and not message.text.startswith("Failed to load resource: the server responded"):
        errors.append(message.text)


def _chromium_path() -> str | None:
    """Debian's Chromium where installed (or BAZAAR_CHROMIUM); else Playwright's own."""
    return os.environ.get("BAZAAR_CHROMIUM") or shutil.which("chromium") or None


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: _console_error(message, errors))
    yield page
    context.close()
    # A CSP violation or a script error shows up here: pages must run clean.
    assert errors == []
