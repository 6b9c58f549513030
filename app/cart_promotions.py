"""What a signed-in buyer chose on the cart page and carries to checkout: the coupon codes they
applied and the points they want to use, kept in their signed session cookie (like the guest cart,
app/guest_cart.py). Nothing here is trusted: every page prices them again (promotion.quote_cart),
and "Place order" re-checks them under checkout's locks.
"""

from datetime import UTC, datetime

from flask import session
from flask_login import current_user

from app.models import coupon, promotion

CODES_KEY = "cart_coupons"
POINTS_KEY = "cart_points"


def codes() -> list[str]:
    """The applied codes, in the order they were applied (well formed, at most the per-purchase maximum)."""
    stored = session.get(CODES_KEY) or []
    kept = [code for code in stored if isinstance(code, str) and coupon.is_well_formed(code)]
    return kept[: coupon.MAX_COUPONS_PER_PURCHASE]


def add(code: str) -> None:
    """Apply a code (again: it moves to the end)."""
    session[CODES_KEY] = [*(kept for kept in codes() if kept != code), code][-coupon.MAX_COUPONS_PER_PURCHASE :]


def remove(code: str) -> bool:
    """Take a code off; False if it was not applied."""
    kept = codes()
    if code not in kept:
        return False
    session[CODES_KEY] = [other for other in kept if other != code]
    return True


def points() -> int:
    """The points the buyer wants to use (0: none)."""
    wanted = session.get(POINTS_KEY)
    return wanted if isinstance(wanted, int) and wanted > 0 else 0


def set_points(wanted: int) -> None:
    if wanted:
        session[POINTS_KEY] = wanted
    else:
        session.pop(POINTS_KEY, None)


def clear() -> None:
    """After an order is placed: its coupons and points were used."""
    session.pop(CODES_KEY, None)
    session.pop(POINTS_KEY, None)


def quote(buyer_id: int, active_lines, extra_code: str | None = None, wanted_points: int | None = None):
    """The signed-in buyer's promotions priced now: the applied codes (and `extra_code`, being tried) and
    points, against the points balance the request loaded with the user."""
    chosen = codes() + ([extra_code] if extra_code and extra_code not in codes() else [])
    wanted = points() if wanted_points is None else wanted_points
    return promotion.quote_cart(buyer_id, active_lines, chosen, wanted, current_user.points_balance, datetime.now(UTC))
