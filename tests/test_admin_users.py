"""Console: users. Suspension and its effects (no sign-in, copied cookies refused, offers out of
the catalog with right summaries), reactivation, roles, balance adjustments through the ledger,
the command line, and an audit row for each."""

from decimal import Decimal

import pytest
from sqlalchemy import text

from app import admin_cli
from db.check import INVARIANTS
from tests import factories
from tests.conftest import Actions, query_one
from tests.test_admin import make_staff

SUMMARY_MATCHES_OFFERS = """
    SELECT p.offer_count = coalesce(a.offers, 0)
       AND p.total_stock = coalesce(a.stock, 0)
       AND p.min_price IS NOT DISTINCT FROM a.min_price AS right
    FROM products AS p
    LEFT JOIN (
        SELECT product_id, count(*) AS offers, sum(quantity) AS stock,
               coalesce(min(price) FILTER (WHERE quantity > 0), min(price)) AS min_price
        FROM offers
        WHERE is_active
        GROUP BY product_id
    ) AS a ON a.product_id = p.id
    WHERE p.id = :id
"""


@pytest.fixture
def shop(app, actions):
    """A seller with two products, one of them also sold by a rival, and an administrator."""
    seller = actions.create_user(full_name="Sid Seller")
    rival = actions.create_user(full_name="Rita Rival")
    category = factories.category(app)
    kettle = factories.product(app, seller["id"], category["id"], name="Copper Kettle")
    teapot = factories.product(app, seller["id"], category["id"], name="Blue Teapot")
    factories.offer(app, seller["id"], kettle["id"], price="20.00", quantity=5)
    factories.offer(app, seller["id"], teapot["id"], price="15.00", quantity=3)
    factories.offer(app, rival["id"], teapot["id"], price="18.00", quantity=7)
    admin, admin_user = make_staff(app, "administrator")
    return {
        "seller": seller,
        "rival": rival,
        "kettle": kettle,
        "teapot": teapot,
        "admin": admin,
        "admin_user": admin_user,
    }


def product_row(app, product_id):
    return query_one(app, "SELECT offer_count, total_stock, min_price FROM products WHERE id = :id", id=product_id)


def audit_rows(app, action: str, target_id: int):
    return query_one(
        app,
        """
        SELECT count(*) AS n, max(actor_id) AS actor_id, max(reason) AS reason, max(after::text) AS after,
               max(ip_address) AS ip_address
        FROM audit_log
        WHERE action = :action AND target_id = :target_id
        """,
        action=action,
        target_id=target_id,
    )


def test_a_suspended_user_is_signed_out_cannot_sign_in_and_their_offers_leave_the_catalog(app, shop):
    seller = Actions(app, app.test_client())
    assert seller.login(shop["seller"]["email"]).status_code == 302
    copied = seller.client.get_cookie("session").value  # a copy of the session cookie, kept aside

    response = shop["admin"].post(f"/admin/users/{shop['seller']['id']}/suspend", {"suspend-reason": "Fake goods"})
    assert response.status_code == 302

    # Signed out everywhere: the old cookie, and a copy of it, sign nobody in.
    assert seller.client.get("/account").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/account").status_code == 302
    assert (
        query_one(app, "SELECT count(*) AS n FROM user_sessions WHERE user_id = :id", id=shop["seller"]["id"])["n"] == 0
    )
    # A right password is refused, with a clear word, and makes no session.
    again = seller.login(shop["seller"]["email"])
    assert again.status_code == 403 and "suspended" in again.get_data(as_text=True)
    assert (
        query_one(app, "SELECT count(*) AS n FROM user_sessions WHERE user_id = :id", id=shop["seller"]["id"])["n"] == 0
    )

    # Offers held; the kettle (theirs alone) leaves the catalog, the teapot keeps the rival's offer.
    assert product_row(app, shop["kettle"]["id"]) == {"offer_count": 0, "total_stock": 0, "min_price": None}
    assert product_row(app, shop["teapot"]["id"]) == {"offer_count": 1, "total_stock": 7, "min_price": Decimal("18.00")}
    for product in ("kettle", "teapot"):
        assert query_one(app, SUMMARY_MATCHES_OFFERS, id=shop[product]["id"])["right"]
    catalog = app.test_client().get("/products?q=kettle").get_data(as_text=True)
    assert "Copper Kettle" not in catalog
    held = query_one(
        app, "SELECT count(*) AS n FROM offers WHERE seller_id = :id AND moderation_hold", id=shop["seller"]["id"]
    )
    assert held["n"] == 2
    row = audit_rows(app, "user.suspend", shop["seller"]["id"])
    assert row["n"] == 1 and row["actor_id"] == shop["admin_user"]["id"] and row["reason"] == "Fake goods"
    assert '"offers_held": 2' in row["after"] and row["ip_address"] == "127.0.0.1"


def test_a_suspended_sellers_offer_cannot_be_bought_from_a_cart(app, shop, actions):
    from app.models import cart, checkout

    buyer = actions.create_user(balance="100")
    with app.test_request_context():
        cart.set_line(buyer["id"], shop["seller"]["id"], shop["kettle"]["id"], 1)
    shop["admin"].post(f"/admin/users/{shop['seller']['id']}/suspend", {"suspend-reason": "Fraud"})
    with app.test_request_context(), pytest.raises(checkout.CheckoutFailed):
        checkout.place_order(buyer["id"], checkout.new_token())


def test_an_offer_added_for_a_suspended_seller_is_held(app, shop):
    from app.models import offer

    shop["admin"].post(f"/admin/users/{shop['seller']['id']}/suspend", {"suspend-reason": "Fraud"})
    other = factories.product(app, shop["rival"]["id"], name="Mug")
    with app.test_request_context():
        offer.add_offer(shop["seller"]["id"], other["id"], Decimal("4.00"), 2)
    row = query_one(
        app,
        "SELECT is_active, moderation_hold FROM offers WHERE seller_id = :s AND product_id = :p",
        s=shop["seller"]["id"],
        p=other["id"],
    )
    assert row == {"is_active": False, "moderation_hold": True}
    assert product_row(app, other["id"])["offer_count"] == 0


def test_reactivation_lets_the_held_offers_sell_again(app, shop):
    shop["admin"].post(f"/admin/users/{shop['seller']['id']}/suspend", {"suspend-reason": "Check"})
    response = shop["admin"].post(f"/admin/users/{shop['seller']['id']}/reactivate", {"reactivate-reason": "Cleared"})
    assert response.status_code == 302
    assert product_row(app, shop["kettle"]["id"]) == {"offer_count": 1, "total_stock": 5, "min_price": Decimal("20.00")}
    assert product_row(app, shop["teapot"]["id"])["offer_count"] == 2
    assert Actions(app, app.test_client()).login(shop["seller"]["email"]).status_code == 302
    assert audit_rows(app, "user.reactivate", shop["seller"]["id"])["n"] == 1


def test_reactivation_keeps_an_offer_held_while_its_product_is_taken_down(app, shop):
    admin = shop["admin"]
    admin.post(f"/admin/users/{shop['seller']['id']}/suspend", {"suspend-reason": "Check"})
    admin.post(f"/admin/products/{shop['kettle']['id']}/take-down", {"reason": "Counterfeit"})
    admin.post(f"/admin/users/{shop['seller']['id']}/reactivate", {"reactivate-reason": "Cleared"})
    assert product_row(app, shop["kettle"]["id"])["offer_count"] == 0  # still taken down
    assert product_row(app, shop["teapot"]["id"])["offer_count"] == 2
    admin.post(f"/admin/products/{shop['kettle']['id']}/restore", {"reason": "Genuine after all"})
    assert product_row(app, shop["kettle"]["id"])["offer_count"] == 1


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("suspend", {"suspend-reason": ""}, "Say why"),
        ("suspend", {"suspend-reason": "x" * 501}, "Field cannot be longer than 500 characters."),
        ("suspend", {"suspend-reason": "bad\x01byte"}, "control characters"),
        ("reactivate", {"reactivate-reason": ""}, "Say why"),
        ("role", {"role-role": "emperor"}, "Choose user, moderator or administrator."),
        ("balance", {"balance-amount": "0", "balance-reason": "x"}, "not zero"),
        ("balance", {"balance-amount": "abc", "balance-reason": "x"}, "Enter an amount like"),
        ("balance", {"balance-amount": "1e309", "balance-reason": "x"}, "Enter an amount like"),
        ("balance", {"balance-amount": "100000.01", "balance-reason": "x"}, "not zero"),
        ("balance", {"balance-amount": "5", "balance-reason": ""}, "Say why"),
    ],
)
def test_bad_input_is_a_form_error(app, shop, path, data, message):
    response = shop["admin"].post(f"/admin/users/{shop['seller']['id']}/{path}", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_an_administrator_cannot_suspend_or_demote_themselves(app, shop):
    admin_id = shop["admin_user"]["id"]
    assert shop["admin"].post(f"/admin/users/{admin_id}/suspend", {"suspend-reason": "Oops"}).status_code == 302
    assert shop["admin"].post(f"/admin/users/{admin_id}/role", {"role-role": "user"}).status_code == 302
    row = query_one(app, "SELECT role, suspended_at FROM users WHERE id = :id", id=admin_id)
    assert row == {"role": "administrator", "suspended_at": None}


def test_granting_a_role_is_audited_and_keeps_is_admin_in_step(app, shop):
    user_id = shop["seller"]["id"]
    shop["admin"].post(f"/admin/users/{user_id}/role", {"role-role": "administrator", "role-reason": "New hire"})
    assert query_one(app, "SELECT role, is_admin FROM users WHERE id = :id", id=user_id) == {
        "role": "administrator",
        "is_admin": True,
    }
    shop["admin"].post(f"/admin/users/{user_id}/role", {"role-role": "moderator"})
    assert query_one(app, "SELECT role, is_admin FROM users WHERE id = :id", id=user_id) == {
        "role": "moderator",
        "is_admin": False,
    }
    assert audit_rows(app, "user.role", user_id)["n"] == 2


def ledger_matches_balance(app, user_id) -> bool:
    return query_one(
        app,
        """
        SELECT u.balance = (SELECT coalesce(sum(amount), 0) FROM balance_ledger WHERE user_id = u.id) AS equal
        FROM users AS u WHERE u.id = :id
        """,
        id=user_id,
    )["equal"]


def test_a_balance_changes_only_through_an_adjustment_row_with_its_reason(app, shop, actions):
    user = actions.create_user(balance="10")
    admin = shop["admin"]
    assert (
        admin.post(
            f"/admin/users/{user['id']}/balance", {"balance-amount": "25.50", "balance-reason": "Goodwill"}
        ).status_code
        == 302
    )
    assert (
        admin.post(f"/admin/users/{user['id']}/balance", {"balance-amount": "-5", "balance-reason": "Fee"}).status_code
        == 302
    )
    row = query_one(
        app,
        "SELECT kind, amount, note FROM balance_ledger WHERE user_id = :id ORDER BY id DESC LIMIT 1",
        id=user["id"],
    )
    assert row == {"kind": "adjustment", "amount": Decimal("-5.00"), "note": "Fee"}
    assert query_one(app, "SELECT balance FROM users WHERE id = :id", id=user["id"])["balance"] == Decimal("30.50")
    assert ledger_matches_balance(app, user["id"])

    too_much = admin.post(f"/admin/users/{user['id']}/balance", {"balance-amount": "-31", "balance-reason": "Oops"})
    assert too_much.status_code == 400 and "cannot go below zero" in too_much.get_data(as_text=True)
    assert query_one(app, "SELECT balance FROM users WHERE id = :id", id=user["id"])["balance"] == Decimal("30.50")
    assert audit_rows(app, "user.balance", user["id"])["n"] == 2
    # The user sees the adjustment and why in their own history.
    owner = Actions(app, app.test_client())
    owner.login(user["email"])
    assert "Adjustment by Bazaar" in owner.client.get("/account/balance").get_data(as_text=True)


def test_the_user_list_searches_by_name_email_and_id_and_exports_csv(app, shop):
    admin = shop["admin"].client
    assert "Sid Seller" in admin.get("/admin/users?q=sid").get_data(as_text=True)
    assert "Sid Seller" in admin.get(f"/admin/users?q={shop['seller']['email'][:10]}").get_data(as_text=True)
    by_id = admin.get(f"/admin/users?q={shop['seller']['id']}").get_data(as_text=True)
    assert "Sid Seller" in by_id and "Rita Rival" not in by_id
    export = admin.get("/admin/users?q=sid&format=csv")
    assert export.mimetype == "text/csv" and "Sid Seller" in export.get_data(as_text=True)
    assert "Rita" not in export.get_data(as_text=True)
    page = admin.get("/admin/users?sort=balance&dir=asc&role=user&status=active&page=99999").get_data(as_text=True)
    assert "Users" in page


def test_a_users_page_runs_a_fixed_number_of_queries(app, shop, count_queries):
    admin = shop["admin"].client
    with count_queries() as few:
        assert admin.get(f"/admin/users/{shop['rival']['id']}").status_code == 200
    for number in range(5):
        product = factories.product(app, shop["seller"]["id"], name=f"Thing {number}")
        factories.offer(app, shop["rival"]["id"], product["id"])
    with count_queries() as many:
        assert admin.get(f"/admin/users/{shop['rival']['id']}").status_code == 200
    assert len(many) == len(few)


def test_the_command_line_grants_a_role_and_audits_it(app, shop, capsys):
    assert admin_cli.main([shop["rival"]["email"].upper(), "--role", "moderator"], app=app) == 0
    assert "is now a moderator" in capsys.readouterr().out
    assert query_one(app, "SELECT role FROM users WHERE id = :id", id=shop["rival"]["id"])["role"] == "moderator"
    row = query_one(
        app,
        "SELECT actor_id, actor_role FROM audit_log WHERE action = 'user.role' AND target_id = :id",
        id=shop["rival"]["id"],
    )
    assert row == {"actor_id": None, "actor_role": "command line"}
    assert admin_cli.main(["nobody@example.com"], app=app) == 1


def test_the_console_keeps_db_checks_audit_invariant_and_a_change_without_its_row_breaks_it(app, shop, actions):
    """db/check.py: each suspension and take-down has its audit row of that moment, each adjustment its own."""
    [query] = [sql for name, sql in INVARIANTS if name.startswith("moderation: each suspension")]
    buyer = actions.create_user(balance="20")
    admin = shop["admin"]
    assert admin.post(f"/admin/users/{shop['seller']['id']}/suspend", {"suspend-reason": "Fakes"}).status_code == 302
    assert admin.post(f"/admin/products/{shop['teapot']['id']}/take-down", {"reason": "Recall"}).status_code == 302
    response = admin.post(f"/admin/users/{buyer['id']}/balance", {"balance-amount": "5", "balance-reason": "Late"})
    assert response.status_code == 302
    assert next(iter(query_one(app, query).values())) == 0
    # The same changes written around the console, with no audit row: each is caught.
    database = app.extensions["bazaar_db"]
    with database.transaction() as connection:
        connection.execute(
            text("UPDATE users SET suspended_at = now(), suspended_reason = 'x' WHERE id = :id"),
            {"id": shop["rival"]["id"]},
        )
        connection.execute(
            text("UPDATE products SET status = 'taken_down', status_changed_at = now() WHERE id = :id"),
            {"id": shop["kettle"]["id"]},
        )
        connection.execute(
            text(
                """
                INSERT INTO balance_ledger (user_id, kind, account, amount, balance_after, note)
                VALUES (:id, 'adjustment', 'available', 1.00, 26.00, 'no audit')
                """
            ),
            {"id": buyer["id"]},
        )
    assert next(iter(query_one(app, query).values())) == 3
