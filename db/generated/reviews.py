"""Product and seller reviews, only where the rules allow, and helpful votes on them.

Most product reviews come from buyers of the product, after their first purchase of it; the rest
from other users after the product was listed; nobody reviews a product they created or offers.
Seller reviews come only from buyers of the seller, after their first purchase from them. Votes
come later still, never from the author.
"""

from dataclasses import dataclass

import numpy as np

from .arrays import choose_weighted, contains, first_occurrences, group_starts
from .catalog import Catalog
from .commerce import Orders
from .people import BUYER_ID, SELLER_ID, People
from .texts import ReviewText
from .timeline import HOUR, MINUTE, Timeline

PRODUCT_RATINGS = (0.07, 0.06, 0.12, 0.30, 0.45)  # chance of 1..5 stars
LEMON_RATINGS = (0.30, 0.20, 0.25, 0.15, 0.10)  # for the few products that disappoint
LEMON_SHARE = 0.08
SELLER_RATINGS = (0.05, 0.04, 0.08, 0.28, 0.55)
BUYER_SHARE = 0.8  # of product reviews written by buyers (at least 70%)
SELLER_REVIEWS_PER_PRODUCT_REVIEW = 0.15
PRODUCT_VOTES_PER_REVIEW = 1.0
SELLER_VOTES_PER_REVIEW = 0.5
MAX_VOTES = 60
DEMO_REVIEWS = 3  # of each kind, by the demo buyer


@dataclass(frozen=True)
class ReviewSet:
    """One kind of review (indexed by id - 1) and its votes (sorted by review, voter)."""

    target: np.ndarray  # product id or seller id
    author: np.ndarray
    rating: np.ndarray
    title: np.ndarray  # index into the title pool
    body: np.ndarray  # index into the body pool
    created: np.ndarray
    helpful: np.ndarray
    vote_review: np.ndarray
    vote_voter: np.ndarray
    vote_created: np.ndarray


@dataclass(frozen=True)
class Reviews:
    """Both kinds of review."""

    products: ReviewSet
    sellers: ReviewSet


def _first_purchases(buyers, targets, times, timeline: Timeline):
    """Each distinct (buyer, target) with the time of its first purchase, old enough to review."""
    keys = buyers * (int(targets.max(initial=0)) + 1) + targets
    order = np.lexsort((times, keys))
    starts = group_starts(keys[order])
    first = order[starts]
    keep = times[first] < timeline.now - 2 * HOUR
    first = first[keep]
    return buyers[first], targets[first], times[first]


def _after(start: np.ndarray, timeline: Timeline, rng, shape: float) -> np.ndarray:
    """A time after each start (at least an hour) and before now, skewed early by `shape`."""
    room = np.maximum(timeline.now - start - 2 * HOUR, 0)
    return start + HOUR + (room * rng.beta(1.0, shape, len(start))).astype(np.int64)


def _pick_pairs(authors, count: int, favoured: np.ndarray, rng) -> np.ndarray:
    """Indices of `count` pairs: the demo buyer's first, then a weighted sample of the rest."""
    forced = np.flatnonzero(authors == BUYER_ID)[:DEMO_REVIEWS]
    weights = np.where(favoured, 3.0, 1.0)
    weights[forced] = 0.0
    rest = choose_weighted(weights, max(count - len(forced), 0), rng)
    return np.sort(np.concatenate((forced[:count], rest)))


def _ratings(weights_per_row: np.ndarray, rng) -> np.ndarray:
    """A 1-5 rating per row, each row drawing from its own 5 probabilities."""
    cumulative = np.cumsum(weights_per_row, axis=1)
    draws = rng.random(len(weights_per_row))[:, None] * cumulative[:, -1:]
    return (draws >= cumulative).sum(axis=1) + 1


def _sells(catalog: Catalog, authors: np.ndarray, products: np.ndarray) -> np.ndarray:
    """Whether each author created the product or has an offer of it (they may not review it)."""
    width = catalog.product_count + 1
    offered_keys = catalog.offer_seller * width + catalog.subjects(catalog.offer_product)  # a variant's: its product's
    offered = contains(offered_keys, authors * width + products)
    return offered | (catalog.product_creator[products - 1] == authors)


def _non_buyer_reviews(count, people: People, catalog: Catalog, taken_keys, timeline, rng):
    """Reviews by users who did not buy the product, after it was listed and they registered."""
    draws = int(count * 1.3) + 10
    products = catalog.product_count
    authors = rng.choice(people.count, size=draws, p=people.buyer_weight / people.buyer_weight.sum()) + 1
    popularity = np.where(catalog.families.parent > 0, 0.0, catalog.product_popularity)  # products, not variants
    items = rng.choice(products, size=draws, p=popularity / popularity.sum()) + 1
    created = _after(np.maximum(people.created_at[authors - 1], catalog.product_created[items - 1]), timeline, rng, 3.0)
    keys = authors * (products + 1) + items
    keep = first_occurrences(keys) & ~contains(taken_keys, keys) & ~_sells(catalog, authors, items)
    keep &= created < timeline.now
    chosen = np.flatnonzero(keep)[:count]
    return authors[chosen], items[chosen], created[chosen]


def _votes(authors, created, people: People, per_review: float, timeline, rng):
    """Helpful votes: a few reviews collect many, most none; each from a user registered by then."""
    counts = np.minimum(rng.negative_binomial(0.5, 0.5 / (0.5 + per_review), len(authors)), MAX_VOTES)
    review = np.repeat(np.arange(1, len(authors) + 1), counts)
    voted = _after(created[review - 1] - HOUR + MINUTE, timeline, rng, 4.0)
    voted = np.minimum(voted, timeline.now)
    registered = people.registered_before(voted)
    voter = (rng.random(len(review)) * registered).astype(np.int64) + 1
    keys = review * (people.count + 1) + voter
    keep = first_occurrences(keys) & (voter != authors[review - 1])
    keep = keep.nonzero()[0]
    keep = keep[np.argsort(keys[keep], kind="stable")]  # primary-key order: (review, voter)
    return review[keep], voter[keep], voted[keep]


def _review_set(target, author, rating, created, title, body, people, per_review, timeline, rng) -> ReviewSet:
    """Sort reviews by time (their ids) and add votes."""
    order = np.lexsort((author, created))
    target, author, rating, created = target[order], author[order], rating[order], created[order]
    vote_review, vote_voter, vote_created = _votes(author, created, people, per_review, timeline, rng)
    return ReviewSet(
        target=target,
        author=author,
        rating=rating,
        title=title.pick(rating - 1, rng),
        body=body(target, rating),
        created=created,
        helpful=np.bincount(vote_review - 1, minlength=len(target)),
        vote_review=vote_review,
        vote_voter=vote_voter,
        vote_created=vote_created,
    )


def _product_reviews(count, people, catalog: Catalog, orders: Orders, text: ReviewText, timeline, rng):
    """`count` product reviews, most of them by buyers of the product."""
    # A buyer of a variant reviews its product.
    subjects = catalog.subjects(orders.line_product)
    buyers, products, bought = _first_purchases(orders.line_buyer, subjects, orders.line_ordered, timeline)
    allowed = ~_sells(catalog, buyers, products)  # a seller buying a rival's copy still may not review it
    buyers, products, bought = buyers[allowed], products[allowed], bought[allowed]
    from_buyers = min(round(count * BUYER_SHARE), len(buyers))
    chosen = _pick_pairs(buyers, from_buyers, np.zeros(len(buyers), dtype=bool), rng)
    # Keep buyers at 70% or more of the reviews even when few purchases exist.
    others = min(count - len(chosen), len(chosen) * 3 // 7)
    taken = buyers * (catalog.product_count + 1) + products
    other_authors, other_products, other_created = _non_buyer_reviews(others, people, catalog, taken, timeline, rng)
    author = np.concatenate((buyers[chosen], other_authors))
    target = np.concatenate((products[chosen], other_products))
    created = np.concatenate((_after(bought[chosen], timeline, rng, 8.0), other_created))
    lemon = rng.random(catalog.product_count) < LEMON_SHARE
    weights = np.where(lemon[target - 1, None], np.array(LEMON_RATINGS), np.array(PRODUCT_RATINGS))
    rating = _ratings(weights, rng)

    def bodies(targets, ratings):
        """A body that fits the product's category and the rating."""
        return text.product_bodies.pick(catalog.product_category[targets - 1] * 5 + ratings - 1, rng)

    args = (people, PRODUCT_VOTES_PER_REVIEW, timeline, rng)
    return _review_set(target, author, rating, created, text.product_titles, bodies, *args)


def _seller_reviews(count, people, orders: Orders, text: ReviewText, timeline, rng):
    """`count` seller reviews (fewer if there are not enough buyer-seller pairs), by buyers only."""
    buyers, sellers, bought = _first_purchases(orders.line_buyer, orders.line_seller, orders.line_ordered, timeline)
    chosen = _pick_pairs(buyers, min(count, len(buyers) // 2 + 1), sellers == SELLER_ID, rng)
    author, target = buyers[chosen], sellers[chosen]
    rating = _ratings(np.tile(np.array(SELLER_RATINGS), (len(chosen), 1)), rng)

    def bodies(targets, ratings):
        """A body that fits the rating."""
        return text.seller_bodies.pick(ratings - 1, rng)

    created = _after(bought[chosen], timeline, rng, 8.0)
    args = (people, SELLER_VOTES_PER_REVIEW, timeline, rng)
    return _review_set(target, author, rating, created, text.seller_titles, bodies, *args)


def make_reviews(count, people, catalog, orders, text: ReviewText, timeline, rng) -> Reviews:
    """About `count` product reviews and 15% as many seller reviews, with their votes."""
    seller_count = round(count * SELLER_REVIEWS_PER_PRODUCT_REVIEW)
    return Reviews(
        products=_product_reviews(count, people, catalog, orders, text, timeline, rng),
        sellers=_seller_reviews(seller_count, people, orders, text, timeline, rng),
    )
