"""Helpful votes raced and replayed on real connections never count a user twice."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from app.models import review
from tests import factories

pytestmark = pytest.mark.concurrency


def test_racing_and_replayed_votes_count_each_user_once(app, actions):
    seller = actions.create_user()
    product = factories.product(app, seller["id"])
    author = actions.create_user()
    voters = [actions.create_user() for _ in range(5)]
    with app.app_context():
        review.save_review("product", product["id"], author["id"], 5, "Great", "Really")
        review_id = review.get_own_review("product", product["id"], author["id"])["id"]

    jobs = [voter["id"] for voter in voters for _ in range(4)]  # every voter clicks four times at once
    barrier = threading.Barrier(len(jobs))

    def click(voter_id):
        with app.app_context():
            barrier.wait()
            review.vote("product", review_id, voter_id, True)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        list(pool.map(click, jobs))

    with app.extensions["bazaar_db"].engine.connect() as connection:
        count = connection.execute(text("SELECT helpful_count FROM product_reviews WHERE id = :id"), {"id": review_id})
        votes = connection.execute(
            text("SELECT count(*) FROM product_review_votes WHERE review_id = :id"), {"id": review_id}
        )
        assert count.scalar() == 5
        assert votes.scalar() == 5
