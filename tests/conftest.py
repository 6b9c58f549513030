"""Test fixtures: a throwaway PostgreSQL database, the app, clients and helpers.

Every test runs inside a transaction that is rolled back (code that opens its own
transaction gets a SAVEPOINT), so tests are independent. Tests marked `concurrency` or
`browser` commit through real connections instead and the tables are emptied after them.
"""

import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import psutil
import psycopg2
import pytest
from sqlalchemy import event, text

from app import create_app
from db import manage

# The `mailbox` fixture: a real SMTP server the worker delivers to (tests/mail.py).
pytest_plugins = ["tests.mail"]

# One database per test run (several runs may share a server, e.g. in parallel checkouts).
TEST_DATABASE = f"bazaar_test_{os.getpid()}"
TEST_PASSWORD = "correct horse battery"


def _server_url() -> str:
    """The server to test on: DATABASE_URL's, else the embedded one (started if needed)."""
    if url := os.environ.get("DATABASE_URL"):
        return url
    from db import embedded

    return embedded.start()


def _drop_abandoned_test_databases(server_url: str) -> None:
    """Drop test databases whose run ended without cleaning up (its process is gone)."""
    with psycopg2.connect(manage.with_database(server_url, "postgres")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname ~ '^bazaar_(generated_)?test_[0-9]+$'")
        names = [row[0] for row in cursor.fetchall()]
    connection.close()
    for name in names:
        if not psutil.pid_exists(int(name.rsplit("_", 1)[1])):
            manage.drop_database(manage.with_database(server_url, name))


@pytest.fixture(scope="session")
def database_url():
    """A fresh database built by the migrations (so every test run proves them), dropped after the session."""
    server_url = _server_url()
    _drop_abandoned_test_databases(server_url)
    url = manage.with_database(server_url, TEST_DATABASE)
    manage.drop_database(url)
    manage.migrate(url)
    yield url
    manage.drop_database(url)


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret-key",
            # Tests hash many passwords: a cheap method keeps them fast.
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            # Tests change the catalog between requests: never reuse a report snapshot.
            "REPORT_SNAPSHOT_SECONDS": 0,
        }
    )
    yield app
    app.extensions["bazaar_db"].engine.dispose()


def truncate_all(app) -> None:
    """Empty every table (after tests that commit); the audit log's refusal of TRUNCATE is lifted
    for this one statement, in its transaction."""
    with app.extensions["bazaar_db"].engine.begin() as connection:
        tables = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
        ).scalars()
        connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate"))
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_truncate"))


@pytest.fixture(autouse=True)
def _isolated(request, app):
    """Roll back whatever a test did; tests that must commit clean up by truncating."""
    if request.node.get_closest_marker("concurrency") or request.node.get_closest_marker("browser"):
        yield
        truncate_all(app)
        return
    database = app.extensions["bazaar_db"]
    connection = database.engine.connect()
    outer = connection.begin()
    database.pinned = connection
    try:
        yield
    finally:
        database.pinned = None
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client) -> str:
    """A CSRF token for this client's session, read from a page as a browser would."""
    page = client.get("/").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


class Actions:
    """Create users and act as them through the test client."""

    def __init__(self, app, client) -> None:
        self.app = app
        self.client = client

    def post(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with a valid CSRF token, as the site's own pages do."""
        return self.client.post(url, data={"csrf_token": csrf_token(self.client), **(data or {})}, **kwargs)

    def create_user(self, email: str | None = None, password: str = TEST_PASSWORD, balance: str = "0", **fields):
        """Insert a user directly, with a confirmed e-mail unless verified=False; give them `balance`
        through a real top-up."""
        from app.models import balance as balance_model
        from app.models import user as user_model
        from app.passwords import hash_password

        with self.app.test_request_context():
            user_id = user_model.create_user(
                email or f"user-{uuid.uuid4().hex[:12]}@example.com",
                fields.get("full_name", "Test User"),
                fields.get("address", "1 Test Street, Testville"),
                hash_password(password),
                verified=fields.get("verified", True),
            )
            if Decimal(balance) > 0:
                balance_model.top_up(user_id, Decimal(balance))
            return user_model.get_user(user_id)

    def login(self, email: str, password: str = TEST_PASSWORD, **extra):
        return self.post("/login", {"email": email, "password": password, **extra})

    def logout(self):
        return self.post("/logout")

    def signed_in_user(self, **kwargs):
        """Create a user and sign this client in as them."""
        user = self.create_user(**kwargs)
        response = self.login(user["email"], kwargs.get("password", TEST_PASSWORD))
        assert response.status_code == 302, response.get_data(as_text=True)
        return user


@pytest.fixture
def actions(app, client):
    return Actions(app, client)


def query_one(app, sql: str, **params):
    """Read one row through the app's database (inside the test's transaction)."""
    database = app.extensions["bazaar_db"]
    with database.connect() as connection:
        return connection.execute(text(sql), params).mappings().first()


@pytest.fixture
def count_queries(app):
    """A context manager that counts the SQL statements run inside it."""

    @contextmanager
    def counting():
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if not re.match(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)", statement):
                statements.append(statement)

        engine = app.extensions["bazaar_db"].engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


@pytest.fixture(scope="session")
def replicated_servers():
    """A throwaway primary with Bazaar's schema and a streaming replica of it (pg_basebackup -R),
    made with the embedded PostgreSQL's binaries on Unix sockets of their own (db/cluster.py):
    their database URLs and the replica's folder. For the replica and cluster tests."""
    from db import cluster

    base = Path(f"/tmp/bazaar-replicated-{os.getpid()}")  # noqa: S108 - the server user must reach it
    shutil.rmtree(base, ignore_errors=True)
    cluster.owned_folder(base)
    primary = cluster.new_primary(base / "primary", {"fsync": "off", "shared_buffers": "64MB"})
    replica = None
    try:
        primary_url = manage.with_database(cluster.start_postgres(primary), "bazaar_replicated")
        manage.migrate(primary_url)
        replica = cluster.make_replica(str(primary), base / "replica", "test_replica")
        replica_url = manage.with_database(cluster.start_postgres(replica), "bazaar_replicated")
        yield {"base": base, "primary": primary_url, "replica": replica_url, "replica_folder": replica}
    finally:
        if replica is not None:
            cluster.stop_postgres(replica)
        cluster.stop_postgres(primary)
        shutil.rmtree(base, ignore_errors=True)


def wait_for(condition, seconds: float = 60) -> None:
    """Poll `condition` every 50 ms until it holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
