"""Console changes racing the shop, each on its own connection, committing: a suspension and a
take-down against checkouts, restocks and new offers of the same rows; a review hidden while it
is edited and voted on; products moved, merged and edited while a category's attribute goes.
Afterwards no held offer sells, summaries equal their offers and reviews, money and stock
balance, and nothing deadlocked (a retry logs a warning; these tests fail on any)."""

import logging
from decimal import Decimal

import pytest

from app.models import (
    admin_attributes,
    admin_catalog,
    admin_products,
    admin_users,
    audit,
    offer,
    review,
    review_report,
    seller_product,
)
from app.models import checkout as checkout_model
from app.models.admin_query import AdminRefused
from db import check
from tests import factories
from tests.test_brands_tags import run
from tests.test_checkout_concurrency import assert_books_balance, fetch, in_cart, run_together

pytestmark = pytest.mark.concurrency

STAFF = audit.Actor(None, "command line", "test")
REFUSALS = (offer.OfferError, review.ReviewRefused, AdminRefused)


def refused_or_done(function):
    """`function`, returning a refusal (an offer removed meanwhile, a hidden review) instead of raising it."""

    def attempt():
        try:
            return function()
        except REFUSALS as refusal:
            return refusal

    return attempt


def assert_summaries_right(app):
    """Every product's offer and rating summaries equal what its rows say."""
    wrong = fetch(
        app,
        """
        SELECT p.id
        FROM products AS p
        LEFT JOIN (
            SELECT product_id, count(*) AS n, sum(quantity) AS stock,
                   coalesce(min(price) FILTER (WHERE quantity > 0), min(price)) AS low
            FROM offers WHERE is_active GROUP BY product_id
        ) AS o ON o.product_id = p.id
        LEFT JOIN (
            SELECT product_id, count(*) AS n, sum(rating) AS total
            FROM product_reviews WHERE hidden_at IS NULL GROUP BY product_id
        ) AS r ON r.product_id = p.id
        WHERE p.offer_count <> coalesce(o.n, 0) OR p.total_stock <> coalesce(o.stock, 0)
           OR p.min_price IS DISTINCT FROM o.low
           OR p.rating_count <> coalesce(r.n, 0) OR p.rating_sum <> coalesce(r.total, 0)
        """,
    )
    held_but_selling = fetch(
        app,
        """
        SELECT o.product_id FROM offers AS o
        JOIN users AS u ON u.id = o.seller_id
        JOIN products AS p ON p.id = o.product_id
        WHERE o.is_active AND (o.moderation_hold OR u.suspended_at IS NOT NULL OR p.status <> 'listed')
        """,
    )
    assert wrong == [] and held_but_selling == []


@pytest.fixture
def no_retries(caplog):
    caplog.set_level(logging.WARNING, logger="app.db")
    yield
    assert [record for record in caplog.records if "retry" in record.getMessage()] == []


def test_a_suspension_races_checkouts_restocks_and_a_new_offer(app, actions, no_retries):
    seller = actions.create_user()
    products = [factories.product(app, seller["id"], name=f"Race {number}") for number in range(3)]
    for product in products:
        factories.offer(app, seller["id"], product["id"], price="5.00", quantity=20)
    extra = factories.product(app, actions.create_user()["id"], name="Fresh")
    buyers = [actions.create_user(balance="100.00") for _ in range(6)]
    for number, buyer in enumerate(buyers):
        in_cart(app, buyer["id"], seller["id"], products[number % 3]["id"], 2)

    work = [lambda buyer=buyer: checkout_model.place_order(buyer["id"], checkout_model.new_token()) for buyer in buyers]
    work.append(lambda: admin_users.set_suspended(seller["id"], True, "Fraud", STAFF))
    work.append(refused_or_done(lambda: offer.update_offer(seller["id"], products[0]["id"], Decimal("6.00"), 30, 20)))
    work.append(refused_or_done(lambda: offer.add_offer(seller["id"], extra["id"], Decimal("3.00"), 4)))
    results = run_together(app, work)

    assert results[6] >= 3  # the suspension held the offers it found (and a new one, if it came first)
    assert fetch(app, "SELECT count(*) AS n FROM offers WHERE seller_id = :id AND is_active", id=seller["id"]) == [
        {"n": 0}
    ]
    assert_summaries_right(app)
    assert_books_balance(app)


def test_a_take_down_races_checkouts_of_the_same_product(app, actions, no_retries):
    sellers = [actions.create_user() for _ in range(3)]
    product = factories.product(app, sellers[0]["id"], name="Hot Item")
    for seller in sellers:
        factories.offer(app, seller["id"], product["id"], price="8.00", quantity=10)
    buyers = [actions.create_user(balance="100.00") for _ in range(6)]
    for number, buyer in enumerate(buyers):
        in_cart(app, buyer["id"], sellers[number % 3]["id"], product["id"], 1)

    work = [lambda buyer=buyer: checkout_model.place_order(buyer["id"], checkout_model.new_token()) for buyer in buyers]
    work.append(lambda: admin_products.set_status(product["id"], "taken_down", "Recall", STAFF, "product.take_down"))
    run_together(app, work)
    assert fetch(app, "SELECT offer_count FROM products WHERE id = :id", id=product["id"]) == [{"offer_count": 0}]
    assert_summaries_right(app)
    assert_books_balance(app)

    run_together(app, [lambda: admin_products.set_status(product["id"], "listed", "Cleared", STAFF, "product.restore")])
    assert fetch(app, "SELECT offer_count FROM products WHERE id = :id", id=product["id"]) == [{"offer_count": 3}]
    assert_summaries_right(app)


def test_hiding_a_review_races_its_edit_and_votes(app, actions, no_retries):
    seller = actions.create_user()
    product = factories.product(app, seller["id"], name="Reviewed")
    factories.offer(app, seller["id"], product["id"])
    author = actions.create_user()
    target = factories.product_review(app, product["id"], author["id"], rating=2)
    others = [actions.create_user() for _ in range(4)]
    for number, other in enumerate(others):
        factories.product_review(app, product["id"], other["id"], rating=5 - number % 2)

    work = [
        lambda: review_report.hide_review("product", target["id"], "Spam", STAFF),
        refused_or_done(lambda: review.save_review("product", product["id"], author["id"], 1, "Edited", "Worse now")),
        *[
            refused_or_done(lambda voter=voter: review.vote("product", target["id"], voter["id"], True))
            for voter in others
        ],
    ]
    run_together(app, work)
    assert_summaries_right(app)
    assert fetch(app, "SELECT rating_count FROM products WHERE id = :id", id=product["id"]) == [{"rating_count": 4}]


def test_moving_products_and_editing_their_values_race_removing_an_attribute(app, actions, no_retries):
    """Every writer of attribute values at once, on the same products: a seller moves one and edits
    another's values, an administrator moves a third, merges a category into laptops and removes
    laptops' colour. Each value ends in its product's category, of a key that category defines
    (migration 0034), and no colour outlives its definition (attribute.replace_product_values)."""
    department = factories.department(app)
    laptops, tablets, phones = (factories.category(app, department["id"], name) for name in ("L", "T", "P"))
    definitions = [(laptops, "colour", "text"), (tablets, "screen_size", "number"), (phones, "colour", "text")]
    for category in (laptops, phones):
        definitions.append((category, "screen_size", "number"))
    for category, key, kind in definitions:
        run(
            app,
            "INSERT INTO category_attributes (category_id, key, label, type) VALUES (:id, :key, :key, :type)",
            id=category["id"],
            key=key,
            type=kind,
        )
    seller = actions.create_user()
    products = [factories.product(app, seller["id"], laptops["id"], f"Laptop {n}") for n in range(3)]
    products += [factories.product(app, seller["id"], phones["id"], f"Phone {n}") for n in range(2)]
    for product in products:
        run(
            app,
            """
            INSERT INTO product_attributes (product_id, key, value_text, value_number)
            VALUES (:id, 'colour', 'Black', NULL), (:id, 'screen_size', NULL, 13)
            """,
            id=product["id"],
        )

    def seller_edit(product, category, values):
        details = {"name": product["name"], "description": "", "category_id": category["id"], "attributes": values}
        return lambda: seller_product.update_product(product["id"], seller["id"], details, None)

    admin_move = {"name": "Laptop 2", "description": "", "category_id": tablets["id"], "brand": None, "tags": []}
    run_together(
        app,
        [
            seller_edit(products[0], tablets, {"screen_size": Decimal("10.5")}),
            seller_edit(products[1], laptops, {"screen_size": Decimal("14"), "colour": "Red"}),
            lambda: admin_products.edit_product(products[2]["id"], admin_move, STAFF),
            lambda: admin_attributes.delete_attribute(laptops["id"], "colour", STAFF),
            lambda: admin_catalog.merge_categories(phones["id"], laptops["id"], STAFF),
        ],
    )
    values = fetch(
        app,
        """
        SELECT p.name, c.name AS category, a.key, coalesce(a.value_text, trim_scale(a.value_number)::text) AS value
        FROM product_attributes AS a
        JOIN products AS p ON p.id = a.product_id
        JOIN categories AS c ON c.id = a.category_id
        WHERE p.creator_id = :seller
        ORDER BY p.name, a.key
        """,
        seller=seller["id"],
    )
    assert [tuple(row.values()) for row in values] == [
        ("Laptop 0", "T", "screen_size", "10.5"),
        ("Laptop 1", "L", "screen_size", "14"),
        ("Laptop 2", "T", "screen_size", "13"),
        ("Phone 0", "L", "screen_size", "13"),
        ("Phone 1", "L", "screen_size", "13"),
    ]  # a colour written, or moved into laptops, as laptops' colour goes: gone whichever came first
    [(name, broken_sql)] = [item for item in check.INVARIANTS if item[0].startswith("product_attributes:")]
    assert fetch(app, broken_sql) == [{"count": 0}], name


def test_merging_a_category_races_sellers_moving_its_products_into_the_target(app, actions, no_retries):
    """A seller moves products out of a category into another while the console merges the two: the
    merge's category locks must let the moves' foreign-key checks through, or each waits on the other."""
    department = factories.department(app)
    source, target = (factories.category(app, department["id"], name) for name in ("Old", "New"))
    seller = actions.create_user()
    products = [factories.product(app, seller["id"], source["id"], f"Moving {n}") for n in range(6)]
    details = {"description": "", "category_id": target["id"]}
    moves = [
        lambda product=product: seller_product.update_product(
            product["id"], seller["id"], details | {"name": product["name"]}, None
        )
        for product in products
    ]
    run_together(app, [*moves, lambda: admin_catalog.merge_categories(source["id"], target["id"], STAFF)])
    assert fetch(app, "SELECT count(*) AS n FROM products WHERE category_id = :id", id=target["id"]) == [{"n": 6}]
    assert fetch(app, "SELECT count(*) AS n FROM categories WHERE id = :id", id=source["id"]) == [{"n": 0}]


def test_merging_a_department_races_moving_its_categories_into_the_target(app, no_retries):
    """Categories moved into a department while another merges into it: the same foreign-key wait."""
    source, target = factories.department(app), factories.department(app)
    categories = [factories.category(app, source["id"], f"Moving {n}") for n in range(4)]
    moves = [
        refused_or_done(lambda category=category: admin_catalog.move_category(category["id"], target["id"], STAFF))
        for category in categories
    ]
    run_together(app, [*moves, lambda: admin_catalog.merge_departments(source["id"], target["id"], STAFF)])
    ids = [category["id"] for category in categories]
    assert fetch(app, "SELECT DISTINCT department_id FROM categories WHERE id = ANY(:ids)", ids=ids) == [
        {"department_id": target["id"]}
    ]
