"""Console: the reports (administrators). One page per report, each a table with search,
filters, sort, paging and CSV."""

from flask import redirect, render_template, url_for

from app import charts
from app.models import admin_reports
from app.routes.admin import bp
from app.routes.admin_listing import CSV_LIMIT, csv_response, page_of, read_listing, wants_csv

# What each report's table shows (and its CSV holds); the first column is the linked id.
COLUMNS = {
    "out-of-stock": (
        charts.Column("id", "Product", "count"),
        charts.Column("name", "Name"),
        charts.Column("category_name", "Category"),
        charts.Column("offer_count", "Offers", "count"),
        charts.Column("units_sold", "Units sold", "count"),
        charts.Column("rating_avg", "Rating", "average"),
    ),
    "low-stock": (
        charts.Column("id", "Seller", "count"),
        charts.Column("name", "Name"),
        charts.Column("threshold", "Their threshold", "count"),
        charts.Column("low_stock", "Offers low", "count"),
        charts.Column("out_of_stock", "Offers sold out", "count"),
        charts.Column("active_offers", "Active offers", "count"),
    ),
    "product-ratings": (
        charts.Column("id", "Product", "count"),
        charts.Column("name", "Name"),
        charts.Column("category_name", "Category"),
        charts.Column("rating_avg", "Average rating", "average"),
        charts.Column("rating_count", "Reviews", "count"),
        charts.Column("units_sold", "Units sold", "count"),
    ),
    "seller-ratings": (
        charts.Column("id", "Seller", "count"),
        charts.Column("name", "Name"),
        charts.Column("rating_avg", "Average rating", "average"),
        charts.Column("rating_count", "Reviews", "count"),
    ),
    "late-shipments": (
        charts.Column("id", "Seller", "count"),
        charts.Column("name", "Name"),
        charts.Column("late_lines", "Late lines", "count"),
        charts.Column("late_value", "Their value", "money"),
        charts.Column("oldest_ordered_at", "Oldest ordered (UTC)"),
    ),
    "search-misses": (
        charts.Column("name", "Search"),
        charts.Column("searches", "Searches", "count"),
        charts.Column("days", "Days seen", "count"),
        charts.Column("last_day", "Last seen"),
    ),
}
# Where a row's id leads: a product's or a user's console page.
LINKS = {
    "out-of-stock": "product",
    "product-ratings": "product",
    "low-stock": "user",
    "seller-ratings": "user",
    "late-shipments": "user",
}


@bp.get("/reports")
def reports_index():
    return redirect(url_for("admin.report", name=next(iter(admin_reports.REPORTS))))


@bp.get("/reports/<any(" + ", ".join(map(repr, admin_reports.REPORTS)) + "):name>")
def report(name: str):
    spec = admin_reports.REPORTS[name]
    listing = read_listing(spec.sorts, spec.default_sort, spec.default_direction, spec.filters)
    if wants_csv():
        return csv_response(f"report-{name}", COLUMNS[name], admin_reports.list_rows(name, listing, CSV_LIMIT, 0))
    page = page_of(
        listing,
        lambda chosen: admin_reports.count_rows(name, chosen),
        lambda chosen, limit, offset: admin_reports.list_rows(name, chosen, limit, offset),
    )
    return render_template(
        "admin/report.html",
        name=name,
        spec=spec,
        reports=admin_reports.REPORTS,
        columns=COLUMNS[name],
        sort_keys={sql.removeprefix("r."): key for key, sql in spec.sorts.items()},
        filter_choices=[
            (
                filter_name,
                "At least",
                [("", "Any number of reviews"), *((value, f"{value} reviews") for value in values)],
            )
            for filter_name, values in spec.filters.items()
        ],
        link=LINKS.get(name),
        page=page,
        listing=listing,
    )
