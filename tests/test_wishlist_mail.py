"""Wishlist news by e-mail: opted-in owners hear of a lower price or a return to stock, once a day
per item at most, through the outbox; the watch job also marks products seen out of stock."""

import pytest

from app import db, wishlist_mail
from tests import factories
from tests.conftest import query_one
from tests.test_wishlist import set_offer, shop  # noqa: F401 - the fixture is used by name


def run_watch(app) -> list[dict]:
    """Run the job once, as the worker does (one transaction); return the wishlist mails it queued."""
    with app.test_request_context():
        before = db.value("SELECT coalesce(max(id), 0) FROM mail_outbox")
        with db.transaction() as conn:
            wishlist_mail.watch(conn, {})
        return [
            dict(row)
            for row in db.all(
                "SELECT recipient, subject, text_body, html_body FROM mail_outbox"
                " WHERE id > :before AND template = 'wishlist_news' ORDER BY id",
                before=before,
            )
        ]


@pytest.fixture
def owner(app, actions, shop):  # noqa: F811
    """A buyer who keeps the lamp and the sold-out mug on their wishlist and asked for the e-mails."""
    buyer = actions.signed_in_user(full_name="Wendy Wisher")
    for product in (shop["lamp"], shop["mug"]):
        actions.post("/account/wishlist/add", {"product_id": product["id"]})
    actions.post("/account/wishlist/alerts", {"alerts": "y"})
    return buyer


def test_a_price_drop_and_a_return_to_stock_make_one_mail(app, owner, shop):  # noqa: F811
    assert run_watch(app) == []  # nothing new since opting in
    set_offer(app, shop["lamp"]["id"], shop["other"]["id"], price="19.00")
    set_offer(app, shop["mug"]["id"], shop["seller"]["id"], quantity=4)
    [sent] = run_watch(app)
    assert sent["recipient"] == owner["email"]
    assert "Desk Lamp: now $19.00, was $22.00" in sent["text_body"]
    assert "Coffee Mug: back in stock at $8.50" in sent["text_body"]
    assert "/account/wishlist" in sent["text_body"]
    assert run_watch(app) == []  # told once


def test_at_most_one_mail_per_item_per_day(app, owner, shop):  # noqa: F811
    set_offer(app, shop["lamp"]["id"], shop["other"]["id"], price="19.00")
    assert len(run_watch(app)) == 1
    set_offer(app, shop["lamp"]["id"], shop["other"]["id"], price="15.00")
    assert run_watch(app) == []  # within the day: waits
    query_one(
        app,
        "UPDATE wishlist_items SET alerted_at = alerted_at - interval '25 hours' WHERE user_id = :u RETURNING 1",
        u=owner["id"],
    )
    [sent] = run_watch(app)
    assert "now $15.00, was $19.00" in sent["text_body"]


def test_a_rise_moves_the_baseline_quietly(app, owner, shop):  # noqa: F811
    set_offer(app, shop["lamp"]["id"], shop["other"]["id"], price="30.00")
    set_offer(app, shop["lamp"]["id"], shop["seller"]["id"], price="35.00")
    assert run_watch(app) == []
    set_offer(app, shop["lamp"]["id"], shop["other"]["id"], price="28.00")
    [sent] = run_watch(app)
    assert "now $28.00, was $30.00" in sent["text_body"]


def test_nobody_is_mailed_without_opting_in(app, actions, shop):  # noqa: F811
    actions.signed_in_user()
    actions.post("/account/wishlist/add", {"product_id": shop["lamp"]["id"]})
    set_offer(app, shop["lamp"]["id"], shop["other"]["id"], price="1.00")
    assert run_watch(app) == []


def test_the_job_marks_products_seen_out_of_stock_for_back_in_stock(app, client, actions, shop):  # noqa: F811
    buyer = actions.signed_in_user()
    actions.post("/account/wishlist/add", {"product_id": shop["lamp"]["id"]})
    assert (
        query_one(app, "SELECT seen_out_at FROM wishlist_items WHERE user_id = :u", u=buyer["id"])["seen_out_at"]
        is None
    )
    for seller in (shop["seller"], shop["other"]):
        set_offer(app, shop["lamp"]["id"], seller["id"], quantity=0)
    run_watch(app)
    assert (
        query_one(app, "SELECT seen_out_at FROM wishlist_items WHERE user_id = :u", u=buyer["id"])["seen_out_at"]
        is not None
    )
    set_offer(app, shop["lamp"]["id"], shop["seller"]["id"], quantity=3)
    assert 'data-testid="back-in-stock"' in client.get("/account/wishlist").get_data(as_text=True)


def test_the_job_is_registered_for_the_worker(app):
    from app import jobs, worker

    worker.load_handlers()
    assert "wishlist.watch" in jobs.SCHEDULES


def test_the_items_wishlist_text_is_escaped(app, actions, shop):  # noqa: F811
    product = factories.product(app, shop["seller"]["id"], name="<b>Bold</b> Lamp")
    factories.offer(app, shop["seller"]["id"], product["id"], price="9.00", quantity=0)
    actions.signed_in_user()
    actions.post("/account/wishlist/add", {"product_id": product["id"]})
    actions.post("/account/wishlist/alerts", {"alerts": "y"})
    set_offer(app, product["id"], shop["seller"]["id"], quantity=2)
    [sent] = run_watch(app)
    assert "&lt;b&gt;Bold&lt;/b&gt; Lamp" in sent["html_body"] and "<b>Bold" not in sent["html_body"]
