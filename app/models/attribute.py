"""Attributes per category (screen size of laptops, material of furniture): their definitions,
the category page's filters on them, and a product's values as its creator sets them (the facet
counts are search.count_facets).

A filter from the URL is `attr.<key>=<choice>` (repeatable: any of them) for a choice or text
attribute, and `attr.<key>.min` / `attr.<key>.max` for a number. Keys and choices the category does
not define, and bounds that are not numbers from 0 to MAX_NUMBER, are dropped with a note.
"""

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import Connection

from app import db
from app.inputs import has_control_characters
from app.models.catalog import Criteria

MAX_NUMBER = Decimal("999999999")  # product_attributes.value_number is numeric(12, 3)
MAX_CHOSEN = 20  # values of one attribute a URL may choose
MAX_TEXT_LENGTH = 100  # product_attributes.value_text
_NUMBER = re.compile(r"^\d{1,9}(\.\d{1,3})?$")


@dataclass(frozen=True)
class Definition:
    key: str
    label: str
    type: str  # 'number', 'text' or 'choice'
    unit: str | None
    choices: tuple[str, ...]


def list_definitions(category_id: int) -> list[Definition]:
    """The category's attributes in the order its pages show them."""
    rows = db.all(
        """
        SELECT key, label, type, unit, coalesce(choices, '{}') AS choices
        FROM category_attributes
        WHERE category_id = :category_id
        ORDER BY position, key
        """,
        category_id=category_id,
    )
    return [Definition(row["key"], row["label"], row["type"], row["unit"], tuple(row["choices"])) for row in rows]


def with_filters(criteria: Criteria, args, definitions: list[Definition]) -> Criteria:
    """The criteria with the URL's filters on the category's attributes (and notes on bad ones)."""
    if not definitions:
        return criteria
    choices, ranges, notes = read_filters(args, definitions)
    return dataclasses.replace(
        criteria, attribute_choices=choices, attribute_ranges=ranges, notes=criteria.notes + tuple(notes)
    )


def read_filters(args, definitions: list[Definition]) -> tuple[tuple, tuple, list[str]]:
    """The attribute filters of a category URL: (key, values) choices, (key, min, max) ranges, notes."""
    choices, ranges, notes = [], [], []
    for definition in definitions:
        if definition.type == "number":
            low = _bound(args.get(f"attr.{definition.key}.min"), definition, "minimum", notes)
            high = _bound(args.get(f"attr.{definition.key}.max"), definition, "maximum", notes)
            if low is not None and high is not None and low > high:
                low, high = high, low
                notes.append(f"The {definition.label.lower()} minimum was above the maximum, so they were swapped.")
            if low is not None or high is not None:
                ranges.append((definition.key, low, high))
            continue
        wanted = _values(args, f"attr.{definition.key}")
        if definition.type == "choice":
            unknown = [value for value in wanted if value not in definition.choices]
            if unknown:
                notes.append(f"“{unknown[0][:30]}” is not a {definition.label.lower()} we list, so it was ignored.")
            wanted = [value for value in wanted if value in definition.choices]
        wanted = [value[:100] for value in wanted if value.strip()][:MAX_CHOSEN]
        if wanted:
            choices.append((definition.key, tuple(dict.fromkeys(wanted))))
    return tuple(choices), tuple(ranges), notes


def parse_number(raw: str) -> Decimal | None:
    """A number from 0 to MAX_NUMBER with at most three decimals, or None for anything else."""
    text = raw.strip()
    try:
        number = Decimal(text) if _NUMBER.match(text) else None
    except InvalidOperation:
        return None
    return number if number is not None and number <= MAX_NUMBER else None


def read_product_values(form, definitions: list[Definition]) -> tuple[dict, dict[str, str]]:
    """A product form's attribute values (`attr.<key>`; empty means none), typed as defined, and a
    message per key whose value cannot be stored."""
    values, problems = {}, {}
    for definition in definitions:
        raw = " ".join((form.get(f"attr.{definition.key}") or "").split())
        label = definition.label.lower()
        if not raw:
            continue
        if definition.type == "number":
            values[definition.key] = parse_number(raw)
            if values[definition.key] is None:
                problems[definition.key] = f"Enter the {label} as a number from 0 to 999,999,999."
        elif definition.type == "choice" and raw not in definition.choices:
            problems[definition.key] = f"Choose the {label} from the list."
        elif len(raw) > MAX_TEXT_LENGTH or has_control_characters(raw):
            problems[definition.key] = f"Keep the {label} to {MAX_TEXT_LENGTH} characters of text."
        else:
            values[definition.key] = raw
    return {key: value for key, value in values.items() if value is not None}, problems


def get_product_values(product_id: int) -> dict:
    """A product's attribute values by key (a Decimal for a number), as its form shows them."""
    rows = db.all(
        "SELECT key, value_text, value_number FROM product_attributes WHERE product_id = :product_id",
        product_id=product_id,
    )
    return {row["key"]: row["value_text"] if row["value_text"] is not None else row["value_number"] for row in rows}


def replace_product_values(conn: Connection, product_id: int, values: dict) -> None:
    """Make the product's attribute values exactly `values` (its row is locked by the caller),
    leaving out a key its category no longer defines.

    The category's definitions are locked (FOR KEY SHARE) before any value, as moving a product
    does (migration 0034) and as removing a definition does (FOR UPDATE, then its values): a value
    is never written for a definition being removed, which would outlive it (app/models/locks.py)."""
    defined = {
        row["key"]
        for row in db.fetch_all(
            conn,
            """
            SELECT key
            FROM category_attributes
            WHERE category_id = (SELECT category_id FROM products WHERE id = :product_id)
            ORDER BY key
            FOR KEY SHARE
            """,
            product_id=product_id,
        )
    }
    db.execute(conn, "DELETE FROM product_attributes WHERE product_id = :product_id", product_id=product_id)
    values = {key: value for key, value in values.items() if key in defined}
    if not values:
        return
    db.execute(
        conn,
        """
        INSERT INTO product_attributes (product_id, key, value_text, value_number)
        SELECT :product_id, given.key, given.value_text, given.value_number
        FROM unnest(CAST(:keys AS text[]), CAST(:texts AS text[]), CAST(:numbers AS numeric[]))
             AS given(key, value_text, value_number)
        """,
        product_id=product_id,
        keys=list(values),
        texts=[value if isinstance(value, str) else None for value in values.values()],
        numbers=[value if isinstance(value, Decimal) else None for value in values.values()],
    )


def _values(args, name: str) -> list[str]:
    """Every value of a repeated URL parameter (or the one value of a plain mapping)."""
    if hasattr(args, "getlist"):
        return args.getlist(name)
    value = args.get(name)
    return [value] if value else []


def _bound(raw: str | None, definition: Definition, which: str, notes: list[str]) -> Decimal | None:
    """A number bound from the URL, or None with a note when it is not a number from 0 to MAX_NUMBER."""
    if raw is None or not raw.strip():
        return None
    number = parse_number(raw)
    if number is None:
        shown = raw if len(raw) <= 20 else raw[:20] + "…"
        label = definition.label.lower()
        notes.append(f"The {label} {which} “{shown}” is not a number from 0 to 999,999,999, so it was ignored.")
        return None
    return number
