"""The seller API's order actions under real concurrency (issue 19): a ship through the API while the
buyer cancels, and two API answers to one return — exactly one wins each time, the loser gets a 409
problem, and the books and every invariant of db/check.py hold afterwards.

Outside the per-test transaction (marker `concurrency`); the tables are emptied after each test.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.models import order, purchase
from tests.api import bearer, make_token
from tests.journey import make_market, place
from tests.test_checkout_concurrency import assert_books_balance
from tests.test_order_journey_races import assert_every_invariant, fetch

pytestmark = pytest.mark.concurrency

ROUNDS = 8


def together(app, *calls):
    """Run each call on its own thread (with its own test client) released by one barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        with app.test_request_context():
            client = app.test_client()
            barrier.wait()
            try:
                return call(client)
            except (order.TransitionRefused, purchase.CancelFailed) as refusal:
                return refusal

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_an_api_ship_while_the_buyer_cancels_exactly_one_wins(app, database_url, actions):
    market = make_market(app, actions, buyer_balance="2000.00")
    sam, bea = market["sam"], market["bea"]
    token = make_token(app, sam["id"])
    wins = {"ship": 0, "cancel": 0}
    for _ in range(ROUNDS):
        purchase_id = place(app, bea, [(sam, market["lamp"], 1)])
        lamp = fetch(app, "SELECT id FROM orders WHERE purchase_id = :p", p=purchase_id)[0]["id"]
        shipped, cancelled = together(
            app,
            lambda client, lamp=lamp: client.post(
                f"/api/v1/orders/{lamp}/ship", json={"carrier": "DHL", "tracking_number": "JD1"}, headers=bearer(token)
            ),
            lambda _client, lamp=lamp, purchase_id=purchase_id: purchase.cancel_line(lamp, purchase_id, bea["id"]),
        )
        cancel_won = isinstance(cancelled, purchase.Cancelled)
        assert shipped.status_code == (409 if cancel_won else 200), shipped.get_data(as_text=True)
        if cancel_won:
            assert shipped.mimetype == "application/problem+json" and "cancelled" in shipped.get_json()["detail"]
        status = fetch(app, "SELECT status FROM orders WHERE id = :id", id=lamp)[0]["status"]
        assert status == ("cancelled" if cancel_won else "shipped")
        wins["cancel" if cancel_won else "ship"] += 1
    assert sum(wins.values()) == ROUNDS
    assert_books_balance(app)
    assert_every_invariant(database_url)


def test_two_api_answers_to_one_return_one_wins(app, database_url, actions):
    market = make_market(app, actions, buyer_balance="2000.00")
    sam, bea = market["sam"], market["bea"]
    token = make_token(app, sam["id"])
    for _ in range(ROUNDS // 2):
        purchase_id = place(app, bea, [(sam, market["mug"], 1)])
        mug = fetch(app, "SELECT id FROM orders WHERE purchase_id = :p", p=purchase_id)[0]["id"]
        with app.test_request_context():
            order.mark_shipped(sam["id"], [mug], "UPS", None)
            order.confirm_receipt(mug, purchase_id, bea["id"])
            order.request_return(mug, purchase_id, bea["id"], "Chipped.")
        accepted, refused = together(
            app,
            lambda client, mug=mug: client.post(
                f"/api/v1/orders/{mug}/return/accept", json={"restock": True}, headers=bearer(token)
            ),
            lambda client, mug=mug: client.post(
                f"/api/v1/orders/{mug}/return/refuse", json={"reason": "No."}, headers=bearer(token)
            ),
        )
        assert sorted([accepted.status_code, refused.status_code]) == [200, 409]
        status = fetch(app, "SELECT status FROM orders WHERE id = :id", id=mug)[0]["status"]
        assert status == ("refunded" if accepted.status_code == 200 else "return_refused")
    assert_books_balance(app)
    assert_every_invariant(database_url)
