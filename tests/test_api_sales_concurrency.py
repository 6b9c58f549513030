"""POST /api/v1/sales under real concurrency: requests on their own connections, committing.

Outside the per-test transaction (marker `concurrency`); the tables are emptied after each test.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from tests import factories
from tests.api import bearer, make_token

pytestmark = pytest.mark.concurrency


def fetch_one(app, sql, **params):
    with app.extensions["bazaar_db"].engine.connect() as connection:
        return connection.execute(text(sql), params).mappings().one()


def post_together(app, token, bodies_and_keys):
    """Send every POST at the same moment, each from its own thread and test client."""
    barrier = threading.Barrier(len(bodies_and_keys))

    def send(body_and_key):
        body, key = body_and_key
        client = app.test_client()
        barrier.wait()
        return client.post("/api/v1/sales", json=body, headers=bearer(token) | {"Idempotency-Key": key})

    with ThreadPoolExecutor(max_workers=len(bodies_and_keys)) as pool:
        return list(pool.map(send, bodies_and_keys))


@pytest.fixture
def last_five(app, actions):
    """A seller whose offer has 5 units left, and their orders token."""
    seller_id = actions.create_user()["id"]
    product = factories.product(app, seller_id)
    factories.offer(app, seller_id, product["id"], quantity=5)
    return {"seller_id": seller_id, "product_id": product["id"], "token": make_token(app, seller_id, scopes=["orders"])}


def stock_and_events(app, seller_id, product_id):
    return fetch_one(
        app,
        """
        SELECT o.quantity,
               (SELECT sum(delta) FROM inventory_events AS e
                WHERE e.seller_id = o.seller_id AND e.product_id = o.product_id) AS events_total,
               (SELECT count(*) FROM offline_sales AS s
                WHERE s.seller_id = o.seller_id AND s.product_id = o.product_id) AS sales
        FROM offers AS o WHERE o.seller_id = :s AND o.product_id = :p
        """,
        s=seller_id,
        p=product_id,
    )


def test_twenty_sales_of_the_last_five_units_sell_exactly_five(app, last_five):
    body = {"product_id": last_five["product_id"], "quantity": 1}
    responses = post_together(app, last_five["token"], [(body, f"race-{n}") for n in range(20)])
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 5 + [409] * 15, [r.get_data(as_text=True) for r in responses if r.status_code >= 500]
    state = stock_and_events(app, last_five["seller_id"], last_five["product_id"])
    assert (state["quantity"], state["events_total"], state["sales"]) == (0, 0, 5)
    winner = next(n for n, response in enumerate(responses) if response.status_code == 201)
    replay = app.test_client().post(
        "/api/v1/sales", json=body, headers=bearer(last_five["token"]) | {"Idempotency-Key": f"race-{winner}"}
    )
    assert replay.status_code == 201 and replay.get_json() == responses[winner].get_json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert stock_and_events(app, last_five["seller_id"], last_five["product_id"])["sales"] == 5


def test_the_same_key_sent_ten_times_at_once_sells_once(app, last_five):
    body = {"product_id": last_five["product_id"], "quantity": 2}
    responses = post_together(app, last_five["token"], [(body, "same-key")] * 10)
    assert {response.status_code for response in responses} == {201}
    assert len({response.get_json()["id"] for response in responses}) == 1
    assert sum("Idempotent-Replayed" not in response.headers for response in responses) == 1
    state = stock_and_events(app, last_five["seller_id"], last_five["product_id"])
    assert (state["quantity"], state["events_total"], state["sales"]) == (3, 3, 1)
