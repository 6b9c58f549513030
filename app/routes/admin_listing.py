"""The console's tables: reading search, filters, sort and page from the query string, and the
same rows as a CSV download (?format=csv). Bad values fall back to defaults, never a 500."""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from flask import Response, request

from app import charts
from app.inputs import text_arg
from app.models.admin_query import DIRECTIONS, Listing
from app.pagination import Page, clamped_page

PAGE_SIZE = 25
CSV_LIMIT = 10_000  # rows in one download; narrow the search for more


def read_listing(
    sorts: Mapping[str, str],
    default_sort: str,
    default_direction: str = "desc",
    filters: Mapping[str, Mapping[str, str]] | None = None,
    default_filters: Mapping[str, str] | None = None,
) -> Listing:
    """The table request in the query string: `q`, one value per filter, `sort` and `dir`.

    A filter missing from the query string takes its value in `default_filters`; an empty one
    (the form's "All") takes none."""
    args = request.args
    sort = args.get("sort", "")
    direction = args.get("dir", "")
    chosen = {}
    for name, values in (filters or {}).items():
        value = args.get(name, (default_filters or {}).get(name))
        if value in values:
            chosen[name] = value
    return Listing(
        search=text_arg(args, "q", 100),
        filters=chosen,
        sort=sort if sort in sorts else default_sort,
        direction=direction if direction in DIRECTIONS else default_direction,
    )


def page_of(listing: Listing, count: Callable[[Listing], int], rows: Callable[[Listing, int, int], list]) -> Page:
    """The requested page of a table (the last one if it asks past the end): one count, one page query."""
    total = count(listing)
    number = clamped_page(total, PAGE_SIZE)
    return Page(rows(listing, PAGE_SIZE, (number - 1) * PAGE_SIZE), number, PAGE_SIZE, total)


def wants_csv() -> bool:
    return request.args.get("format") == "csv"


def csv_response(name: str, columns: tuple[charts.Column, ...], rows) -> Response:
    """Rows (mappings) as a CSV download of `columns`, text cells guarded against formulas."""
    table = charts.Table(name, columns, [tuple(row[column.key] for column in columns) for row in rows])
    filename = f"{name}-{datetime.now(UTC).date().isoformat()}.csv"
    return Response(
        charts.to_csv(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"},
    )
