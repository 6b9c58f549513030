"""Buyer–seller message threads on some purchases.

A thread belongs to one purchase and one of its sellers; the two take turns, starting after the
purchase. Every message but the newest in a thread has been read; the newest is read only if it
is a few days old.
"""

from dataclasses import dataclass

import numpy as np

from .arrays import group_starts, grouped_cumsum, is_group_last
from .catalog import Catalog
from .commerce import Orders
from .people import BUYER_ID
from .texts import BUYER_REPLIES_KEY, SELLER_OPENERS_KEY, SELLER_REPLIES_KEY, Pool
from .timeline import DAY, HOUR, MINUTE, NO_TIME, Timeline

THREAD_SHARE = 0.08  # of purchases
BUYER_STARTS = 0.85


@dataclass(frozen=True)
class Messages:
    """Messages indexed by id - 1."""

    purchase: np.ndarray
    seller: np.ndarray
    sender: np.ndarray
    recipient: np.ndarray
    body: np.ndarray  # index into the message pool
    created: np.ndarray
    read: np.ndarray  # NO_TIME when unread


def _thread_lines(orders: Orders, timeline: Timeline, rng) -> np.ndarray:
    """The order line each thread is about: some purchases at random, plus the demo buyer's recent ones."""
    purchases = len(orders.purchase_buyer)
    age = timeline.now - orders.purchase_created
    demo = (orders.purchase_buyer == BUYER_ID) & (age > DAY) & (age <= 15 * DAY)
    chosen = np.flatnonzero((rng.random(purchases) < THREAD_SHARE) | demo)
    starts = group_starts(orders.line_purchase)
    counts = np.diff(np.append(starts, len(orders.line_purchase)))
    # The demo buyer talks to the demo seller, whose line sorts first in each of their purchases.
    offset = np.where(demo[chosen], 0, (rng.random(len(chosen)) * counts[chosen]).astype(np.int64))
    return starts[chosen] + offset


def _read_times(thread, created, timeline: Timeline, rng) -> np.ndarray:
    """When each message was read: before the next reply, or for the newest, maybe not yet."""
    last = is_group_last(thread)
    following = np.where(last, timeline.now, np.append(created[1:], timeline.now))
    read = created + ((following - created) * rng.uniform(0.2, 0.95, len(created))).astype(np.int64)
    newest_read = (timeline.now - created > 2 * DAY) & (rng.random(len(created)) < 0.85)
    newest = created + 10 * MINUTE + (rng.random(len(created)) * DAY).astype(np.int64)
    read = np.where(last, np.where(newest_read, np.minimum(newest, timeline.now), NO_TIME), read)
    return read


def make_messages(orders: Orders, catalog: Catalog, text: Pool, timeline: Timeline, rng) -> Messages:
    """Generate the message threads."""
    lines = _thread_lines(orders, timeline, rng)
    sizes = 1 + np.minimum(rng.geometric(0.5, len(lines)), 5)  # 2 to 6 messages
    thread = np.repeat(np.arange(len(lines)), sizes)
    line = lines[thread]
    position = np.arange(len(thread)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    gaps = np.where(position == 0, 10 * MINUTE + rng.exponential(DAY, len(thread)), 5 * MINUTE)
    gaps = np.where(position > 0, gaps + rng.exponential(8 * HOUR, len(thread)), gaps).astype(np.int64)
    created = orders.line_ordered[line] + grouped_cumsum(gaps, thread)
    keep = created < timeline.now
    buyer_starts = (rng.random(len(lines)) < BUYER_STARTS)[thread]
    from_buyer = (position % 2 == 0) == buyer_starts
    category = catalog.product_category[orders.line_product[line] - 1]
    key = np.where(
        position == 0,
        np.where(from_buyer, category, SELLER_OPENERS_KEY),
        np.where(from_buyer, BUYER_REPLIES_KEY, SELLER_REPLIES_KEY),
    )
    buyer, seller = orders.line_buyer[line], orders.line_seller[line]
    thread, created, key, from_buyer = thread[keep], created[keep], key[keep], from_buyer[keep]
    buyer, seller, purchase = buyer[keep], seller[keep], orders.line_purchase[line][keep]
    read = _read_times(thread, created, timeline, rng)
    order = np.lexsort((thread, created))  # message ids follow time
    return Messages(
        purchase=purchase[order],
        seller=seller[order],
        sender=np.where(from_buyer, buyer, seller)[order],
        recipient=np.where(from_buyer, seller, buyer)[order],
        body=text.pick(key, rng)[order],
        created=created[order],
        read=read[order],
    )
