"""Purchases and their order lines, with fulfilment and cancellation times.

A purchase picks a time first (more volume in recent months), then a buyer who had registered by
then and offers that existed by then, weighted by popularity. The demo buyer gets a fixed story of
purchases from the demo seller, so both accounts have history, pending lines and a refund.
"""

from dataclasses import dataclass

import numpy as np

from .arrays import first_occurrences, sample_prefix, uuid_texts
from .catalog import Catalog
from .people import BUYER_ID, SELLER_ID, People
from .timeline import DAY, HOUR, MINUTE, NO_TIME, Timeline

LINE_COUNTS = np.arange(1, 9)
LINE_COUNT_WEIGHTS = (0.30, 0.27, 0.18, 0.13, 0.05, 0.03, 0.02, 0.02)
QUANTITIES = np.arange(1, 6)
QUANTITY_WEIGHTS = (0.72, 0.19, 0.06, 0.02, 0.01)
CANCELLED_SHARE = 0.02
STORY_AGES = (600, 420, 300, 200, 120, 60, 30, 14, 5, 2, 0.5)  # days before now
STORY_REFUND_AGE = 60  # the story purchase whose demo-seller line was cancelled


@dataclass(frozen=True)
class Orders:
    """Purchases (indexed by id - 1) and order lines (indexed by id - 1)."""

    purchase_buyer: np.ndarray
    purchase_created: np.ndarray
    purchase_total: np.ndarray  # cents, every line at checkout
    purchase_token: np.ndarray  # UUID text
    line_purchase: np.ndarray  # purchase id
    line_offer: np.ndarray  # offer index
    line_seller: np.ndarray
    line_product: np.ndarray
    line_buyer: np.ndarray
    line_ordered: np.ndarray
    line_quantity: np.ndarray
    line_price: np.ndarray  # cents
    line_fulfilled: np.ndarray  # NO_TIME when not fulfilled
    line_cancelled: np.ndarray  # NO_TIME when not cancelled

    @property
    def line_total(self) -> np.ndarray:
        """quantity * unit price per line, in cents."""
        return self.line_quantity * self.line_price

    @property
    def line_is_cancelled(self) -> np.ndarray:
        """True for cancelled lines."""
        return self.line_cancelled != NO_TIME


class OfferPicker:
    """Draws offers that existed at given times, weighted by their popularity."""

    def __init__(self, catalog: Catalog, rng: np.random.Generator) -> None:
        self.by_time = np.argsort(catalog.offer_created, kind="stable")
        self.times = catalog.offer_created[self.by_time]
        self.cumulative = np.cumsum(catalog.offer_weight[self.by_time])
        self.rng = rng

    def pick(self, times: np.ndarray) -> np.ndarray:
        """One offer index per time (an offer created strictly before it), or -1 if none existed."""
        chosen = sample_prefix(self.cumulative, np.searchsorted(self.times, times, side="left"), self.rng)
        return np.where(chosen >= 0, self.by_time[np.maximum(chosen, 0)], -1)


@dataclass(frozen=True)
class _Draft:
    """Purchases before ids are assigned: local purchase numbers, lines pointing at them."""

    times: np.ndarray
    buyers: np.ndarray
    is_story: np.ndarray
    line_owner: np.ndarray  # local purchase number
    line_offer: np.ndarray


def _purchase_times(count: int, people: People, picker: OfferPicker, timeline: Timeline, rng) -> np.ndarray:
    """Purchase times over the two years: busier as buyers and offers accumulate, and toward now.

    A day's share of purchases grows with the buyer and offer weight that exist by then (damped, so
    the first months are quiet but not empty) and with a ramp toward now; so early days, when the
    catalog is small, do not pile every purchase onto the first few products.
    """
    days = np.arange((timeline.now - timeline.start) // DAY)
    day_starts = timeline.start + days * DAY
    buyers = np.cumsum(people.buyer_weight)[np.maximum(people.registered_before(day_starts) - 1, 0)]
    buyers = np.where(people.registered_before(day_starts) > 0, buyers, 0.0)
    offers_before = np.searchsorted(picker.times, day_starts, side="left")
    offers = np.where(offers_before > 0, picker.cumulative[np.maximum(offers_before - 1, 0)], 0.0)
    share = (buyers * offers) ** 0.3 * (1.0 + 2.0 * days / len(days))
    chosen = rng.choice(len(days), size=count, p=share / share.sum())
    return day_starts[chosen] + (rng.random(count) * (DAY - MINUTE)).astype(np.int64)


def _clean_lines(owner, offers, buyers, catalog: Catalog) -> np.ndarray:
    """Mask of lines to keep: an offer exists, buyer is not the seller, no repeat within a purchase."""
    keep = (offers >= 0) & (buyers[owner] > 0)
    keep &= catalog.offer_seller[np.maximum(offers, 0)] != buyers[owner]
    keys = owner.astype(np.int64) * (len(catalog.offer_seller) + 1) + offers
    return keep & first_occurrences(keys)


def _random_purchases(count: int, people: People, catalog: Catalog, picker, timeline, rng) -> _Draft:
    """`count` purchases by generated users, each with at least one line."""
    draws = int(count * 1.1) + 10  # a few draws lose every line to the filters
    times = _purchase_times(draws, people, picker, timeline, rng)
    buyers = sample_prefix(np.cumsum(people.buyer_weight), people.registered_before(times), rng) + 1
    lines = rng.choice(LINE_COUNTS, size=draws, p=LINE_COUNT_WEIGHTS)
    owner = np.repeat(np.arange(draws), lines)
    offers = picker.pick(times[owner])
    keep = _clean_lines(owner, offers, buyers, catalog)
    draft = _Draft(times, buyers, np.zeros(draws, dtype=bool), owner[keep], offers[keep])
    return _keep_purchases(draft, count)


def _keep_purchases(draft: _Draft, limit: int) -> _Draft:
    """The first `limit` purchases that still have a line, renumbered from 0."""
    chosen = np.flatnonzero(np.bincount(draft.line_owner, minlength=len(draft.times)) > 0)[:limit]
    renumber = np.full(len(draft.times), -1)
    renumber[chosen] = np.arange(len(chosen))
    kept = renumber[draft.line_owner] >= 0
    return _Draft(
        times=draft.times[chosen],
        buyers=draft.buyers[chosen],
        is_story=draft.is_story[chosen],
        line_owner=renumber[draft.line_owner[kept]],
        line_offer=draft.line_offer[kept],
    )


def _story_purchases(count: int, catalog: Catalog, picker: OfferPicker, timeline, rng) -> _Draft:
    """The demo buyer's purchases: each has a demo-seller line, most have one or two others."""
    ages = STORY_AGES[len(STORY_AGES) - count :]
    times = np.array([timeline.days_ago(age) for age in ages], dtype=np.int64)
    demo_offers = np.flatnonzero(catalog.offer_seller == SELLER_ID)
    owners, offers = [], []
    for number, time in enumerate(times):
        available = demo_offers[catalog.offer_created[demo_offers] < time]
        if len(available):
            owners.append(number)
            offers.append(int(rng.choice(available)))
        extra = int(rng.integers(1, 3))
        owners.extend([number] * extra)
        offers.extend(picker.pick(np.full(extra, time)).tolist())
    owner, offer = np.array(owners, dtype=np.int64), np.array(offers, dtype=np.int64)
    buyers = np.full(len(times), BUYER_ID)
    keep = _clean_lines(owner, offer, buyers, catalog)
    draft = _Draft(times, buyers, np.ones(len(times), dtype=bool), owner[keep], offer[keep])
    return _keep_purchases(draft, len(times))


def _combine(first: _Draft, second: _Draft) -> _Draft:
    """Both drafts as one, the second's purchase numbers shifted past the first's."""
    return _Draft(
        times=np.concatenate((first.times, second.times)),
        buyers=np.concatenate((first.buyers, second.buyers)),
        is_story=np.concatenate((first.is_story, second.is_story)),
        line_owner=np.concatenate((first.line_owner, second.line_owner + len(first.times))),
        line_offer=np.concatenate((first.line_offer, second.line_offer)),
    )


def _statuses(ordered: np.ndarray, timeline: Timeline, rng) -> tuple[np.ndarray, np.ndarray]:
    """Fulfilled and cancelled times: older lines mostly fulfilled, recent ones often pending."""
    count = len(ordered)
    age_days = (timeline.now - ordered) / DAY
    pending_share = np.interp(age_days, [7, 30], [0.68, 0.10])
    draw = rng.random(count)
    cancelled = draw < CANCELLED_SHARE
    fulfilled = (draw >= CANCELLED_SHARE + pending_share) & ~cancelled
    fulfil_at = ordered + HOUR + (rng.exponential(1.5 * DAY, count)).astype(np.int64)
    cancel_at = ordered + 10 * MINUTE + (rng.exponential(DAY, count)).astype(np.int64)
    # Whatever would happen after now has not happened yet: the line is still pending.
    fulfilled &= fulfil_at < timeline.now
    cancelled &= cancel_at < timeline.now
    return np.where(fulfilled, fulfil_at, NO_TIME), np.where(cancelled, cancel_at, NO_TIME)


def _story_statuses(orders_ordered, story_line, first_line, fulfilled, cancelled, timeline) -> None:
    """The demo story's fixed outcomes (in place): old lines fulfilled, one refund, recent ones pending."""
    age = timeline.now - orders_ordered
    done = story_line & (age >= 5 * DAY)
    fulfilled[done] = orders_ordered[done] + np.minimum(2 * DAY, age[done] // 2)
    cancelled[done] = NO_TIME
    refund = story_line & first_line & (age == STORY_REFUND_AGE * DAY)
    cancelled[refund] = orders_ordered[refund] + DAY
    fulfilled[refund] = NO_TIME
    recent = story_line & (age <= 2 * DAY)
    fulfilled[recent] = NO_TIME
    cancelled[recent] = NO_TIME


def _numbered(draft: _Draft, catalog: Catalog):
    """Purchases sorted by time (their ids) and lines sorted by purchase, seller, product (theirs)."""
    order = np.lexsort((np.arange(len(draft.times)), draft.times))
    purchase_id = np.empty(len(order), dtype=np.int64)
    purchase_id[order] = np.arange(1, len(order) + 1)
    line_purchase = purchase_id[draft.line_owner]
    seller = catalog.offer_seller[draft.line_offer]
    product = catalog.offer_product[draft.line_offer]
    lines = np.lexsort((product, seller, line_purchase))
    purchases = (draft.times[order], draft.buyers[order], draft.is_story[order])
    return purchases, (line_purchase[lines], draft.line_offer[lines], seller[lines], product[lines])


def make_orders(count: int, people: People, catalog: Catalog, timeline: Timeline, rng) -> Orders:
    """Generate `count` purchases (the demo buyer's story among them) and their order lines."""
    picker = OfferPicker(catalog, rng)
    story_count = min(count, len(STORY_AGES))
    draft = _combine(
        _random_purchases(count - story_count, people, catalog, picker, timeline, rng),
        _story_purchases(story_count, catalog, picker, timeline, rng),
    )
    (times, buyers, is_story), (line_purchase, offer, seller, product) = _numbered(draft, catalog)
    ordered = times[line_purchase - 1]
    quantity = rng.choice(QUANTITIES, size=len(offer), p=QUANTITY_WEIGHTS)
    price = catalog.offer_price[offer]
    fulfilled, cancelled = _statuses(ordered, timeline, rng)
    first_line = np.concatenate(([True], line_purchase[1:] != line_purchase[:-1]))
    _story_statuses(ordered, is_story[line_purchase - 1], first_line, fulfilled, cancelled, timeline)
    totals = np.bincount(line_purchase - 1, weights=quantity * price, minlength=len(times)).round().astype(np.int64)
    return Orders(
        purchase_buyer=buyers,
        purchase_created=times,
        purchase_total=totals,
        purchase_token=uuid_texts(rng, len(times)),
        line_purchase=line_purchase,
        line_offer=offer,
        line_seller=seller,
        line_product=product,
        line_buyer=buyers[line_purchase - 1],
        line_ordered=ordered,
        line_quantity=quantity,
        line_price=price,
        line_fulfilled=fulfilled,
        line_cancelled=cancelled,
    )
