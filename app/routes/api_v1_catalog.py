"""The seller API's catalog (issue 19), on the /api/v1 blueprint of api_v1.py and under its conventions.

- Categories: one with its ETag; administrators (the `admin` scope) create and rename them.
- Products: one with its brand, tags, attributes, variants and gallery; a seller creates products
  (with the first offer, or with options whose variants are offered), changes the details of those
  they created (If-Match), adds variants and gallery images. A product someone else created can be
  read, never changed: a change to it is a 404, as for anything not the caller's.
"""

import hashlib

from flask import request, url_for

from app import images
from app.api_auth import current_caller, require_scope
from app.forms_seller import MAX_QUANTITY
from app.inputs import MAX_ID, InvalidInput, has_control_characters
from app.models import admin_catalog, attribute, audit, brand, product, product_image, seller_product, tag, variant
from app.models.admin_query import AdminRefused
from app.problems import Problem
from app.routes.api_v1 import _parse_money as parse_money
from app.routes.api_v1 import bp, iso, money
from app.routes.catalog import gallery_image_url

MAX_NAME = 200
MAX_DESCRIPTION = 5000


def _unprocessable(errors: list[dict]) -> Problem:
    return Problem(422, "Some fields cannot be used.", errors)


def json_body(allowed: set[str], noun: str) -> tuple[dict, list[dict]]:
    """The request's JSON object and an error for each field it has that a `noun` has not; 400 if no object."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Problem(400, "Send a JSON object, with Content-Type: application/json.")
    return body, [{"field": name, "message": f"Not a field of {noun}."} for name in body if name not in allowed]


def _if_match(noun: str) -> str | None:
    """The version If-Match names (None for "*", any version); 428 without one."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        raise Problem(428, f"Send the {noun}'s ETag (from GET) in If-Match, so a change made since is not overwritten.")
    return None if raw == "*" else raw.strip('"')


def _text(body: dict, name: str, maximum: int, errors: list[dict], required: bool) -> str | None:
    """A text field, trimmed: 1..maximum characters (0 allowed when not required), no control characters."""
    value = body.get(name)
    if value is None and not required:
        return None
    if isinstance(value, str):
        value = value.strip()
    if not isinstance(value, str) or len(value) > maximum or has_control_characters(value) or (required and not value):
        size = f"1 to {maximum}" if required else f"up to {maximum}"
        errors.append({"field": name, "message": f"Text of {size} characters, without control characters."})
        return None
    return value


def _id(value) -> int | None:
    return value if type(value) is int and 1 <= value <= MAX_ID else None


# --- categories ----------------------------------------------------------------------------------


def category_json(row) -> dict:
    return {"id": row["id"], "name": row["name"], "slug": row["slug"], "department_id": row["department_id"]}


def _category_version(row) -> str:
    """The category's ETag: its name and department (the slug never changes)."""
    return hashlib.sha256(f"{row['name']}|{row['department_id']}".encode()).hexdigest()[:20]


def get_category_or_404(category_id: int):
    row = admin_catalog.get_category(category_id) if category_id <= MAX_ID else None
    if row is None:
        raise Problem(404, "There is no category with this id.")
    return row


def _api_actor() -> audit.Actor:
    caller = current_caller()
    return audit.Actor(caller.user_id, caller.role, request.remote_addr or "")


@bp.get("/categories/<int:category_id>")
@require_scope("read")
def get_category(category_id: int):
    """One category, with its ETag."""
    row = get_category_or_404(category_id)
    return category_json(row), 200, {"ETag": f'"{_category_version(row)}"'}


def _category_name(body: dict, errors: list[dict]) -> str | None:
    name = _text(body, "name", admin_catalog.MAX_NAME, errors, required=True)
    if name is not None and not any(character.isalnum() for character in name):
        errors.append({"field": "name", "message": "A name needs a letter or a digit."})
        return None
    return name


@bp.post("/categories")
@require_scope("admin")
def create_category():
    """A new category in a department (administrators only)."""
    body, errors = json_body({"department_id", "name"}, "a category")
    department_id = _id(body.get("department_id"))
    if department_id is None:
        errors.append({"field": "department_id", "message": "The id of a department."})
    name = _category_name(body, errors)
    if errors:
        raise _unprocessable(errors)
    if admin_catalog.get_department(department_id) is None:
        raise Problem(404, "There is no department with this id.")
    try:
        category_id = admin_catalog.create_category(department_id, name, _api_actor())
    except AdminRefused as refused:
        raise Problem(409, str(refused)) from None
    row = admin_catalog.get_category(category_id)
    headers = {"ETag": f'"{_category_version(row)}"', "Location": url_for("api_v1.get_category", category_id=row["id"])}
    return category_json(row), 201, headers


@bp.patch("/categories/<int:category_id>")
@require_scope("admin")
def rename_category(category_id: int):
    """Rename a category (administrators only; its slug, and so its links, stay)."""
    row = get_category_or_404(category_id)
    expected = _if_match("category")
    body, errors = json_body({"name"}, "a category you can change")
    name = _category_name(body, errors)
    if errors:
        raise _unprocessable(errors)
    if expected is not None and expected != _category_version(row):
        raise Problem(412, "The category changed since you read it. Read it again and retry with its new ETag.")
    try:
        admin_catalog.rename("category", category_id, name, _api_actor())
    except AdminRefused as refused:
        raise Problem(409, str(refused)) from None
    row = get_category_or_404(category_id)
    return category_json(row), 200, {"ETag": f'"{_category_version(row)}"'}


# --- products ------------------------------------------------------------------------------------


def product_detail_json(row, editable, variants, gallery) -> dict:
    """A product with everything a seller's tool needs to list it again elsewhere."""
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "category_id": row["category_id"],
        "brand": row["brand_name"],
        "tags": list(row["tags"]),
        "attributes": editable["attributes"],
        "parent_id": row["parent_id"],
        "options": list(row["option_names"]),
        "variants": [
            {
                "id": item["id"],
                "option_values": list(item["option_values"]),
                "min_price": money(item["min_price"]),
                "offer_count": item["offer_count"],
                "total_stock": item["total_stock"],
            }
            for item in variants
        ],
        "images": [
            {
                "id": entry["id"],
                "position": entry["position"],
                "alt_text": entry["alt_text"],
                "url": _image_url(row["id"], entry, thumbnail=False),
                "thumbnail_url": _image_url(row["id"], entry, thumbnail=True),
            }
            for entry in gallery
        ],
        "min_price": money(row["min_price"]),
        "max_price": money(row["max_price"]),
        "offer_count": row["offer_count"],
        "total_stock": row["total_stock"],
        "rating_avg": None if row["rating_avg"] is None else f"{row['rating_avg']:.2f}",
        "rating_count": row["rating_count"],
        "created_by_you": row["creator_id"] == current_caller().user_id,
        "created_at": iso(row["created_at"]),
        "page_url": url_for("catalog.show", product_id=row["id"], _external=True),
    }


def _image_url(product_id: int, entry, thumbnail: bool) -> str | None:
    """A gallery entry's image URL; None for a drawn demo picture (no uploaded file)."""
    if entry["image_id"] is None:
        return None
    return request.host_url.rstrip("/") + gallery_image_url(product_id, entry["image_id"], thumbnail)


def _readable_product_or_404(product_id: int):
    """A product anyone may read: approved, or the caller's own; 404 otherwise."""
    row = product.get_product(product_id) if product_id <= MAX_ID else None
    if row is None or (row["status"] != "listed" and row["creator_id"] != current_caller().user_id):
        raise Problem(404, "There is no product with this id.")
    return row


def _product_response(product_id: int, status: int = 200, headers: dict | None = None):
    row = _readable_product_or_404(product_id)
    editable = seller_product.get_editable(product_id)
    variants = variant.list_variants(product_id) if row["option_names"] else []
    gallery = product_image.list_gallery(product_id)
    body = product_detail_json(row, editable, variants, gallery)
    return body, status, {"ETag": f'"{seller_product.product_version(editable)}"'} | (headers or {})


@bp.get("/products/<int:product_id>")
@require_scope("read")
def get_product(product_id: int):
    """One product of the catalog with its brand, tags, attributes, variants and images, and its ETag."""
    return _product_response(product_id)


def _category_id(body: dict, errors: list[dict], required: bool) -> int | None:
    if "category_id" not in body and not required:
        return None
    category_id = _id(body.get("category_id"))
    if category_id is None or admin_catalog.get_category(category_id) is None:
        errors.append({"field": "category_id", "message": "The id of a category (GET /api/v1/categories)."})
        return None
    return category_id


def _labels(body: dict, errors: list[dict]) -> dict:
    """brand (a name, or null for none) and tags (a list of up to 10) when the body names them."""
    labels: dict = {}
    if "brand" in body:
        raw = body["brand"]
        try:
            if raw is not None and not isinstance(raw, str):
                raise InvalidInput("A brand's name, or null for none.")
            labels["brand"] = brand.clean_brand_name(raw)
        except InvalidInput as invalid:
            errors.append({"field": "brand", "message": str(invalid)})
    if "tags" in body:
        raw = body["tags"]
        try:
            if not isinstance(raw, list) or not all(isinstance(item, str) and "," not in item for item in raw):
                raise InvalidInput(f"A list of up to {tag.MAX_TAGS} tags, each without commas.")
            if len(raw) > tag.MAX_TAGS:
                raise InvalidInput(f"A product may have at most {tag.MAX_TAGS} tags; you gave {len(raw)}.")
            labels["tags"] = tag.parse_tags(",".join(raw))
        except InvalidInput as invalid:
            errors.append({"field": "tags", "message": str(invalid)})
    return labels


def _attributes(raw, category_id: int, errors: list[dict]) -> dict | None:
    """The attribute values the category defines ({"screen_size": "15.6", …}); each checked as the form checks it."""
    definitions = attribute.list_definitions(category_id)
    if not isinstance(raw, dict) or not all(
        isinstance(value, str | int) and not isinstance(value, bool) for value in raw.values()
    ):
        errors.append({"field": "attributes", "message": "An object of attribute keys and text or number values."})
        return None
    known = {definition.key for definition in definitions}
    for key in raw:
        if key not in known:
            errors.append({"field": f"attributes.{key}"[:100], "message": "Not an attribute of this category."})
    posted = {f"attr.{key}": str(value) for key, value in raw.items()}
    values, problems = attribute.read_product_values(posted, definitions)
    errors.extend({"field": f"attributes.{key}", "message": message} for key, message in problems.items())
    return values


PRODUCT_FIELDS = {"name", "description", "category_id", "brand", "tags", "attributes"}
OPTION_NAME_LENGTH = variant.MAX_VALUE_LENGTH


def _option_list(body: dict, name: str, errors: list[dict]) -> list[str] | None:
    """1..MAX_OPTIONS short texts, no two alike (options such as Colour, Size; or a variant's values)."""
    raw = body.get(name)
    items = [item.strip() for item in raw if isinstance(item, str)] if isinstance(raw, list) else []
    if (
        not isinstance(raw, list)
        or len(items) != len(raw)
        or not 1 <= len(items) <= variant.MAX_OPTIONS
        or any(not item or len(item) > OPTION_NAME_LENGTH or has_control_characters(item) for item in items)
        or len({item.casefold() for item in items}) != len(items)
    ):
        message = f"A list of 1 to {variant.MAX_OPTIONS} different texts of 1 to {OPTION_NAME_LENGTH} characters."
        errors.append({"field": name, "message": message})
        return None
    return items


@bp.post("/products")
@require_scope("listings")
def create_product():
    """A new product: with price and quantity it is for sale at once (your first offer); with
    options (e.g. ["Colour", "Size"]) it waits for its variants (POST …/variants), which you offer."""
    body, errors = json_body(PRODUCT_FIELDS | {"price", "quantity", "options"}, "a new product")
    details = {
        "name": _text(body, "name", MAX_NAME, errors, required=True),
        "description": _text(body, "description", MAX_DESCRIPTION, errors, required=False) or "",
        "category_id": _category_id(body, errors, required=True),
        "brand": None,
        "tags": [],
    } | _labels(body, errors)
    if "attributes" in body and details["category_id"] is not None:
        details["attributes"] = _attributes(body["attributes"], details["category_id"], errors)
    options = None
    if "options" in body:
        options = _option_list(body, "options", errors)
        for name in ("price", "quantity", "attributes"):
            if name in body:
                errors.append({"field": name, "message": "A product with options has these on its variants."})
    else:
        price = parse_money(body.get("price"))
        if price is None:
            errors.append({"field": "price", "message": 'A decimal string of whole cents, e.g. "12.50".'})
        quantity = body.get("quantity")
        if type(quantity) is not int or not 0 <= quantity <= MAX_QUANTITY:
            errors.append({"field": "quantity", "message": f"A whole number from 0 to {MAX_QUANTITY}."})
    if errors:
        raise _unprocessable(errors)
    user_id = current_caller().user_id
    if options is not None:
        product_id = variant.create_product_with_options(user_id, details, options)
    else:
        product_id = seller_product.create_product(user_id, details, None, price, quantity)
    return _product_response(product_id, 201, {"Location": url_for("api_v1.get_product", product_id=product_id)})


def _own_product_or_404(product_id: int):
    """The caller's product's editable details; a product someone else created is a 404 here."""
    row = seller_product.get_editable(product_id) if product_id <= MAX_ID else None
    if row is None or row["creator_id"] != current_caller().user_id:
        raise Problem(404, "You did not create a product with this id.")
    return row


@bp.patch("/products/<int:product_id>")
@require_scope("listings")
def change_product(product_id: int):
    """Change the name, description, category, brand, tags or attributes of a product you created."""
    current = _own_product_or_404(product_id)
    if current["parent_id"] is not None:
        raise Problem(409, f"This is a variant: change its product, {current['parent_id']}, and the variants follow.")
    expected = _if_match("product")
    body, errors = json_body(PRODUCT_FIELDS, "a product you can change")
    changes: dict = _labels(body, errors)
    if "name" in body:
        changes["name"] = _text(body, "name", MAX_NAME, errors, required=True)
    if "description" in body:
        changes["description"] = _text(body, "description", MAX_DESCRIPTION, errors, required=False) or ""
    category_id = _category_id(body, errors, required=False) or current["category_id"]
    if "category_id" in body:
        changes["category_id"] = category_id
    if "attributes" in body:
        changes["attributes"] = _attributes(body["attributes"], category_id, errors)
    elif category_id != current["category_id"]:
        # Keep the values the new category defines too; the others would show nowhere.
        known = {definition.key for definition in attribute.list_definitions(category_id)}
        kept = {key: value for key, value in current["attributes"].items() if key in known}
        changes["attributes"] = _attributes(kept, category_id, errors)
    if errors:
        raise _unprocessable(errors)
    if not changes:
        raise _unprocessable([{"field": "", "message": "Name a field to change: " + ", ".join(sorted(PRODUCT_FIELDS))}])
    try:
        found = seller_product.change_product(product_id, current_caller().user_id, expected, changes)
    except seller_product.VersionChanged as stale:
        raise Problem(412, str(stale)) from None
    if not found:
        raise Problem(404, "You did not create a product with this id.")
    return _product_response(product_id)


@bp.post("/products/<int:product_id>/variants")
@require_scope("listings")
def add_variant(product_id: int):
    """Add a variant (its value of each option, e.g. ["Red", "M"]) to a product you created with options."""
    current = _own_product_or_404(product_id)
    body, errors = json_body({"option_values"}, "a variant")
    values = _option_list(body, "option_values", errors)
    if errors:
        raise _unprocessable(errors)
    try:
        variant_id = variant.add_variant(current["creator_id"], product_id, [], values)
    except variant.VariantRefused as refused:
        raise Problem(409, str(refused)) from None
    if not variant_id:
        raise Problem(404, "You did not create a product with this id.")
    return _product_response(variant_id, 201, {"Location": url_for("api_v1.get_product", product_id=variant_id)})


@bp.post("/products/<int:product_id>/images")
@require_scope("listings")
def add_image(product_id: int):
    """Add an image (multipart/form-data: `image`, a PNG, JPEG or WebP up to 5 MB, and `alt_text`) to the
    end of the gallery of a product you created; it is re-encoded, never cropped."""
    _own_product_or_404(product_id)
    upload = request.files.get("image")
    alt_text = (request.form.get("alt_text") or "").strip()
    errors = []
    if upload is None or not upload.filename:
        errors.append({"field": "image", "message": "Send the picture as the form part `image`."})
    if len(alt_text) > product_image.MAX_ALT_TEXT or has_control_characters(alt_text):
        errors.append({"field": "alt_text", "message": f"Up to {product_image.MAX_ALT_TEXT} characters of text."})
    if errors:
        raise _unprocessable(errors)
    try:
        processed = images.process_upload_for(current_caller().user_id, upload.stream)
        if not product_image.add_image(product_id, current_caller().user_id, processed, alt_text):
            raise Problem(404, "You did not create a product with this id.")
    except images.ImageRejected as rejected:
        raise _unprocessable([{"field": "image", "message": str(rejected)}]) from None
    except product_image.GalleryRefused as refused:
        raise Problem(409, str(refused)) from None
    return _product_response(product_id, 201)


@bp.delete("/products/<int:product_id>/images/<int:entry_id>")
@require_scope("listings")
def remove_image(product_id: int, entry_id: int):
    """Take an image (by its `images[].id`) out of the gallery of a product you created."""
    _own_product_or_404(product_id)
    if entry_id > MAX_ID or not product_image.remove_image(product_id, current_caller().user_id, entry_id):
        raise Problem(404, "This product's gallery has no image with this id.")
    return "", 204
