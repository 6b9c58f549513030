"""Promotions put together: what the cart shows, what checkout charges and records, and what a
cancelled or refunded line gives back (money, points, the platform's share, a coupon use).

The cart and checkout run the same `quote`: the cart on what it reads, checkout on rows it holds
locked, so "Place order" re-checks every coupon and the points inside its own transaction and
refuses with the same sentences the cart shows (PromotionRefused), changing nothing.

Money: the buyer pays each line's `paid` from their balance; the seller is credited its proceeds
(pricing.seller_proceeds: list amount less their own coupon's share); the platform's ledger pays
the difference, its coupon's share and the points' value, so every balance equals its ledger and
top-ups - withdrawals = the users' balances + the platform's.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection

from app import db
from app.models import coupon, points, pricing
from app.templating import money


class PromotionRefused(Exception):
    """A coupon or the points cannot be used; `problems` says why, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Applied:
    """A coupon that takes money off the cart, and the products it takes it off."""

    coupon: object
    discount: Decimal
    product_ids: tuple[int, ...]


@dataclass
class Quote:
    """Priced lines and what each promotion did, or why it did nothing."""

    lines: list[pricing.Line]
    applied: list[Applied] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (code, why)
    points: int = 0
    points_limit: int = 0
    points_balance: int = 0
    points_problem: str | None = None

    @property
    def totals(self) -> pricing.Totals:
        return pricing.totals(self.lines)

    @property
    def problems(self) -> list[str]:
        return [why for _, why in self.refused] + ([self.points_problem] if self.points_problem else [])


def pricing_line(line, price: Decimal, category_id: int) -> pricing.Line:
    """A cart line (seller_id, product_id, quantity) at the price charged now."""
    return pricing.Line(line["seller_id"], line["product_id"], category_id, line["quantity"], price)


def quote(
    lines: list[pricing.Line],
    codes: Sequence[str],
    coupons,
    standing: dict,
    points_wanted: int,
    points_balance: int,
    now: datetime,
) -> Quote:
    """Apply the coupons with these codes (rows in `coupons`) and the points to the lines.

    Seller coupons first (one per seller), then the platform's (one), then points: at most the
    buyer's balance and half of what is left to pay.
    """
    result = Quote(lines, points_balance=points_balance)
    by_code = {row["code"]: row for row in coupons}
    result.refused += [(code, f"There is no coupon {code}.") for code in codes if code not in by_code]
    taken: dict[int | None, str] = {}  # the seller (None: the platform) whose coupon is applied
    wanted = [by_code[code] for code in dict.fromkeys(codes) if code in by_code]
    for row in sorted(wanted, key=lambda row: row["seller_id"] is None):
        problem = coupon.why_not_usable(row, standing.get(row["id"]), now) or _one_per_issuer(row, taken)
        if problem is None:
            try:
                discount = pricing.apply_coupon(row, lines)
            except pricing.DoesNotApply as refusal:
                problem = coupon.why_not_applicable(row, refusal.reason, refusal.short)
        if problem is not None:
            result.refused.append((row["code"], problem))
            continue
        taken[row["seller_id"]] = row["code"]
        covered = tuple(line.product_id for line in lines if pricing.covers(row, line))
        result.applied.append(Applied(row, discount, covered))
    _use_points(result, points_wanted)
    return result


def _one_per_issuer(row, taken: dict) -> str | None:
    """One seller coupon per seller, one platform coupon per purchase."""
    other = taken.get(row["seller_id"])
    if other is None:
        return None
    if row["seller_id"] is None:
        return f"You already applied a Bazaar coupon, {other}: remove it to use {row['code']} instead."
    return f"You already applied {other} to {row['seller_name']}'s items: remove it to use {row['code']} instead."


def _use_points(result: Quote, wanted: int) -> None:
    """Spread the points wanted, if the balance and the half-of-the-purchase limit allow them."""
    result.points_limit = min(result.points_balance, pricing.points_limit(result.lines))
    if wanted <= 0:
        return
    if wanted > result.points_balance:
        result.points_problem = f"You have {result.points_balance:,} points, not {wanted:,}."
    elif wanted > result.points_limit:
        result.points_problem = (
            f"Points can pay at most half of this order: up to {result.points_limit:,} points "
            f"({money(pricing.points_value(result.points_limit))}) here."
        )
    else:
        pricing.spend_points(result.lines, wanted)
        result.points = wanted


def quote_cart(
    buyer_id: int, cart_lines, codes: Sequence[str], points_wanted: int, points_balance: int, now: datetime
) -> Quote:
    """The cart page's quote: its active lines (with price and category_id), read without locks; the
    points balance is the one the request loaded. No statement at all when no coupon is applied."""
    lines = [pricing_line(line, line["price"], line["category_id"]) for line in cart_lines]
    rows = coupon.list_by_codes(list(codes)) if codes else []
    standing = coupon.buyer_standing(None, buyer_id, [row["id"] for row in rows])
    return quote(lines, codes, rows, standing, points_wanted, points_balance, now)


def lock_coupons(conn: Connection, codes: Sequence[str]):
    """Checkout: lock the coupons it applies (after offers and products, before users; locks.py)."""
    return coupon.lock_by_codes(conn, list(codes)) if codes else []


def quote_checkout(
    conn: Connection, buyer_id: int, lines: list[pricing.Line], codes: Sequence[str], coupons, points_wanted: int
) -> Quote:
    """Checkout's quote, under its locks (the coupons and the buyer's users row): raise
    PromotionRefused if anything the buyer asked for cannot be used."""
    standing = coupon.buyer_standing(conn, buyer_id, [row["id"] for row in coupons])
    state = db.fetch_one(conn, "SELECT points_balance, now() AS now FROM users WHERE id = :buyer_id", buyer_id=buyer_id)
    result = quote(lines, codes, coupons, standing, points_wanted, state["points_balance"], state["now"])
    if result.problems:
        raise PromotionRefused(result.problems)
    return result


def record_purchase(conn: Connection, purchase_id: int, buyer_id: int, result: Quote, seller_ids) -> None:
    """Write what the quote used: coupon uses, spent points, the platform's share; and give thanks."""
    coupon.record_uses(
        conn, purchase_id, buyer_id, {applied.coupon["id"]: applied.discount for applied in result.applied}
    )
    if result.points and points.spend(conn, buyer_id, purchase_id, result.points) is None:
        raise PromotionRefused(["Your points changed while you checked out. Please try again."])
    totals = result.totals
    _platform_pays(conn, purchase_id, None, "coupon", -totals.platform_discount)
    _platform_pays(conn, purchase_id, None, "points", -totals.points_discount)
    coupon.give_thanks(conn, buyer_id, purchase_id, list(seller_ids))


def _platform_pays(conn: Connection, purchase_id: int, order_id: int | None, kind: str, amount: Decimal) -> None:
    """A row of the platform's ledger (nothing when the amount is zero)."""
    if amount == 0:
        return
    db.execute(
        conn,
        """
        INSERT INTO platform_ledger (kind, amount, purchase_id, order_id)
        VALUES (:kind, :amount, :purchase_id, :order_id)
        """,
        kind=kind,
        amount=amount,
        purchase_id=purchase_id,
        order_id=order_id,
    )


def refund_line(conn: Connection, line) -> None:
    """A cancelled or refunded (locked) line: the buyer gets back its points, the platform its share
    (the seller paid back their proceeds, the buyer got `paid`), and points it earned are taken back.

    The caller refunds the money: the buyer `paid`, taken from the seller's `seller_proceeds`;
    this writes the rest, so the money still adds up. The buyer's users row is locked by the caller.
    """
    points.refund_line(conn, line)
    _platform_pays(conn, line["purchase_id"], line["id"], "coupon_refund", line["platform_discount"])
    _platform_pays(conn, line["purchase_id"], line["id"], "points_refund", line["points_discount"])
    if line["delivered_at"] is not None:
        points.reverse_for_line(conn, line)


def lock_purchase_coupons(conn: Connection, purchase_id: int) -> list[int]:
    """Cancellation: lock the coupons the purchase uses (after products, before users; locks.py)."""
    return coupon.lock_used_by_purchase(conn, purchase_id)


def restore_if_all_cancelled(conn: Connection, purchase_id: int, coupon_ids: list[int]) -> int:
    """Restore the purchase's coupon uses once every one of its lines is cancelled; return how many.

    Run after the caller's cancellation, under the coupons' locks (lock_purchase_coupons): the last
    two lines cancelled at once wait for each other there, so the second sees the first.
    """
    if not coupon_ids:
        return 0
    open_lines = db.fetch_one(
        conn,
        "SELECT count(*) AS n FROM orders WHERE purchase_id = :purchase_id AND cancelled_at IS NULL",
        purchase_id=purchase_id,
    )["n"]
    return 0 if open_lines else coupon.restore_uses(conn, purchase_id)
