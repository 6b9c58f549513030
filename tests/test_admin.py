"""The console's guard: every /admin route answers guests, buyers, moderators and administrators
as their role allows (404 for anyone else), found by walking app.url_map so that a new route
cannot be forgotten; and the recent-password rule for changes."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.routing.converters import AnyConverter

from tests import factories
from tests.conftest import TEST_PASSWORD, Actions, csrf_token, query_one
from tests.sales import buy

# Who may use each console view. A route missing here fails test_every_console_route_is_listed.
ACCESS = {
    "admin.dashboard": "administrator",
    "admin.product_approval": "administrator",
    "admin.audit_log": "administrator",
    "admin.reauthenticate": "moderator",
    "admin.users": "administrator",
    "admin.user": "administrator",
    "admin.suspend_user": "administrator",
    "admin.reactivate_user": "administrator",
    "admin.set_role": "administrator",
    "admin.adjust_balance": "administrator",
    "admin.catalog": "administrator",
    "admin.create_department": "administrator",
    "admin.create_category": "administrator",
    "admin.rename": "administrator",
    "admin.move_category": "administrator",
    "admin.merge": "administrator",
    "admin.category_attributes": "administrator",
    "admin.add_category_attribute": "administrator",
    "admin.delete_category_attribute": "administrator",
    "admin.products": "moderator",
    "admin.product": "moderator",
    "admin.edit_product": "moderator",
    "admin.moderate_product": "moderator",
    "admin.delete_product": "moderator",
    "admin.reviews": "moderator",
    "admin.review": "moderator",
    "admin.moderate_review": "moderator",
    "admin.feedback_list": "moderator",
    "admin.close_feedback": "moderator",
    "admin.reopen_feedback": "moderator",
    "admin.reports_index": "administrator",
    "admin.report": "administrator",
    "admin.coupons": "administrator",
    "admin.create_coupon": "administrator",
    "admin.coupon": "administrator",
    "admin.pause_coupon": "administrator",
}
ROLES = ("guest", "user", "moderator", "administrator")
ALLOWED = {"moderator": {"moderator", "administrator"}, "administrator": {"administrator"}}


def console_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")]


def make_staff(app, role: str, **fields):
    """A user with `role`, signed in on a client of their own; returns (Actions, user row)."""
    people = Actions(app, app.test_client())
    user = people.create_user(**fields)
    factories_set_role(app, user["id"], role)
    response = people.login(user["email"])
    assert response.status_code == 302, response.get_data(as_text=True)
    return people, user


def factories_set_role(app, user_id: int, role: str) -> None:
    from sqlalchemy import text

    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(text("UPDATE users SET role = :role WHERE id = :id"), {"role": role, "id": user_id})


@pytest.fixture
def world(app, actions):
    """A seller with a sold product, a buyer's review of it with an open report, feedback and a
    platform coupon."""
    seller = actions.create_user(full_name="Sam Seller")
    buyer = actions.create_user(full_name="Bea Buyer", balance="500")
    department = factories.department(app)
    category = factories.category(app, department["id"], name="Lamps")
    other_category = factories.category(app, department["id"], name="Shades")
    product = factories.product(app, seller["id"], category["id"], name="Brass Lamp")
    factories.offer(app, seller["id"], product["id"], price="30.00", quantity=10)
    buy(app, buyer, [(seller, product, category, 1)], datetime.now(UTC) - timedelta(hours=1))
    review = factories.product_review(app, product["id"], buyer["id"], rating=2, title="Flickers", body="Meh.")
    with app.test_request_context():
        from app.models import review as review_model

        review_model.save_review("seller", seller["id"], buyer["id"], 5, "Fast", "Quick delivery.")
    seller_review = query_one(app, "SELECT * FROM seller_reviews WHERE author_id = :id", id=buyer["id"])
    with app.test_request_context():
        from app.models import feedback, review_report

        review_report.report_review("product", review["id"], seller["id"], "offensive", "Rude.")
        feedback_id = feedback.send_feedback(buyer["id"], "problem", "Search is slow", "Very slow.", "/products")
        from app.models import coupon

        coupon_id = coupon.create_coupon(None, "WELCOME5", percent_off=5)
    return {
        "seller": seller,
        "buyer": buyer,
        "department": department,
        "category": category,
        "other_category": other_category,
        "product": product,
        "review": review,
        "seller_review": seller_review,
        "feedback_id": feedback_id,
        "coupon_id": coupon_id,
    }


def _path(app, rule, world) -> list[str]:
    """Every URL of a rule: each choice of its `any` parts, real ids for its numbers."""
    ids = {
        "user_id": world["buyer"]["id"],
        "product_id": world["product"]["id"],
        "review_id": world["review"]["id"],
        "feedback_id": world["feedback_id"],
        "coupon_id": world["coupon_id"],
        "key": "no-such-attribute",
    }
    choices = [[]]
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            choices = [chosen + [(name, item)] for chosen in choices for item in sorted(converter.items)]
    adapter = app.url_map.bind("localhost")
    paths = []
    for chosen in choices:
        values = dict(chosen)
        for name in rule.arguments:
            if name == "item_id":
                departments = values.get("collection") == "departments"
                values[name] = world["department"]["id"] if departments else world["category"]["id"]
            elif name == "review_id":
                values[name] = world["seller_review" if values.get("kind") == "seller" else "review"]["id"]
            elif name not in values:
                values[name] = ids[name]
        paths.append(adapter.build(rule.endpoint, values))
    return paths


def test_every_console_route_is_listed(app):
    assert {rule.endpoint for rule in console_rules(app)} == set(ACCESS)


@pytest.mark.parametrize("role", ROLES)
def test_every_console_route_answers_each_role_as_allowed(app, world, role):
    if role == "guest":
        people = Actions(app, app.test_client())
    else:
        people, _ = make_staff(app, role)
    token = csrf_token(people.client)
    checked = 0
    for rule in console_rules(app):
        allowed = role in ALLOWED[ACCESS[rule.endpoint]]
        for path in _path(app, rule, world):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if method == "GET":
                    response = people.client.get(path)
                else:
                    response = people.client.post(path, data={"csrf_token": token})
                status = response.status_code
                assert status < 500, (role, method, path, status)
                if allowed:
                    assert status != 404, (role, method, path)
                    # An empty form is refused (400), or a redirect for the reports index; never a change.
                    assert method == "GET" or status in (400, 302), (role, method, path, status)
                else:
                    assert status == 404, (role, method, path, status)
                checked += 1
    assert checked >= len(ACCESS)


def test_a_moderator_sees_only_their_part_of_the_navigation(app, world):
    people, _ = make_staff(app, "moderator")
    page = people.client.get("/admin/reviews").get_data(as_text=True)
    navigation = re.search(r'<nav class="mb-4" aria-label="Console">(.*?)</nav>', page, re.S).group(1)
    assert "Reviews" in navigation and "Products" in navigation and "Feedback" in navigation
    assert "Users" not in navigation and "Audit log" not in navigation and "Dashboard" not in navigation
    assert "Coupons" not in navigation
    assert 'href="/admin/reviews"' in people.client.get("/").get_data(as_text=True)  # the one Console link


def test_nobody_else_sees_the_console_link(app, client, actions, world):
    assert "Console" not in client.get("/").get_data(as_text=True)
    actions.login(world["buyer"]["email"])
    assert "/admin" not in client.get("/").get_data(as_text=True)


def _age_password(app, user_id: int, minutes: int) -> None:
    from sqlalchemy import text

    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(
            text("UPDATE user_sessions SET reauthenticated_at = now() - make_interval(mins => :m) WHERE user_id = :id"),
            {"m": minutes, "id": user_id},
        )


def suspended_at(app, user_id: int):
    return query_one(app, "SELECT suspended_at FROM users WHERE id = :id", id=user_id)["suspended_at"]


def test_a_change_needs_the_password_from_the_last_15_minutes(app, world):
    people, admin = make_staff(app, "administrator")
    _age_password(app, admin["id"], 16)
    response = people.post(
        f"/admin/users/{world['buyer']['id']}/suspend",
        {"suspend-reason": "Spam"},
        headers={"Referer": f"http://localhost/admin/users/{world['buyer']['id']}"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/reauthenticate?next=/admin/users/")
    assert suspended_at(app, world["buyer"]["id"]) is None
    assert people.client.get(f"/admin/users/{world['buyer']['id']}").status_code == 200  # reading needs no password

    wrong = people.post(response.headers["Location"], {"password": "not it"})
    assert wrong.status_code == 400 and "That is not your password." in wrong.get_data(as_text=True)
    right = people.post(response.headers["Location"], {"password": TEST_PASSWORD})
    assert right.status_code == 302 and right.headers["Location"] == f"/admin/users/{world['buyer']['id']}"
    again = people.post(f"/admin/users/{world['buyer']['id']}/suspend", {"suspend-reason": "Spam"})
    assert again.status_code == 302
    assert suspended_at(app, world["buyer"]["id"]) is not None


def test_a_remembered_session_is_not_a_recent_password(app, world):
    from app.models import session as session_model

    people, admin = make_staff(app, "administrator")
    row = query_one(app, "SELECT id FROM user_sessions WHERE user_id = :id", id=admin["id"])
    with app.test_request_context():
        session_model.clear_reauthentication(row["id"])
    response = people.post("/admin/departments", {"department-name": "Garden"})
    assert response.status_code == 302 and "/admin/reauthenticate" in response.headers["Location"]


def test_password_guesses_on_the_confirmation_page_are_limited(app, world):
    people, admin = make_staff(app, "moderator")
    for _ in range(app.config["LOGIN_ACCOUNT_FREE_FAILURES"]):
        assert people.post("/admin/reauthenticate", {"password": "guess"}).status_code == 400
    assert people.post("/admin/reauthenticate", {"password": "guess"}).status_code == 429


def test_the_confirmation_page_sends_only_to_this_site(app, world):
    people, _ = make_staff(app, "moderator")
    response = people.post("/admin/reauthenticate?next=https://evil.example/", {"password": TEST_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/reviews"


def test_console_filters_apply_when_chosen_and_fold_away_on_a_phone(app, world):
    people, _ = make_staff(app, "administrator")
    pages = ["/admin/users?role=user", "/admin/products?status=listed", "/admin/reviews", "/admin/feedback"]
    pages += [
        "/admin/audit?role=administrator",
        "/admin/coupons?status=running",
        "/admin/reports/product-ratings?reviews=5",
    ]
    for path in pages:
        page = people.client.get(path).get_data(as_text=True)
        panel = re.search(r'<div class="offcanvas-md[^"]*" tabindex="-1" id="console-filters".*?</form>', page, re.S)
        assert panel, path
        selects = re.findall(r"<select [^>]*>", panel.group(0))
        assert selects and all("data-auto-submit" in select for select in selects), path
        assert re.search(r"Filters \(\d+\)", page), path  # the phone's button counts what narrows the table
