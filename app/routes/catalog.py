"""The catalog: search and browse products, a product's page with every seller, its picture."""

import functools
import hashlib

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_login import current_user

from app import page_cache
from app.models import catalog, catalog_page, product, recommendation
from app.models.search_miss import record_miss
from app.pagination import requested_page
from app.routes.reviews import review_section

bp = Blueprint("catalog", __name__, url_prefix="/products")

PICTURE_MAX_AGE = 3600  # seconds a browser may reuse a picture before asking again (ETag)
# Colours for generated pictures, one per category (by id); each keeps white initials readable.
PALETTE = (
    "#1f5f99",
    "#8a3b12",
    "#2e6b34",
    "#6b3fa0",
    "#9c2f4a",
    "#0f6e6e",
    "#75570a",
    "#3d4f7c",
    "#a13d2d",
    "#44633f",
    "#5b4a8a",
    "#805030",
)


@bp.get("")
@page_cache.for_guests
def index():
    tree = catalog.list_categories()
    criteria = catalog.read_criteria(request.args, tree)
    results = catalog_page.find_products(criteria, requested_page())
    if (
        criteria.query
        and not (criteria.is_filtered or results.too_slow)
        and (results.total == 0 or results.corrected_query)
    ):
        # The console's "searches with no results", counted also when the page comes from the cache.
        page_cache.on_every_request(record_miss, criteria.query)
    page_cache.show_products(item["id"] for item in results.page.items)
    return render_template(
        "catalog/index.html",
        tree=tree,
        criteria=criteria,
        results=results,
        sorts=catalog.SORTS,
        ratings=catalog.RATINGS,
        link=_link_to(criteria),
    )


def _link_to(criteria: catalog.Criteria):
    """A function for the page's links: this search with some parameters changed (None drops one).
    Links carry only the usable parameters, so a bad one is noted once and then gone."""

    def link(**changes) -> str:
        return url_for("catalog.index", **(criteria.to_args() | changes))

    return link


@bp.get("/<int:product_id>")
@page_cache.for_guests
def show(product_id: int):
    parts = page_cache.shared(f"product {product_id}", lambda: _product_parts(product_id))
    item = parts["product"]
    if item is None or (item["status"] != "listed" and not _may_see_unlisted(item)):
        abort(404)
    page_cache.show_products(parts["shown"])
    return render_template(
        "catalog/show.html",
        product=item,
        offers=parts["offers"],
        viewer_id=current_user.id if current_user.is_authenticated else None,
        section=review_section("product", product_id),
        recommendations=parts["recommendations"],
    )


def _product_parts(product_id: int) -> tuple[dict, list[int]]:
    """What a product page shows every visitor alike (the product, its sellers, also-bought), and the
    products it shows: cached while none of them changes (page_cache.shared)."""
    item = product.get_product(product_id)
    if item is None:
        return {"product": None, "shown": [product_id]}, [product_id]
    recommendations = recommendation.also_bought(product_id)
    shown = [product_id, *(row["id"] for row in recommendations["products"])]
    offers = product.list_offers_for_product(product_id)
    return {"product": item, "offers": offers, "recommendations": recommendations, "shown": shown}, shown


def _may_see_unlisted(item) -> bool:
    """A product taken down or awaiting approval shows to its creator (with the reason) and to moderators."""
    return current_user.is_authenticated and (
        current_user.id == item["creator_id"] or current_user.role in ("moderator", "administrator")
    )


@bp.get("/<int:product_id>/image")
def image(product_id: int):
    """The product's uploaded image, or a picture drawn from its name and category."""
    picture = product.get_product_picture(product_id)
    if picture is None:
        abort(404)
    if picture["image_id"] is not None:
        etag = f"image-{picture['image_id']}"
        if request.if_none_match.contains(etag):
            return _cacheable(Response(status=304), etag)
        data = product.get_image_data(picture["image_id"])
        return _cacheable(Response(data, mimetype=picture["content_type"]), etag)
    # The drawing depends only on the name, the category and the template: a client's copy is
    # checked against those before anything is drawn.
    drawn_from = f"{_picture_template_digest()}|{picture['category_id']}|{picture['name']}"
    etag = "drawn-" + hashlib.sha256(drawn_from.encode()).hexdigest()[:20]
    if request.if_none_match.contains(etag):
        return _cacheable(Response(status=304), etag)
    svg = render_template(
        "catalog/picture.svg",
        name=picture["name"],
        initials=initials(picture["name"]),
        colour=PALETTE[picture["category_id"] % len(PALETTE)],
    )
    return _cacheable(Response(svg, mimetype="image/svg+xml"), etag)


@functools.cache
def _picture_template_digest() -> str:
    """A hash of the picture template's source, so a changed drawing gets new ETags."""
    source, _, _ = current_app.jinja_env.loader.get_source(current_app.jinja_env, "catalog/picture.svg")
    return hashlib.sha256(source.encode()).hexdigest()[:12]


@bp.app_template_global()
def product_url(product_id: int, image: bool = False) -> str:
    """A product's page (or picture) URL, as url_for builds it, for product cards that render in loops:
    url_for's routing machinery was a visible share of a catalog page."""
    return f"{request.script_root}/products/{product_id}{'/image' if image else ''}"


def initials(name: str) -> str:
    """Up to two initials from a product name: the first letter or digit of its first two words."""
    letters = [next((char for char in word if char.isalnum()), "") for word in name.split()]
    return "".join(letters)[:2].upper() or "?"


def _cacheable(response: Response, etag: str) -> Response:
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = PICTURE_MAX_AGE
    return response
