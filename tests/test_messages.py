"""Buyer–seller messages about a purchase: private, chronological, never edited."""

import pytest

from tests import factories
from tests.conftest import query_one
from tests.test_reviews import XSS


@pytest.fixture
def purchase(app, actions):
    """A purchase by `buyer` with lines from `seller` and `other_seller`."""
    seller = actions.create_user(full_name="Sue Seller")
    other_seller = actions.create_user(full_name="Otto Other")
    buyer = actions.create_user(full_name="Ben Buyer", balance="100")
    with app.test_request_context():
        from app.models import cart, checkout

        for owner in (seller, other_seller):
            product = factories.product(app, owner["id"])
            factories.offer(app, owner["id"], product["id"], price="5.00")
            cart.set_line(buyer["id"], owner["id"], product["id"], 1)
        placed = checkout.place_order(buyer["id"], checkout.new_token())
    return {"id": placed.purchase_id, "seller": seller, "other_seller": other_seller, "buyer": buyer}


def thread_url(purchase, seller):
    return f"/messages/{purchase['id']}/{seller['id']}"


def test_buyer_and_seller_exchange_messages(app, client, actions, purchase):
    url = thread_url(purchase, purchase["seller"])
    actions.login(purchase["buyer"]["email"])
    assert actions.post(url, {"body": "When will it ship?"}).status_code == 302
    actions.logout()

    actions.login(purchase["seller"]["email"])
    assert 'data-testid="unread-count">1<' in client.get("/").get_data(as_text=True)
    inbox = client.get("/messages").get_data(as_text=True)
    assert "Ben Buyer" in inbox and f"purchase #{purchase['id']}" in inbox
    page = client.get(url).get_data(as_text=True)
    assert "When will it ship?" in page
    assert 'data-testid="unread-count"' not in client.get("/").get_data(as_text=True)  # opened: read
    assert actions.post(url, {"body": "Tomorrow."}).status_code == 302
    actions.logout()

    actions.login(purchase["buyer"]["email"])
    page = client.get(url).get_data(as_text=True)
    assert page.index("When will it ship?") < page.index("Tomorrow.")
    rows = query_one(app, "SELECT count(*) AS n, count(read_at) AS read FROM messages")
    assert rows["n"] == 2 and rows["read"] == 2


def test_threads_are_private_to_their_two_parties(app, client, actions, purchase):
    url = thread_url(purchase, purchase["seller"])
    actions.login(purchase["buyer"]["email"])
    actions.post(url, {"body": "Private words"})
    actions.logout()
    # The other seller of the same purchase, a stranger, and a guest see nothing.
    for who in (purchase["other_seller"], actions.create_user()):
        actions.login(who["email"])
        assert client.get(url).status_code == 404
        assert actions.post(url, {"body": "Let me in"}).status_code == 404
        assert "Private words" not in client.get("/messages").get_data(as_text=True)
        actions.logout()
    assert client.get(url).status_code == 302
    # A seller with no line in the purchase has no thread, even with the buyer.
    actions.login(purchase["buyer"]["email"])
    stranger = actions.create_user()
    assert client.get(thread_url(purchase, stranger)).status_code == 404
    assert client.get("/messages/999999999/1").status_code == 404
    assert client.get("/messages/99999999999999999999/1").status_code == 404
    assert query_one(app, "SELECT count(*) AS n FROM messages")["n"] == 1


@pytest.mark.parametrize(("body", "message"), [("", "Write a message."), ("x" * 2001, "longer than 2000")])
def test_bad_messages_are_refused(app, actions, purchase, body, message):
    actions.login(purchase["buyer"]["email"])
    response = actions.post(thread_url(purchase, purchase["seller"]), {"body": body})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert query_one(app, "SELECT count(*) AS n FROM messages")["n"] == 0


def test_message_text_is_shown_escaped(client, actions, purchase):
    url = thread_url(purchase, purchase["seller"])
    actions.login(purchase["buyer"]["email"])
    actions.post(url, {"body": XSS})
    page = client.get(url).get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_thread_page_runs_a_fixed_number_of_queries(client, actions, purchase, count_queries):
    url = thread_url(purchase, purchase["seller"])
    actions.login(purchase["buyer"]["email"])
    counts = []
    for batch in (1, 5):
        for number in range(batch):
            actions.post(url, {"body": f"Message {batch}-{number}"})
        client.get(url)
        with count_queries() as statements:
            client.get(url)
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 4


def test_the_sellers_order_list_links_to_the_thread(client, actions, purchase):
    actions.login(purchase["seller"]["email"])
    page = client.get("/seller/orders").get_data(as_text=True)
    assert f'href="/messages/{purchase["id"]}/{purchase["seller"]["id"]}"' in page
    assert client.get(f"/messages/{purchase['id']}/{purchase['seller']['id']}").status_code == 200
