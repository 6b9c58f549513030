"""Products that come in options: which products are families, and which rows are their variants.

A family's parent is a product row with no offers; its variants are the next product rows that
no family took yet, rewritten to the parent's category, creator and text, each with its own
offers (priced near the parent's base price) and a combination of the category's option values.
Ids still follow creation time: every variant is created after its parent.
"""

import functools
from dataclasses import dataclass

import numpy as np

from .vocabulary import all_categories

FAMILY_SHARE = 0.1  # of the products in categories that have options
MIN_VARIANTS, MAX_VARIANTS = 2, 6
NEWEST_LEFT_SINGLE = 50
VARIANT_PRICE_STEP = 0.06  # each larger size or memory costs a little more

COLOURS = ("Black", "White", "Navy", "Red", "Green", "Grey", "Blue", "Sand")
# Options per category slug: option names and each option's values, in their display order.
OPTIONS = {
    "mens-clothing": (("Colour", "Size"), (COLOURS, ("S", "M", "L", "XL"))),
    "womens-clothing": (("Colour", "Size"), (COLOURS, ("XS", "S", "M", "L"))),
    "outerwear": (("Colour", "Size"), (COLOURS, ("S", "M", "L", "XL"))),
    "shoes": (("Size",), (("6", "7", "8", "9", "10", "11", "12"),)),
    "accessories": (("Colour",), (COLOURS,)),
    "phones": (("Colour", "Storage"), (("Black", "Silver", "Blue"), ("128 GB", "256 GB", "512 GB"))),
    "laptops": (("Memory",), (("8 GB", "16 GB", "32 GB"),)),
    "running": (("Size",), (("XS", "S", "M", "L", "XL"),)),
    "bedding": (("Size",), (("Single", "Double", "King"),)),
    "makeup": (("Shade",), (("Ivory", "Beige", "Honey", "Caramel", "Espresso"),)),
}


@dataclass(frozen=True)
class Families:
    """Per product (indexed by id - 1): its parent's id (0: none), and for variants the index of
    their combination in option_combinations(category); parents have has_options."""

    parent: np.ndarray
    combination: np.ndarray
    has_options: np.ndarray


def category_options(category_index: int) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The option names and values of a category (by index into all_categories()), or empty."""
    return OPTIONS.get(all_categories()[category_index][1].slug, ((), ()))


@functools.cache
def option_combinations(category_index: int) -> list[tuple[str, ...]]:
    """Every combination of a category's option values, in a fixed order (sizes vary fastest)."""
    _, values = category_options(category_index)
    combinations: list[tuple[str, ...]] = [()]
    for choices in values:
        combinations = [(*combination, choice) for combination in combinations for choice in choices]
    return combinations if values else []


def make_families(categories: np.ndarray, creators: np.ndarray, base_prices: np.ndarray, rng) -> Families:
    """Pick families and their variants, rewriting the variants' category, creator and base price
    (in place) to their parent's; the caller gives parents no offers."""
    count = len(categories)
    parent = np.zeros(count, dtype=np.int64)
    combination = np.full(count, -1, dtype=np.int64)
    has_options = np.zeros(count, dtype=bool)
    eligible = np.array([bool(category_options(index)[0]) for index in range(len(all_categories()))])
    # The newest products stay single: the console's approval queue (console.py) holds their offers.
    limit = max(0, count - max(NEWEST_LEFT_SINGLE, count // 200))
    candidates = np.flatnonzero(eligible[categories[:limit]] & (rng.random(limit) < FAMILY_SHARE))
    sizes = rng.integers(MIN_VARIANTS, MAX_VARIANTS + 1, len(candidates))
    taken = np.zeros(count, dtype=bool)
    following = 0  # the next row a family may take as a variant
    for index, size in zip(candidates.tolist(), sizes.tolist(), strict=True):
        if taken[index]:
            continue
        following = max(following, index + 1)
        members = []
        while len(members) < size and following < limit:
            if not taken[following]:
                members.append(following)
            following += 1
        if not members:
            break
        taken[index] = has_options[index] = True
        taken[members] = True
        combos = len(option_combinations(int(categories[index])))
        picked = np.sort(rng.choice(combos, size=min(len(members), combos), replace=False))
        members = members[: len(picked)]
        parent[members] = index + 1
        combination[members] = picked
        categories[members] = categories[index]
        creators[members] = creators[index]
        base_prices[members] = base_prices[index] * (1 + VARIANT_PRICE_STEP * (picked % 4))
        taken[members] = True
    return Families(parent=parent, combination=combination, has_options=has_options)


def variant_labels(families: Families, categories: np.ndarray) -> np.ndarray:
    """Each product's option values joined for display ("Red / M"), '' for the others."""
    labels = np.full(len(categories), "", dtype=object)
    for index in np.flatnonzero(families.parent).tolist():
        labels[index] = " / ".join(option_combinations(int(categories[index]))[families.combination[index]])
    return labels
