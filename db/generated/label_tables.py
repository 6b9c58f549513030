"""The tables of brands, tags and attributes (naming.py decides them with the products' names)."""

import numpy as np

from .attributes import ATTRIBUTES
from .copyload import NULL, TableSource, integers, timestamps
from .naming import Naming, slug_of, vocabulary
from .texts import escape_copy
from .timeline import Timeline
from .vocabulary import all_categories


def _listed(name: str, columns: tuple[str, ...], rows: list[tuple]) -> TableSource:
    return TableSource(name, columns, len(rows), lambda start, stop: list(zip(*rows[start:stop], strict=True)))


def brands(timeline: Timeline) -> TableSource:
    """Every brand of every department, ids in naming.vocabulary() order, there from the start."""
    created = timestamps(np.array([timeline.start]))[0]
    rows = [
        (str(number), escape_copy(name), slug_of(name), NULL, created)
        for number, name in enumerate(vocabulary().brands, start=1)
    ]
    return _listed("brands", ("id", "name", "slug", "created_by", "created_at"), rows)


def _array(values) -> str:
    """A text[] literal for COPY, every element quoted."""
    return escape_copy("{" + ",".join('"' + value.replace('"', '\\"') + '"' for value in values) + "}")


def category_attributes() -> TableSource:
    """The demo categories' attributes (attributes.py), category ids in vocabulary order."""
    rows = [
        (
            str(category_id),
            attribute.key,
            escape_copy(attribute.label),
            attribute.type,
            attribute.unit or NULL,
            _array(attribute.choices) if attribute.choices else NULL,
            str(position),
        )
        for category_id, (_, category) in enumerate(all_categories(), start=1)
        for position, attribute in enumerate(ATTRIBUTES.get(category.slug, ()), start=1)
    ]
    columns = ("category_id", "key", "label", "type", "unit", "choices", "position")
    return _listed("category_attributes", columns, rows)


ATTRIBUTE_COLUMNS = ("product_id", "category_id", "key", "value_text", "value_number")


def product_labels(naming: Naming) -> list[TableSource]:
    """product_tags (each product's tags, each once) and product_attributes (the values its name gives);
    none for a variant, which has its product's."""
    v = vocabulary()
    columns = naming.tag_columns()
    kept = (columns >= 0) & ~naming.is_variant[:, np.newaxis]  # a variant's tags are its product's
    for later in range(1, columns.shape[1]):  # a tag that repeats an earlier one of its row is dropped
        for earlier in range(later):
            kept[:, later] &= columns[:, later] != columns[:, earlier]
    products = np.repeat(np.arange(1, len(columns) + 1, dtype=np.int64), columns.shape[1])[kept.ravel()]
    tags = columns.ravel()[kept.ravel()]

    def tag_rows(start: int, stop: int):
        return [integers(products[start:stop]), v.tags[tags[start:stop]]]

    count, attribute_rows = _attribute_rows(naming)
    return [
        TableSource("product_tags", ("product_id", "tag"), len(products), tag_rows),
        TableSource("product_attributes", ATTRIBUTE_COLUMNS, count, attribute_rows),
    ]


def _attribute_rows(naming: Naming) -> tuple[int, object]:
    """How many attribute values there are and how to format them."""
    v = vocabulary()
    numbers = [attribute.key for group in ATTRIBUTES.values() for attribute in group if attribute.type == "number"]
    found = []
    for source, indices in ((v.word_values, naming.word), (v.noun_values, naming.noun)):
        for key, values in source.items():
            given = values[indices]
            products = np.flatnonzero((given != None) & ~naming.is_variant)  # noqa: E711 - elementwise
            found.append((products, key, given[products]))
    products = np.concatenate([products for products, _, _ in found])
    keys = np.concatenate([np.full(len(products), key, dtype=object) for products, key, _ in found])
    values = np.concatenate([values for _, _, values in found])
    is_number = np.isin(keys, numbers)
    order = np.lexsort((keys.astype(str), products))
    texts = np.array([escape_copy(str(value)) for value in values], dtype=object)
    products, keys = products[order], keys[order]
    # What trigger product_attributes_category writes (migration 0034): the load runs without triggers.
    categories = naming.category[products] + 1
    products = products + 1
    value_text, value_number = np.where(is_number, NULL, texts)[order], np.where(is_number, texts, NULL)[order]

    def rows(start: int, stop: int):
        window = slice(start, stop)
        return [
            integers(products[window]),
            integers(categories[window]),
            keys[window],
            value_text[window],
            value_number[window],
        ]

    return len(products), rows
