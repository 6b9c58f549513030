"""Product names like a real catalog's, and the brand, tags and attribute values they imply.

A product of most categories is "{brand} {line} {adjective} {noun} {model}{tail}" ("Lumetra Aero
15.6-inch Ultrabook A412 with 16 GB RAM"); a book is "{title}{tail} ({publisher} {line})", and when
books of that imprint share the title, "…, 2nd Edition". The model number (a book's edition) counts
the products that share everything else that tells names apart, so names stay distinct at every
scale. Tags and attribute values come from the same words as the name: a "15.6-inch" laptop has a
screen size of 15.6, a "Solid Oak" desk the material Oak and the tag "oak".

Everything is index arrays until a chunk of rows is written (`names`, `subjects`, `search_terms`), so
a million products cost a few arrays, not a million strings kept in memory.
"""

import functools
import re
from dataclasses import dataclass

import numpy as np

from .attributes import ATTRIBUTES
from .brand_names import BOOK_COMPLEMENTS, BRANDS, LINES
from .texts import escape_copy
from .vocabulary import all_categories

BRANDS_PER_CATEGORY = 12
NO_COMPLEMENT_SHARE = 0.4  # of book titles
SECOND_USE_SHARE = 0.5  # products with a second tag from the category's uses
MODEL_NUMBERS = 900  # 100-999, then a letter: A100 … A999, A100B …
MAX_TAG_LENGTH = 30
NONE = -1
_NOT_TAG = re.compile(r"[^\w -]")


def tag_of(text: str) -> str:
    """A phrase as a tag: lower-case, letters, digits, spaces and hyphens, at most 30 characters."""
    words = " ".join(_NOT_TAG.sub("", text.lower()).split())
    return words[:MAX_TAG_LENGTH].strip(" -")


def slug_of(name: str) -> str:
    """A brand's slug as the app makes one (app/models/brand.py): ASCII letters and digits, hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("é", "e")).strip("-")


class Slices:
    """Each category's run of a flat array: category → offset and count, sampled uniformly."""

    def __init__(self, groups: list[list[int]]) -> None:
        self.values = np.array([value for group in groups for value in group], dtype=np.int64)
        self.counts = np.array([len(group) for group in groups], dtype=np.int64)
        self.offsets = np.concatenate(([0], np.cumsum(self.counts)[:-1])).astype(np.int64)

    def pick(self, categories: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One value per product from its category's run."""
        at = self.offsets[categories] + (rng.random(len(categories)) * self.counts[categories]).astype(np.int64)
        return self.values[at]


@dataclass(frozen=True)
class Vocabulary:
    """The words of names as flat, COPY-escaped arrays, and each category's share of them."""

    brands: tuple[str, ...]  # a brand's id is its index + 1
    lines: np.ndarray  # object
    words: np.ndarray  # a category's adjectives, or the words its attribute puts in names
    nouns: np.ndarray
    tags: np.ndarray  # every tag text; the arrays below hold indices into it
    line_initials: np.ndarray
    noun_tags: np.ndarray  # per noun
    word_tags: np.ndarray  # per word, NONE for most (a material's word is a tag)
    category_brands: Slices
    category_lines: Slices
    category_words: Slices
    category_nouns: Slices
    category_uses: Slices  # tag indices
    is_book: np.ndarray  # per category
    word_values: dict  # attribute key → array per word (None where the word gives none)
    noun_values: dict  # attribute key → array per noun


@functools.cache
def vocabulary() -> Vocabulary:
    """Build the vocabulary once (it depends on nothing random)."""
    brands = [name for names in BRANDS.values() for name in names]
    brand_ids = {name: number for number, name in enumerate(brands)}
    lines = [(department, line) for department, names in LINES.items() for line in names]
    line_ids = {pair: number for number, pair in enumerate(lines)}
    tags: dict[str, int] = {}
    words, nouns, word_tags, noun_tags = [], [], [], []
    groups = {"brands": [], "lines": [], "words": [], "nouns": [], "uses": []}
    for position, (department, category) in enumerate(all_categories()):
        own = BRANDS[department.slug]
        start = position * 5 % len(own)
        chosen = [own[(start + step) % len(own)] for step in range(BRANDS_PER_CATEGORY)]
        groups["brands"].append([brand_ids[name] for name in chosen])
        groups["lines"].append([line_ids[department.slug, line] for line in LINES[department.slug]])
        named = next((attribute for attribute in ATTRIBUTES.get(category.slug, ()) if attribute.words), None)
        category_words = [word for word, _ in named.words] if named else list(category.adjectives)
        groups["words"].append(list(range(len(words), len(words) + len(category_words))))
        words += category_words
        is_choice = named is not None and named.type == "choice"
        word_tags += [tags.setdefault(tag_of(word), len(tags)) if is_choice else NONE for word in category_words]
        groups["nouns"].append(list(range(len(nouns), len(nouns) + len(category.nouns))))
        nouns += category.nouns
        noun_tags += [tags.setdefault(tag_of(noun), len(tags)) for noun in category.nouns]
        groups["uses"].append([tags.setdefault(tag_of(use), len(tags)) for use in category.uses])
    word_values, noun_values = _attribute_values(groups["words"], words), _attribute_values(groups["nouns"], nouns)
    text = lambda values: np.array([escape_copy(value) for value in values], dtype=object)  # noqa: E731
    return Vocabulary(
        brands=tuple(brands),
        lines=text(line for _, line in lines),
        words=text(words),
        nouns=text(nouns),
        tags=text(tags),
        line_initials=np.array([line[0] for _, line in lines], dtype=object),
        noun_tags=np.array(noun_tags, dtype=np.int64),
        word_tags=np.array(word_tags, dtype=np.int64),
        category_brands=Slices(groups["brands"]),
        category_lines=Slices(groups["lines"]),
        category_words=Slices(groups["words"]),
        category_nouns=Slices(groups["nouns"]),
        category_uses=Slices(groups["uses"]),
        is_book=np.array([department.slug == "books" for department, _ in all_categories()]),
        word_values=word_values,
        noun_values=noun_values,
    )


def _attribute_values(groups: list[list[int]], texts: list[str]) -> dict[str, np.ndarray]:
    """Attribute key → per word (or noun) the value it gives, None where it gives none."""
    values: dict[str, np.ndarray] = {}
    for members, (_, category) in zip(groups, all_categories(), strict=True):
        for attribute in ATTRIBUTES.get(category.slug, ()):
            mapping = dict(attribute.words) | dict(attribute.nouns)
            column = values.setdefault(attribute.key, np.full(len(texts), None, dtype=object))
            for member in members:
                column[member] = mapping.get(texts[member])
    return values


@dataclass(frozen=True)
class Naming:
    """What each product's name is made of (indices into the vocabulary), by product index."""

    category: np.ndarray
    brand: np.ndarray  # brand id - 1
    line: np.ndarray
    word: np.ndarray
    noun: np.ndarray
    complement: np.ndarray  # books: index into BOOK_COMPLEMENTS (0: none)
    tail: np.ndarray  # index into the tail texts given to make_naming
    tail_texts: np.ndarray
    serial: np.ndarray  # the model number's (a book's edition's) place among its look-alikes
    salt: np.ndarray  # spreads model numbers: groups do not all start at 100
    uses: np.ndarray  # (products, 2) tag indices, NONE for no second one
    is_variant: np.ndarray  # a variant has its product's words, and no brand, tags or attributes of its own

    def names(self, window: slice) -> np.ndarray:
        """The products' names (COPY-escaped)."""
        v, texts = vocabulary(), _texts()
        brand, line, word, noun = self.brand[window], self.line[window], self.word[window], self.noun[window]
        tail, serial = self.tail_texts[self.tail[window]], self.serial[window]
        books = v.is_book[self.category[window]]
        names = np.empty(len(brand), dtype=object)
        other = ~books
        model = (serial[other] % MODEL_NUMBERS * 37 + self.salt[window][other]) % MODEL_NUMBERS
        models = texts.models[line[other] * MODEL_NUMBERS + model]
        again = serial[other] >= MODEL_NUMBERS  # a group past 900 products (not at the named scales)
        models[again] += _LETTERS[np.minimum(serial[other][again] // MODEL_NUMBERS, len(_LETTERS) - 1)]
        names[other] = (
            texts.brand_lines[brand[other] * len(v.lines) + line[other]]
            + texts.word_nouns[word[other] * len(v.nouns) + noun[other]]
            + models
            + tail[other]
        )
        edition = _EDITIONS[np.minimum(serial[books], len(_EDITIONS) - 1)]
        names[books] = (
            texts.word_nouns[word[books] * len(v.nouns) + noun[books]]
            + _COMPLEMENTS[self.complement[window][books]]
            + tail[books]
            + texts.imprints[brand[books] * len(v.lines) + line[books]]
            + edition
        )
        return names

    def subjects(self, window: slice) -> np.ndarray:
        """How a description names each product: "The Lumetra Ultrabook", or a book's title."""
        v, category = vocabulary(), self.category[window]
        brand = np.array(v.brands, dtype=object)[self.brand[window]]
        noun, word = v.nouns[self.noun[window]], v.words[self.word[window]]
        title = word + " " + noun + _COMPLEMENTS[self.complement[window]]
        return np.where(v.is_book[category], title, "The " + brand + " " + noun)

    def tag_columns(self) -> np.ndarray:
        """(products, 4) tag indices: the noun's, one or two uses', the material word's (NONE: none)."""
        v = vocabulary()
        return np.column_stack((v.noun_tags[self.noun], self.uses, v.word_tags[self.word]))

    def search_terms(self, window: slice) -> np.ndarray:
        """products.search_terms: the brand's name and the tags, as the app writes them."""
        v = vocabulary()
        terms = np.array(v.brands, dtype=object)[self.brand[window]]
        for column in self.tag_columns()[window].T:
            terms = np.where(column >= 0, terms + " " + v.tags[np.maximum(column, 0)], terms)
        return terms


_COMPLEMENTS = np.array([escape_copy(text) for text in BOOK_COMPLEMENTS], dtype=object)


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


_EDITIONS = np.array([""] + [f", {_ordinal(number)} Edition" for number in range(2, 101)], dtype=object)
_LETTERS = np.array([""] + [chr(ord("A") + number) for number in range(26)], dtype=object)


@dataclass(frozen=True)
class _Texts:
    """Pieces of names made once, so a chunk of names is a few lookups and four concatenations."""

    brand_lines: np.ndarray  # brand * lines + line: "Lumetra Aero "
    imprints: np.ndarray  # brand * lines + line: " (Lantern Press Classics)"
    word_nouns: np.ndarray  # word * nouns + noun: "15.6-inch Ultrabook" (a book's title)
    models: np.ndarray  # line * MODEL_NUMBERS + number: " A412"


@functools.cache
def _texts() -> _Texts:
    """Model numbers are distinct for distinct serials of a group: 100-999 in an order scrambled by
    the group's salt (37 is prime to 900), then again with a letter."""
    v = vocabulary()
    brands = np.array([escape_copy(brand) for brand in v.brands], dtype=object)
    numbers = [str(100 + number) for number in range(MODEL_NUMBERS)]
    return _Texts(
        brand_lines=np.array([brand + " " + line + " " for brand in brands for line in v.lines], dtype=object),
        imprints=np.array([f" ({brand} {line})" for brand in brands for line in v.lines], dtype=object),
        word_nouns=np.array([word + " " + noun for word in v.words for noun in v.nouns], dtype=object),
        models=np.array([f" {initial}{number}" for initial in v.line_initials for number in numbers], dtype=object),
    )


def _serials(keys: np.ndarray) -> np.ndarray:
    """Each product's place among the products with the same key (0, 1, 2 … in product order)."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    positions = np.arange(len(keys))
    first = np.maximum.accumulate(np.where(starts, positions, 0))
    serials = np.empty(len(keys), dtype=np.int64)
    serials[order] = positions - first
    return serials


def make_naming(categories: np.ndarray, tails: np.ndarray, tail_texts: np.ndarray, parents: np.ndarray, rng) -> Naming:
    """What each product (of the given categories, with the given tail indices) is called; a variant
    (`parents`: its product's id, 0 for none) is named as its product (tables.py adds its options)."""
    v = vocabulary()
    count = len(categories)
    brand, line = v.category_brands.pick(categories, rng), v.category_lines.pick(categories, rng)
    word, noun = v.category_words.pick(categories, rng), v.category_nouns.pick(categories, rng)
    is_book = v.is_book[categories]
    with_complement = is_book & (rng.random(count) >= NO_COMPLEMENT_SHARE)
    complement = np.where(with_complement, 1 + (rng.random(count) * (len(BOOK_COMPLEMENTS) - 1)).astype(np.int64), 0)
    # Tails are drawn from pools with repeats: the same text is the same tail (and so for words).
    tail_text_ids = np.unique(tail_texts.astype(str), return_inverse=True)[1][tails]
    word_ids = np.unique(v.words.astype(str), return_inverse=True)[1][word]
    noun_ids = np.unique(v.nouns.astype(str), return_inverse=True)[1][noun]
    brands, lines = len(v.brands), len(v.lines)
    others = (categories * brands + brand) * lines + line
    books = ((word_ids * len(v.nouns) + noun_ids) * len(BOOK_COMPLEMENTS) + complement) * (tail_text_ids.max() + 1)
    books = ((books + tail_text_ids) * brands + brand) * lines + line
    variants = np.flatnonzero(parents)
    keys = np.where(is_book, books, others)
    keys[variants] = -1 - variants  # each its own group: a variant takes its product's model below
    first_use = v.category_uses.pick(categories, rng)
    second_use = v.category_uses.pick(categories, rng)
    second_use = np.where((second_use != first_use) & (rng.random(count) < SECOND_USE_SHARE), second_use, NONE)
    serial, salt = _serials(keys), keys % MODEL_NUMBERS
    uses = np.column_stack((first_use, second_use))
    for column in (brand, line, word, noun, complement, serial, salt, uses):
        column[variants] = column[parents[variants] - 1]
    return Naming(
        category=categories,
        brand=brand,
        line=line,
        word=word,
        noun=noun,
        complement=complement,
        tail=tails,
        tail_texts=tail_texts,
        serial=serial,
        salt=salt,
        uses=uses,
        is_variant=parents > 0,
    )
