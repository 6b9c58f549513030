"""Checkout: turn the active cart into a purchase in one transaction, or change nothing.

Locks follow the order in app/models/locks.py, shared with every other writer: cart lines,
offers, products, users, all taken before the first write but the token's purchase row, so
concurrent checkouts, cancellations and restocks wait for each other instead of deadlocking.
The order lines it places are written by order.py, their stock taken by inventory.py.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from app import db
from app.models import balance, inventory, locks, order
from app.templating import money


class CheckoutFailed(Exception):
    """Nothing was bought; `problems` says why, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Placed:
    purchase_id: int
    already_placed: bool  # the token had been used: this is the earlier purchase


def new_token() -> str:
    """A one-time token for the checkout form."""
    return str(uuid.uuid4())


@db.retry_on_conflict
def place_order(buyer_id: int, token: str, expected_total: Decimal | None = None) -> Placed:
    """Buy every active cart line at today's prices, or raise CheckoutFailed.

    The token makes this idempotent: a second call with the same token (a double click,
    a resubmitted form) returns the first purchase and charges nothing. A retry after a
    deadlock runs with the same token, the first try's purchase row rolled back with it.
    """
    try:
        with db.transaction() as conn:
            purchase_id = _claim_token(conn, buyer_id, token)
            if purchase_id is None:
                return Placed(_purchase_for_token(conn, buyer_id, token), already_placed=True)
            lines = _lock_cart_lines(conn, buyer_id)
            if not lines:
                raise CheckoutFailed(["Your cart is empty."])
            offers = locks.lock_offers(conn, ((line["seller_id"], line["product_id"]) for line in lines))
            total = _check_lines(lines, offers, expected_total)
            _lock_products_and_users(conn, buyer_id, lines)
            _debit_buyer(conn, buyer_id, purchase_id, total)
            orders = order.record_lines(conn, purchase_id, buyer_id, _priced(lines, offers))
            if inventory.take_stock(conn, orders) != len(orders):  # unreachable while the offers stay locked
                raise CheckoutFailed(["Some items sold out while you checked out. Please review your cart."])
            _credit_sellers(conn, purchase_id, orders)
            db.execute(conn, "UPDATE purchases SET total = :total WHERE id = :id", total=total, id=purchase_id)
            db.execute(
                conn, "DELETE FROM cart_lines WHERE user_id = :buyer_id AND NOT saved_for_later", buyer_id=buyer_id
            )
            return Placed(purchase_id, already_placed=False)
    except IntegrityError as error:
        # The constraints are the last line of defence; the checks above should make this
        # unreachable, but if a rule is broken the buyer hears about it, and nothing changed.
        raise CheckoutFailed(["Something in your cart changed while you checked out. Please try again."]) from error


def _claim_token(conn: Connection, buyer_id: int, token: str) -> int | None:
    """Create the purchase row for this token; None if the token was already used.

    A concurrent checkout with the same token waits here on the unique index until the
    first one commits (then this returns None) or rolls back (then this one proceeds).
    """
    row = db.fetch_one(
        conn,
        """
        INSERT INTO purchases (buyer_id, checkout_token, total)
        VALUES (:buyer_id, :token, 0)
        ON CONFLICT (checkout_token) DO NOTHING
        RETURNING id
        """,
        buyer_id=buyer_id,
        token=token,
    )
    return row["id"] if row else None


def _purchase_for_token(conn: Connection, buyer_id: int, token: str) -> int:
    purchase_id = db.fetch_one(
        conn,
        "SELECT id FROM purchases WHERE checkout_token = :token AND buyer_id = :buyer_id",
        token=token,
        buyer_id=buyer_id,
    )
    if purchase_id is None:  # someone else's token: never reveal their purchase
        raise CheckoutFailed(["This checkout form is not valid. Please reload your cart."])
    return purchase_id["id"]


def _lock_cart_lines(conn: Connection, buyer_id: int):
    """The active cart lines, locked so the cart cannot change under the checkout."""
    return db.fetch_all(
        conn,
        """
        SELECT seller_id, product_id, quantity
        FROM cart_lines
        WHERE user_id = :buyer_id
          AND NOT saved_for_later
        ORDER BY product_id, seller_id
        FOR UPDATE
        """,
        buyer_id=buyer_id,
    )


def _check_lines(lines, offers: dict, expected_total: Decimal | None) -> Decimal:
    """Every line must be sold and in stock, and the total what the buyer saw."""
    problems = []
    total = Decimal("0.00")
    for line in lines:
        offer = offers[(line["seller_id"], line["product_id"])]
        if not offer["is_active"]:
            problems.append(f"{offer['product_name']} is no longer sold by this seller: remove it from your cart.")
        elif offer["quantity"] == 0:
            problems.append(f"{offer['product_name']} is sold out.")
        elif offer["quantity"] < line["quantity"]:
            problems.append(f"Only {offer['quantity']} left of {offer['product_name']}.")
        total += offer["price"] * line["quantity"]
    if problems:
        raise CheckoutFailed(problems)
    if expected_total is not None and total != expected_total:
        raise CheckoutFailed([f"Prices changed since you opened your cart: the total is now {money(total)}."])
    return total


def _lock_products_and_users(conn: Connection, buyer_id: int, lines) -> None:
    """Lock the products (their summaries change) and every user whose balance changes."""
    locks.lock_products(conn, (line["product_id"] for line in lines))
    locks.lock_users(conn, [buyer_id, *(line["seller_id"] for line in lines)])


def _debit_buyer(conn: Connection, buyer_id: int, purchase_id: int, total: Decimal) -> None:
    """Take the total from the buyer's balance, with its ledger row, if it covers it."""
    if balance.debit(conn, buyer_id, total, "purchase", purchase_id) is None:
        have = db.fetch_one(conn, "SELECT balance FROM users WHERE id = :id", id=buyer_id)["balance"]
        raise CheckoutFailed(
            [f"Your balance is {money(total - have)} short: the total is {money(total)}, you have {money(have)}."]
        )


def _priced(lines, offers: dict) -> list[dict]:
    """The cart lines with the locked offers' prices, as the order lines record them."""
    return [{**line, "unit_price": offers[(line["seller_id"], line["product_id"])]["price"]} for line in lines]


def _credit_sellers(conn: Connection, purchase_id: int, orders) -> None:
    """Pay each seller their lines' total, with one ledger row per seller."""
    totals: dict[int, Decimal] = {}
    for line in orders:
        totals[line["seller_id"]] = totals.get(line["seller_id"], Decimal("0")) + line["line_total"]
    db.execute(
        conn,
        """
        WITH credited AS (
            UPDATE users AS u
            SET balance = u.balance + sale.amount
            FROM unnest(CAST(:sellers AS bigint[]), CAST(:amounts AS numeric[])) AS sale(seller_id, amount)
            WHERE u.id = sale.seller_id
            RETURNING u.id, u.balance, sale.amount
        )
        INSERT INTO balance_ledger (user_id, kind, amount, balance_after, purchase_id)
        SELECT id, 'sale', amount, balance, :purchase_id
        FROM credited
        """,
        sellers=list(totals),
        amounts=list(totals.values()),
        purchase_id=purchase_id,
    )
