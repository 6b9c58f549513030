"""Shopper lists (issue 17): wishlists and recently viewed products.

Wishlists hold listed products, popular ones more often, with the price and stock they had when
added: most prices unchanged, some moved since, a few products back in stock. The demo buyer's
shows a price drop, a product back in stock and one out of stock. Recently viewed products are
each user's last few product pages of the past month, at most KEEP (the app's limit).
"""

from dataclasses import dataclass

import numpy as np

from .arrays import first_occurrences
from .catalog import Catalog
from .console import LISTED
from .people import BUYER_ID, People
from .summaries import NO_PRICE, Summaries
from .timeline import DAY, NO_TIME, Timeline

WISHLIST_SHARE = 0.15  # of users
WISHLIST_LONGEST = 40  # items a generated wishlist holds at most (the app allows 500)
DEMO_WISHLIST = 8
MOVED_PRICE_SHARE = 0.2  # items whose price moved since they were added
BACK_IN_STOCK_SHARE = 0.08  # items in stock now that had none when added
RECENT_SHARE = 0.3
KEEP = 20  # app/models/recently_viewed.KEEP
DEMO_RECENT = 12


@dataclass(frozen=True)
class Lists:
    """Wishlist items and recently viewed products, each sorted by (user, product)."""

    wish_user: np.ndarray
    wish_product: np.ndarray
    wish_added: np.ndarray
    wish_price: np.ndarray  # cents when added, NO_PRICE for NULL
    wish_in_stock: np.ndarray  # when added
    wish_seen_out: np.ndarray  # NO_TIME for NULL
    wish_alert_price: np.ndarray  # today's price, NO_PRICE for NULL
    wish_alert_in_stock: np.ndarray
    recent_user: np.ndarray
    recent_product: np.ndarray
    recent_viewed: np.ndarray


def _pairs(people: People, products: np.ndarray, weights: np.ndarray, counts: np.ndarray, rng):
    """(user, product) pairs: counts[u] draws for user u + 1, weighted, without repeats, in key order."""
    users = np.repeat(np.arange(1, people.count + 1), counts)
    if len(products) == 0:
        users = users[:0]
    chosen = products[rng.choice(len(products), size=len(users), p=weights / weights.sum())] if len(users) else users
    keys = users * (int(products.max(initial=0)) + 1) + chosen
    keep = np.flatnonzero(first_occurrences(keys))
    keep = keep[np.argsort(keys[keep], kind="stable")]
    return users[keep], chosen[keep]


def _times(people: People, catalog: Catalog, users, products, timeline: Timeline, days: int, rng) -> np.ndarray:
    """A moment after the user registered and the product was listed, within the last `days`."""
    since = np.maximum.reduce(
        [
            people.created_at[users - 1],
            catalog.product_created[products - 1],
            np.full(len(users), timeline.now - days * DAY),
        ]
    )
    return since + (rng.random(len(users)) * np.maximum(timeline.now - since - 1, 0)).astype(np.int64)


def _demo_showcase(wish: dict, summaries: Summaries, timeline: Timeline) -> None:
    """The demo buyer's first items: a price drop, then a product back in stock."""
    demo = np.flatnonzero((wish["user"] == BUYER_ID) & wish["in_stock_now"])
    if len(demo) >= 2:
        first, second = demo[0], demo[1]
        wish["price"][first] = int(summaries.min_price[wish["product"][first] - 1] * 1.15)
        wish["in_stock"][second] = False
        wish["seen_out"][second] = max(wish["added"][second], timeline.now - 2 * DAY)


def make_lists(
    people: People, catalog: Catalog, product_status: np.ndarray, summaries: Summaries, timeline: Timeline, rng
) -> Lists:
    """Generate wishlists and recently viewed products."""
    # Products as the catalog lists them: a variant is kept and viewed through its parent's page.
    listed = np.flatnonzero((product_status == LISTED) & (catalog.families.parent == 0)) + 1
    weights = catalog.product_popularity[listed - 1].astype(float) + 1e-9
    counts = np.where(
        rng.random(people.count) < WISHLIST_SHARE, np.minimum(rng.geometric(0.2, people.count), WISHLIST_LONGEST), 0
    )
    counts[BUYER_ID - 1] = DEMO_WISHLIST
    users, products = _pairs(people, listed, weights, counts, rng)
    # The demo buyer also keeps one product that is out of stock now, when there is one.
    sold_out = listed[(summaries.total_stock[listed - 1] == 0) & (summaries.offer_count[listed - 1] > 0)]
    if len(sold_out) and not np.any((users == BUYER_ID) & np.isin(products, sold_out[:1])):
        at = np.searchsorted(users, BUYER_ID, side="right")
        users, products = np.insert(users, at, BUYER_ID), np.insert(products, at, sold_out[0])
        order = np.lexsort((products, users))
        users, products = users[order], products[order]
    price_now = summaries.min_price[products - 1]
    in_stock_now = summaries.total_stock[products - 1] > 0
    moved = (rng.random(len(users)) < MOVED_PRICE_SHARE) & (price_now != NO_PRICE)
    factor = rng.choice(np.array([0.8, 0.9, 1.1, 1.25]), size=len(users))
    came_back = in_stock_now & (rng.random(len(users)) < BACK_IN_STOCK_SHARE)
    added = _times(people, catalog, users, products, timeline, 180, rng)
    wish = {
        "user": users,
        "product": products,
        "added": added,
        "in_stock_now": in_stock_now,
        "price": np.where(moved, np.maximum(np.round(price_now * factor), 1).astype(np.int64), price_now),
        "in_stock": in_stock_now & ~came_back,
        "seen_out": np.where(
            ~in_stock_now | came_back,
            np.maximum(added, timeline.now - (rng.random(len(users)) * 10 * DAY).astype(np.int64)),
            NO_TIME,
        ),
    }
    _demo_showcase(wish, summaries, timeline)
    recent_counts = np.where(
        rng.random(people.count) < RECENT_SHARE, np.minimum(rng.geometric(0.15, people.count), KEEP), 0
    )
    recent_counts[BUYER_ID - 1] = DEMO_RECENT
    recent_users, recent_products = _pairs(people, listed, weights, recent_counts, rng)
    return Lists(
        wish_user=users,
        wish_product=products,
        wish_added=added,
        wish_price=wish["price"],
        wish_in_stock=wish["in_stock"],
        wish_seen_out=wish["seen_out"],
        wish_alert_price=price_now,
        wish_alert_in_stock=in_stock_now,
        recent_user=recent_users,
        recent_product=recent_products,
        recent_viewed=_times(people, catalog, recent_users, recent_products, timeline, 30, rng),
    )
