"""Two gunicorn servers against one database take checkouts at once.

The app keeps no state of its own: a session signed in on one server works on the other,
and stock and money stay exact when buyers on both race for the same offer.
"""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import text

from bench.http_bench import Session, gunicorn
from tests import factories
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.concurrency

SERVER_ENV = {"SECRET_KEY": "shared-by-every-server", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}


def scalar(app, sql, **params):
    with app.extensions["bazaar_db"].engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def test_two_servers_sell_the_last_units_exactly_once(app, actions, database_url):
    seller = actions.create_user()
    product = factories.product(app, seller["id"], name="Contested Widget")
    factories.offer(app, seller["id"], product["id"], price="12.00", quantity=6)
    buyers = [actions.create_user(balance="30.00") for _ in range(12)]
    money_before = scalar(app, "SELECT sum(balance + pending_balance) FROM users")

    with gunicorn(2, database_url, SERVER_ENV) as first, gunicorn(2, database_url, SERVER_ENV) as second:
        sessions = []
        for number, buyer in enumerate(buyers):
            session = Session(first)
            session.login(buyer["email"], TEST_PASSWORD)
            status, _ = session.post(
                "/cart/add", {"product_id": product["id"], "seller_id": seller["id"], "quantity": "1", "next": "/cart"}
            )
            assert status == 200
            # Half the buyers check out on the other server with the same cookie.
            session.base = second if number % 2 else first
            page = session.page("/checkout")
            assert "Contested Widget" in page
            token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
            sessions.append((session, {"token": token, "expected_total": "12.00"}))

        barrier = threading.Barrier(len(sessions))

        def place(entry):
            session, form = entry
            barrier.wait()
            return session.post("/cart/checkout", form)

        with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
            results = list(pool.map(place, sessions))

    placed = [body for status, body in results if status == 200 and "Your order is placed" in body]
    refused = [body for status, body in results if status == 409]
    assert len(placed) == 6
    assert len(refused) == 6
    assert all("sold out" in body for body in refused)
    assert scalar(app, "SELECT quantity FROM offers WHERE product_id = :p", p=product["id"]) == 0
    assert scalar(app, "SELECT count(*) FROM purchases") == 6
    # The seller's money is held until delivery.
    assert scalar(app, "SELECT pending_balance FROM users WHERE id = :id", id=seller["id"]) == Decimal("72.00")
    assert scalar(app, "SELECT sum(balance + pending_balance) FROM users") == money_before
