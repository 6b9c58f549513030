"""Real purchases at chosen times, for the analytics and recommendation tests.

Orders go through the cart and the checkout as in production; only their time is moved
afterwards (a test's transaction has one now()). `Line` keeps what a test needs to compute the
expected numbers itself, in plain Python.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import text

UTC = ZoneInfo("UTC")


def _write(app, sql: str, **params):
    """Run a writing statement and commit it (a SAVEPOINT inside a test's transaction)."""
    with app.extensions["bazaar_db"].transaction() as connection:
        return connection.execute(text(sql), params).mappings().first()


@dataclass
class Line:
    purchase_id: int
    order_id: int
    buyer_id: int
    seller_id: int
    product_id: int
    product: str
    category: str
    quantity: int
    unit_price: Decimal
    ordered_at: datetime
    cancelled: bool = False

    @property
    def line_total(self) -> Decimal:
        return self.quantity * self.unit_price


def buy(app, buyer, items, at: datetime) -> list[Line]:
    """Buy `items` [(seller, product, category, quantity)] in one purchase made at `at` (aware)."""
    from app.models import cart, checkout

    with app.test_request_context():
        for seller, product, _, quantity in items:
            cart.set_line(buyer["id"], seller["id"], product["id"], quantity)
        purchase_id = checkout.place_order(buyer["id"], checkout.new_token()).purchase_id
    _write(app, "UPDATE purchases SET created_at = :at WHERE id = :id RETURNING id", at=at, id=purchase_id)
    lines = []
    for seller, product, category, quantity in items:
        order = _write(
            app,
            """
            UPDATE orders SET ordered_at = :at
            WHERE purchase_id = :purchase_id AND seller_id = :seller_id AND product_id = :product_id
            RETURNING id, unit_price
            """,
            at=at,
            purchase_id=purchase_id,
            seller_id=seller["id"],
            product_id=product["id"],
        )
        lines.append(
            Line(
                purchase_id,
                order["id"],
                buyer["id"],
                seller["id"],
                product["id"],
                product["name"],
                category["name"],
                quantity,
                order["unit_price"],
                at.astimezone(UTC),
            )
        )
    return lines


def cancel(app, line: Line) -> None:
    """Cancel a line the way its buyer does (refund, stock back)."""
    from app.models import purchase

    with app.test_request_context():
        purchase.cancel_line(line.order_id, line.purchase_id, line.buyer_id)
    line.cancelled = True
