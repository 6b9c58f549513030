"""The catalog: search and browse products, a product's page with every seller, its picture."""

import functools
import hashlib
import threading

from cachetools import LRUCache
from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from app import page_cache, pictures
from app.models import attribute, catalog, catalog_page, product, product_image, recommendation, variant
from app.models.search_miss import record_miss, record_miss_on
from app.pagination import Page, clamped_page, offset_for, requested_page
from app.routes import recently_viewed
from app.routes.reviews import review_section

bp = Blueprint("catalog", __name__, url_prefix="/products")

PICTURE_MAX_AGE = 3600  # seconds a browser may reuse a picture before asking again (ETag)
FOREVER = 31_536_000  # a year: for URLs whose content never changes (an image id, a drawing's digest)
# Sellers a product page lists at once: a best seller has dozens, each row an add-to-cart form.
SELLERS_PER_PAGE = 10


@bp.get("")
@page_cache.for_guests
def index():
    tree = catalog.list_categories()
    criteria = catalog.read_criteria(request.args, tree)
    definitions = attribute.list_definitions(criteria.category.id) if criteria.category else []
    criteria = attribute.with_filters(criteria, request.args, definitions)
    results = catalog_page.find_products(criteria, requested_page())
    if (
        criteria.query
        and not (criteria.is_filtered or results.too_slow)
        and (results.total == 0 or results.corrected_query)
    ):
        # The console's "searches with no results", counted also when the page comes from the cache.
        page_cache.on_every_request(record_miss, criteria.query, early=record_miss_on)
    page_cache.show_products(item["id"] for item in results.page.items)
    return render_template(
        "catalog/index.html",
        tree=tree,
        criteria=criteria,
        results=results,
        sorts=catalog.SORTS,
        ratings=catalog.RATINGS,
        link=_link_to(criteria),
        definitions=definitions,
    )


def _link_to(criteria: catalog.Criteria):
    """A function for the page's links: this search with some parameters changed (None drops one).
    Links carry only the usable parameters, so a bad one is noted once and then gone."""

    @functools.cache
    def here() -> str:  # built once: every card's wishlist heart comes back to it
        return url_for("catalog.index", **criteria.to_args())

    def link(**changes) -> str:
        return url_for("catalog.index", **(criteria.to_args() | changes)) if changes else here()

    return link


@bp.get("/<int:product_id>")
@page_cache.for_guests
def show(product_id: int):
    parts = page_cache.shared(f"product {product_id}", lambda: _product_parts(product_id))
    item = parts["product"]
    if item is None or (item["status"] != "listed" and not _may_see_unlisted(item)):
        abort(404)
    if item["parent_id"] is not None:
        # A variant's page is its product's, with the variant chosen (links from the cart, orders).
        return redirect(url_for("catalog.show", product_id=item["parent_id"], variant=product_id))
    variants = parts["variants"]
    chosen = _chosen_variant(item, variants)
    offers = [offer for offer in parts["offers"] if offer["product_id"] == (chosen["id"] if chosen else product_id)]
    number = clamped_page(len(offers), SELLERS_PER_PAGE, "sellers_page")
    start = offset_for(number, SELLERS_PER_PAGE)
    page_cache.show_products(parts["shown"])
    return render_template(
        "catalog/show.html",
        product=item,
        variants=variants,
        chosen=chosen,
        choices=variant.option_choices(item["option_names"], variants),
        sellers=Page(offers[start : start + SELLERS_PER_PAGE], number, SELLERS_PER_PAGE, len(offers)),
        viewer_id=current_user.id if current_user.is_authenticated else None,
        section=review_section("product", product_id),
        recommendations=parts["recommendations"],
        gallery=parts["gallery"],
        colour=_chosen_colour(item, chosen),
        recent=recently_viewed.for_page(product_id),
        recent_exclude=product_id,
    )


COLOUR_OPTIONS = ("colour", "color", "shade")


def _chosen_colour(item, chosen) -> str | None:
    """The chosen variant's colour, if the product comes in colours: its drawn pictures take it."""
    names = [name.lower() for name in item["option_names"]]
    position = next((names.index(name) for name in COLOUR_OPTIONS if name in names), None)
    return chosen["option_values"][position] if chosen and position is not None else None


def _chosen_variant(item, variants):
    """The variant the visitor picked (?variant=id, or ?o0=Red&o1=M from the picker), or the
    default one; 404 for a variant of another product or a value the product does not come in."""
    if not variants:
        return None
    variant_id = request.args.get("variant")
    if variant_id is not None:
        chosen = variant.pick_variant(variants, int(variant_id) if variant_id.isdecimal() else -1, [])
        if chosen is None:
            abort(404, description="This product has no such variant.")
        return chosen
    wanted = []
    for position, values in enumerate(variant.option_choices(item["option_names"], variants)):
        value = request.args.get(f"o{position}")
        if value is not None and value not in values["values"]:
            abort(404, description=f"This product does not come in that {values['name'].lower()}.")
        wanted.append(value)
    return variant.pick_variant(variants, None, wanted)


def _product_parts(product_id: int) -> tuple[dict, list[int]]:
    """What a product page shows every visitor alike (the product, its variants, their sellers,
    its gallery, also-bought), and the products it shows: cached while none of them changes
    (page_cache.shared)."""
    item = product.get_product(product_id)
    if item is None:
        return {"product": None, "shown": [product_id]}, [product_id]
    variants = variant.list_variants(product_id) if item["option_names"] else []
    family = [product_id, *(row["id"] for row in variants)]
    recommendations = recommendation.also_bought(family)
    shown = [*family, *(row["id"] for row in recommendations["products"])]
    offers = product.list_offers_for_products(family)
    gallery = product_image.list_gallery(product_id)
    parts = {"product": item, "variants": variants, "offers": offers, "recommendations": recommendations}
    return parts | {"gallery": gallery, "shown": shown}, shown


def _may_see_unlisted(item) -> bool:
    """A product taken down or awaiting approval shows to its creator (with the reason) and to moderators."""
    return current_user.is_authenticated and (
        current_user.id == item["creator_id"] or current_user.role in ("moderator", "administrator")
    )


@bp.get("/<int:product_id>/image")
def image(product_id: int):
    """The product's cover, small (its uploaded image's thumbnail, or its drawn picture): the URL
    cards and lists use, which stays the same when the cover changes, so it is checked by ETag."""
    picture = product.get_product_picture(product_id)
    if picture is None:
        abort(404)
    if picture["image_id"] is not None:
        etag = f"image-{picture['image_id']}-small"
        if request.if_none_match.contains(etag):
            return _cacheable(Response(status=304), etag)
        data = product.get_image_data(picture["image_id"], thumbnail=True)
        return _cacheable(Response(data, mimetype=picture["content_type"]), etag)
    glyph = pictures.glyph_for(picture["category_slug"], picture["department_slug"])
    ink = pictures.ink_for(product_id, picture["category_id"])
    return _drawn(glyph, ink, 1, PICTURE_MAX_AGE)


@bp.get("/<int:product_id>/images/<int:image_id>/<any(display, thumbnail):size>.webp")
def gallery_image(product_id: int, image_id: int, size: str):
    """An uploaded image of the product's gallery. An image id's bytes never change (a new upload is a
    new id), so the URL is cached for a year, immutable."""
    etag = f"image-{image_id}-{size}"
    if request.if_none_match.contains(etag):
        return _cacheable(Response(status=304), etag, FOREVER)
    found = None
    if product_id <= product.MAX_PRODUCT_ID and image_id <= product.MAX_PRODUCT_ID:
        found = product_image.get_gallery_image(product_id, image_id, thumbnail=size == "thumbnail")
    if found is None:
        abort(404)
    return _cacheable(Response(bytes(found["data"]), mimetype=found["content_type"]), etag, FOREVER)


@bp.get("/pictures/<glyph>-<ink>-<int:view>.svg")
def drawn_picture(glyph: str, ink: str, view: int):
    """A drawn picture (app/pictures.py): made from its URL alone, without a query. Immutable for a
    year when the URL carries the template's current digest (?v=), as drawn_picture_url() writes it."""
    if not pictures.is_valid(glyph, ink, view):
        abort(404)
    current = request.args.get("v") == _picture_template_digest()
    return _drawn(glyph, ink, view, FOREVER if current else PICTURE_MAX_AGE)


def _drawn(glyph: str, ink: str, view: int, max_age: int) -> Response:
    """The SVG of a drawn picture, or 304 when the client's copy is current."""
    drawn_from = f"{_picture_template_digest()}|{glyph}|{ink}|{view}"
    etag = "drawn-" + hashlib.sha256(drawn_from.encode()).hexdigest()[:20]
    if request.if_none_match.contains(etag):
        return _cacheable(Response(status=304), etag, max_age)
    svg = render_template(
        "catalog/picture.svg", glyph=glyph, ink=ink, background=pictures.background_for(ink), view=view
    )
    return _cacheable(Response(svg, mimetype="image/svg+xml"), etag, max_age)


@functools.cache
def _picture_template_digest() -> str:
    """A hash of the picture template's source, so a changed drawing gets new ETags and URLs."""
    source, _, _ = current_app.jinja_env.loader.get_source(current_app.jinja_env, "catalog/picture.svg")
    return hashlib.sha256(source.encode()).hexdigest()[:12]


@bp.app_template_global()
def gallery_image_url(product_id: int, image_id: int, thumbnail: bool = False) -> str:
    """The immutable URL of an uploaded gallery image, at display or thumbnail size."""
    size = "thumbnail" if thumbnail else "display"
    return f"{request.script_root}/products/{product_id}/images/{image_id}/{size}.webp"


@bp.app_template_global()
def drawn_picture_url(item, view: int = 1, colour: str | None = None) -> str:
    """The immutable URL of a product's drawn picture from `view`, in a variant's `colour` (a name
    such as "Red") when given. `item` has id, category_id, category_slug and department_slug."""
    glyph = pictures.glyph_for(item["category_slug"], item["department_slug"])
    ink = pictures.ink_for(item["id"], item["category_id"], colour)
    return f"{request.script_root}{pictures.picture_path(glyph, ink, view)}?v={_picture_template_digest()}"


@bp.app_template_global()
def product_url(product_id: int, image: bool = False) -> str:
    """A product's page (or picture) URL, as url_for builds it, for product cards that render in loops:
    url_for's routing machinery was a visible share of a catalog page."""
    return f"{request.script_root}/products/{product_id}{'/image' if image else ''}"


# Rendered card bodies by what they show: a row whose price, stock or name changes is a new key,
# so nothing is ever stale; the least recently shown fall out. About 1.5 kB a card.
_card_bodies: LRUCache = LRUCache(maxsize=8192)
_card_bodies_lock = threading.Lock()


@bp.app_template_global()
def product_card_body(product) -> Markup:
    """A product card's picture and text (_product_card_body.html), rendered once per content.
    A product page shows a dozen cards and a catalog page 24: rendering each was a seventh of the
    signed-in product page's time (docs/PERFORMANCE.md)."""
    try:
        key = (request.script_root, *product.items())
        hash(key)
    except TypeError:  # a row with an unhashable value (a list): render it every time
        key = None
    with _card_bodies_lock:
        body = _card_bodies.get(key) if key else None
    if body is None:
        template = current_app.jinja_env.get_template("_product_card_body.html")
        body = Markup(template.render(product=product))  # noqa: S704 - an autoescaped template's output
        if key:
            with _card_bodies_lock:
                _card_bodies[key] = body
    return body


def _cacheable(response: Response, etag: str, max_age: int = PICTURE_MAX_AGE) -> Response:
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    if max_age == FOREVER:
        response.cache_control.immutable = True
    return response
