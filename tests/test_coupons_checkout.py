"""Coupons and points at checkout, on cancellation, delivery and refund: what each line records,
where the money goes, and the invariants of db/check.py that prove it (each one broken once)."""

import re
from decimal import Decimal

import pytest

from app.models import cart, checkout, coupon, order, points, purchase
from db.check import INVARIANTS
from tests import factories
from tests.conftest import query_one
from tests.journey import make_older


def invariant(app, start: str) -> int:
    """Violations of the db/check.py invariant whose name starts with `start`, on the test's data."""
    [query] = [sql for name, sql in INVARIANTS if name.startswith(start)]
    return int(next(iter(query_one(app, query).values())))


PROMOTION_INVARIANTS = (
    "coupons: uses",
    "coupons: no buyer",
    "coupons: a use",
    "orders: paid",
    "orders: coupon discounts",
    "users: points balance",
    "points ledger",
    "points: spent",
    "points: earned on delivery",
    "points: a refunded line",
    "platform ledger",
    "money: top-ups",
)


def assert_books_balance(app):
    broken = {name: invariant(app, name) for name in PROMOTION_INVARIANTS}
    assert broken == dict.fromkeys(PROMOTION_INVARIANTS, 0)


def new_coupon(app, seller_id, code, **fields) -> int:
    fields.setdefault("percent_off", None if "amount_off" in fields else Decimal("10"))
    with app.test_request_context():
        return coupon.create_coupon(seller_id, code, **fields)


def place(app, buyer_id, **promotions):
    with app.test_request_context():
        return checkout.place_order(buyer_id, checkout.new_token(), **promotions)


def fill(app, buyer_id, *offers):
    with app.test_request_context():
        for seller_id, product_id, quantity in offers:
            cart.set_line(buyer_id, seller_id, product_id, quantity)


def lines_of(app, purchase_id):
    database = app.extensions["bazaar_db"]
    with database.connect() as connection:
        from sqlalchemy import text

        return (
            connection.execute(text("SELECT * FROM orders WHERE purchase_id = :p ORDER BY id"), {"p": purchase_id})
            .mappings()
            .all()
        )


def value(app, sql, **params):
    return next(iter(query_one(app, sql, **params).values()))


def deliver(app, purchase_id, buyer_id):
    """Ship and confirm every line of the purchase (the buyer's points are earned on delivery)."""
    with app.test_request_context():
        for line in lines_of(app, purchase_id):
            order.mark_shipped(line["seller_id"], [line["id"]], "Post", None)
            order.confirm_receipt(line["id"], purchase_id, buyer_id)


@pytest.fixture
def shop(app, actions):
    """Two sellers; Ann's lamp (40.00) and mug (10.00), Bob's book (25.00); a buyer with $500 and 600 points."""
    ann, bob = actions.create_user(full_name="Ann"), actions.create_user(full_name="Bob")
    lamp, mug = factories.product(app, ann["id"], name="Lamp"), factories.product(app, ann["id"], name="Mug")
    book = factories.product(app, bob["id"], name="Book")
    factories.offer(app, ann["id"], lamp["id"], price="40.00", quantity=20)
    factories.offer(app, ann["id"], mug["id"], price="10.00", quantity=20)
    factories.offer(app, bob["id"], book["id"], price="25.00", quantity=20)
    buyer = actions.create_user(balance="1100.00")
    # 600 points the way a member gets them: a $600 purchase, delivered.
    gift = factories.product(app, bob["id"], name="Gift")
    factories.offer(app, bob["id"], gift["id"], price="600.00", quantity=1)
    fill(app, buyer["id"], (bob["id"], gift["id"], 1))
    deliver(app, place(app, buyer["id"]).purchase_id, buyer["id"])
    return {"ann": ann, "bob": bob, "lamp": lamp, "mug": mug, "book": book, "buyer": buyer}


def test_delivery_earns_a_point_per_whole_dollar(app, shop):
    assert value(app, "SELECT points_balance FROM users WHERE id = :id", id=shop["buyer"]["id"]) == 600
    assert value(app, "SELECT count(*) FROM points_ledger WHERE kind = 'earn'") == 1
    assert_books_balance(app)


def test_coupons_and_points_split_over_lines_and_every_party_is_paid_right(app, shop):
    ann, bob, buyer = shop["ann"], shop["bob"], shop["buyer"]
    new_coupon(app, ann["id"], "ANN5", percent_off=None, amount_off=Decimal("5.00"))
    new_coupon(app, None, "BAZAAR10")
    fill(app, buyer["id"], (ann["id"], shop["lamp"]["id"], 1), (ann["id"], shop["mug"]["id"], 2))
    fill(app, buyer["id"], (bob["id"], shop["book"]["id"], 1))
    balance_before = value(app, "SELECT balance FROM users WHERE id = :id", id=buyer["id"])

    placed = place(app, buyer["id"], coupon_codes=["ANN5", "BAZAAR10"], points_to_spend=333)

    lines = {line["product_id"]: line for line in lines_of(app, placed.purchase_id)}
    lamp, mug, book = lines[shop["lamp"]["id"]], lines[shop["mug"]["id"]], lines[shop["book"]["id"]]
    # Ann's 5.00 over her 40.00 + 20.00 by largest remainder; then 10 % of what is left (80.00).
    assert (lamp["seller_discount"], mug["seller_discount"], book["seller_discount"]) == (
        Decimal("3.33"),
        Decimal("1.67"),
        Decimal("0"),
    )
    assert sum(line["platform_discount"] for line in lines.values()) == Decimal("8.00")
    assert sum(line["points_spent"] for line in lines.values()) == 333
    for line in lines.values():
        assert (
            line["paid"]
            == line["line_total"] - line["seller_discount"] - line["platform_discount"] - line["points_discount"]
        )
        assert line["held_amount"] == line["line_total"] - line["seller_discount"]  # the seller's proceeds
    paid = sum(line["paid"] for line in lines.values())
    assert paid == Decimal("85.00") - Decimal("5.00") - Decimal("8.00") - Decimal("3.33")
    assert value(app, "SELECT total FROM purchases WHERE id = :id", id=placed.purchase_id) == paid
    assert value(app, "SELECT balance FROM users WHERE id = :id", id=buyer["id"]) == balance_before - paid
    assert value(app, "SELECT points_balance FROM users WHERE id = :id", id=buyer["id"]) == 600 - 333
    platform = value(app, "SELECT sum(amount) FROM platform_ledger WHERE purchase_id = :p", p=placed.purchase_id)
    assert platform == -(Decimal("8.00") + Decimal("3.33"))
    assert value(app, "SELECT uses FROM coupons WHERE code = 'ANN5'") == 1
    assert_books_balance(app)


def test_a_coupon_that_stopped_applying_refuses_the_order_and_changes_nothing(app, shop):
    coupon_id = new_coupon(app, shop["ann"]["id"], "GONE")
    fill(app, shop["buyer"]["id"], (shop["ann"]["id"], shop["lamp"]["id"], 1))
    query_one(app, "UPDATE coupons SET paused_at = now() WHERE id = :id RETURNING id", id=coupon_id)
    purchases_before = value(app, "SELECT count(*) FROM purchases")
    with pytest.raises(checkout.CheckoutFailed) as failure:
        place(app, shop["buyer"]["id"], coupon_codes=["GONE"], points_to_spend=100)
    assert failure.value.problems == ["GONE is paused by Ann."]
    assert value(app, "SELECT count(*) FROM purchases") == purchases_before
    assert value(app, "SELECT points_balance FROM users WHERE id = :id", id=shop["buyer"]["id"]) == 600
    assert value(app, "SELECT count(*) FROM cart_lines WHERE user_id = :id", id=shop["buyer"]["id"]) == 1


@pytest.mark.parametrize(
    ("wanted", "message"),
    [(601, "You have 600 points, not 601."), (2001, "You have 600 points"), (501, "at most half of this order")],
)
def test_points_beyond_the_balance_or_half_are_refused(app, shop, wanted, message):
    fill(app, shop["buyer"]["id"], (shop["ann"]["id"], shop["mug"]["id"], 1))  # 10.00: 500 points at most
    points_before = value(app, "SELECT count(*) FROM points_ledger")
    with pytest.raises(checkout.CheckoutFailed) as failure:
        place(app, shop["buyer"]["id"], points_to_spend=wanted)
    assert message in failure.value.problems[0]
    assert value(app, "SELECT count(*) FROM points_ledger") == points_before


def test_cancelling_refunds_money_and_points_apart_and_the_last_line_restores_the_coupon(app, shop):
    ann, buyer = shop["ann"], shop["buyer"]
    new_coupon(app, ann["id"], "ONCE", per_buyer_limit=1)
    fill(app, buyer["id"], (ann["id"], shop["lamp"]["id"], 1), (ann["id"], shop["mug"]["id"], 1))
    placed = place(app, buyer["id"], coupon_codes=["ONCE"], points_to_spend=200)
    lamp, mug = lines_of(app, placed.purchase_id)
    money_before = value(app, "SELECT balance FROM users WHERE id = :id", id=buyer["id"])
    points_before = value(app, "SELECT points_balance FROM users WHERE id = :id", id=buyer["id"])

    with app.test_request_context():
        cancelled = purchase.cancel_line(lamp["id"], placed.purchase_id, buyer["id"])
    assert cancelled.refunded == lamp["paid"]
    assert value(app, "SELECT balance FROM users WHERE id = :id", id=buyer["id"]) == money_before + lamp["paid"]
    assert value(app, "SELECT points_balance FROM users WHERE id = :id", id=buyer["id"]) == (
        points_before + lamp["points_spent"]
    )
    assert value(app, "SELECT uses FROM coupons WHERE code = 'ONCE'") == 1  # part of the purchase stands
    assert_books_balance(app)

    with app.test_request_context():
        purchase.cancel_line(mug["id"], placed.purchase_id, buyer["id"])
    assert value(app, "SELECT uses FROM coupons WHERE code = 'ONCE'") == 0
    assert value(app, "SELECT restored_at IS NOT NULL FROM coupon_uses WHERE purchase_id = :p", p=placed.purchase_id)
    assert value(app, "SELECT points_balance FROM users WHERE id = :id", id=buyer["id"]) == 600
    assert_books_balance(app)
    # The restored use counts no more: the buyer may use the coupon again.
    fill(app, buyer["id"], (ann["id"], shop["mug"]["id"], 1))
    assert place(app, buyer["id"], coupon_codes=["ONCE"]).already_placed is False


def test_a_refunded_delivered_line_takes_back_its_points(app, shop):
    buyer = shop["buyer"]
    fill(app, buyer["id"], (shop["bob"]["id"], shop["book"]["id"], 2))
    placed = place(app, buyer["id"], points_to_spend=100)
    deliver(app, placed.purchase_id, buyer["id"])
    [line] = lines_of(app, placed.purchase_id)
    earned = int(line["paid"])  # 50.00 less 1.00 of points: 49 points
    assert earned == 49
    assert value(app, "SELECT points_balance FROM users WHERE id = :id", id=buyer["id"]) == 600 - 100 + earned
    with app.test_request_context():
        order.request_return(line["id"], placed.purchase_id, buyer["id"], "Not as described")
        refunded = order.accept_return(line["id"], shop["bob"]["id"], restock=True)
    assert refunded == line["paid"]
    # The points spent come back, the points earned go.
    assert value(app, "SELECT points_balance FROM users WHERE id = :id", id=buyer["id"]) == 600
    kinds = value(app, "SELECT array_agg(kind ORDER BY id) FROM points_ledger WHERE user_id = :id", id=buyer["id"])
    assert kinds[-2:] in (["refund", "reverse"], ["reverse", "refund"])
    assert_books_balance(app)


def test_thank_you_coupons_are_given_after_a_purchase_and_only_the_given_can_use_them(app, actions, shop):
    new_coupon(app, shop["ann"]["id"], "THANKS", for_thanks=True)
    fill(app, shop["buyer"]["id"], (shop["ann"]["id"], shop["mug"]["id"], 1))
    place(app, shop["buyer"]["id"])
    assert value(app, "SELECT count(*) FROM coupon_grants WHERE buyer_id = :id", id=shop["buyer"]["id"]) == 1
    stranger = actions.create_user(balance="50.00")
    fill(app, stranger["id"], (shop["ann"]["id"], shop["mug"]["id"], 1))
    with pytest.raises(checkout.CheckoutFailed, match="thank-you coupon for other buyers"):
        place(app, stranger["id"], coupon_codes=["THANKS"])
    fill(app, shop["buyer"]["id"], (shop["ann"]["id"], shop["mug"]["id"], 1))
    place(app, shop["buyer"]["id"], coupon_codes=["THANKS"])
    assert value(app, "SELECT uses FROM coupons WHERE code = 'THANKS'") == 1


def test_a_purchase_paid_in_full_by_a_coupon_charges_nothing(app, shop):
    new_coupon(app, shop["ann"]["id"], "FREE", percent_off=Decimal("100"))
    fill(app, shop["buyer"]["id"], (shop["ann"]["id"], shop["mug"]["id"], 1))
    before = value(app, "SELECT count(*) FROM balance_ledger WHERE user_id = :id", id=shop["buyer"]["id"])
    placed = place(app, shop["buyer"]["id"], coupon_codes=["FREE"])
    assert value(app, "SELECT total FROM purchases WHERE id = :id", id=placed.purchase_id) == 0
    assert value(app, "SELECT count(*) FROM balance_ledger WHERE user_id = :id", id=shop["buyer"]["id"]) == before
    assert_books_balance(app)


def test_points_expire_first_in_first_out_after_twelve_months(app, shop):
    buyer = shop["buyer"]
    # The 600 points came in 13 months ago, with the delivery that earned them.
    query_one(
        app,
        "UPDATE points_ledger SET created_at = created_at - interval '396 days' WHERE user_id = :id RETURNING id",
        id=buyer["id"],
    )
    make_older(app, value(app, "SELECT min(id) FROM orders WHERE buyer_id = :id", id=buyer["id"]), 396)
    fill(app, buyer["id"], (shop["bob"]["id"], shop["book"]["id"], 4))
    place(app, buyer["id"], points_to_spend=50)  # spends the oldest points first
    with app.test_request_context(), app.extensions["bazaar_db"].transaction() as conn:
        assert points.expire_due(conn) == 1
    assert value(app, "SELECT points_balance FROM users WHERE id = :id", id=buyer["id"]) == 0
    assert value(app, "SELECT points FROM points_ledger WHERE kind = 'expire'") == -550
    with app.test_request_context(), app.extensions["bazaar_db"].transaction() as conn:
        assert points.expire_due(conn) == 0  # nothing twice
    assert_books_balance(app)


# Each invariant catches what breaks it.


def drop_constraint(app, table: str, name: str) -> None:
    """Take a check off inside the test's transaction (rolled back): the invariant must catch what it would."""
    app.extensions["bazaar_db"].pinned.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")


def _break_use_limit(app, shop):
    coupon_id = new_coupon(app, shop["ann"]["id"], "LIMIT", max_uses=1)
    drop_constraint(app, "coupons", "coupons_use_limit_check")
    query_one(app, "UPDATE coupons SET uses = 2 WHERE id = :id RETURNING id", id=coupon_id)
    return "coupons: uses"


def _break_per_buyer(app, shop):
    new_coupon(app, shop["ann"]["id"], "TWICE", per_buyer_limit=2)
    for _ in range(2):
        fill(app, shop["buyer"]["id"], (shop["ann"]["id"], shop["mug"]["id"], 1))
        place(app, shop["buyer"]["id"], coupon_codes=["TWICE"])
    query_one(app, "UPDATE coupons SET per_buyer_limit = 1 WHERE code = 'TWICE' RETURNING id")
    return "coupons: no buyer"


def _break_paid(app, shop):
    drop_constraint(app, "orders", "orders_paid_check")
    query_one(app, "UPDATE orders SET paid = paid - 1 WHERE id = (SELECT min(id) FROM orders) RETURNING id")
    return "orders: paid"


def _break_points_balance(app, shop):
    query_one(
        app, "UPDATE users SET points_balance = points_balance + 1 WHERE id = :id RETURNING id", id=shop["buyer"]["id"]
    )
    return "users: points balance"


def _break_money(app, shop):
    purchase_id = value(app, "SELECT max(id) FROM purchases")
    query_one(
        app,
        "INSERT INTO platform_ledger (kind, amount, purchase_id) VALUES ('coupon', -1, :p) RETURNING id",
        p=purchase_id,
    )
    return "money: top-ups"


@pytest.mark.parametrize(
    "breaker", [_break_use_limit, _break_per_buyer, _break_paid, _break_points_balance, _break_money]
)
def test_each_invariant_catches_its_break(app, shop, breaker):
    assert_books_balance(app)
    name = breaker(app, shop)
    assert invariant(app, name) > 0


def whole_history(app, shop) -> dict:
    """Every promotion path on one purchase: a platform coupon and points spent on Ann's lamp and mug
    and Bob's book; the mug cancelled; the lamp and the book delivered; the book returned, refunded
    and restocked. Returns the ids the breaks below name."""
    ann, bob, buyer = shop["ann"], shop["bob"], shop["buyer"]
    new_coupon(app, None, "BAZAAR10")
    fill(app, buyer["id"], (ann["id"], shop["lamp"]["id"], 1), (ann["id"], shop["mug"]["id"], 1))
    fill(app, buyer["id"], (bob["id"], shop["book"]["id"], 1))
    purchase_id = place(app, buyer["id"], coupon_codes=["BAZAAR10"], points_to_spend=200).purchase_id
    lines = {line["product_id"]: line["id"] for line in lines_of(app, purchase_id)}
    lamp, mug, book = (lines[shop[name]["id"]] for name in ("lamp", "mug", "book"))
    with app.test_request_context():
        purchase.cancel_line(mug, purchase_id, buyer["id"])
        for seller, line_id in ((ann, lamp), (bob, book)):
            order.mark_shipped(seller["id"], [line_id], "Post", None)
            order.confirm_receipt(line_id, purchase_id, buyer["id"])
        order.request_return(book, purchase_id, buyer["id"], "Torn cover.")
        order.accept_return(book, bob["id"], restock=True)
    return {"purchase": purchase_id, "lamp": lamp, "mug": mug, "book": book, "buyer": buyer["id"], "ann": ann["id"]}


# What each break does to the whole history, and the invariant that must catch it.
HISTORY_BREAKS = [
    pytest.param(
        "users: balance",
        "UPDATE users SET balance = balance + 1 WHERE id = :buyer RETURNING id",
        id="available balance off its ledger",
    ),
    pytest.param(
        "users: balance",
        "UPDATE users SET pending_balance = pending_balance + 1 WHERE id = :ann RETURNING id",
        id="pending balance off its ledger",
    ),
    pytest.param(
        "points ledger",
        "UPDATE points_ledger SET balance_after = balance_after + 1 WHERE id = (SELECT max(id) FROM points_ledger) "
        "RETURNING id",
        id="points running sum",
    ),
    pytest.param(
        "points: spent",
        "UPDATE points_ledger SET points = points - 1 WHERE kind = 'spend' AND purchase_id = :purchase RETURNING id",
        id="points spent",
    ),
    pytest.param(
        "points: spent",
        "UPDATE points_ledger SET points = points + 1 WHERE kind = 'refund' AND order_id = :mug RETURNING id",
        id="points refunded",
    ),
    pytest.param(
        "points: spent",
        "DELETE FROM points_ledger WHERE kind = 'refund' AND order_id = :book RETURNING id",
        id="points of a returned line not given back",
    ),
    pytest.param(
        "points: spent",
        "UPDATE points_ledger SET points = points + 1 WHERE kind = 'earn' AND order_id = :lamp RETURNING id",
        id="points earned",
    ),
    pytest.param(
        "points: spent",
        "UPDATE points_ledger SET points = points + 1 WHERE kind = 'reverse' AND order_id = :book RETURNING id",
        id="points reversed",
    ),
    pytest.param(
        "points: earned on delivery",
        "UPDATE points_ledger SET created_at = created_at - interval '1 day' WHERE kind = 'earn' AND order_id = :lamp "
        "RETURNING id",
        id="earned before delivery",
    ),
    pytest.param(
        "points: earned on delivery",
        "UPDATE orders SET status = 'shipped', delivered_at = NULL WHERE id = :lamp RETURNING id",
        id="earned on a line not delivered",
    ),
    pytest.param(
        "points: a refunded line",
        "DELETE FROM points_ledger WHERE kind = 'reverse' AND order_id = :book RETURNING id",
        id="a refunded line keeps what it earned",
    ),
    pytest.param(
        "points: a refunded line",
        "UPDATE points_ledger SET created_at = created_at - interval '1 day' WHERE kind = 'reverse' "
        "AND order_id = :book RETURNING id",
        id="reversed before the refund",
    ),
    pytest.param(
        "platform ledger",
        "UPDATE platform_ledger SET amount = amount + 1 WHERE kind = 'coupon' AND purchase_id = :purchase RETURNING id",
        id="platform coupon paid",
    ),
    pytest.param(
        "platform ledger",
        "DELETE FROM platform_ledger WHERE kind = 'coupon_refund' AND order_id = :book RETURNING id",
        id="platform share of a returned line not given back",
    ),
    pytest.param(
        "coupons: a use",
        "UPDATE coupon_uses SET restored_at = now() WHERE purchase_id = :purchase RETURNING id",
        id="coupon use restored with lines open",
    ),
    pytest.param(
        "orders: coupon discounts",
        "UPDATE coupon_uses SET discount = discount + 1 WHERE purchase_id = :purchase RETURNING id",
        id="order coupon discount",
    ),
]


@pytest.mark.parametrize(("name", "statement"), HISTORY_BREAKS)
def test_each_invariant_catches_its_break_in_a_whole_history(app, shop, name, statement):
    ids = whole_history(app, shop)
    assert_books_balance(app)
    assert invariant(app, name) == 0
    if "status = 'shipped'" in statement:
        drop_constraint(app, "orders", "orders_path_check")
    assert query_one(app, statement, **ids) is not None  # the break changed a row
    assert invariant(app, name) > 0


# Through the pages: the cart, the review page, "Place order".


def test_apply_a_coupon_and_points_then_place_the_order_through_the_pages(app, actions, client, shop):
    actions.login(shop["buyer"]["email"])
    new_coupon(app, None, "WELCOME10")
    actions.post("/cart/add", {"product_id": shop["lamp"]["id"], "seller_id": shop["ann"]["id"], "quantity": "1"})
    assert actions.post("/cart/coupon", {"code": "welcome10"}).status_code == 302
    refused = actions.post("/cart/points", {"points": "1000"})
    assert refused.status_code == 409 and "You have 600 points, not 1,000." in refused.get_data(as_text=True)
    assert actions.post("/cart/points", {"points": "1500x"}).status_code == 400
    assert actions.post("/cart/points", {"points": "-5"}).status_code == 400
    assert actions.post("/cart/points", {"points": "180"}).status_code == 302
    review = client.get("/checkout").get_data(as_text=True)
    assert "WELCOME10" in review and "−$4.00" in review and "−$1.80" in review
    total = re.search(r'data-testid="checkout-total">\$([0-9.,]+)<', review).group(1)
    assert total == "34.20"
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', review).group(1)
    expected = re.search(r'name="expected_total" type="hidden" value="([^"]+)"', review).group(1)
    response = actions.post("/checkout", {"token": token, "expected_total": expected})
    assert response.status_code == 302, response.get_data(as_text=True)
    purchase_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert value(app, "SELECT total FROM purchases WHERE id = :id", id=purchase_id) == Decimal("34.20")
    receipt = client.get(f"/purchases/{purchase_id}").get_data(as_text=True)
    assert "(paid $34.20: coupon −$4.00, 180 points)" in receipt
    assert "WELCOME10" not in client.get("/cart").get_data(as_text=True)  # used: the cart forgets it
    assert_books_balance(app)


def test_a_coupon_and_points_add_a_few_statements_to_checkout(app, shop, count_queries):
    new_coupon(app, shop["ann"]["id"], "FEW")
    lines = [(shop["ann"]["id"], shop["lamp"]["id"], 1), (shop["ann"]["id"], shop["mug"]["id"], 1)]
    fill(app, shop["buyer"]["id"], *lines)
    with count_queries() as plain:
        place(app, shop["buyer"]["id"])
    fill(app, shop["buyer"]["id"], *lines)
    with count_queries() as promoted:
        place(app, shop["buyer"]["id"], coupon_codes=["FEW"], points_to_spend=100)
    # Locking the coupon, the buyer's standing and points, the use, the points spent, the platform's row.
    assert len(promoted) - len(plain) <= 6, (len(plain), len(promoted))
