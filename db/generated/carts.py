"""Shopping carts: a few lines for some users, from offers that are active and in stock."""

from dataclasses import dataclass

import numpy as np

from .arrays import first_occurrences
from .catalog import Catalog
from .people import BUYER_ID, People
from .timeline import DAY, Timeline

CART_SHARE = 0.12  # of users
DEMO_CART_LINES = 4
CHANGED_PRICE_SHARE = 0.06  # lines whose price moved since they were added
SAVED_SHARE = 0.2


@dataclass(frozen=True)
class Carts:
    """Cart lines sorted by (user, seller, product)."""

    user: np.ndarray
    offer: np.ndarray  # offer index
    quantity: np.ndarray
    price_when_added: np.ndarray  # cents
    saved_for_later: np.ndarray
    added: np.ndarray


def _line_counts(people: People, rng) -> np.ndarray:
    """How many cart lines each user draws: most none, some 1-5, the demo buyer a fixed few."""
    counts = np.where(rng.random(people.count) < CART_SHARE, np.minimum(rng.geometric(0.45, people.count), 5), 0)
    counts[people.buyer_weight == 0] = 0
    counts[BUYER_ID - 1] = DEMO_CART_LINES + 2  # a couple spare in case one is the buyer's own offer
    return counts


def _prices_when_added(prices: np.ndarray, rng) -> np.ndarray:
    """The offer price, except for a few lines added before the price moved up or down."""
    factor = np.where(
        rng.random(len(prices)) < 0.5, rng.uniform(0.85, 0.97, len(prices)), rng.uniform(1.03, 1.15, len(prices))
    )
    moved = np.maximum(np.round(prices * factor), 1).astype(np.int64)
    return np.where(rng.random(len(prices)) < CHANGED_PRICE_SHARE, moved, prices)


def make_carts(people: People, catalog: Catalog, offer_quantity: np.ndarray, timeline: Timeline, rng) -> Carts:
    """Generate cart lines."""
    counts = _line_counts(people, rng)
    users = np.repeat(np.arange(1, people.count + 1), counts)
    eligible = np.flatnonzero(catalog.offer_active & (offer_quantity > 0))
    if len(eligible) == 0:
        users = users[:0]
    weights = catalog.offer_weight[eligible]
    offers = eligible[rng.choice(len(eligible), size=len(users), p=weights / weights.sum())]
    keys = users * (len(catalog.offer_seller) + 1) + offers
    keep = np.flatnonzero(first_occurrences(keys) & (catalog.offer_seller[offers] != users))
    keep = keep[np.argsort(keys[keep], kind="stable")]  # primary-key order: (user, seller, product)
    demo = np.flatnonzero(users[keep] == BUYER_ID)
    keep = np.delete(keep, demo[DEMO_CART_LINES:])
    users, offers = users[keep], offers[keep]
    since = np.maximum.reduce(
        [people.created_at[users - 1], catalog.offer_created[offers], np.full(len(users), timeline.now - 30 * DAY)]
    )
    price_when_added = _prices_when_added(catalog.offer_price[offers], rng)
    saved = rng.random(len(users)) < SAVED_SHARE
    demo = np.flatnonzero(users == BUYER_ID)
    if len(demo) >= 2:
        # The demo cart shows both the "price changed" warning and a saved-for-later line.
        price_when_added[demo[0]] = max(1, int(catalog.offer_price[offers[demo[0]]] * 0.9))
        saved[demo] = False
        saved[demo[-1]] = True
    return Carts(
        user=users,
        offer=offers,
        quantity=rng.choice(np.array([1, 2, 3]), size=len(users), p=[0.75, 0.18, 0.07]),
        price_when_added=price_when_added,
        saved_for_later=saved,
        added=since + (rng.random(len(users)) * np.maximum(timeline.now - since - 1, 0)).astype(np.int64),
    )
