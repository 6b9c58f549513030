"""What a catalog search asks for: the URL's parameters, checked and normalised into `Criteria`.

Nothing here trusts the URL. A value that cannot be used is dropped with a note saying so, and
every value that reaches SQL is a bound parameter of a known type and size.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from app import db
from app.models.tag import is_valid_tag, normalise_tag
from app.search_text import SearchText

MAX_QUERY_LENGTH = 200  # longer searches are cut: the box allows 200, so only edited URLs are longer
MAX_QUERY_WORDS = 10
MAX_PRICE = Decimal("1000000")  # no offer may cost more (schema)

# Sort keys the URL may name, with what the page calls them. Relevance needs words to rank by.
SORTS = {
    "relevance": "Relevance",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "rating": "Average rating",
    "best_selling": "Best selling",
    "newest": "Newest",
}
RATINGS = (4, 3, 2, 1)  # "4 stars & up" …

# NUL and other control characters: PostgreSQL refuses NUL in text, and none belong in a search.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")
_BRAND_SLUG = re.compile(r"^[a-z0-9-]{1,80}$")


@dataclass(frozen=True)
class Category:
    id: int
    name: str
    slug: str
    department_id: int


@dataclass(frozen=True)
class Department:
    id: int
    name: str
    slug: str
    categories: tuple[Category, ...]


@dataclass(frozen=True)
class CategoryTree:
    """Every department with its categories, looked up by slug or id."""

    departments: tuple[Department, ...]

    def department(self, slug: str | None) -> Department | None:
        return next((department for department in self.departments if department.slug == slug), None)

    def category(self, slug: str | None) -> Category | None:
        return next((category for category in self.categories() if category.slug == slug), None)

    def department_of(self, category: Category) -> Department:
        return next(department for department in self.departments if department.id == category.department_id)

    def categories(self) -> list[Category]:
        return [category for department in self.departments for category in department.categories]

    def department_totals(self, counts: dict[int, int]) -> dict[int, int]:
        """Per-category counts added up per department."""
        return {
            department.id: sum(counts.get(category.id, 0) for category in department.categories)
            for department in self.departments
        }


@dataclass(frozen=True)
class Criteria:
    """A checked catalog search: every field is usable as it is, or None when not asked for."""

    query: str | None = None
    department: Department | None = None
    category: Category | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    min_rating: int | None = None
    in_stock: bool = False
    include_unavailable: bool = False
    sort: str = "best_selling"
    brand_slug: str | None = None
    tag: str | None = None
    # A category's attribute filters (app/models/attribute.py): key → chosen values, key → (min, max).
    attribute_choices: tuple[tuple[str, tuple[str, ...]], ...] = ()
    attribute_ranges: tuple[tuple[str, Decimal | None, Decimal | None], ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)
    as_typed: bool = False  # "Search instead for …": the words as typed, not corrected
    # The words read into groups, with corrections, synonyms and matching categories
    # (app/models/search_word.py's prepare): what the SQL matches. None for a browse.
    words: SearchText | None = field(default=None, compare=False)

    @property
    def category_ids(self) -> list[int] | None:
        """The categories results must be in (a department means all of its own), or None for any."""
        if self.category:
            return [self.category.id]
        if self.department:
            return [category.id for category in self.department.categories]
        return None

    @property
    def default_sort(self) -> str:
        return "relevance" if self.query else "best_selling"

    def to_args(self) -> dict[str, str]:
        """The URL parameters that ask for exactly these criteria (the usable ones only)."""
        args = {
            "q": self.query,
            "department": self.department.slug if self.department and not self.category else None,
            "category": self.category.slug if self.category else None,
            "min_price": str(self.min_price) if self.min_price is not None else None,
            "max_price": str(self.max_price) if self.max_price is not None else None,
            "min_rating": str(self.min_rating) if self.min_rating else None,
            "in_stock": "1" if self.in_stock else None,
            "include_unavailable": "1" if self.include_unavailable else None,
            "sort": self.sort if self.sort != self.default_sort else None,
            "brand": self.brand_slug,
            "tag": self.tag,
            "as_typed": "1" if self.as_typed and self.query else None,
        }
        for key, values in self.attribute_choices:
            args[f"attr.{key}"] = list(values)
        for key, low, high in self.attribute_ranges:
            args[f"attr.{key}.min"] = _number(low)
            args[f"attr.{key}.max"] = _number(high)
        return {name: value for name, value in args.items() if value is not None}

    @property
    def is_filtered(self) -> bool:
        """Whether anything beyond the words narrows the results."""
        return any(
            [
                self.department,
                self.min_price is not None,
                self.max_price is not None,
                self.min_rating,
                self.in_stock,
                self.include_unavailable,
                self.brand_slug,
                self.tag,
                self.attribute_choices,
                self.attribute_ranges,
            ]
        )


def _number(value: Decimal | None) -> str | None:
    """A bound as the URL and JSON write it (no exponent, no trailing zeros), or None."""
    if value is None:
        return None
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def list_categories() -> CategoryTree:
    """Every department and its categories, by name."""
    rows = db.all(
        """
        SELECT d.id AS department_id, d.name AS department_name, d.slug AS department_slug,
               c.id AS category_id, c.name AS category_name, c.slug AS category_slug
        FROM departments AS d
        LEFT JOIN categories AS c ON c.department_id = d.id
        ORDER BY d.name, d.id, c.name, c.id
        """
    )
    departments: dict[int, tuple[dict, list[Category]]] = {}
    for row in rows:
        _, categories = departments.setdefault(
            row["department_id"],
            ({"id": row["department_id"], "name": row["department_name"], "slug": row["department_slug"]}, []),
        )
        if row["category_id"] is not None:
            categories.append(
                Category(row["category_id"], row["category_name"], row["category_slug"], row["department_id"])
            )
    return CategoryTree(
        tuple(Department(**fields, categories=tuple(categories)) for fields, categories in departments.values())
    )


def clean_query(raw: str | None) -> tuple[str | None, list[str]]:
    """The search words without control characters or repeats, at most MAX_QUERY_WORDS of them
    and MAX_QUERY_LENGTH characters (each word is a posting list for the GIN index to read)."""
    if not raw:
        return None, []
    notes = []
    distinct: dict[str, str] = {}
    for word in _CONTROL_CHARACTERS.sub(" ", raw[: MAX_QUERY_LENGTH * 50]).split():
        distinct.setdefault(word.lower(), word)
    words = list(distinct.values())
    if len(words) > MAX_QUERY_WORDS:
        words = words[:MAX_QUERY_WORDS]
        notes.append(f"Your search had too many words, so only its first {MAX_QUERY_WORDS} were used.")
    text = " ".join(words)
    if len(text) > MAX_QUERY_LENGTH:
        text = text[:MAX_QUERY_LENGTH].rsplit(" ", 1)[0] if " " in text[:MAX_QUERY_LENGTH] else text[:MAX_QUERY_LENGTH]
        notes.append(f"Your search was too long, so only its first {MAX_QUERY_LENGTH} characters were used.")
    return text or None, notes


def parse_price(raw: str | None, label: str) -> tuple[Decimal | None, list[str]]:
    """A price from the URL, or None with a note when it is not an amount from $0 to $1,000,000."""
    if raw is None or not raw.strip():
        return None, []
    text = raw.strip().removeprefix("$").replace(",", "")
    try:
        amount = Decimal(text[:20])
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount > MAX_PRICE or len(text) > 20:
        shown = raw if len(raw) <= 20 else raw[:20] + "…"
        return None, [f"The {label} “{shown}” is not an amount from $0 to $1,000,000, so it was ignored."]
    return abs(amount).quantize(Decimal("0.01")), []  # abs: "-0" is zero


def read_criteria(args: Mapping[str, str], tree: CategoryTree) -> Criteria:
    """Criteria from a catalog URL's parameters; whatever cannot be used is dropped with a note."""
    notes: list[str] = []
    query, query_notes = clean_query(args.get("q"))
    min_price, min_notes = parse_price(args.get("min_price"), "minimum price")
    max_price, max_notes = parse_price(args.get("max_price"), "maximum price")
    notes += query_notes + min_notes + max_notes
    if min_price is not None and max_price is not None and min_price > max_price:
        min_price, max_price = max_price, min_price
        notes.append("The minimum price was above the maximum, so the two were swapped.")
    department, category = _read_place(args, tree, notes)
    return Criteria(
        query=query,
        department=department,
        category=category,
        min_price=min_price,
        max_price=max_price,
        min_rating=_read_rating(args.get("min_rating"), notes),
        in_stock=args.get("in_stock") == "1",
        include_unavailable=args.get("include_unavailable") == "1",
        sort=_read_sort(args.get("sort"), query, notes),
        brand_slug=_read_brand(args.get("brand"), notes),
        tag=_read_tag(args.get("tag"), notes),
        notes=tuple(notes),
        as_typed=args.get("as_typed") == "1",
    )


def _read_brand(raw: str | None, notes: list[str]) -> str | None:
    if not raw:
        return None
    if _BRAND_SLUG.match(raw):
        return raw
    notes.append("That brand does not exist, so products of every brand are shown.")
    return None


def _read_tag(raw: str | None, notes: list[str]) -> str | None:
    if not raw:
        return None
    tag = normalise_tag(raw[:100])
    if is_valid_tag(tag):
        return tag
    notes.append("That tag is not one a product could have, so it was ignored.")
    return None


def _read_place(args: Mapping[str, str], tree: CategoryTree, notes: list[str]):
    """The department and category asked for; a category brings its own department."""
    department_slug, category_slug = args.get("department"), args.get("category")
    category = tree.category(category_slug) if category_slug else None
    if category_slug and category is None:
        notes.append("That category does not exist, so results from every category are shown.")
    if category:
        return tree.department_of(category), category
    department = tree.department(department_slug) if department_slug else None
    if department_slug and department is None:
        notes.append("That department does not exist, so results from every department are shown.")
    return department, None


def _read_rating(raw: str | None, notes: list[str]) -> int | None:
    if not raw:
        return None
    if raw.strip() in {str(rating) for rating in (*RATINGS, 5)}:
        return int(raw)
    notes.append("The minimum rating must be a whole number of stars from 1 to 5, so it was ignored.")
    return None


def _read_sort(raw: str | None, query: str | None, notes: list[str]) -> str:
    default = Criteria(query=query).default_sort
    if not raw:
        return default
    if raw not in SORTS or (raw == "relevance" and not query):
        if raw != "relevance":
            notes.append("That sort order is not one we offer, so the default order is used.")
        return default
    return raw
