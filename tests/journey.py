"""Helpers for the order-journey tests: a small market, placing orders, moving lines through their
states, and making time pass for a line (its times moved back, as if it had happened earlier)."""

import re
from decimal import Decimal

from sqlalchemy import text

from app.models import address, cart, checkout, shipping
from tests import factories
from tests.conftest import query_one

ADDRESS = {
    "full_name": "Bea Buyer",
    "line1": "12 Elm Street",
    "line2": "Flat 3",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "United States",
    "phone": "+1 555 0100",
}

# Every time column of a line, moved together when a line is made older.
LINE_TIMES = (
    "ordered_at",
    "shipped_at",
    "fulfilled_at",
    "delivered_at",
    "return_requested_at",
    "return_refused_at",
    "returned_at",
    "refunded_at",
    "cancelled_at",
    "released_at",
)


def make_market(app, actions, buyer_balance: str = "500.00") -> dict:
    """Sam sells a lamp ($25) and a mug ($8), with Standard ($4.99, free from $50) and Express ($12)
    shipping; Rita sells a vase ($40) with no methods of her own; Bea has money and an address."""
    sam = actions.create_user(full_name="Sam Seller")
    rita = actions.create_user(full_name="Rita Rival")
    category = factories.category(app)
    lamp = factories.product(app, sam["id"], category["id"], name="Desk Lamp")
    mug = factories.product(app, sam["id"], category["id"], name="Coffee Mug")
    vase = factories.product(app, rita["id"], category["id"], name="Glass Vase")
    factories.offer(app, sam["id"], lamp["id"], price="25.00", quantity=20)
    factories.offer(app, sam["id"], mug["id"], price="8.00", quantity=20)
    factories.offer(app, rita["id"], vase["id"], price="40.00", quantity=20)
    bea = actions.create_user(full_name="Bea Buyer", balance=buyer_balance)
    with app.test_request_context():
        standard = shipping.add_method(
            sam["id"], {"name": "Standard", "fee": Decimal("4.99"), "free_over": Decimal("50.00"), "min_days": 2,
                        "max_days": 5}
        )  # fmt: skip
        express = shipping.add_method(
            sam["id"], {"name": "Express", "fee": Decimal("12.00"), "free_over": None, "min_days": 1, "max_days": 2}
        )
        home = address.add_address(bea["id"], ADDRESS, make_default=True)
    return {
        "sam": sam,
        "rita": rita,
        "bea": bea,
        "lamp": lamp,
        "mug": mug,
        "vase": vase,
        "standard": standard,
        "express": express,
        "home": home,
    }


def place(app, buyer, lines, **options) -> int:
    """Put (seller, product, quantity) lines in the buyer's cart and place the order; its purchase id."""
    with app.test_request_context():
        for seller, product, quantity in lines:
            cart.set_line(buyer["id"], seller["id"], product["id"], quantity)
        return checkout.place_order(buyer["id"], checkout.new_token(), **options).purchase_id


def line_of(app, purchase_id: int, product) -> dict:
    """The purchase's line of this product, every column."""
    return dict(
        query_one(
            app, "SELECT * FROM orders WHERE purchase_id = :p AND product_id = :product", p=purchase_id,
            product=product["id"],
        )
    )  # fmt: skip


def line(app, order_id: int) -> dict:
    return dict(query_one(app, "SELECT * FROM orders WHERE id = :id", id=order_id))


def balances(app, user) -> tuple[Decimal, Decimal]:
    """(available, pending) of a user."""
    row = query_one(app, "SELECT balance, pending_balance FROM users WHERE id = :id", id=user["id"])
    return row["balance"], row["pending_balance"]


def make_older(app, order_id: int, days: float) -> None:
    """Move every time of the line (and of its purchase) `days` back, as if all of it had happened earlier."""
    assignments = ", ".join(f"{column} = {column} - make_interval(secs => :seconds)" for column in LINE_TIMES)
    database = app.extensions["bazaar_db"]
    with database.transaction() as connection:
        connection.execute(
            text(f"UPDATE orders SET {assignments} WHERE id = :id"),  # noqa: S608 - fixed column names
            {"id": order_id, "seconds": days * 86_400},
        )
        connection.execute(
            text(
                """
                UPDATE purchases SET created_at = created_at - make_interval(secs => :seconds)
                WHERE id = (SELECT purchase_id FROM orders WHERE id = :id)
                """
            ),
            {"id": order_id, "seconds": days * 86_400},
        )


def make_purchase_older(app, purchase_id: int, days: float) -> None:
    """make_older for every line of a purchase, the purchase moved once (its lines keep its time)."""
    lines = query_one(app, "SELECT array_agg(id) AS ids FROM orders WHERE purchase_id = :p", p=purchase_id)["ids"]
    for order_id in lines:
        make_older(app, order_id, days)
    database = app.extensions["bazaar_db"]
    with database.transaction() as connection:
        connection.execute(
            text("UPDATE purchases SET created_at = created_at + make_interval(secs => :seconds) WHERE id = :id"),
            {"id": purchase_id, "seconds": days * 86_400 * (len(lines) - 1)},
        )


def make_everyone_older(app, days: float = 60) -> None:
    """Move users, products, offers and their first stock back `days` (a test database of one's own),
    so lines made older with make_older still come after the offers and buyers they name."""
    database = app.extensions["bazaar_db"]
    with database.transaction() as connection:
        for table in ("users", "products", "offers", "inventory_events"):
            connection.execute(
                text(f"UPDATE {table} SET created_at = created_at - make_interval(secs => :seconds)"),  # noqa: S608 - fixed table names
                {"seconds": days * 86_400},
            )


def outbox(app, template: str, recipient: str | None = None) -> list:
    """The messages of this template in the outbox (to `recipient` if given), oldest first."""
    rows = query_one(
        app,
        """
        SELECT coalesce(json_agg(json_build_object('to', recipient, 'text', text_body) ORDER BY id), '[]') AS rows
        FROM mail_outbox
        WHERE template = :template
          AND (CAST(:recipient AS text) IS NULL OR recipient = :recipient)
        """,
        template=template,
        recipient=recipient,
    )["rows"]
    return rows


def form_values(page: str) -> dict:
    """The hidden token and total of the review page's form, as a browser would send them."""
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    total = re.search(r'name="expected_total" type="hidden" value="([^"]+)"', page).group(1)
    return {"token": token, "expected_total": total}
