"""Settings from the environment, with safe defaults. No secret lives in the code."""

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into the instance folder.

    Several app servers on one host share the file; on several hosts set SECRET_KEY.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        # O_EXCL: when two workers race, one writes and the other reads what it wrote.
        try:
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
        except FileExistsError:
            pass
    return key_file.read_text().strip()


def from_environment(instance_path: Path) -> dict:
    """The app's configuration, read from environment variables."""
    https = os.environ.get("BAZAAR_HTTPS", "") == "1"
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
        # Streaming replicas for reads (app/replicas.py), comma-separated; none by default.
        "DATABASE_REPLICA_URLS": [
            url.strip() for url in os.environ.get("DATABASE_REPLICA_URLS", "").split(",") if url.strip()
        ],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        # The remembered session's row lives as long (app/models/session.py) and slides with use.
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "MAX_CONTENT_LENGTH": 6 * 1024 * 1024,  # an image upload is at most 5 MB
        # Werkzeug's default (scrypt). Tests use a cheaper method to stay fast.
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt"),
        # Sign-in limits (app/models/login_failure.py). Per account: 5 free failures, then a lock of
        # 1 minute for the addresses that failed, doubling with each further failure, at most 15 minutes;
        # failures are forgotten after a day. Per address, across all accounts: 100 failures in 15 minutes.
        "LOGIN_ACCOUNT_FREE_FAILURES": 5,
        "LOGIN_ACCOUNT_FIRST_LOCK_SECONDS": 60,
        "LOGIN_ACCOUNT_LONGEST_LOCK_SECONDS": 15 * 60,
        "LOGIN_ACCOUNT_WINDOW_SECONDS": 24 * 60 * 60,
        "LOGIN_ADDRESS_CEILING": 100,
        "LOGIN_ADDRESS_WINDOW_SECONDS": 15 * 60,
        # Each statement of a catalog page or API search: a search the planner misjudges ("common
        # -word") is cut off at this and says so (app/models/catalog_page.py).
        "CATALOG_TIME_LIMIT_MS": int(os.environ.get("BAZAAR_CATALOG_TIME_LIMIT_MS", "250")),
        # How old the /insights whole-catalog figures may be before a request recomputes them.
        "REPORT_SNAPSHOT_SECONDS": int(os.environ.get("BAZAAR_REPORT_SNAPSHOT_SECONDS", "300")),
        # Trust X-Forwarded-For from this many proxies (0: use the socket's address).
        "PROXY_COUNT": int(os.environ.get("BAZAAR_PROXY_COUNT", "0")),
        # Two-factor sign-in (app/second_factor.py): wrong codes before a pending sign-in is dropped
        # (the password again), and wrong codes per account in a window, over all its sign-ins.
        "TWO_FACTOR_ATTEMPTS_PER_SIGN_IN": 5,
        "TWO_FACTOR_ACCOUNT_CEILING": 10,
        "TWO_FACTOR_ACCOUNT_WINDOW_SECONDS": 60 * 60,
        # Passkeys (app/routes/passkeys.py): the relying party id (the site's host name) and origin.
        # Unset, both come from each request's host; set them when a proxy rewrites the host.
        "WEBAUTHN_RP_ID": os.environ.get("WEBAUTHN_RP_ID", ""),
        "WEBAUTHN_ORIGIN": os.environ.get("WEBAUTHN_ORIGIN", ""),
        # E-mail (app/mail.py). The worker delivers over SMTP_URL; the default is the local
        # catcher that ./setup.sh starts (python -m app.mailcatcher), which keeps it in instance/mail/.
        "SITE_NAME": os.environ.get("BAZAAR_SITE_NAME", "Bazaar"),
        "SMTP_URL": os.environ.get("SMTP_URL", "smtp://127.0.0.1:8025"),
        "MAIL_FROM": os.environ.get("BAZAAR_MAIL_FROM", "Bazaar <no-reply@bazaar.example>"),
        # Links in e-mails start with this (e.g. https://shop.example.com). Unset, they use the
        # request's host, which a client can choose: set it in production.
        "PUBLIC_URL": os.environ.get("BAZAAR_PUBLIC_URL", ""),
        # /metrics (app/routes/metrics.py): unset, only loopback and private addresses not behind a
        # proxy may read it; set, only requests with `Authorization: Bearer <token>`.
        "METRICS_TOKEN": os.environ.get("BAZAAR_METRICS_TOKEN", ""),
        # One JSON line per request on standard error (app/request_log.py); 0 turns it off.
        "REQUEST_LOG": os.environ.get("BAZAAR_REQUEST_LOG", "1") != "0",
    }
