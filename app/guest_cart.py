"""A guest's cart, kept in the signed session cookie until they sign in.

Only ids and quantities are stored (prices are read fresh); the cookie stays small because
the number of lines is capped. At sign-in or registration the lines move into the account.
"""

from flask import Flask, session
from flask_login import user_logged_in

from app.models import cart

MAX_GUEST_LINES = 30


def lines() -> list[tuple[int, int, int]]:
    """The guest's (seller_id, product_id, quantity) lines."""
    return [tuple(line) for line in session.get("cart", [])]


def quantity_of(seller_id: int, product_id: int) -> int:
    return next((quantity for seller, product, quantity in lines() if (seller, product) == (seller_id, product_id)), 0)


def set_line(seller_id: int, product_id: int, quantity: int) -> None:
    """Set a line's quantity (0 removes it); raise CartError when the cart is full."""
    current = [line for line in lines() if (line[0], line[1]) != (seller_id, product_id)]
    if quantity > 0:
        if len(current) >= MAX_GUEST_LINES:
            raise cart.CartError(f"A guest cart holds at most {MAX_GUEST_LINES} lines. Sign in to add more.")
        position = next((index for index, line in enumerate(lines()) if line[:2] == (seller_id, product_id)), None)
        new_line = (seller_id, product_id, quantity)
        if position is None:
            current.append(new_line)
        else:
            current.insert(position, new_line)
    session["cart"] = [list(line) for line in current]


def _merge_into_account(sender, user, **extra) -> None:
    """Signal handler: move the guest's lines into the account that just signed in."""
    guest_lines = lines()
    if guest_lines:
        cart.merge_lines(user.id, guest_lines)
        session.pop("cart", None)


def init_app(app: Flask) -> None:
    user_logged_in.connect(_merge_into_account, app)


def clear() -> None:
    """Empty the guest's cart."""
    session.pop("cart", None)
