"""A deadlock or serialization failure that still happens is retried (db.retry_on_conflict);
when the retries run out the user sees "please try again" (503) with nothing changed.

These run on the test's pinned connection: each attempt is a SAVEPOINT rolled back alone.
"""

import psycopg2
import psycopg2.errors
import pytest
from sqlalchemy.exc import OperationalError

from app import db
from app.models import seller
from tests import factories
from tests.conftest import query_one


def conflict(kind=psycopg2.errors.DeadlockDetected) -> OperationalError:
    """The error SQLAlchemy raises when PostgreSQL picks this transaction to roll back."""
    return OperationalError("SELECT 1", {}, kind())


@pytest.fixture(autouse=True)
def no_pause(monkeypatch):
    monkeypatch.setattr(db, "RETRY_BASE_SECONDS", 0)


def threshold(app, user_id: int) -> int:
    return query_one(app, "SELECT low_stock_threshold FROM users WHERE id = :id", id=user_id)["low_stock_threshold"]


def failing_writer(user_id: int, failures: int, kind=psycopg2.errors.DeadlockDetected):
    """A retried writer that raises `kind` after its write the first `failures` times; it
    records each attempt."""
    attempts = []

    @db.retry_on_conflict
    def write():
        with db.transaction() as conn:
            db.execute(
                conn, "UPDATE users SET low_stock_threshold = low_stock_threshold + 1 WHERE id = :id", id=user_id
            )
            attempts.append(len(attempts) + 1)
            if len(attempts) <= failures:
                raise conflict(kind)
            return "done"

    return write, attempts


@pytest.mark.parametrize("kind", [psycopg2.errors.DeadlockDetected, psycopg2.errors.SerializationFailure])
def test_a_lost_transaction_runs_again_from_a_clean_start(app, actions, caplog, kind):
    user = actions.create_user()
    write, attempts = failing_writer(user["id"], failures=2, kind=kind)

    with app.app_context():
        assert write() == "done"

    assert attempts == [1, 2, 3]
    assert threshold(app, user["id"]) == user["low_stock_threshold"] + 1  # the failed tries left nothing
    assert len([record for record in caplog.records if "retry" in record.getMessage()]) == 2


def test_retries_run_out_as_busy_with_nothing_changed(app, actions):
    user = actions.create_user()
    write, attempts = failing_writer(user["id"], failures=db.RETRY_ATTEMPTS)

    with app.app_context(), pytest.raises(db.Busy):
        write()

    assert len(attempts) == db.RETRY_ATTEMPTS
    assert threshold(app, user["id"]) == user["low_stock_threshold"]


def test_other_database_errors_are_not_retried(app, actions):
    user = actions.create_user()
    write, attempts = failing_writer(user["id"], failures=1, kind=psycopg2.OperationalError)

    with app.app_context(), pytest.raises(OperationalError):
        write()

    assert attempts == [1]


def test_a_checkout_that_keeps_losing_says_try_again_and_charges_nothing(app, client, actions, monkeypatch):
    seller_row = actions.create_user()
    product = factories.product(app, seller_row["id"], name="Busy Lamp")
    factories.offer(app, seller_row["id"], product["id"], price="20.00", quantity=4)
    buyer = actions.signed_in_user(balance="50.00")
    actions.post("/cart/add", {"product_id": product["id"], "seller_id": seller_row["id"], "quantity": "1"})
    token = client.get("/checkout").get_data(as_text=True).split('name="token" type="hidden" value="')[1].split('"')[0]

    def deadlocked(conn, orders):
        raise conflict()

    # The last write of the checkout loses every time: the debit and order lines before it roll back.
    monkeypatch.setattr("app.models.inventory.take_stock", deadlocked)
    response = actions.post("/cart/checkout", {"token": token, "expected_total": "20.00"})

    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "please try again" in body
    assert query_one(app, "SELECT balance FROM users WHERE id = :id", id=buyer["id"])["balance"] == 50
    assert query_one(app, "SELECT count(*) AS n FROM purchases")["n"] == 0
    assert query_one(app, "SELECT quantity FROM offers WHERE product_id = :p", p=product["id"])["quantity"] == 4
    assert "Busy Lamp" in client.get("/cart").get_data(as_text=True)


def test_a_deadlock_outside_a_retried_writer_is_a_503_not_a_500(app, client, actions, monkeypatch):
    actions.signed_in_user()

    def deadlocked(seller_id, value):
        raise conflict()

    monkeypatch.setattr(seller, "update_low_stock_threshold", deadlocked)
    response = actions.post("/seller/threshold", {"low_stock_threshold": "3"})

    assert response.status_code == 503
    assert "please try again" in response.get_data(as_text=True)
