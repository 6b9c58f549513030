"""Product and seller reviews, helpful votes and the user's own reviews."""

from decimal import Decimal

import pytest

from tests import factories
from tests.conftest import query_one

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def market(app, actions):
    """A seller, a product they sell, and a buyer who bought it (not signed in yet)."""
    seller = actions.create_user(full_name="Sally Seller")
    product = factories.product(app, seller["id"], name="Walking Boots")
    factories.offer(app, seller["id"], product["id"], price="40.00", quantity=20)
    buyer = actions.create_user(full_name="Bert Buyer", balance="200")
    with app.test_request_context():
        from app.models import cart, checkout

        cart.set_line(buyer["id"], seller["id"], product["id"], 1)
        checkout.place_order(buyer["id"], checkout.new_token())
    return {"seller": seller, "product": product, "buyer": buyer}


REVIEW = {"rating": "4", "title": "Comfortable", "body": "Good boots.\nWarm too."}


def product_review(app, product_id, author_id):
    return query_one(
        app, "SELECT * FROM product_reviews WHERE product_id = :p AND author_id = :a", p=product_id, a=author_id
    )


def test_write_edit_and_delete_a_product_review(app, client, actions, market):
    actions.login(market["buyer"]["email"])
    url = f"/products/{market['product']['id']}/review"
    assert client.get(url).status_code == 200
    response = actions.post(url, REVIEW)
    assert response.status_code == 302
    row = product_review(app, market["product"]["id"], market["buyer"]["id"])
    assert row["rating"] == 4 and row["body"] == "Good boots.\nWarm too."
    summary = query_one(app, "SELECT rating_count, rating_avg FROM products WHERE id = :p", p=market["product"]["id"])
    assert summary["rating_count"] == 1 and summary["rating_avg"] == Decimal("4.00")

    assert "Comfortable" in client.get(url).get_data(as_text=True)  # the form shows the review to edit
    assert actions.post(url, REVIEW | {"rating": "2", "title": "Worn out"}).status_code == 302
    row = product_review(app, market["product"]["id"], market["buyer"]["id"])
    assert row["rating"] == 2 and row["title"] == "Worn out"
    assert query_one(app, "SELECT count(*) AS n FROM product_reviews")["n"] == 1

    assert actions.post(f"{url}/delete").status_code == 302
    assert product_review(app, market["product"]["id"], market["buyer"]["id"]) is None
    summary = query_one(app, "SELECT rating_count, rating_avg FROM products WHERE id = :p", p=market["product"]["id"])
    assert summary["rating_count"] == 0 and summary["rating_avg"] is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rating": ""}, "Choose a rating from 1 to 5 stars."),
        ({"rating": "6"}, "Choose a rating from 1 to 5 stars."),
        ({"rating": "0"}, "Choose a rating from 1 to 5 stars."),
        ({"rating": "abc"}, "Choose a rating from 1 to 5 stars."),
        ({"title": ""}, "Give your review a title."),
        ({"title": "x" * 121}, "Field cannot be longer than 120 characters."),
        ({"body": "   "}, "Write a few words."),
        ({"body": "x" * 5001}, "Field cannot be longer than 5000 characters."),
    ],
)
def test_bad_reviews_are_refused(app, actions, market, changes, message):
    actions.login(market["buyer"]["email"])
    response = actions.post(f"/products/{market['product']['id']}/review", REVIEW | changes)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert product_review(app, market["product"]["id"], market["buyer"]["id"]) is None


def test_review_pages_need_sign_in_and_a_real_product(client, actions, market):
    assert client.get(f"/products/{market['product']['id']}/review").status_code == 302
    assert actions.post(f"/products/{market['product']['id']}/review", REVIEW).status_code == 302
    actions.login(market["buyer"]["email"])
    assert client.get("/products/999999999/review").status_code == 404
    assert client.get("/products/99999999999999999999/review").status_code == 404
    assert actions.post("/products/999999999/review/delete").status_code == 404


def test_anyone_signed_in_may_review_a_product_but_only_shipped_buyers_are_verified(app, client, actions, market):
    actions.signed_in_user(full_name="Window Shopper")
    assert (
        actions.post(f"/products/{market['product']['id']}/review", REVIEW | {"title": "Looks nice"}).status_code == 302
    )
    actions.logout()
    actions.login(market["buyer"]["email"])
    actions.post(f"/products/{market['product']['id']}/review", REVIEW | {"title": "Bought them"})
    with app.test_request_context():
        from app.models import order, review

        def verified():
            rows = review.list_reviews("product", market["product"]["id"], None, {"sort": "newest"}, 10, 0)
            return {row["title"]: row["verified"] for row in rows}

        assert verified() == {"Looks nice": False, "Bought them": False}  # bought, not shipped yet
        line = query_one(app, "SELECT id FROM orders WHERE buyer_id = :id", id=market["buyer"]["id"])
        order.mark_fulfilled(market["seller"]["id"], [line["id"]])
        assert verified() == {"Looks nice": False, "Bought them": True}


def test_text_is_stored_as_typed_and_shown_escaped(app, client, actions, market):
    actions.login(market["buyer"]["email"])
    actions.post(f"/products/{market['product']['id']}/review", REVIEW | {"title": XSS, "body": XSS})
    assert product_review(app, market["product"]["id"], market["buyer"]["id"])["title"] == XSS
    page = client.get("/account/reviews").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_only_buyers_may_review_a_seller_once(app, client, actions, market):
    url = f"/users/{market['seller']['id']}/review"
    stranger = actions.signed_in_user()
    response = actions.post(url, REVIEW)
    assert response.status_code == 403
    assert "Only buyers of this seller" in response.get_data(as_text=True)
    actions.logout()
    actions.login(market["seller"]["email"])
    assert actions.post(url, REVIEW).status_code == 403  # not oneself
    actions.logout()
    actions.login(market["buyer"]["email"])
    assert actions.post(url, REVIEW).status_code == 302
    assert actions.post(url, REVIEW | {"rating": "5"}).status_code == 302  # edits, never a second
    rows = query_one(app, "SELECT count(*) AS n, max(rating) AS rating FROM seller_reviews")
    assert rows["n"] == 1 and rows["rating"] == 5
    seller = query_one(
        app, "SELECT seller_rating_count, seller_rating_sum FROM users WHERE id = :id", id=market["seller"]["id"]
    )
    assert seller["seller_rating_count"] == 1 and seller["seller_rating_sum"] == 5
    page = client.get(f"/users/{market['seller']['id']}/reviews").get_data(as_text=True)
    assert "Comfortable" in page and "Verified purchase" in page
    assert stranger["id"]


def test_helpful_votes_count_once_never_own_and_can_be_taken_back(app, client, actions, market):
    actions.login(market["buyer"]["email"])
    actions.post(f"/products/{market['product']['id']}/review", REVIEW)
    review_id = product_review(app, market["product"]["id"], market["buyer"]["id"])["id"]
    vote_url = f"/reviews/product/{review_id}/vote"
    response = actions.post(vote_url, {"helpful": "1"})
    assert response.status_code == 403
    assert "your own review" in response.get_data(as_text=True)
    actions.logout()
    actions.signed_in_user()
    for _ in range(3):  # replays change nothing
        assert actions.post(vote_url, {"helpful": "1", "next": "/account/reviews"}).status_code == 302
    assert product_review(app, market["product"]["id"], market["buyer"]["id"])["helpful_count"] == 1
    assert actions.post(vote_url, {"helpful": "0"}).status_code == 302
    assert product_review(app, market["product"]["id"], market["buyer"]["id"])["helpful_count"] == 0
    assert actions.post(vote_url, {"helpful": "maybe"}).status_code == 400
    assert actions.post("/reviews/product/999999999/vote", {"helpful": "1"}).status_code == 404
    assert actions.post("/reviews/evil/1/vote", {"helpful": "1"}).status_code == 404
    assert client.post(vote_url, data={"helpful": "1"}).status_code == 400  # no CSRF token


def test_guests_cannot_vote_or_review(client, actions, market):
    assert actions.post("/reviews/product/1/vote", {"helpful": "1"}).status_code == 302
    assert actions.post(f"/users/{market['seller']['id']}/review", REVIEW).status_code == 302


def test_default_order_puts_the_three_most_helpful_first(app, actions, market):
    voters = [actions.create_user() for _ in range(4)]
    ids = []
    with app.test_request_context():
        from app.models import review

        for number in range(6):
            author = actions.create_user()
            review.save_review("product", market["product"]["id"], author["id"], 5, f"Review {number}", "Text")
            ids.append(review.get_own_review("product", market["product"]["id"], author["id"])["id"])
        for votes, review_id in zip([1, 4, 0, 2, 0, 0], ids, strict=True):
            for voter in voters[:votes]:
                review.vote("product", review_id, voter["id"], True)
        rows = review.list_reviews("product", market["product"]["id"], None, {"sort": "helpful"}, 10, 0)
    titles = [row["title"] for row in rows]
    assert titles[:3] == ["Review 1", "Review 3", "Review 0"]
    assert titles[3:] == ["Review 5", "Review 4", "Review 2"]  # then newest first


def test_my_reviews_lists_both_kinds_newest_first(app, client, actions, market):
    actions.login(market["buyer"]["email"])
    actions.post(f"/products/{market['product']['id']}/review", REVIEW | {"title": "About boots"})
    # The test runs in one transaction, where now() stands still: age the first review.
    query_one(app, "UPDATE product_reviews SET created_at = now() - interval '1 hour' RETURNING 1")
    actions.post(f"/users/{market['seller']['id']}/review", REVIEW | {"title": "About Sally"})
    page = client.get("/account/reviews").get_data(as_text=True)
    assert page.index("About Sally") < page.index("About boots")
    assert "2 reviews" in page


def test_seller_reviews_page_filters_and_survives_bad_parameters(client, actions, market):
    for query in ["stars=5", "stars=9", "review_sort=evil", "page=-1", "review_sort=lowest&stars=abc"]:
        assert client.get(f"/users/{market['seller']['id']}/reviews?{query}").status_code == 200
    assert client.get("/users/999999999/reviews").status_code == 404


def test_the_sellers_public_profile_shows_their_reviews(app, client, actions, market):
    actions.login(market["buyer"]["email"])
    profile = client.get(f"/users/{market['seller']['id']}").get_data(as_text=True)
    assert "Review this seller" in profile
    actions.post(f"/users/{market['seller']['id']}/review", REVIEW | {"title": "Lovely seller"})
    actions.logout()
    profile = client.get(f"/users/{market['seller']['id']}").get_data(as_text=True)
    assert "Lovely seller" in profile and "Verified purchase" in profile
    assert "Review this seller" not in profile  # guests cannot
    # The reviews page with their own parameter, so they never move the list of what is sold.
    for query in ["reviews_page=2", "reviews_page=-1&page=3", "stars=1"]:
        assert client.get(f"/users/{market['seller']['id']}?{query}").status_code == 200


def test_helpful_order_pages_without_gaps_or_repeats_and_respects_the_star_filter(app, actions, market):
    from app.models import review

    voter = actions.create_user()
    with app.test_request_context():
        for number in range(12):
            author = actions.create_user()
            review.save_review("product", market["product"]["id"], author["id"], 1 + number % 5, f"R{number}", "Text")
            if number in (2, 7):
                review_id = review.get_own_review("product", market["product"]["id"], author["id"])["id"]
                review.vote("product", review_id, voter["id"], True)
        whole = review.list_reviews("product", market["product"]["id"], None, {"sort": "helpful"}, 20, 0)
        pages = [
            review.list_reviews("product", market["product"]["id"], None, {"sort": "helpful"}, 5, offset)
            for offset in (0, 5, 10)
        ]
        three_stars = review.list_reviews(
            "product", market["product"]["id"], None, {"sort": "helpful", "stars": 3}, 20, 0
        )
    titles = [row["title"] for row in whole]
    assert titles[:2] == ["R7", "R2"]  # equally helpful and equally new: the later review first
    assert [row["title"] for page in pages for row in page] == titles
    assert len(set(titles)) == 12
    assert [row["title"] for row in three_stars] == ["R7", "R2"]  # both rated 3 stars


def test_a_reviews_shared_head_follows_edits_and_each_viewer_keeps_their_own_vote_form(app, client, actions, market):
    page_url = f"/products/{market['product']['id']}"
    actions.login(market["buyer"]["email"])
    assert actions.post(f"{page_url}/review", REVIEW).status_code == 302
    own_view = client.get(page_url).get_data(as_text=True)
    assert "Comfortable" in own_view and "found this helpful" in own_view
    assert "/vote" not in own_view  # no vote on one's own review
    actions.logout()

    viewer = actions.create_user(full_name="Vera Viewer")
    actions.login(viewer["email"])
    page = client.get(page_url).get_data(as_text=True)
    assert "Comfortable" in page and "Bert Buyer" in page and "/vote" in page  # the same head, their form

    query_one(app, "UPDATE users SET full_name = 'Bertha Buyer' WHERE id = :id RETURNING id", id=market["buyer"]["id"])
    query_one(
        app,
        "UPDATE product_reviews SET title = 'Worn out', body = 'Soles gone.' WHERE author_id = :a RETURNING id",
        a=market["buyer"]["id"],
    )
    page = client.get(page_url).get_data(as_text=True)
    assert "Worn out" in page and "Soles gone." in page and "Bertha Buyer" in page
    assert "Comfortable" not in page and "Good boots." not in page
