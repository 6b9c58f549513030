"""Checkout: turn the active cart into a purchase in one transaction, or change nothing.

Locks follow the order in app/models/locks.py, shared with every other writer: cart lines,
offers, products, coupons, users, all taken before the first write but the token's purchase row,
so concurrent checkouts, cancellations and restocks wait for each other instead of deadlocking.
Coupons and points are priced by promotion.py under those locks (a coupon's limits are read under
its row lock, the points under the buyer's), so what the cart showed is checked once more here.
The order lines it places are written by order.py, their stock taken by inventory.py, each
seller's shipping priced by shipping.py and their proceeds and fee held by escrow.py (pending
until delivery). Shipping methods and addresses are read, not locked: the purchase keeps a copy
of the fee and the address it used, and the total the buyer saw is checked against them.
"""

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from app import countries, db, order_mail
from app.models import address, balance, escrow, inventory, locks, order, pricing, promotion, shipping
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
def place_order(
    buyer_id: int,
    token: str,
    expected_total: Decimal | None = None,
    address_id: int | None = None,
    shipping_methods: dict[int, int] | None = None,
    note: str = "",
    coupon_codes: Sequence[str] = (),
    points_to_spend: int = 0,
) -> Placed:
    """Buy every active cart line at today's prices, shipped to the buyer's address `address_id`
    (default: their default address, else their profile's) by the method `shipping_methods` names
    per seller (default: each seller's cheapest), with the coupons `coupon_codes` (normalized) and
    `points_to_spend` points, or raise CheckoutFailed (a coupon that stopped applying says why).

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
            _check_lines(lines, offers)
            quote = _lock_and_price(conn, buyer_id, lines, offers, coupon_codes, points_to_spend)
            priced = _priced(quote)
            shipments = _choose_shipping(conn, priced, shipping_methods or {})
            total = sum((line["paid"] for line in priced), Decimal("0.00")) + sum(s.fee for s in shipments)
            _check_total(total, expected_total)
            ship_to, ship_country = _delivery_address(conn, buyer_id, address_id)
            _debit_buyer(conn, buyer_id, purchase_id, total)
            orders = order.record_lines(conn, purchase_id, buyer_id, priced)
            if inventory.take_stock(conn, orders) != len(orders):  # unreachable while the offers stay locked
                raise CheckoutFailed(["Some items sold out while you checked out. Please review your cart."])
            shipping.record_shipments(conn, purchase_id, shipments)
            escrow.hold_sales(conn, purchase_id, _held_by_seller(orders, shipments))
            promotion.record_purchase(conn, purchase_id, buyer_id, quote, {line["seller_id"] for line in lines})
            _finish_purchase(conn, purchase_id, total, ship_to, ship_country, note)
            db.execute(
                conn, "DELETE FROM cart_lines WHERE user_id = :buyer_id AND NOT saved_for_later", buyer_id=buyer_id
            )
            order_mail.placed(conn, purchase_id)
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


def _check_lines(lines, offers: dict) -> None:
    """Every line must be sold and in stock."""
    problems = []
    for line in lines:
        offer = offers[(line["seller_id"], line["product_id"])]
        if not offer["is_active"]:
            problems.append(f"{offer['product_name']} is no longer sold by this seller: remove it from your cart.")
        elif offer["quantity"] == 0:
            problems.append(f"{offer['product_name']} is sold out.")
        elif offer["quantity"] < line["quantity"]:
            problems.append(f"Only {offer['quantity']} left of {offer['product_name']}.")
    if problems:
        raise CheckoutFailed(problems)


def _check_total(total: Decimal, expected_total: Decimal | None) -> None:
    """The total (lines and shipping) must be the one the buyer saw."""
    if expected_total is not None and total != expected_total:
        raise CheckoutFailed([f"Prices changed since you opened your cart: the total is now {money(total)}."])


def _choose_shipping(conn: Connection, priced: list[dict], wanted: dict[int, int]) -> list[shipping.Choice]:
    """Each seller's shipping method and fee for their lines (shipping.choose, as the review page)."""
    subtotals: dict[int, Decimal] = {}
    for line in priced:
        subtotals[line["seller_id"]] = subtotals.get(line["seller_id"], Decimal("0.00")) + line["line_total"]
    methods = shipping.fetch_active_methods(conn, subtotals)
    try:
        return shipping.choose(methods, subtotals, {seller: wanted[seller] for seller in subtotals if seller in wanted})
    except shipping.ShippingUnavailable as unavailable:
        raise CheckoutFailed([str(unavailable)]) from None


def _delivery_address(conn: Connection, buyer_id: int, address_id: int | None) -> tuple[str, str | None]:
    """The copy of the address the purchase goes to (the chosen one, the default, else the profile's)
    and the ISO code of its country, if its country is one app/countries.py knows."""
    chosen = address.get_delivery_address(conn, buyer_id, address_id)
    if chosen is not None:
        return address.format_address(chosen), countries.code_of(chosen["country"])
    if address_id is not None:
        raise CheckoutFailed(["That address is no longer in your address book. Please choose another."])
    return address.get_profile_address(conn, buyer_id), None


def _finish_purchase(
    conn: Connection, purchase_id: int, total: Decimal, ship_to: str, ship_country: str | None, note: str
) -> None:
    """Record the purchase's total, the copy of its address (and its country's code) and the buyer's note."""
    db.execute(
        conn,
        """
        UPDATE purchases
        SET total = :total, ship_to = :ship_to, ship_country = :ship_country, note = :note
        WHERE id = :id
        """,
        total=total,
        ship_to=ship_to,
        ship_country=ship_country,
        note=note,
        id=purchase_id,
    )


def _lock_and_price(
    conn: Connection, buyer_id: int, lines, offers: dict, coupon_codes: Sequence[str], points: int
) -> promotion.Quote:
    """Lock the products (their summaries change), the coupons applied and every user whose balance
    changes, in that order (locks.py); then price the lines at the offers' prices now with the coupons
    and points, or raise CheckoutFailed saying which of them cannot be used any more."""
    locks.lock_products(conn, (line["product_id"] for line in lines))
    coupons = promotion.lock_coupons(conn, coupon_codes)
    locks.lock_users(conn, [buyer_id, *(line["seller_id"] for line in lines)])
    offer_of = [offers[(line["seller_id"], line["product_id"])] for line in lines]
    priced = [
        promotion.pricing_line(line, offer["price_now"], offer["category_id"])
        for line, offer in zip(lines, offer_of, strict=True)
    ]
    try:
        return promotion.quote_checkout(conn, buyer_id, priced, coupon_codes, coupons, points)
    except promotion.PromotionRefused as refused:
        raise CheckoutFailed(refused.problems) from None


def _debit_buyer(conn: Connection, buyer_id: int, purchase_id: int, total: Decimal) -> None:
    """Take the total from the buyer's balance, with its ledger row, if it covers it (nothing to take
    when coupons paid it all)."""
    if total > 0 and balance.debit(conn, buyer_id, total, "purchase", purchase_id) is None:
        have = db.fetch_one(conn, "SELECT balance FROM users WHERE id = :id", id=buyer_id)["balance"]
        raise CheckoutFailed(
            [f"Your balance is {money(total - have)} short: the total is {money(total)}, you have {money(have)}."]
        )


def _priced(quote: promotion.Quote) -> list[dict]:
    """The priced lines as order.record_lines writes them (price, discounts by source, paid) and
    what escrow holds of each for its seller."""
    return [
        {
            **asdict(line),
            "line_total": line.line_total,
            "points_discount": line.points_discount,
            "paid": line.paid,
            # What the seller gets, held until delivery: the one rule the discounts share.
            "held_amount": pricing.seller_proceeds(line),
        }
        for line in quote.lines
    ]


def _held_by_seller(orders, shipments: list[shipping.Choice]) -> dict[int, Decimal]:
    """What escrow holds for each seller: their lines' proceeds and their shipping fee."""
    held = {choice.seller_id: choice.fee for choice in shipments}
    for line in orders:
        held[line["seller_id"]] += line["held_amount"]
    return held
