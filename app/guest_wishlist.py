"""A guest's wishlist, kept in the signed session cookie until they sign in (as app/guest_cart.py
keeps the cart).

Each item is (product id, price when added, whether it had stock): what the account's wishlist
records, so "price now vs when added" survives the move. The number of items is capped, so the
cookie stays small (about 20 bytes an item). At sign-in or registration the items move into the
account (app/models/wishlist.merge_items), up to the account's own cap.
"""

from decimal import Decimal

from flask import Flask, session
from flask_login import user_logged_in

from app.models import wishlist

MAX_GUEST_ITEMS = 50
SESSION_KEY = "wishlist"


def items() -> list[tuple[int, Decimal | None, bool]]:
    """The guest's (product_id, price when added, in stock when added) items, oldest first."""
    return [
        (product_id, Decimal(price) if price is not None else None, bool(in_stock))
        for product_id, price, in_stock in session.get(SESSION_KEY, [])
    ]


def product_ids() -> set[int]:
    return {item[0] for item in session.get(SESSION_KEY, [])}


def add(product) -> bool:
    """Add a product row (wishlist.get_product_for_wishlist); False if it was there. Raise
    WishlistError when the guest's wishlist is full."""
    stored = session.get(SESSION_KEY, [])
    if any(item[0] == product["id"] for item in stored):
        return False
    if len(stored) >= MAX_GUEST_ITEMS:
        raise wishlist.WishlistError(
            f"A guest's wishlist holds at most {MAX_GUEST_ITEMS} products. Sign in to keep more."
        )
    price = str(product["min_price"]) if product["min_price"] is not None else None
    session[SESSION_KEY] = [*stored, [product["id"], price, product["total_stock"] > 0]]
    return True


def remove(product_id: int) -> bool:
    stored = session.get(SESSION_KEY, [])
    kept = [item for item in stored if item[0] != product_id]
    if len(kept) == len(stored):
        return False
    if kept:
        session[SESSION_KEY] = kept
    else:
        session.pop(SESSION_KEY)  # an empty session lets the guest page cache serve this visitor again
    return True


def _merge_into_account(sender, user, **extra) -> None:
    """Signal handler: move the guest's items into the account that just signed in."""
    guest_items = items()
    if guest_items:
        wishlist.merge_items(user.id, guest_items)
        session.pop(SESSION_KEY, None)


def init_app(app: Flask) -> None:
    user_logged_in.connect(_merge_into_account, app)
