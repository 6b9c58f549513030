"""Failed sign-ins and the two limits built on them, after OWASP's authentication guidance.

Counted in PostgreSQL, so the limits hold across app servers.

- Per account (e-mail): the first few failures are free; after them, an address that has itself
  failed for the account waits a lock that doubles with each further failure of the account, up
  to a cap. An address that has not failed for the account is not held back, so the owner signs
  in from their own address while an attacker elsewhere waits; such an address gets one guess
  before it waits too, so spreading a guessing attack over many addresses buys one guess each.
- Per address, across all accounts: a much higher ceiling, against credential stuffing, that one
  person's typos behind a shared office address or proxy never reach.
"""

from dataclasses import dataclass

from sqlalchemy import Connection

from app import db

# Namespaces for pg_advisory_xact_lock(int, int): one for addresses, one for e-mails.
ADDRESS_LOCK = 7_301_001
ACCOUNT_LOCK = 7_301_002
PRUNE_BATCH = 100  # each attempt removes at most this many expired rows, oldest first


@dataclass(frozen=True)
class Limits:
    free_failures: int  # per account, before any lock
    first_lock_seconds: int  # the lock after the last free failure; it doubles with each further one
    longest_lock_seconds: int
    account_window_seconds: int  # an account's failures older than this are forgotten
    address_ceiling: int  # failures from one address, across all accounts, in the address window
    address_window_seconds: int

    @classmethod
    def from_config(cls, config) -> "Limits":
        """The limits set in the app's configuration (app/config.py)."""
        return cls(
            free_failures=config["LOGIN_ACCOUNT_FREE_FAILURES"],
            first_lock_seconds=config["LOGIN_ACCOUNT_FIRST_LOCK_SECONDS"],
            longest_lock_seconds=config["LOGIN_ACCOUNT_LONGEST_LOCK_SECONDS"],
            account_window_seconds=config["LOGIN_ACCOUNT_WINDOW_SECONDS"],
            address_ceiling=config["LOGIN_ADDRESS_CEILING"],
            address_window_seconds=config["LOGIN_ADDRESS_WINDOW_SECONDS"],
        )


@dataclass(frozen=True)
class Throttle:
    """A refused attempt: which limit holds ("account" or "address") and for how many more seconds."""

    limit: str
    retry_after: int


def begin_attempt(email: str, ip_address: str, limits: Limits) -> Throttle | None:
    """Refuse the attempt if a limit holds; else note it as a failure until the password proves right.

    Noting it before the password is checked, under advisory locks on the address and the
    e-mail (always in that order), makes the limits exact when many attempts arrive at once on
    several servers: each attempt counts every one that came before it.
    """
    with db.transaction() as conn:
        lock_key(conn, ADDRESS_LOCK, ip_address)
        lock_key(conn, ACCOUNT_LOCK, email)
        waits = get_waits(conn, email, ip_address, limits)
        throttles = [
            Throttle(limit, int(seconds))
            for limit, seconds in (("account", waits["account"]), ("address", waits["address"]))
            if seconds is not None and seconds > 0
        ]
        if throttles:
            return max(throttles, key=lambda throttle: throttle.retry_after)
        insert_failure(conn, email, ip_address)
        delete_expired_failures(conn, limits.account_window_seconds)
    return None


def lock_key(conn: Connection, namespace: int, key: str) -> None:
    """Hold a transaction-scoped advisory lock on one e-mail or address."""
    db.execute(conn, "SELECT pg_advisory_xact_lock(:namespace, hashtext(:key))", namespace=namespace, key=key)


def get_waits(conn: Connection, email: str, ip_address: str, limits: Limits):
    """Seconds this address must still wait under the account limit and under the address
    ceiling (None or not above zero: no wait)."""
    return db.fetch_one(
        conn,
        """
        WITH account AS (
            SELECT count(*) AS failures,
                   count(*) FILTER (WHERE ip_address = :ip_address) AS failures_here,
                   max(attempted_at) FILTER (WHERE ip_address = :ip_address) AS last_failure_here
            FROM login_failures
            WHERE email = :email
              AND attempted_at > now() - make_interval(secs => :account_window)
        )
        SELECT
            CASE
                WHEN account.failures >= :free_failures AND account.failures_here > 0
                THEN ceil(extract(epoch FROM
                    account.last_failure_here
                    + make_interval(secs => least(
                        -- the exponent is capped too, so that power() cannot overflow
                        :first_lock * power(2, least(account.failures - :free_failures, 30)),
                        :longest_lock
                    ))
                    - now()
                ))
            END AS account,
            (
                -- The address may try again when its ceiling-th newest failure leaves the window.
                SELECT ceil(extract(epoch FROM attempted_at + make_interval(secs => :address_window) - now()))
                FROM login_failures
                WHERE ip_address = :ip_address
                  AND attempted_at > now() - make_interval(secs => :address_window)
                ORDER BY attempted_at DESC
                OFFSET :address_ceiling - 1
                LIMIT 1
            ) AS address
        FROM account
        """,
        email=email,
        ip_address=ip_address,
        free_failures=limits.free_failures,
        first_lock=limits.first_lock_seconds,
        longest_lock=limits.longest_lock_seconds,
        account_window=limits.account_window_seconds,
        address_ceiling=limits.address_ceiling,
        address_window=limits.address_window_seconds,
    )


def insert_failure(conn: Connection, email: str, ip_address: str) -> None:
    """Note one failed (or not yet verified) sign-in."""
    db.execute(
        conn,
        "INSERT INTO login_failures (email, ip_address) VALUES (:email, :ip_address)",
        email=email,
        ip_address=ip_address,
    )


def delete_expired_failures(conn: Connection, window_seconds: int) -> None:
    """Remove up to PRUNE_BATCH of the oldest failures that no limit reads any more.

    Every attempt adds one row and this removes the expired ones from the front, so the table
    holds about one window of failures. SKIP LOCKED: two servers pruning at once never wait
    on each other's rows.
    """
    db.execute(
        conn,
        """
        DELETE FROM login_failures
        WHERE id IN (
            SELECT id
            FROM login_failures
            WHERE id <= (SELECT min(id) FROM login_failures) + :batch
              AND attempted_at <= now() - make_interval(secs => :window)
            FOR UPDATE SKIP LOCKED
        )
        """,
        batch=PRUNE_BATCH,
        window=window_seconds,
    )


def forget_failures(email: str, ip_address: str) -> None:
    """Forget this address's failures for an account once it signs in with the right password.

    Only this address's: the owner signing in must not lift the lock of an attacker elsewhere.
    """
    db.run(
        "DELETE FROM login_failures WHERE email = :email AND ip_address = :ip_address",
        email=email,
        ip_address=ip_address,
    )
