"""Two-factor codes under real concurrency: threads released at a barrier, each on its own
connection, as if on several servers. One code signs in once; the wrong-code limit is exact."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pyotp
import pytest
from sqlalchemy import text

from app import second_factor
from app.models import pending_sign_in, totp
from app.second_factor import Limits, Result

pytestmark = pytest.mark.concurrency

NOW = 1_900_000_000.0
THREADS = 8
LIMITS = Limits(attempts_per_sign_in=5, account_ceiling=10, account_window_seconds=3600)


@pytest.fixture
def enrolled(app, actions, monkeypatch):
    """A user with two-factor sign-in on (confirmed a step ago), their secret and recovery codes."""
    monkeypatch.setattr(totp, "current_time", lambda: NOW)
    user = actions.create_user()
    secret = totp.new_secret()
    with app.test_request_context():
        totp.start_setup(user["id"], secret)
        codes = second_factor.confirm_setup(user["id"], pyotp.TOTP(secret).at(NOW - 30))
    return {"user_id": user["id"], "secret": secret, "codes": codes}


def race(app, user_id: int, codes: list[str]) -> list[Result]:
    """Start one pending sign-in per code, then check them all at the same moment."""
    with app.test_request_context():
        tokens = [pending_sign_in.create_pending(user_id, False) for _ in codes]
        pending_ids = [pending_sign_in.get_pending(token)["id"] for token in tokens]
    barrier = threading.Barrier(len(codes))

    def attempt(index: int) -> Result:
        with app.test_request_context():
            barrier.wait()
            return second_factor.check_code(pending_ids[index], user_id, codes[index], LIMITS).result

    with ThreadPoolExecutor(max_workers=len(codes)) as pool:
        return list(pool.map(attempt, range(len(codes))))


def fetch(app, sql: str, **params):
    with app.extensions["bazaar_db"].engine.connect() as connection:
        return connection.execute(text(sql), params).mappings().first()


def test_one_code_sent_by_many_at_once_signs_in_once(app, enrolled):
    code = pyotp.TOTP(enrolled["secret"]).at(NOW)
    results = race(app, enrolled["user_id"], [code] * THREADS)
    assert results.count(Result.SIGNED_IN) == 1
    assert results.count(Result.REUSED) == THREADS - 1


def test_one_recovery_code_sent_by_many_at_once_works_once(app, enrolled):
    results = race(app, enrolled["user_id"], [enrolled["codes"][0]] * THREADS)
    assert results.count(Result.SIGNED_IN) == 1
    assert results.count(Result.WRONG) == THREADS - 1
    used = fetch(
        app,
        "SELECT count(*) AS n FROM recovery_codes WHERE user_id = :id AND used_at IS NOT NULL",
        id=enrolled["user_id"],
    )
    assert used["n"] == 1


def test_wrong_codes_at_once_stop_exactly_at_the_account_ceiling(app, enrolled):
    valid = {pyotp.TOTP(enrolled["secret"]).at(NOW + offset) for offset in (-30, 0, 30)}
    wrong = next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)
    results = race(app, enrolled["user_id"], [wrong] * (2 * LIMITS.account_ceiling))
    counted = results.count(Result.WRONG) + results.count(Result.DROPPED)
    assert counted == LIMITS.account_ceiling
    assert results.count(Result.LOCKED) == LIMITS.account_ceiling
    row = fetch(app, "SELECT failures FROM user_totp WHERE user_id = :id", id=enrolled["user_id"])
    assert row["failures"] == LIMITS.account_ceiling
