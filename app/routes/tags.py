"""/tags/<tag>: the listed products a tag is on, sortable like the catalog, a page at a time."""

from flask import Blueprint, abort, redirect, render_template, request, url_for

from app import page_cache
from app.models import catalog, catalog_page, search
from app.models.tag import is_valid_tag, normalise_tag
from app.pagination import Page, requested_page

bp = Blueprint("tags", __name__, url_prefix="/tags")


@bp.get("/<path:tag>")
@page_cache.for_guests
def show(tag: str):
    """Listed products with a tag, in a catalog order among the first SORTED_CANDIDATES of them, a
    page at a time (at most COUNT_CAP of them)."""
    wanted = normalise_tag(tag[:100])
    if not is_valid_tag(wanted):
        abort(404)
    if wanted != tag:
        return redirect(url_for("tags.show", tag=wanted, sort=request.args.get("sort")), 301)
    sort = request.args.get("sort", "best_selling")
    sort = sort if sort in catalog.SORTS and sort != "relevance" else "best_selling"
    candidates, per_page = catalog_page.SORTED_CANDIDATES, catalog_page.PER_PAGE
    requested = requested_page()
    products = search.list_tagged(wanted, sort, candidates, per_page, (requested - 1) * per_page)
    # How many carry the tag (beyond `candidates`: sorted among the first, and said so) comes with
    # the page; a page past the end has no rows to bring it, and is counted and read again.
    total = products[0]["tagged"] if products else search.count_tagged(wanted, candidates + 1)
    number = min(requested, Page([], 1, per_page, min(total, catalog_page.COUNT_CAP)).pages)
    if number != requested:
        products = search.list_tagged(wanted, sort, candidates, per_page, (number - 1) * per_page)
    page = Page(list(products), number, per_page, min(total, catalog_page.COUNT_CAP))
    page_cache.show_products(item["id"] for item in products)

    def link(**changes) -> str:
        args = {"sort": sort if sort != "best_selling" else None} | changes
        return url_for("tags.show", tag=wanted, **{name: value for name, value in args.items() if value})

    return render_template(
        "catalog/tag.html",
        tag=wanted,
        page=page,
        more=total > page.total,
        sorted_among=candidates if total > candidates else None,
        sort=sort,
        sorts=catalog.SORTS,
        link=link,
    )
