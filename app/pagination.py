"""Offset pagination: read and clamp ?page=, and describe the page for templates."""

from dataclasses import dataclass
from math import ceil

from flask import request

from app.inputs import MAX_ID, whole_number

MAX_PAGE = 10_000  # deep offsets are slow and useless; a search narrows better


def requested_page(name: str = "page") -> int:
    """?page= (or another parameter) as a whole number from 1 to MAX_PAGE: a larger one reads as
    MAX_PAGE, anything else (not a number, negative, past bigint) as 1."""
    page = whole_number(request.args.get(name), -MAX_ID, MAX_ID)
    if page is None or page < 1:
        return 1
    return min(page, MAX_PAGE)


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, its number, and how many rows the list has."""

    items: list
    number: int
    per_page: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def window(self, size: int = 2) -> list[int | None]:
        """Page numbers to link: first, last and a few around this one; None is a gap."""
        wanted = {1, self.pages, *range(self.number - size, self.number + size + 1)}
        numbers = sorted(n for n in wanted if 1 <= n <= self.pages)
        shown: list[int | None] = []
        for number in numbers:
            if shown and number - shown[-1] > 1:
                shown.append(None)
            shown.append(number)
        return shown


def clamped_page(total: int, per_page: int, name: str = "page") -> int:
    """requested_page(name) for a list of `total` rows: a page past the last reads as the last."""
    return min(requested_page(name), max(1, ceil(total / per_page)))


def offset_for(page: int, per_page: int) -> int:
    return (page - 1) * per_page
