"""Products and offers: what is for sale, who sells it, when it appeared and at what price.

Product ids follow creation order. Offers are kept sorted by (seller_id, product_id), their
primary key, so position in these arrays is an offer's handle everywhere else.
"""

from dataclasses import dataclass

import numpy as np

from .arrays import choose_weighted, contains, first_occurrences
from .naming import Naming, make_naming
from .people import SELLER_ID, People
from .texts import CatalogText
from .timeline import DAY, HOUR, MINUTE, Timeline
from .variants import Families, make_families
from .vocabulary import all_categories

MAX_OFFERS_PER_PRODUCT = 25
PRICE_SPREAD = 0.04  # sellers of one product differ by a few percent
INACTIVE_SHARE = 0.03
POPULARITY_EXPONENT = 0.65  # Zipf-like: the k-th most popular product sells about k ** -0.65 as much


@dataclass(frozen=True)
class Catalog:
    """Products (indexed by id - 1) and offers (sorted by seller, product)."""

    product_category: np.ndarray  # index into all_categories()
    product_creator: np.ndarray  # user id
    product_created: np.ndarray
    product_naming: Naming  # names, brands, tags and attribute values
    product_lead: np.ndarray  # indices into CatalogText pools
    product_extra: np.ndarray
    product_popularity: np.ndarray
    offer_seller: np.ndarray  # user id
    offer_product: np.ndarray  # product id
    offer_created: np.ndarray
    offer_price: np.ndarray  # cents
    offer_active: np.ndarray
    offer_weight: np.ndarray  # how often buyers pick this offer
    families: Families  # products with options (no offers) and their variants

    def subjects(self, products: np.ndarray) -> np.ndarray:
        """What a buyer of each product reviews: a variant's parent, else the product itself."""
        parents = self.families.parent[products - 1]
        return np.where(parents > 0, parents, products)

    @property
    def product_count(self) -> int:
        """Number of products."""
        return len(self.product_category)


def _creators(count: int, people: People, rng: np.random.Generator) -> np.ndarray:
    """A seller for each product, busier sellers more often."""
    sellers = np.flatnonzero(people.is_seller)
    weights = people.seller_weight[sellers]
    return sellers[rng.choice(len(sellers), size=count, p=weights / weights.sum())] + 1


def _creation_times(creators: np.ndarray, people: People, timeline: Timeline, rng) -> np.ndarray:
    """When each product was listed: after its creator registered, mostly soon after."""
    registered = people.created_at[creators - 1]
    room = np.maximum(timeline.now - DAY - registered, HOUR)
    return registered + MINUTE + (room * rng.beta(1.0, 3.0, len(creators))).astype(np.int64)


def _demo_seller_products(creators, created, timeline: Timeline, rng) -> None:
    """Make the demo seller the early creator of a slice of the catalog (in place)."""
    count = int(np.clip(len(creators) // 100, 10, 400))
    chosen = rng.choice(len(creators), size=min(count, len(creators)), replace=False)
    creators[chosen] = SELLER_ID
    created[chosen] = timeline.start + DAY + (rng.random(len(chosen)) * 60 * DAY).astype(np.int64)


def _popularity(count: int, rng: np.random.Generator) -> np.ndarray:
    """A skewed popularity per product: a few products sell a lot, most sell little."""
    rank = rng.permutation(count) + 1
    return rank.astype(np.float64) ** -POPULARITY_EXPONENT * rng.lognormal(0.0, 0.4, count)


def _offer_counts(popularity: np.ndarray, offers: int, sellers: int, rng) -> np.ndarray:
    """How many sellers offer each product: mostly 1-5, more for popular products, about `offers` in all."""
    products = len(popularity)
    cap = min(MAX_OFFERS_PER_PRODUCT, sellers)
    mean = offers / products
    counts = np.minimum(rng.geometric(min(1.0, 1.0 / mean), products), cap)
    shortfall = offers - int(counts.sum())
    if shortfall > 0:
        counts += rng.multinomial(shortfall, popularity / popularity.sum())
    elif shortfall < 0:
        extra = np.repeat(np.arange(products), counts - 1)
        drop = rng.choice(len(extra), size=min(-shortfall, len(extra)), replace=False)
        counts -= np.bincount(extra[drop], minlength=products)
    counts = np.clip(counts, 1, cap)
    # Popular products attract more sellers: hand the largest counts to the most popular products.
    order = np.argsort(-(popularity * rng.lognormal(0.0, 0.5, products)), kind="stable")
    ranked = np.empty_like(counts)
    ranked[order] = np.sort(counts)[::-1]
    return ranked


def _offer_pairs(creators: np.ndarray, counts: np.ndarray, people: People, rng) -> tuple[np.ndarray, np.ndarray]:
    """(product id, seller id) for every offer: the creator first, then distinct other sellers."""
    users = people.count + 1  # key multiplier: a (product, seller) pair as one integer
    products = np.arange(1, len(creators) + 1)
    sellers = np.flatnonzero(people.is_seller) + 1
    weights = people.seller_weight[sellers - 1]
    others = np.repeat(products, counts - 1)
    keys = products * users + creators  # one key per (product, seller) pair
    for _ in range(6):  # resample collisions a few times; the rare leftovers are dropped
        if len(others) == 0:
            break
        candidates = sellers[rng.choice(len(sellers), size=len(others), p=weights / weights.sum())]
        candidate_keys = others * users + candidates
        # Taken pairs come first, so only a candidate's first, untaken occurrence survives.
        fresh = first_occurrences(np.concatenate((keys, candidate_keys)))[len(keys) :]
        keys = np.concatenate((keys, candidate_keys[fresh]))
        others = others[~fresh]
    return keys // users, keys % users


def _add_demo_offers(pair_products, pair_sellers, popularity, rng) -> tuple[np.ndarray, np.ndarray]:
    """Give the demo seller offers on some popular products too."""
    count = int(np.clip(len(popularity) // 100, 10, 400))
    chosen = choose_weighted(popularity, count, rng) + 1
    taken = pair_products[pair_sellers == SELLER_ID]
    chosen = chosen[~contains(taken, chosen)]
    return np.concatenate((pair_products, chosen)), np.concatenate((pair_sellers, np.full(len(chosen), SELLER_ID)))


def _prices(base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Offer prices in cents near the product's base price; many end in .99."""
    spread = np.clip(rng.normal(1.0, PRICE_SPREAD, len(base)), 0.85, 1.15)
    dollars = base * spread
    charm = np.floor(dollars) * 100 + 99
    exact = np.round(dollars * 100)
    return np.clip(np.where(rng.random(len(base)) < 0.6, charm, exact), 1, 100_000_000).astype(np.int64)


def _base_prices(categories: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A price per product, log-uniform within its category's range."""
    ranges = np.array([category.price_range for _, category in all_categories()])
    low, high = np.log(ranges[categories, 0]), np.log(ranges[categories, 1])
    return np.exp(low + (high - low) * rng.random(len(categories)))


def _offer_times(products, sellers, creators, product_created, people, timeline, rng) -> np.ndarray:
    """When each offer appeared: the creator's with the product, others later, all before now."""
    listed = product_created[products - 1]
    available = np.maximum(listed, people.created_at[sellers - 1])
    room = np.maximum(timeline.now - HOUR - available, MINUTE)
    later = available + MINUTE + (room * rng.beta(1.0, 4.0, len(products))).astype(np.int64)
    with_product = listed + MINUTE + (rng.random(len(products)) * 2 * HOUR).astype(np.int64)
    return np.minimum(np.where(sellers == creators[products - 1], with_product, later), timeline.now - MINUTE)


def make_catalog(people: People, text: CatalogText, offers: int, products: int, timeline, rng, naming_rng) -> Catalog:
    """Generate `products` products and about `offers` offers; `naming_rng` draws what names are
    made of (naming.py), so this stream draws what it drew before names had brands."""
    category_weights = np.array([category.weight for _, category in all_categories()])
    categories = rng.choice(len(category_weights), size=products, p=category_weights / category_weights.sum())
    creators = _creators(products, people, rng)
    created = _creation_times(creators, people, timeline, rng)
    _demo_seller_products(creators, created, timeline, rng)
    order = np.argsort(created, kind="stable")  # product ids follow creation time
    categories, creators, created = categories[order], creators[order], created[order]
    base = _base_prices(categories, rng)
    families = make_families(categories, creators, base, rng)
    popularity = _popularity(products, rng)
    counts = _offer_counts(popularity, offers, int(people.is_seller.sum()), rng)
    pair_products, pair_sellers = _offer_pairs(creators, counts, people, rng)
    pair_products, pair_sellers = _add_demo_offers(pair_products, pair_sellers, popularity, rng)
    # A product with options is offered through its variants only.
    sold_as_is = ~families.has_options[pair_products - 1]
    pair_products, pair_sellers = pair_products[sold_as_is], pair_sellers[sold_as_is]
    by_key = np.lexsort((pair_products, pair_sellers))
    pair_products, pair_sellers = pair_products[by_key], pair_sellers[by_key]
    # A product's popularity is shared among its sellers, so more sellers do not mean more sales.
    seller_factor = people.seller_weight[pair_sellers - 1] ** 0.3 * rng.lognormal(0.0, 0.3, len(pair_sellers))
    seller_factor /= np.bincount(pair_products, weights=seller_factor)[pair_products]
    rng.random(products)  # what picked a name's first words before issue 17: later draws stay as they were
    tails, leads, extras = (pool.pick(categories, rng) for pool in (text.tails, text.leads, text.extras))
    # A product with options names none of them ("… in Navy" would contradict its Red variant).
    tail_texts = np.append(text.tails.texts, "")
    parents = np.flatnonzero(families.has_options)
    tails[parents] = len(tail_texts) - 1
    # A variant reads as its product: the same words, with its option values after them (tables.py).
    variants = np.flatnonzero(families.parent)
    for words in (tails, leads, extras):
        words[variants] = words[families.parent[variants] - 1]
    naming = make_naming(categories, tails, tail_texts, families.parent, naming_rng)
    return Catalog(
        product_category=categories,
        product_creator=creators,
        product_created=created,
        product_naming=naming,
        product_lead=leads,
        product_extra=extras,
        product_popularity=popularity,
        offer_seller=pair_sellers,
        offer_product=pair_products,
        offer_created=_offer_times(pair_products, pair_sellers, creators, created, people, timeline, rng),
        offer_price=_prices(base[pair_products - 1], rng),
        offer_active=rng.random(len(pair_sellers)) >= INACTIVE_SHARE,
        offer_weight=popularity[pair_products - 1] * seller_factor,
        families=families,
    )
