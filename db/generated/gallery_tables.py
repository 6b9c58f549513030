"""The demo's product galleries (issue 17): drawn views, no stored pictures.

A gallery entry may be a drawn view of its product (product_images.drawn_view, app/pictures.py)
instead of an uploaded image, so a million products get their galleries as small rows, no bytes.
Which products have one, and how many views, follows from the product's id alone: two in five
have none (the catalog draws their cover), the others 2, 3 or 4 views — front, side, close-up,
from above — in that order, about 1.8 rows per product.
"""

import numpy as np

from .copyload import TableSource, integers

VIEWS_BY_REMAINDER = np.array([0, 2, 3, 4, 0])  # indexed by (product id * 7) % 5
ALT_TEXTS = np.array(["", "Front view", "Side view", "Close-up", "Seen from above"], dtype=object)


def gallery_sizes(product_count: int) -> np.ndarray:
    """How many drawn views each product (ids 1..product_count) has."""
    return VIEWS_BY_REMAINDER[(np.arange(1, product_count + 1, dtype=np.int64) * 7) % 5]


def product_images(product_count: int) -> TableSource:
    """product_images: each product's views at positions 1..n, drawn view n at position n."""
    sizes = gallery_sizes(product_count)
    products = np.repeat(np.arange(1, product_count + 1, dtype=np.int64), sizes)
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    positions = np.arange(len(products), dtype=np.int64) - starts + 1

    def rows(start: int, stop: int):
        window = slice(start, stop)
        return [
            integers(np.arange(start + 1, stop + 1)),
            integers(products[window]),
            integers(positions[window]),
            integers(positions[window]),
            ALT_TEXTS[positions[window]],
        ]

    columns = ("id", "product_id", "position", "drawn_view", "alt_text")
    return TableSource("product_images", columns, len(products), rows)
