"""Sellers' shipping methods (/seller/shipping) and the fee each seller's part of a cart costs.

A seller with no method of their own ships by STANDARD, free. The review page and checkout both
price shipping with `choose`, so the total a buyer sees is the total checkout charges. Retiring
a method keeps its row: shipments name the method they were sent by.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from app import db

MAX_METHODS = 10  # active methods per seller


@dataclass(frozen=True)
class Method:
    id: int | None  # None: STANDARD
    name: str
    fee: Decimal
    free_over: Decimal | None
    min_days: int
    max_days: int

    def fee_for(self, subtotal: Decimal) -> Decimal:
        """The fee for a seller's lines worth `subtotal`: nothing from free_over on."""
        return Decimal("0.00") if self.free_over is not None and subtotal >= self.free_over else self.fee


STANDARD = Method(None, "Standard delivery", Decimal("0.00"), None, 3, 7)


@dataclass(frozen=True)
class Choice:
    """One seller's shipping in a cart: the method, what their lines cost, the fee."""

    seller_id: int
    method: Method
    subtotal: Decimal
    fee: Decimal
    options: tuple[Method, ...]  # what the buyer may pick from


class ShippingUnavailable(Exception):
    """The chosen method is not (or no longer) one of the seller's."""


class TooManyMethods(Exception):
    """The seller has MAX_METHODS active methods."""


class NameTaken(Exception):
    """Another active method of the seller has this name."""


def _method(row) -> Method:
    return Method(row["id"], row["name"], row["fee"], row["free_over"], row["min_days"], row["max_days"])


def fetch_active_methods(conn: Connection, seller_ids) -> dict[int, list[Method]]:
    """The active methods of these sellers, cheapest first, by seller (sellers without any: STANDARD)."""
    rows = db.fetch_all(
        conn,
        """
        SELECT id, seller_id, name, fee, free_over, min_days, max_days
        FROM shipping_methods
        WHERE seller_id = ANY(:seller_ids)
          AND is_active
        ORDER BY seller_id, fee, max_days, id
        """,
        seller_ids=sorted(set(seller_ids)),
    )
    methods: dict[int, list[Method]] = {seller_id: [] for seller_id in seller_ids}
    for row in rows:
        methods[row["seller_id"]].append(_method(row))
    return {seller_id: found or [STANDARD] for seller_id, found in methods.items()}


def list_active_methods(seller_ids) -> dict[int, list[Method]]:
    """fetch_active_methods for a page, outside a transaction."""
    with db.connect() as conn:
        return fetch_active_methods(conn, seller_ids)


def choose(methods: dict[int, list[Method]], subtotals: dict[int, Decimal], wanted: dict[int, int]) -> list[Choice]:
    """Each seller's shipping: the method `wanted` names for them, else their cheapest for these lines.

    Raises ShippingUnavailable if a wanted method is not one of that seller's active methods.
    """
    choices = []
    for seller_id, subtotal in subtotals.items():
        options = methods[seller_id]
        if seller_id in wanted:
            method = next((method for method in options if method.id == wanted[seller_id]), None)
            if method is None:
                raise ShippingUnavailable("A shipping method you chose is no longer offered. Please choose again.")
        else:
            method = min(options, key=lambda option: (option.fee_for(subtotal), option.max_days))
        choices.append(Choice(seller_id, method, subtotal, method.fee_for(subtotal), tuple(options)))
    return choices


# The seller's settings page.


def list_methods(seller_id: int):
    """The seller's active methods, cheapest first."""
    return db.all(
        """
        SELECT id, name, fee, free_over, min_days, max_days
        FROM shipping_methods
        WHERE seller_id = :seller_id
          AND is_active
        ORDER BY fee, max_days, id
        """,
        seller_id=seller_id,
    )


def get_method(method_id: int, seller_id: int):
    """The seller's active method, or None if there is none or it is someone else's."""
    return db.one(
        """
        SELECT id, name, fee, free_over, min_days, max_days
        FROM shipping_methods
        WHERE id = :method_id
          AND seller_id = :seller_id
          AND is_active
        """,
        method_id=method_id,
        seller_id=seller_id,
    )


def _is_name_taken(error: IntegrityError) -> bool:
    return getattr(error.orig.diag, "constraint_name", None) == "shipping_methods_name_key"


def add_method(seller_id: int, values: dict) -> int:
    """Add a method; return its id. Raises TooManyMethods or NameTaken."""
    try:
        row = db.run_returning(
            """
            INSERT INTO shipping_methods (seller_id, name, fee, free_over, min_days, max_days)
            SELECT :seller_id, :name, :fee, :free_over, :min_days, :max_days
            WHERE (SELECT count(*) FROM shipping_methods WHERE seller_id = :seller_id AND is_active) < :most
            RETURNING id
            """,
            seller_id=seller_id,
            most=MAX_METHODS,
            **values,
        )
    except IntegrityError as error:
        if _is_name_taken(error):
            raise NameTaken() from error
        raise
    if row is None:
        raise TooManyMethods()
    return row["id"]


def update_method(method_id: int, seller_id: int, values: dict) -> bool:
    """Change the seller's method (buyers' past shipments keep their copy); False if not theirs."""
    try:
        return (
            db.run(
                """
                UPDATE shipping_methods
                SET name = :name, fee = :fee, free_over = :free_over, min_days = :min_days, max_days = :max_days
                WHERE id = :method_id
                  AND seller_id = :seller_id
                  AND is_active
                """,
                method_id=method_id,
                seller_id=seller_id,
                **values,
            )
            == 1
        )
    except IntegrityError as error:
        if _is_name_taken(error):
            raise NameTaken() from error
        raise


def retire_method(method_id: int, seller_id: int) -> bool:
    """Stop offering the seller's method; False if it was not theirs or already retired."""
    return (
        db.run(
            """
            UPDATE shipping_methods
            SET is_active = false
            WHERE id = :method_id
              AND seller_id = :seller_id
              AND is_active
            """,
            method_id=method_id,
            seller_id=seller_id,
        )
        == 1
    )


def record_shipments(conn: Connection, purchase_id: int, choices: list[Choice]) -> None:
    """Keep each seller's method and fee with the purchase (the method may change or retire later)."""
    db.execute(
        conn,
        """
        INSERT INTO shipments (purchase_id, seller_id, method_id, method_name, fee, min_days, max_days)
        SELECT :purchase_id, chosen.seller_id, chosen.method_id, chosen.name, chosen.fee, chosen.min_days,
               chosen.max_days
        FROM unnest(CAST(:sellers AS bigint[]), CAST(:methods AS bigint[]), CAST(:names AS text[]),
                    CAST(:fees AS numeric[]), CAST(:min_days AS int[]), CAST(:max_days AS int[]))
             AS chosen(seller_id, method_id, name, fee, min_days, max_days)
        """,
        purchase_id=purchase_id,
        sellers=[choice.seller_id for choice in choices],
        methods=[choice.method.id for choice in choices],
        names=[choice.method.name for choice in choices],
        fees=[choice.fee for choice in choices],
        min_days=[choice.method.min_days for choice in choices],
        max_days=[choice.method.max_days for choice in choices],
    )
