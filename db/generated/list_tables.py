"""How the shopper lists' rows are written out: wishlist_items and recently_viewed."""

import numpy as np

from .copyload import TableSource, booleans, integers, money, or_null, timestamps
from .lists import Lists
from .summaries import NO_PRICE
from .timeline import DAY, NO_TIME


def _optional_money(cents: np.ndarray) -> np.ndarray:
    missing = cents == NO_PRICE
    return or_null(money(np.where(missing, 1, cents)), missing)


def wishlist_items(lists: Lists) -> TableSource:
    """Wishlist items in primary-key order."""

    def rows(start: int, stop: int):
        window = slice(start, stop)
        seen_out = lists.wish_seen_out[window]
        return [
            integers(lists.wish_user[window]),
            integers(lists.wish_product[window]),
            timestamps(lists.wish_added[window]),
            _optional_money(lists.wish_price[window]),
            booleans(lists.wish_in_stock[window]),
            or_null(timestamps(np.where(seen_out == NO_TIME, DAY, seen_out)), seen_out == NO_TIME),
            _optional_money(lists.wish_alert_price[window]),
            booleans(lists.wish_alert_in_stock[window]),
        ]

    columns = ("user_id", "product_id", "added_at", "price_when_added", "in_stock_when_added", "seen_out_at")
    columns += ("alert_price", "alert_in_stock")
    return TableSource("wishlist_items", columns, len(lists.wish_user), rows)


def recently_viewed(lists: Lists) -> TableSource:
    """Recently viewed products in primary-key order."""

    def rows(start: int, stop: int):
        window = slice(start, stop)
        return [
            integers(lists.recent_user[window]),
            integers(lists.recent_product[window]),
            timestamps(lists.recent_viewed[window]),
        ]

    return TableSource("recently_viewed", ("user_id", "product_id", "viewed_at"), len(lists.recent_user), rows)
