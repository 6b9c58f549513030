"""What a console table asks for (search words, filters, a sort, a page) and the SQL pieces
built from it: only fixed fragments picked from allow-lists by name, every value bound."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from app import db

DIRECTIONS = {"asc": "ASC", "desc": "DESC"}


class AdminRefused(Exception):
    """A console change that was refused; the message says why, for the person at the console."""


@dataclass(frozen=True)
class Listing:
    """A checked table request: `filters` maps a filter's name to one of its allowed values."""

    search: str = ""
    filters: Mapping[str, str] = field(default_factory=dict)
    sort: str = ""
    direction: str = "desc"


def order_by(sorts: Mapping[str, str], listing: Listing, tiebreak: str) -> str:
    """ORDER BY text for the listing's sort (a key of `sorts`), then `tiebreak` the same way."""
    direction = DIRECTIONS[listing.direction]
    return f"{sorts[listing.sort]} {direction} NULLS LAST, {tiebreak} {direction}"


def conditions(filters: Mapping[str, Mapping[str, str]], listing: Listing, *extra: str) -> str:
    """The fixed SQL fragments of the chosen filter values and `extra`, joined with AND."""
    chosen = [filters[name][value] for name, value in listing.filters.items() if value in filters.get(name, {})]
    return " AND ".join([*extra, *chosen]) or "TRUE"


def search_pattern(listing: Listing) -> str | None:
    """A LIKE pattern for the search words (their own % and _ literal), or None without words."""
    return db.contains_pattern(listing.search) if listing.search else None


def search_id(listing: Listing) -> int | None:
    """The search words as an id when they are one (digits only, within bigint), else None."""
    text = listing.search.removeprefix("#")
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 2**63 else None
