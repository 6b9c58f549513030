"""Reviews: reports, hiding and restoring (averages follow), review integrity (no seller reviews
their own product, verified only once shipped); feedback; searches that found nothing; the audit
log (append-only, filters, CSV); and every console form against missing CSRF and hostile input."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests import factories
from tests.conftest import Actions, csrf_token, query_one
from tests.sales import buy
from tests.test_admin import ACCESS, _path, console_rules, make_staff
from tests.test_admin import world as world  # noqa: F401, PLC0414 - the shared fixture
from tests.test_admin_users import audit_rows


def rating(app, product_id):
    return query_one(app, "SELECT rating_count, rating_sum, rating_avg FROM products WHERE id = :id", id=product_id)


@pytest.fixture
def reviewed(app, actions):
    """A product with two buyers' reviews (5 and 1 stars), the second reported; a moderator."""
    seller = actions.create_user(full_name="Sue Seller")
    category = factories.category(app)
    product = factories.product(app, seller["id"], category["id"], name="Tea Cosy")
    factories.offer(app, seller["id"], product["id"], price="12.00", quantity=20)
    fan, hater = actions.create_user(balance="100"), actions.create_user(balance="100", full_name="Hal Hater")
    for buyer in (fan, hater):
        buy(app, buyer, [(seller, product, category, 1)], datetime.now(UTC) - timedelta(days=1))
    good = factories.product_review(app, product["id"], fan["id"], rating=5, title="Lovely")
    bad = factories.product_review(app, product["id"], hater["id"], rating=1, title="BUY FROM MY SHOP", body="spam")
    reporter = Actions(app, app.test_client())
    reporter.login(fan["email"])
    moderator, moderator_user = make_staff(app, "moderator")
    return {
        "product": product,
        "seller": seller,
        "fan": fan,
        "hater": hater,
        "good": good,
        "bad": bad,
        "reporter": reporter,
        "moderator": moderator,
        "moderator_user": moderator_user,
    }


def test_a_report_reaches_the_moderators_and_hiding_takes_the_review_out_of_the_average(app, client, reviewed):
    product_id, bad = reviewed["product"]["id"], reviewed["bad"]
    assert rating(app, product_id) == {"rating_count": 2, "rating_sum": 6, "rating_avg": Decimal("3.00")}
    url = f"/reviews/product/{bad['id']}/report"
    assert reviewed["reporter"].client.get(url).status_code == 200
    response = reviewed["reporter"].post(url, {"reason": "spam", "details": "An advert."})
    assert response.status_code == 302
    again = reviewed["reporter"].post(url, {"reason": "spam"})
    assert again.status_code == 302  # told it is reported already; still one report
    assert query_one(app, "SELECT count(*) AS n FROM review_reports")["n"] == 1

    queue = reviewed["moderator"].client.get("/admin/reviews").get_data(as_text=True)
    assert "BUY FROM MY SHOP" in queue and "Spam or advertising" in queue
    hide = reviewed["moderator"].post(f"/admin/reviews/product/{bad['id']}/hide", {"reason": "Advertising"})
    assert hide.status_code == 302
    assert rating(app, product_id) == {"rating_count": 1, "rating_sum": 5, "rating_avg": Decimal("5.00")}
    assert query_one(app, "SELECT resolution FROM review_reports")["resolution"] == "hidden"
    assert "BUY FROM MY SHOP" not in client.get(f"/products/{product_id}").get_data(as_text=True)
    author = Actions(app, app.test_client())
    author.login(reviewed["hater"]["email"])
    mine = author.client.get("/account/reviews").get_data(as_text=True)
    assert "BUY FROM MY SHOP" in mine and "Advertising" in mine
    assert audit_rows(app, "review.hide", bad["id"])["reason"] == "Advertising"
    # Its author editing it changes nothing in the average.
    author.post(f"/products/{product_id}/review", {"rating": "2", "title": "Edited", "body": "Still spam"})
    assert rating(app, product_id)["rating_count"] == 1

    reviewed["moderator"].post(f"/admin/reviews/product/{bad['id']}/restore", {"reason": "Appeal accepted"})
    assert rating(app, product_id) == {"rating_count": 2, "rating_sum": 7, "rating_avg": Decimal("3.50")}
    assert audit_rows(app, "review.restore", bad["id"])["n"] == 1


def test_dismissing_reports_keeps_the_review(app, reviewed):
    bad = reviewed["bad"]
    reviewed["reporter"].post(f"/reviews/product/{bad['id']}/report", {"reason": "offensive"})
    response = reviewed["moderator"].post(f"/admin/reviews/product/{bad['id']}/dismiss", {"reason": "Harsh, not rude"})
    assert response.status_code == 302
    assert query_one(app, "SELECT resolution FROM review_reports")["resolution"] == "dismissed"
    assert rating(app, reviewed["product"]["id"])["rating_count"] == 2
    open_queue = reviewed["moderator"].client.get("/admin/reviews").get_data(as_text=True)
    assert "BUY FROM MY SHOP" not in open_queue
    assert "BUY FROM MY SHOP" in reviewed["moderator"].client.get("/admin/reviews?state=dismissed").get_data(
        as_text=True
    )


def test_hiding_a_seller_review_takes_it_out_of_the_sellers_rating(app, reviewed):
    from app.models import review

    with app.test_request_context():
        review.save_review("seller", reviewed["seller"]["id"], reviewed["hater"]["id"], 1, "Awful", "Bad.")
    row = query_one(app, "SELECT id FROM seller_reviews WHERE author_id = :id", id=reviewed["hater"]["id"])
    reviewed["moderator"].post(f"/admin/reviews/seller/{row['id']}/hide", {"reason": "Abuse"})
    counts = query_one(
        app, "SELECT seller_rating_count, seller_rating_sum FROM users WHERE id = :id", id=reviewed["seller"]["id"]
    )
    assert counts == {"seller_rating_count": 0, "seller_rating_sum": 0}


def test_nobody_reports_their_own_or_a_hidden_review(app, reviewed):
    own = Actions(app, app.test_client())
    own.login(reviewed["hater"]["email"])
    assert own.post(f"/reviews/product/{reviewed['bad']['id']}/report", {"reason": "spam"}).status_code == 403
    bad_reason = reviewed["reporter"].post(f"/reviews/product/{reviewed['bad']['id']}/report", {"reason": "boring"})
    assert bad_reason.status_code == 400 and "Choose a reason." in bad_reason.get_data(as_text=True)
    reviewed["moderator"].post(f"/admin/reviews/product/{reviewed['bad']['id']}/hide", {"reason": "Spam"})
    assert reviewed["reporter"].client.get(f"/reviews/product/{reviewed['bad']['id']}/report").status_code == 404
    assert reviewed["reporter"].client.get("/reviews/product/999999999/report").status_code == 404


def test_a_seller_cannot_review_a_product_they_created_or_offer_nor_themselves(app, actions, reviewed):
    product_id = reviewed["product"]["id"]
    creator = Actions(app, app.test_client())
    creator.login(reviewed["seller"]["email"])
    assert creator.client.get(f"/products/{product_id}/review").status_code == 403
    response = creator.post(f"/products/{product_id}/review", {"rating": "5", "title": "Best", "body": "Mine!"})
    assert response.status_code == 403
    assert "cannot review it" in creator.client.get(f"/products/{product_id}").get_data(as_text=True)
    assert creator.client.get(f"/users/{reviewed['seller']['id']}/review").status_code == 403

    rival = actions.create_user()
    factories.offer(app, rival["id"], product_id, price="11.00")
    seller = Actions(app, app.test_client())
    seller.login(rival["email"])
    assert (
        seller.post(f"/products/{product_id}/review", {"rating": "1", "title": "Bad", "body": "Buy mine"}).status_code
        == 403
    )
    assert rating(app, product_id)["rating_count"] == 2
    # Even straight through the model: the condition is part of the INSERT.
    from app.models import review

    with app.test_request_context(), pytest.raises(review.ReviewRefused):
        review.save_review("product", product_id, rival["id"], 1, "Bad", "Buy mine")


def test_verified_purchase_only_once_shipped_and_others_can_be_filtered_out(app, client, actions, reviewed):
    from app.models import order

    product_id = reviewed["product"]["id"]
    passer_by = actions.create_user()
    factories.product_review(app, product_id, passer_by["id"], rating=3, title="Saw it in a shop")
    page = client.get(f"/products/{product_id}").get_data(as_text=True)
    assert "Verified purchase</span>" not in page  # bought, not shipped
    assert page.count("Not a verified purchase") == 3
    line = query_one(app, "SELECT id FROM orders WHERE buyer_id = :id", id=reviewed["fan"]["id"])
    with app.test_request_context():
        order.mark_fulfilled(reviewed["seller"]["id"], [line["id"]])
    page = client.get(f"/products/{product_id}").get_data(as_text=True)
    assert page.count("Not a verified purchase") == 2
    verified = client.get(f"/products/{product_id}?verified=1").get_data(as_text=True)
    assert "Lovely" in verified and "Saw it in a shop" not in verified and "BUY FROM MY SHOP" not in verified
    assert "Lovely" in client.get(f"/products/{product_id}?verified=1&stars=5").get_data(as_text=True)
    assert "No reviews from verified purchases" in client.get(f"/products/{product_id}?verified=1&stars=1").get_data(
        as_text=True
    )


def test_feedback_is_sent_answered_and_the_answer_shown(app, actions):
    user = actions.create_user(full_name="Fay Feedback")
    sender = Actions(app, app.test_client())
    sender.login(user["email"])
    assert sender.client.get("/feedback?from=/products").status_code == 200
    assert sender.client.get("/feedback").status_code == 200
    bad = sender.post("/feedback", {"kind": "rant", "subject": "", "body": ""})
    assert bad.status_code == 400 and "Choose suggestion or problem." in bad.get_data(as_text=True)
    sent = sender.post(
        "/feedback", {"kind": "problem", "subject": "Checkout", "body": "It hung.", "page": "//evil.example"}
    )
    assert sent.status_code == 302
    row = query_one(app, "SELECT id, page FROM feedback WHERE user_id = :id", id=user["id"])
    assert row["page"] == ""  # only a path on this site is kept
    assert Actions(app, app.test_client()).client.get("/feedback").status_code == 302  # sign in first

    moderator, _ = make_staff(app, "moderator")
    assert "It hung." in moderator.client.get("/admin/feedback").get_data(as_text=True)
    empty = moderator.post(f"/admin/feedback/{row['id']}/close", {"response": ""})
    assert empty.status_code == 400
    moderator.post(f"/admin/feedback/{row['id']}/close", {"response": "Fixed in the last release."})
    assert "Fixed in the last release." in sender.client.get("/feedback").get_data(as_text=True)
    assert audit_rows(app, "feedback.close", row["id"])["n"] == 1
    moderator.post(f"/admin/feedback/{row['id']}/reopen")
    assert query_one(app, "SELECT closed_at FROM feedback WHERE id = :id", id=row["id"])["closed_at"] is None
    assert moderator.client.get("/admin/feedback?format=csv").mimetype == "text/csv"


def test_feedback_is_limited_per_account_with_a_friendly_429(app, actions, monkeypatch):
    from app.models import feedback, rate_limit

    monkeypatch.setattr(feedback, "PER_ACCOUNT", rate_limit.Limit("feedback", 2, 60 * 60))
    sender = Actions(app, app.test_client())
    sender.login(actions.create_user()["email"])
    message = {"kind": "problem", "subject": "Search", "body": "Slow again."}
    assert [sender.post("/feedback", message).status_code for _ in range(2)] == [302, 302]
    refused = sender.post("/feedback", message | {"subject": "Third time"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "You have sent a lot of feedback in the last hour. Please wait" in page and 'value="Third time"' in page
    assert query_one(app, "SELECT count(*) AS n FROM feedback")["n"] == 2
    other = Actions(app, app.test_client())  # the limit is the account's, not everyone's
    other.login(actions.create_user()["email"])
    assert other.post("/feedback", message).status_code == 302


def test_review_reports_are_limited_per_account_with_a_friendly_429(app, actions, reviewed, monkeypatch):
    from app.models import rate_limit, review_report

    monkeypatch.setattr(review_report, "PER_ACCOUNT", rate_limit.Limit("review-report", 1, 60 * 60))
    reporter = reviewed["reporter"]
    assert reporter.post(f"/reviews/product/{reviewed['bad']['id']}/report", {"reason": "spam"}).status_code == 302
    another = factories.product_review(app, reviewed["product"]["id"], actions.create_user()["id"], rating=2)
    refused = reporter.post(f"/reviews/product/{another['id']}/report", {"reason": "offensive"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "You have reported many reviews lately. Please wait" in refused.get_data(as_text=True)
    assert query_one(app, "SELECT count(*) AS n FROM review_reports")["n"] == 1


def test_searches_that_find_nothing_are_counted_once_per_query_and_day(app, client, actions):
    seller = actions.create_user()
    factories.offer(app, seller["id"], factories.product(app, seller["id"], name="Garden Gnome")["id"])
    for query in ("Unobtainium  Widget", "unobtainium widget", "gnome"):
        client.get("/products", query_string={"q": query})
    client.get("/products", query_string={"q": "zzzzqqq", "min_price": "5"})  # filtered: not a catalog gap
    rows = query_one(app, "SELECT array_agg(query ORDER BY query) AS queries, sum(searches) AS n FROM search_misses")
    assert rows == {"queries": ["unobtainium widget"], "n": 2}
    admin, _ = make_staff(app, "administrator")
    report = admin.client.get("/admin/reports/search-misses").get_data(as_text=True)
    assert "unobtainium widget" in report


@pytest.mark.parametrize(
    "name", ["out-of-stock", "low-stock", "product-ratings", "seller-ratings", "late-shipments", "search-misses"]
)
def test_every_report_pages_sorts_and_exports(app, reviewed, name):
    admin, _ = make_staff(app, "administrator")
    for args in ("", "?sort=name&dir=asc&q=tea&page=3", "?reviews=5", "?sort=%27%3B+DROP&dir=sideways"):
        assert admin.client.get(f"/admin/reports/{name}{args}").status_code == 200
    export = admin.client.get(f"/admin/reports/{name}?format=csv")
    assert export.mimetype == "text/csv"


def test_the_reports_find_what_they_should(app, reviewed, actions):
    admin, _ = make_staff(app, "administrator")
    late_seller = actions.create_user(full_name="Larry Late")
    buyer = actions.create_user(balance="100")
    product = factories.product(app, late_seller["id"], name="Slow Boat")
    factories.offer(app, late_seller["id"], product["id"], quantity=1)
    category = query_one(app, "SELECT * FROM categories WHERE id = :id", id=product["category_id"])
    buy(app, buyer, [(late_seller, product, category, 1)], datetime.now(UTC) - timedelta(days=4))
    assert "Larry Late" in admin.client.get("/admin/reports/late-shipments").get_data(as_text=True)
    assert "Slow Boat" in admin.client.get("/admin/reports/out-of-stock").get_data(as_text=True)
    assert "Larry Late" in admin.client.get("/admin/reports/low-stock").get_data(as_text=True)
    assert "Tea Cosy" in admin.client.get("/admin/reports/product-ratings?sort=rating&dir=asc").get_data(as_text=True)
    assert "Sue Seller" not in admin.client.get("/admin/reports/seller-ratings").get_data(as_text=True)


def test_the_dashboard_counts_todays_sales(app, reviewed, count_queries):
    admin, _ = make_staff(app, "administrator")
    with count_queries() as statements:
        page = admin.client.get("/admin").get_data(as_text=True)
    assert 'data-testid="figure-gmv_month">$24.00<' in page  # two tea cosies at $12, yesterday
    assert 'id="sales-chart"' in page and 'data-chart="sales-chart-data"' in page
    assert len(statements) <= 8
    assert admin.client.get("/admin?format=csv").mimetype == "text/csv"


def test_the_audit_log_refuses_update_delete_and_truncate(app, reviewed):
    reviewed["moderator"].post(f"/admin/reviews/product/{reviewed['bad']['id']}/hide", {"reason": "Spam"})
    database = app.extensions["bazaar_db"]
    for statement in (
        "UPDATE audit_log SET reason = 'nothing happened'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "TRUNCATE users CASCADE",  # reaches the log through its actor's foreign key
    ):
        with pytest.raises(DBAPIError, match="append-only"), database.transaction() as connection:
            connection.execute(text(statement))
    assert query_one(app, "SELECT reason FROM audit_log WHERE action = 'review.hide'")["reason"] == "Spam"


def test_the_audit_page_filters_and_exports(app, reviewed):
    moderator_id = reviewed["moderator_user"]["id"]
    reviewed["moderator"].post(f"/admin/reviews/product/{reviewed['bad']['id']}/hide", {"reason": "Spam spam"})
    admin, _ = make_staff(app, "administrator")
    today = datetime.now(UTC).date().isoformat()
    for query in (
        f"?actor={moderator_id}",
        "?q=spam+spam",
        "?target_type=product_review&role=moderator",
        f"?from={today}&to={today}",
        f"?target={reviewed['bad']['id']}",
    ):
        assert "review.hide" in admin.client.get(f"/admin/audit{query}").get_data(as_text=True), query
    assert "review.hide" not in admin.client.get("/admin/audit?role=administrator").get_data(as_text=True)
    problems = admin.client.get("/admin/audit?from=2025-02-30&to=10000-01-01&actor=abc")
    assert problems.status_code == 200 and "does not exist" in problems.get_data(as_text=True)
    export = admin.client.get("/admin/audit?format=csv").get_data(as_text=True)
    assert "review.hide" in export and "Spam spam" in export


HOSTILE = ("", "\x00", "x" * 6000, "9" * 400, "-1", "<script>alert(1)</script>", "=cmd|' /C calc'!A0", "1e309")


def _post_rules(app):
    return [rule for rule in console_rules(app) if "POST" in rule.methods]


def test_every_console_form_refuses_a_missing_csrf_token(app, world):
    admin, _ = make_staff(app, "administrator")
    for rule in _post_rules(app):
        for path in _path(app, rule, world):
            response = admin.client.post(path, data={"reason": "x", "name": "x"})
            assert response.status_code == 400, path
            assert "This form has expired" in response.get_data(as_text=True)


def test_every_console_form_survives_hostile_input(app, world):
    """Every field name a console form knows, each hostile value: a 2xx, 3xx or 4xx, never a 5xx."""
    admin, _ = make_staff(app, "administrator")
    names = (
        *("reason", "name", "target_id", "enabled", "response", "password"),
        *("suspend-reason", "reactivate-reason", "role-role", "role-reason", "balance-amount", "balance-reason"),
        *("department-name", "category-department_id", "category-name"),
        *("edit-name", "edit-description", "edit-category_id", "edit-reason"),
    )
    token = csrf_token(admin.client)
    for rule in _post_rules(app):
        if rule.endpoint == "admin.reauthenticate":
            continue  # wrong passwords there lock the account for a while (tested on their own)
        for path in _path(app, rule, world):
            for value in HOSTILE:
                response = admin.client.post(path, data={"csrf_token": token, **dict.fromkeys(names, value)})
                assert response.status_code < 500, (path, value[:20])
    assert set(ACCESS) >= {rule.endpoint for rule in _post_rules(app)}
