"""Promotion arithmetic: cart lines, coupons and points into what each order line records.

No database and no clock: callers pass the lines at the prices charged now and the coupons they
found usable (coupon.py says which are), and this module says which lines each coupon covers,
takes its discount off them and spreads the points. The rules, in the order they apply:

1. A seller coupon (at most one per seller) comes off that seller's lines it covers, on their list
   amounts (quantity x price charged). The seller funds it: their proceeds are the list amount
   less it (seller_proceeds).
2. The platform coupon (at most one) comes off the lines it covers, on what is left of them after
   seller coupons. The platform funds it.
3. Points pay at most half of what is left after coupons, 100 points = 1.00. The platform funds
   them too: the seller is paid as if the buyer had paid in money.

A percent discount is rounded half-up to the cent; an amount off is at most what it applies to.
Every discount is split over its lines in proportion to what they carry, by largest remainder in
whole cents (integers, so nothing is lost to rounding): the shares add up to the discount exactly
and none is larger than its line, so no line goes negative. Minimum spends are measured the same
way as the discount: on the lines the coupon covers, after seller coupons for a platform coupon.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
POINTS_PER_UNIT = 100  # 100 points pay 1.00: a point is a cent
POINTS_SHARE_PERCENT = 50  # of what is left to pay after coupons


def seller_proceeds(line: Mapping) -> Decimal:
    """What a line credits its seller: its list total less the discount the seller funds.

    Takes an order row or a priced line (anything with line_total and seller_discount). Platform
    coupons and points are paid by the platform, so they never lower what the seller gets.
    """
    return line["line_total"] - line["seller_discount"]


def cents(amount: Decimal) -> int:
    """An amount of at most two decimals as whole cents."""
    return int(amount.scaleb(2).to_integral_value())


def from_cents(count: int) -> Decimal:
    """Whole cents as an amount with two decimals."""
    return Decimal(count).scaleb(-2).quantize(CENT)


def split(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`total` shared in proportion to `weights` (largest remainder, in whole cents).

    The shares add up to `total` exactly; when `total` is at most the sum of the weights no share
    exceeds its weight, so a discount never takes more than a line carries.
    """
    total_cents, weight_cents = cents(total), [cents(weight) for weight in weights]
    whole = sum(weight_cents)
    if whole == 0:
        return [ZERO for _ in weights]
    shares = [total_cents * weight // whole for weight in weight_cents]
    remainders = [total_cents * weight % whole for weight in weight_cents]
    # The cents left over go to the largest remainders, the earlier line first on a tie.
    left_over = total_cents - sum(shares)
    for index in sorted(range(len(shares)), key=lambda index: (-remainders[index], index))[:left_over]:
        shares[index] += 1
    return [from_cents(share) for share in shares]


@dataclass
class Line:
    """One cart line at the price charged now, and what promotions take off it."""

    seller_id: int
    product_id: int
    category_id: int
    quantity: int
    unit_price: Decimal
    seller_discount: Decimal = ZERO
    seller_coupon_id: int | None = None
    platform_discount: Decimal = ZERO
    platform_coupon_id: int | None = None
    points_spent: int = 0

    def __getitem__(self, name: str):
        """Read like an order row, so seller_proceeds and the order writer take either."""
        return getattr(self, name)

    @property
    def line_total(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT)

    @property
    def after_coupons(self) -> Decimal:
        return self.line_total - self.seller_discount - self.platform_discount

    @property
    def points_discount(self) -> Decimal:
        return from_cents(self.points_spent * 100 // POINTS_PER_UNIT)

    @property
    def paid(self) -> Decimal:
        """What the buyer pays for the line in money."""
        return self.after_coupons - self.points_discount

    @property
    def proceeds(self) -> Decimal:
        return seller_proceeds(self)


class DoesNotApply(Exception):
    """A coupon takes nothing off these lines. `reason`: 'scope' (covers none of them), 'minimum'
    (they come to less than its minimum spend; `short` says by how much) or 'nothing' (its
    discount rounds to zero)."""

    def __init__(self, reason: str, short: Decimal = ZERO) -> None:
        super().__init__(reason)
        self.reason = reason
        self.short = short


def covers(coupon: Mapping, line: Line) -> bool:
    """Whether the coupon covers the line: its issuer's offers (a seller's coupon), then its scope."""
    if coupon["seller_id"] is not None and line.seller_id != coupon["seller_id"]:
        return False
    if coupon["scope_seller_id"] is not None and line.seller_id != coupon["scope_seller_id"]:
        return False
    if coupon["scope_category_id"] is not None and line.category_id != coupon["scope_category_id"]:
        return False
    return not coupon["scope_product_ids"] or line.product_id in coupon["scope_product_ids"]


def discount_on(coupon: Mapping, amount: Decimal) -> Decimal:
    """The coupon's discount on `amount`: a percentage rounded half-up, or a fixed amount, never above it."""
    if coupon["percent_off"] is not None:
        return (amount * coupon["percent_off"] / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(coupon["amount_off"], amount)


def is_seller_coupon(coupon: Mapping) -> bool:
    return coupon["seller_id"] is not None


def coupon_base(coupon: Mapping, line: Line) -> Decimal:
    """What a coupon's discount and minimum are measured on, for one line it covers."""
    return line.line_total if is_seller_coupon(coupon) else line.line_total - line.seller_discount


def apply_coupon(coupon: Mapping, lines: Sequence[Line]) -> Decimal:
    """Take the coupon's discount off the lines it covers (in place); return it, or raise DoesNotApply.

    Seller coupons first, then the platform's: a platform coupon is measured on what seller
    coupons left. The caller keeps to one seller coupon per seller and one platform coupon.
    """
    covered = [line for line in lines if covers(coupon, line)]
    if not covered:
        raise DoesNotApply("scope")
    bases = [coupon_base(coupon, line) for line in covered]
    base = sum(bases, ZERO)
    if base < coupon["min_spend"]:
        raise DoesNotApply("minimum", coupon["min_spend"] - base)
    discount = discount_on(coupon, base)
    if discount <= 0:
        raise DoesNotApply("nothing")
    for line, share in zip(covered, split(discount, bases), strict=True):
        if share == 0:
            continue
        if is_seller_coupon(coupon):
            line.seller_discount += share
            line.seller_coupon_id = coupon["id"]
        else:
            line.platform_discount += share
            line.platform_coupon_id = coupon["id"]
    return discount


def points_limit(lines: Sequence[Line]) -> int:
    """The most points these lines may take: half of what is left to pay after coupons (a point is a cent)."""
    left = cents(sum((line.after_coupons for line in lines), ZERO))
    return left * POINTS_SHARE_PERCENT // 100 * POINTS_PER_UNIT // 100


def spend_points(lines: Sequence[Line], points: int) -> None:
    """Spread `points` (at most points_limit) over the lines in proportion to what is left of them."""
    value = from_cents(points * 100 // POINTS_PER_UNIT)
    for line, share in zip(lines, split(value, [line.after_coupons for line in lines]), strict=True):
        line.points_spent = cents(share) * POINTS_PER_UNIT // 100


def points_value(points: int) -> Decimal:
    """What `points` pay."""
    return from_cents(points * 100 // POINTS_PER_UNIT)


def points_earned(paid: Decimal) -> int:
    """Points a delivered line earns: one per whole currency unit paid in money."""
    return int(paid // 1)


@dataclass
class Totals:
    """The sums of priced lines, as the cart and the purchase show them."""

    subtotal: Decimal
    seller_discount: Decimal
    platform_discount: Decimal
    points_spent: int
    points_discount: Decimal
    paid: Decimal


def totals(lines: Sequence[Line]) -> Totals:
    """Add up the priced lines."""
    return Totals(
        subtotal=sum((line.line_total for line in lines), ZERO),
        seller_discount=sum((line.seller_discount for line in lines), ZERO),
        platform_discount=sum((line.platform_discount for line in lines), ZERO),
        points_spent=sum(line.points_spent for line in lines),
        points_discount=sum((line.points_discount for line in lines), ZERO),
        paid=sum((line.paid for line in lines), ZERO),
    )
