"""The sign-in limits: per account with growing locks for the addresses that failed, per address
only with a high ceiling; no one can lock the owner out, and the counts hold across servers.

In-process tests run inside one transaction, so now() does not move: waits come out exact, and
"time passes" by moving the recorded failures back.
"""

import threading
import urllib.error
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from bench.http_bench import Session, gunicorn
from tests.conftest import TEST_PASSWORD, csrf_token, query_one

OWNER_HOME = "198.51.100.7"
ATTACKER = "203.0.113.66"
OFFICE = "192.0.2.10"
WRONG = "not-the-password"


class Person:
    """Someone signing in from one address, with their own browser session."""

    def __init__(self, app, address: str) -> None:
        self.client = app.test_client()
        self.address = address
        self.token: str | None = None

    def sign_in(self, email: str, password: str = TEST_PASSWORD):
        if self.token is None:
            self.token = csrf_token(self.client)
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": self.token},
            environ_base={"REMOTE_ADDR": self.address},
        )


def signed_in(person: Person) -> bool:
    return person.client.get("/account").status_code == 200


def pass_time(app, seconds: int) -> None:
    """Move every recorded failure `seconds` into the past."""
    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(
            text("UPDATE login_failures SET attempted_at = attempted_at - make_interval(secs => :s)"), {"s": seconds}
        )


def failures(app, email: str, address: str | None = None) -> int:
    return query_one(
        app,
        "SELECT count(*) AS n FROM login_failures WHERE email = :e AND (CAST(:a AS text) IS NULL OR ip_address = :a)",
        e=email,
        a=address,
    )["n"]


def fail_freely(person: Person, email: str, times: int) -> None:
    """Use up free failures: each is an ordinary wrong-password answer."""
    for _ in range(times):
        response = person.sign_in(email, WRONG)
        assert response.status_code == 400
        assert "E-mail or password is incorrect." in response.get_data(as_text=True)


def assert_throttled(response, retry_after: int, message: str) -> None:
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(retry_after)
    assert message in response.get_data(as_text=True)


@pytest.fixture
def owner(actions):
    return actions.create_user(email="owner@example.com")


@pytest.fixture
def free(app):
    return app.config["LOGIN_ACCOUNT_FREE_FAILURES"]


def test_an_attacker_at_one_address_cannot_lock_the_owner_out(app, owner, free):
    attacker, owner_at_home = Person(app, ATTACKER), Person(app, OWNER_HOME)
    fail_freely(attacker, owner["email"], free)
    assert_throttled(
        attacker.sign_in(owner["email"], WRONG),
        60,
        "Too many failed sign-ins to this account from your address. Try again in 1 minute.",
    )
    # The attacker's address waits even with the right password: a lock is no oracle.
    assert attacker.sign_in(owner["email"]).status_code == 429 and not signed_in(attacker)

    assert owner_at_home.sign_in(owner["email"]).status_code == 302
    assert signed_in(owner_at_home)
    # The owner's success lifts no lock of the attacker's.
    assert attacker.sign_in(owner["email"]).status_code == 429
    assert failures(app, owner["email"], ATTACKER) == free


def test_while_an_account_is_locked_each_new_address_gets_one_guess(app, owner, free):
    fail_freely(Person(app, ATTACKER), owner["email"], free)
    second_attacker = Person(app, "203.0.113.67")
    fail_freely(second_attacker, owner["email"], 1)
    # Its own failure puts it under the account's lock, which doubled with that failure.
    assert_throttled(second_attacker.sign_in(owner["email"]), 120, "Try again in 2 minutes.")


def test_the_lock_doubles_with_each_further_failure_up_to_fifteen_minutes(app, owner, free):
    attacker = Person(app, ATTACKER)
    fail_freely(attacker, owner["email"], free)
    for lock, wait in [(60, "1 minute"), (120, "2 minutes"), (240, "4 minutes"), (480, "8 minutes")]:
        assert_throttled(attacker.sign_in(owner["email"], WRONG), lock, f"Try again in {wait}.")
        pass_time(app, lock - 1)
        assert attacker.sign_in(owner["email"], WRONG).status_code == 429  # a second early
        pass_time(app, 1)
        fail_freely(attacker, owner["email"], 1)
    for _ in range(3):
        assert_throttled(attacker.sign_in(owner["email"], WRONG), 900, "Try again in 15 minutes.")
        pass_time(app, 900)
        fail_freely(attacker, owner["email"], 1)


def test_after_the_lock_the_right_password_gets_in_and_clears_only_its_own_address(app, owner, free):
    owner_on_phone, attacker = Person(app, "198.51.100.99"), Person(app, ATTACKER)
    fail_freely(attacker, owner["email"], 2)
    fail_freely(owner_on_phone, owner["email"], free - 2)
    assert owner_on_phone.sign_in(owner["email"]).status_code == 429
    pass_time(app, 60)
    assert owner_on_phone.sign_in(owner["email"]).status_code == 302
    assert failures(app, owner["email"], "198.51.100.99") == 0
    assert failures(app, owner["email"], ATTACKER) == 2


def test_ten_failures_behind_a_shared_office_address_block_no_colleague(app, actions, free):
    typist = actions.create_user(email="typist@example.com")
    colleagues = [actions.create_user() for _ in range(3)]
    at_the_desk = Person(app, OFFICE)
    fail_freely(at_the_desk, typist["email"], free)
    for _ in range(10 - free):
        assert at_the_desk.sign_in(typist["email"], WRONG).status_code == 429
    for colleague in colleagues:
        person = Person(app, OFFICE)
        assert person.sign_in(colleague["email"]).status_code == 302
        assert signed_in(person)


def test_the_address_ceiling_stops_credential_stuffing_and_nothing_else(app, owner):
    ceiling = app.config["LOGIN_ADDRESS_CEILING"]
    stuffer = Person(app, ATTACKER)
    for number in range(ceiling):  # one or two guesses per account: no account lock is reached
        assert stuffer.sign_in(f"leaked-{number // 2}@example.com", WRONG).status_code == 400
    message = "Too many failed sign-ins from your network address. Try again in 15 minutes."
    assert_throttled(stuffer.sign_in("another-leak@example.com", WRONG), 900, message)
    assert_throttled(stuffer.sign_in(owner["email"]), 900, message)  # even a right pair
    assert not signed_in(stuffer)

    assert Person(app, OWNER_HOME).sign_in(owner["email"]).status_code == 302
    pass_time(app, 900)
    assert stuffer.sign_in(owner["email"]).status_code == 302


def test_an_unknown_email_is_limited_the_same_way(app, free):
    guesser = Person(app, ATTACKER)
    fail_freely(guesser, "nobody@example.com", free)
    assert_throttled(guesser.sign_in("nobody@example.com", WRONG), 60, "to this account from your address")


def test_a_day_old_failure_no_longer_counts_and_is_pruned(app, owner, free):
    attacker = Person(app, ATTACKER)
    fail_freely(attacker, owner["email"], free)
    pass_time(app, app.config["LOGIN_ACCOUNT_WINDOW_SECONDS"])
    fail_freely(attacker, owner["email"], 1)
    assert failures(app, owner["email"]) == 1  # the expired ones are gone


def test_a_right_password_leaves_no_failure_behind(app, owner):
    person = Person(app, OWNER_HOME)
    assert person.sign_in(owner["email"]).status_code == 302
    assert failures(app, owner["email"]) == 0


# Across two gunicorn servers: the address comes from X-Forwarded-For, as behind one proxy.

SERVER_ENV = {
    "SECRET_KEY": "shared-by-every-server",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "BAZAAR_PROXY_COUNT": "1",
}


def browser(base: str, address: str) -> Session:
    session = Session(base)
    session.opener.addheaders.append(("X-Forwarded-For", address))
    session.csrf_token()
    return session


def http_sign_in(session: Session, email: str, password: str = TEST_PASSWORD) -> tuple[int, int | None, str]:
    """POST the sign-in form; return (status, Retry-After, body)."""
    form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": session.csrf_token()})
    try:
        response = session.opener.open(session.base + "/login", data=form.encode(), timeout=60)
    except urllib.error.HTTPError as error:
        retry_after = error.headers.get("Retry-After")
        return error.code, int(retry_after) if retry_after else None, error.read().decode()
    return response.status, None, response.read().decode()


def all_at_once(calls: list) -> list:
    """Run the calls in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def move_failures_back(app, seconds: int) -> None:
    with app.extensions["bazaar_db"].engine.begin() as connection:
        connection.execute(
            text("UPDATE login_failures SET attempted_at = attempted_at - make_interval(secs => :s)"), {"s": seconds}
        )


@pytest.mark.concurrency
def test_two_servers_lock_the_attacker_not_the_owner_nor_the_office(app, actions, database_url):
    owner = actions.create_user(email="owner@example.com")
    typist = actions.create_user(email="typist@example.com")
    colleague = actions.create_user(email="colleague@example.com")
    with gunicorn(2, database_url, SERVER_ENV) as first, gunicorn(2, database_url, SERVER_ENV) as second:
        attackers = [browser(first, ATTACKER), browser(second, ATTACKER)]
        for number in range(5):
            assert http_sign_in(attackers[number % 2], owner["email"], WRONG)[0] == 400
        for attacker in attackers:
            status, retry_after, body = http_sign_in(attacker, owner["email"])
            assert status == 429 and 55 <= retry_after <= 60
            assert "Too many failed sign-ins to this account from your address" in body

        status, _, body = http_sign_in(browser(second, OWNER_HOME), owner["email"])
        assert status == 200 and "Welcome back" in body

        desks = [browser(first, OFFICE), browser(second, OFFICE)]
        for number in range(10):
            http_sign_in(desks[number % 2], typist["email"], WRONG)
        status, _, body = http_sign_in(browser(first, OFFICE), colleague["email"])
        assert status == 200 and "Welcome back" in body


@pytest.mark.concurrency
def test_two_servers_count_a_burst_of_guesses_exactly_and_double_the_lock(app, actions, database_url):
    owner = actions.create_user(email="owner@example.com")
    with gunicorn(2, database_url, SERVER_ENV) as first, gunicorn(2, database_url, SERVER_ENV) as second:
        sessions = [browser(first if number % 2 else second, ATTACKER) for number in range(20)]
        results = all_at_once([lambda s=session: http_sign_in(s, owner["email"], WRONG) for session in sessions])
        statuses = sorted(status for status, _, _ in results)
        assert statuses == [400] * 5 + [429] * 15

        move_failures_back(app, 60)  # the first lock is over
        assert http_sign_in(sessions[0], owner["email"], WRONG)[0] == 400
        status, retry_after, body = http_sign_in(sessions[1], owner["email"])
        assert status == 429 and 115 <= retry_after <= 120 and "Try again in 2 minutes." in body


@pytest.mark.concurrency
def test_two_servers_hold_the_address_ceiling_exactly(app, actions, database_url):
    owner = actions.create_user(email="owner@example.com")
    ceiling = app.config["LOGIN_ADDRESS_CEILING"]
    with gunicorn(2, database_url, SERVER_ENV) as first, gunicorn(2, database_url, SERVER_ENV) as second:
        sessions = [browser(first if number % 2 else second, ATTACKER) for number in range(ceiling + 10)]
        calls = [
            lambda s=session, n=number: http_sign_in(s, f"leaked-{n}@example.com", WRONG)
            for number, session in enumerate(sessions)
        ]
        statuses = sorted(status for status, _, _ in all_at_once(calls))
        assert statuses == [400] * ceiling + [429] * 10

        status, retry_after, body = http_sign_in(sessions[0], owner["email"])
        assert status == 429 and 895 <= retry_after <= 900
        assert "from your network address. Try again in 15 minutes." in body
        status, _, body = http_sign_in(browser(second, OWNER_HOME), owner["email"])
        assert status == 200 and "Welcome back" in body
