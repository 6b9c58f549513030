"""Deleting a message thread for oneself: the other party still sees it; a new message brings it back."""

import pytest

from tests.conftest import query_one
from tests.test_messages import purchase, thread_url  # noqa: F401 - the fixture is used by name


def inbox(client) -> str:
    return client.get("/messages").get_data(as_text=True)


def test_a_deleted_thread_leaves_only_ones_own_inbox_until_a_new_message(app, client, actions, purchase):  # noqa: F811
    url = thread_url(purchase, purchase["seller"])
    actions.login(purchase["buyer"]["email"])
    actions.post(url, {"body": "When will it ship?"})
    actions.logout()
    actions.login(purchase["seller"]["email"])
    assert 'data-testid="unread-count">1<' in client.get("/").get_data(as_text=True)
    response = actions.post(f"{url}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith("/messages")
    page = inbox(client)
    assert "Ben Buyer" not in page and "No messages" in page
    assert 'data-testid="unread-count"' not in client.get("/").get_data(as_text=True)  # read when deleted
    assert actions.post(f"{url}/delete").status_code == 302  # twice: still hidden, no error
    actions.logout()
    # The buyer still sees it, and writes again.
    actions.login(purchase["buyer"]["email"])
    assert "Sue Seller" in inbox(client)
    actions.post(url, {"body": "Hello again?"})
    actions.logout()
    actions.login(purchase["seller"]["email"])
    page = inbox(client)
    assert "Ben Buyer" in page and "2 messages" in page
    assert "When will it ship?" in client.get(url).get_data(as_text=True)  # the whole thread is back


def test_others_cannot_delete_a_thread(app, client, actions, purchase):  # noqa: F811
    url = thread_url(purchase, purchase["seller"])
    actions.login(purchase["buyer"]["email"])
    actions.post(url, {"body": "Hi"})
    actions.logout()
    for who in (purchase["other_seller"], actions.create_user()):
        actions.login(who["email"])
        assert actions.post(f"{url}/delete").status_code == 404
        actions.logout()
    assert query_one(app, "SELECT count(*) AS n FROM hidden_threads")["n"] == 0
    assert "/login" in actions.post(f"{url}/delete").headers["Location"]


def test_an_empty_thread_or_a_missing_token_changes_nothing(app, client, actions, purchase):  # noqa: F811
    url = thread_url(purchase, purchase["seller"])
    actions.login(purchase["buyer"]["email"])
    assert actions.post(f"{url}/delete").status_code == 404  # no message yet: nothing to delete
    actions.post(url, {"body": "Hi"})
    assert client.post(f"{url}/delete").status_code == 400
    assert query_one(app, "SELECT count(*) AS n FROM hidden_threads")["n"] == 0


@pytest.mark.parametrize("path", ["/messages/0/0/delete", "/messages/99999999999999999999/1/delete"])
def test_bad_ids_are_404(actions, path):
    actions.signed_in_user()
    assert actions.post(path).status_code == 404


def test_the_inbox_runs_a_fixed_number_of_queries(app, client, actions, purchase, count_queries):  # noqa: F811
    actions.login(purchase["buyer"]["email"])
    actions.post(thread_url(purchase, purchase["seller"]), {"body": "One"})
    with count_queries() as few:
        inbox(client)
    actions.post(thread_url(purchase, purchase["other_seller"]), {"body": "Two"})
    actions.post(f"{thread_url(purchase, purchase['seller'])}/delete")
    with count_queries() as many:
        page = inbox(client)
    assert "Otto Other" in page and "Sue Seller" not in page
    assert len(few) == len(many) <= 3
