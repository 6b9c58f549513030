"""Migrations 0013 and 0014 on data the code before them wrote: profile addresses become address
books, fulfilled lines become shipped and delivered, and money not yet settled moves into escrow
as far as each seller's balance covers it. Every invariant of db/check.py holds afterwards.

Runs on a database of its own (like test_generated.py), built to 0015 first, filled as the old
code filled it, then upgraded.
"""

import uuid
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest
from alembic import command

from db import manage
from db.check import run_checks
from tests.direct import fetch

DATABASE = "bazaar_migration_test"
BEFORE = "0015_order_lines_paid_default"  # the newest revision before this issue's


@pytest.fixture
def old_url(database_url):
    url = manage.with_database(database_url, DATABASE)
    manage.drop_database(url)
    manage.ensure_database(url)
    command.upgrade(manage.alembic_config(url), BEFORE)
    yield url
    manage.drop_database(url)


class OldCode:
    """Writes rows as the code before 0014 did: sales credited to the seller at once, refunds of a
    cancelled line taken back from the seller, every balance its ledger's running sum."""

    def __init__(self, cursor) -> None:
        self.cursor = cursor
        self.balances: dict[int, float] = {}
        self.stock: dict[tuple[int, int], int] = {}

    def one(self, sql: str, *params):
        self.cursor.execute(sql, params)
        return self.cursor.fetchone()[0] if self.cursor.description else None

    def user(self, name: str, address: str, at: datetime) -> int:
        return self.one(
            "INSERT INTO users (email, full_name, address, password_hash, created_at, email_verified_at) "
            "VALUES (%s, %s, %s, 'x', %s, %s) RETURNING id",
            f"{uuid.uuid4().hex[:8]}@example.com",
            name,
            address,
            at,
            at,
        )

    def ledger(self, user_id: int, kind: str, amount: float, at: datetime, purchase_id=None) -> None:
        self.balances[user_id] = round(self.balances.get(user_id, 0) + amount, 2)
        self.one(
            "INSERT INTO balance_ledger (user_id, kind, amount, balance_after, purchase_id, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            user_id,
            kind,
            amount,
            self.balances[user_id],
            purchase_id,
            at,
        )
        self.one("UPDATE users SET balance = %s WHERE id = %s", self.balances[user_id], user_id)

    def stock_event(self, seller_id, product_id, delta, reason, at, order_id=None) -> None:
        key = (seller_id, product_id)
        self.stock[key] = self.stock.get(key, 0) + delta
        self.one(
            "INSERT INTO inventory_events (seller_id, product_id, delta, quantity_after, reason, order_id, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            seller_id,
            product_id,
            delta,
            self.stock[key],
            reason,
            order_id,
            at,
        )
        self.one("UPDATE offers SET quantity = %s WHERE seller_id = %s AND product_id = %s", self.stock[key], *key)

    def sell(self, buyer, seller, product, price: float, at: datetime) -> tuple[int, int]:
        """One purchase of one unit: (purchase id, line id)."""
        purchase_id = self.one(
            "INSERT INTO purchases (buyer_id, checkout_token, total, created_at) VALUES (%s, %s, %s, %s) RETURNING id",
            buyer,
            str(uuid.uuid4()),
            price,
            at,
        )
        line_id = self.one(
            "INSERT INTO orders (purchase_id, buyer_id, seller_id, product_id, quantity, unit_price, ordered_at) "
            "VALUES (%s, %s, %s, %s, 1, %s, %s) RETURNING id",
            purchase_id,
            buyer,
            seller,
            product,
            price,
            at,
        )
        self.ledger(buyer, "purchase", -price, at, purchase_id)
        self.ledger(seller, "sale", price, at, purchase_id)
        self.stock_event(seller, product, -1, "sale", at, line_id)
        return purchase_id, line_id


def test_old_orders_become_states_and_their_money_goes_into_escrow(old_url):
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=200)
    connection = psycopg2.connect(old_url)
    with connection, connection.cursor() as cursor:
        old = OldCode(cursor)
        buyer = old.user("Bea Buyer", "12 Elm Street\nSpringfield", long_ago)
        keeper = old.user("Kim Keeper", "1 Shop Road", long_ago)  # keeps her sales' money
        spender = old.user("Walt Withdrawn", "2 Shop Road", long_ago)  # withdrew his
        department = old.one("INSERT INTO departments (name, slug) VALUES ('D', 'd') RETURNING id")
        category = old.one(
            "INSERT INTO categories (department_id, name, slug) VALUES (%s, 'C', 'c') RETURNING id", department
        )
        products = {}
        for seller in (keeper, spender):
            products[seller] = old.one(
                "INSERT INTO products (category_id, creator_id, name, created_at) VALUES (%s, %s, 'Lamp', %s) "
                "RETURNING id",
                category,
                seller,
                long_ago,
            )
            old.one(
                "INSERT INTO offers (seller_id, product_id, price, quantity, created_at) VALUES (%s, %s, 10, 0, %s)",
                seller,
                products[seller],
                long_ago,
            )
            old.stock_event(seller, products[seller], 50, "initial", long_ago)
        old.ledger(buyer, "top_up", 500, long_ago + timedelta(hours=1))
        at = long_ago + timedelta(days=1)
        _, delivered_long_ago = old.sell(buyer, keeper, products[keeper], 10, at)  # fulfilled 150 days ago
        _, delivered_lately = old.sell(buyer, keeper, products[keeper], 20, now - timedelta(days=10))
        cancelled_purchase, cancelled = old.sell(buyer, keeper, products[keeper], 15, now - timedelta(days=3))
        _, waiting = old.sell(buyer, keeper, products[keeper], 30, now - timedelta(days=2))
        _, spent = old.sell(buyer, spender, products[spender], 40, now - timedelta(days=2))
        _, covered = old.sell(buyer, spender, products[spender], 5, now - timedelta(days=1))
        cursor.execute(
            "UPDATE orders SET fulfilled_at = ordered_at + interval '2 days' WHERE id IN (%s, %s)",
            (delivered_long_ago, delivered_lately),
        )
        cursor.execute("UPDATE orders SET cancelled_at = now() WHERE id = %s", (cancelled,))
        old.ledger(keeper, "sale_refund", -15, now, cancelled_purchase)
        old.ledger(buyer, "refund", 15, now, cancelled_purchase)
        old.stock_event(keeper, products[keeper], 1, "cancellation", now, cancelled)
        old.ledger(spender, "withdrawal", -42, now)  # leaves $3: it covers neither $40 nor $5 after it
    connection.close()

    manage.migrate(old_url)

    def column(sql, *params):
        return [row[0] for row in fetch(old_url, sql, params)]

    states = dict(fetch(old_url, "SELECT id, status FROM orders"))
    assert states[delivered_long_ago] == states[delivered_lately] == "delivered"
    assert states[waiting] == states[spent] == "placed" and states[cancelled] == "cancelled"
    released = dict(fetch(old_url, "SELECT id, released_at IS NOT NULL FROM orders"))
    assert released[delivered_long_ago] and not released[delivered_lately]
    held = dict(fetch(old_url, "SELECT id, held_amount FROM orders"))
    # Kim had 10 + 20 + 30 (15 refunded): the 20 and 30 not yet settled move to pending.
    assert held[delivered_lately] == 20 and held[waiting] == 30 and held[delivered_long_ago] == 0
    # Walt kept $3: not the $40 line, and, covering whole lines oldest first, not the $5 after it.
    assert held[spent] == 0 and held[covered] == 0
    assert column("SELECT balance FROM users WHERE id = %s", keeper) == [10]
    assert column("SELECT pending_balance FROM users WHERE id = %s", keeper) == [50]
    assert column("SELECT pending_balance FROM users WHERE id = %s", spender) == [0]
    book = column("SELECT line1 FROM addresses WHERE user_id = %s AND is_default", buyer)
    assert book == ["12 Elm Street\nSpringfield"]
    assert column("SELECT ship_to FROM purchases WHERE buyer_id = %s LIMIT 1", buyer) == [
        "Bea Buyer\n12 Elm Street\nSpringfield"
    ]
    assert column("SELECT count(*) FROM shipments") == [6]
    broken = [(name, count) for name, count in run_checks(old_url, workers=1) if count]
    assert broken == []

    # The old code still works on the new schema: marking a line fulfilled ships it.
    connection = psycopg2.connect(old_url)
    with connection, connection.cursor() as cursor:
        cursor.execute("UPDATE orders SET fulfilled_at = now() WHERE id = %s", (waiting,))
    connection.close()
    assert column("SELECT status FROM orders WHERE id = %s", waiting) == ["shipped"]
