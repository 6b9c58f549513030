"""Pools of ready-made text (names, descriptions, reviews, messages), built once and then sampled.

Building a few thousand strings up front and picking from them by index is what keeps a million
product rows cheap: the per-row cost is an array lookup, not string formatting. Every pool entry
is escaped for COPY's text format when the pool is built, so rows never need escaping.
"""

import random
from dataclasses import dataclass

import numpy as np

from . import phrases
from .vocabulary import Category, Department, all_categories

TAILS_PER_CATEGORY = 300
SENTENCES_PER_TEMPLATE = 6
EXTRAS_PER_CATEGORY = 200
BODIES_PER_KEY = 40

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def escape_copy(text: str) -> str:
    """Escape a string for a COPY text-format field (backslash, tab, newline, carriage return)."""
    return text.translate(_COPY_ESCAPES)


@dataclass(frozen=True)
class Pool:
    """COPY-escaped strings grouped by an integer key (a category, a rating), sampled by index."""

    texts: np.ndarray  # object array of str
    offsets: np.ndarray  # where each key's strings start
    counts: np.ndarray  # how many strings each key has

    @classmethod
    def from_groups(cls, groups: list[list[str]]) -> "Pool":
        """Build a pool from one list of strings per key."""
        counts = np.array([len(group) for group in groups], dtype=np.int64)
        offsets = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        texts = np.array([escape_copy(text) for group in groups for text in group] or [""], dtype=object)
        return cls(texts, offsets, counts)

    def pick(self, keys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One random index into `texts` per key, uniform within the key's strings."""
        keys = np.asarray(keys, dtype=np.int64)
        return self.offsets[keys] + (rng.random(len(keys)) * self.counts[keys]).astype(np.int64)


def _chooser(rng: np.random.Generator) -> random.Random:
    """A Python generator seeded from the numpy one: ten times cheaper per scalar draw, still repeatable."""
    return random.Random(int(rng.integers(2**63)))


def _words(category: Category, chooser: random.Random) -> dict[str, str]:
    """A random filling for every placeholder a template may use, from the category's words."""
    adjective = chooser.choice(category.adjectives)
    noun = chooser.choice(category.nouns)
    feature = chooser.choice(category.features)
    return {
        "brand": chooser.choice(category.brands),
        "noun": noun,
        "noun_lower": noun.lower(),
        "adjective": adjective,
        "adjective_lower": adjective.lower(),
        "item": category.item or noun.lower(),
        "feature": feature,
        "feature_lower": feature.lower(),
        "feature_title": feature[:1].upper() + feature[1:],
        "use": chooser.choice(category.uses),
        "model": f"{chooser.choice(category.model_prefixes)}{chooser.randrange(100, 1000)}",
        "size": str(chooser.randrange(36, 47)),
        "volume": str(chooser.randrange(1, 13)),
    }


def _fill(templates: tuple[str, ...], category: Category, chooser: random.Random, each: int) -> list[str]:
    """Fill every template `each` times with random words, dropping repeats (order kept)."""
    filled = [template.format(**_words(category, chooser)) for template in templates for _ in range(each)]
    return list(dict.fromkeys(filled))


@dataclass(frozen=True)
class CatalogText:
    """Name and description pools for products, keyed by category index."""

    tails: Pool  # " with 16 GB RAM": what follows a name's model number (naming.py), or a book's title
    leads: Pool  # " is made for travel."
    extras: Pool  # zero to two more sentences, each with a leading space: " Ships in recyclable packaging."


def _extras(templates: tuple[str, ...], category: Category, chooser: random.Random) -> list[str]:
    """Endings for descriptions: none, one or two sentences from different templates."""
    endings = []
    for _ in range(EXTRAS_PER_CATEGORY):
        chosen = chooser.sample(templates, chooser.randrange(0, 3))
        endings.append("".join(f" {template.format(**_words(category, chooser))}" for template in chosen))
    return list(dict.fromkeys(endings))


def build_catalog_text(rng: np.random.Generator) -> CatalogText:
    """Make the product name and description pools for every category."""
    chooser = _chooser(rng)
    tails, leads, extras = [], [], []
    for department, category in all_categories():
        # Every name has its model number now (naming.py): a tail's own is left out.
        templates = [template.replace(" {model}", "") for template in category.tails]
        tails.append([chooser.choice(templates).format(**_words(category, chooser)) for _ in range(TAILS_PER_CATEGORY)])
        leads.append(_fill(department.leads, category, chooser, SENTENCES_PER_TEMPLATE))
        extras.append(_extras(department.sentences, category, chooser))
    return CatalogText(
        tails=Pool.from_groups(tails),
        leads=Pool.from_groups(leads),
        extras=Pool.from_groups(extras),
    )


def _bodies(templates: tuple[str, ...], category: Category, chooser: random.Random) -> list[str]:
    """Review bodies of one to three sentences drawn from the templates."""
    bodies = []
    for _ in range(BODIES_PER_KEY):
        chosen = chooser.sample(templates, min(chooser.randrange(1, 4), len(templates)))
        bodies.append(" ".join(template.format(**_words(category, chooser)) for template in chosen))
    return list(dict.fromkeys(bodies))


def _review_sentences(department: Department) -> dict[int, tuple[str, ...]]:
    """The review sentences that suit a department's goods (books read differently)."""
    return phrases.BOOK_REVIEW_SENTENCES if department.slug == "books" else phrases.PRODUCT_REVIEW_SENTENCES


@dataclass(frozen=True)
class ReviewText:
    """Title and body pools: product reviews keyed by category*5 + rating-1, seller ones by rating-1."""

    product_titles: Pool
    product_bodies: Pool
    seller_titles: Pool
    seller_bodies: Pool


def build_review_text(rng: np.random.Generator) -> ReviewText:
    """Make the review pools for every category and rating."""
    chooser = _chooser(rng)
    pairs = all_categories()
    product_bodies = [
        _bodies(_review_sentences(department)[rating], category, chooser)
        for department, category in pairs
        for rating in range(1, 6)
    ]
    any_category = pairs[0][1]  # seller sentences have no placeholders
    seller_bodies = [_bodies(phrases.SELLER_REVIEW_SENTENCES[rating], any_category, chooser) for rating in range(1, 6)]
    return ReviewText(
        product_titles=Pool.from_groups([list(phrases.PRODUCT_REVIEW_TITLES[rating]) for rating in range(1, 6)]),
        product_bodies=Pool.from_groups(product_bodies),
        seller_titles=Pool.from_groups([list(phrases.SELLER_REVIEW_TITLES[rating]) for rating in range(1, 6)]),
        seller_bodies=Pool.from_groups(seller_bodies),
    )


# Keys of the message pool: one key of buyer openers per category, then these three.
SELLER_OPENERS_KEY = len(all_categories())
SELLER_REPLIES_KEY = SELLER_OPENERS_KEY + 1
BUYER_REPLIES_KEY = SELLER_OPENERS_KEY + 2


def build_message_text(rng: np.random.Generator) -> Pool:
    """The buyer–seller message pool: buyer openers by category (they name the goods), then replies."""
    chooser = _chooser(rng)
    openers = [_fill(phrases.BUYER_OPENERS, category, chooser, 2) for _, category in all_categories()]
    replies = [list(phrases.SELLER_OPENERS), list(phrases.SELLER_REPLIES), list(phrases.BUYER_REPLIES)]
    return Pool.from_groups(openers + replies)
