"""Rows for tests, inserted through the app's database (inside the test's transaction).

Each function takes `app` and keyword overrides and returns the new row as a mapping.
Triggers run as in production, so product summaries (min_price, offer_count…) are real.
"""

import itertools
import uuid
from decimal import Decimal

from sqlalchemy import text

_serial = itertools.count(1)
_run = uuid.uuid4().hex[:6]  # keeps names unique when a database already has rows (benchmarks)


def _insert(app, sql: str, **params):
    database = app.extensions["bazaar_db"]
    with database.transaction() as connection:
        return connection.execute(text(sql), params).mappings().one()


def department(app, name: str | None = None):
    number = next(_serial)
    name = name or f"Department {number} {_run}"
    return _insert(
        app,
        "INSERT INTO departments (name, slug) VALUES (:name, :slug) RETURNING *",
        name=name,
        slug=f"department-{number}-{_run}",
    )


def category(app, department_id: int | None = None, name: str | None = None):
    number = next(_serial)
    department_id = department_id or department(app)["id"]
    return _insert(
        app,
        "INSERT INTO categories (department_id, name, slug) VALUES (:department_id, :name, :slug) RETURNING *",
        department_id=department_id,
        name=name or f"Category {number}",
        slug=f"category-{number}-{_run}",
    )


def product(app, creator_id: int, category_id: int | None = None, name: str | None = None, description: str = ""):
    return _insert(
        app,
        """
        INSERT INTO products (category_id, creator_id, name, description)
        VALUES (:category_id, :creator_id, :name, :description)
        RETURNING *
        """,
        category_id=category_id or category(app)["id"],
        creator_id=creator_id,
        name=name or f"Product {next(_serial)}",
        description=description,
    )


def offer(app, seller_id: int, product_id: int, price: str = "10.00", quantity: int = 10, is_active: bool = True):
    """An offer with its 'initial' inventory event, as the seller center makes them."""
    row = _insert(
        app,
        """
        INSERT INTO offers (seller_id, product_id, price, quantity, is_active)
        VALUES (:seller_id, :product_id, :price, :quantity, :is_active)
        RETURNING *
        """,
        seller_id=seller_id,
        product_id=product_id,
        price=Decimal(price),
        quantity=quantity,
        is_active=is_active,
    )
    if quantity:
        _insert(
            app,
            """
            INSERT INTO inventory_events (seller_id, product_id, delta, quantity_after, reason)
            VALUES (:seller_id, :product_id, :quantity, :quantity, 'initial')
            RETURNING id
            """,
            seller_id=seller_id,
            product_id=product_id,
            quantity=quantity,
        )
    return row


def product_review(app, product_id: int, author_id: int, rating: int = 5, title: str = "Good", body: str = "Works."):
    return _insert(
        app,
        """
        INSERT INTO product_reviews (product_id, author_id, rating, title, body)
        VALUES (:product_id, :author_id, :rating, :title, :body)
        RETURNING *
        """,
        product_id=product_id,
        author_id=author_id,
        rating=rating,
        title=title,
        body=body,
    )
