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
from app.api_schemas import (
    Category,
    CategoryChange,
    NewCategory,
    NewImage,
    NewProduct,
    NewVariant,
    ProductChange,
    ProductDetail,
    read_body,
)
from app.inputs import MAX_ID, InvalidInput, has_control_characters
from app.models import admin_catalog, attribute, audit, brand, product, product_image, seller_product, tag, variant
from app.models.admin_query import AdminRefused
from app.openapi import Answer, operation
from app.problems import Problem
from app.routes.api_v1 import bp, iso, money
from app.routes.catalog import gallery_image_url


def _unprocessable(errors: list[dict]) -> Problem:
    return Problem(422, "Some fields cannot be used.", errors)


def _if_match(noun: str) -> str | None:
    """The version If-Match names (None for "*", any version); 428 without one."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        raise Problem(428, f"Send the {noun}'s ETag (from GET) in If-Match, so a change made since is not overwritten.")
    return None if raw == "*" else raw.strip('"')


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


CATEGORY = Answer("The category.", Category, ("ETag",))


@bp.get("/categories/<int:category_id>")
@operation("One category", {200: CATEGORY}, errors={404: "No such category."})
@require_scope("read")
def get_category(category_id: int):
    """One category, with its ETag."""
    row = get_category_or_404(category_id)
    return category_json(row), 200, {"ETag": f'"{_category_version(row)}"'}


@bp.post("/categories")
@operation(
    "Create a category in a department (administrators)",
    {201: Answer("The new category.", Category, ("ETag", "Location"))},
    body=NewCategory,
    errors={404: "No such department.", 409: "The department has a category of that name."},
)
@require_scope("admin")
def create_category():
    """A new category in a department (administrators only)."""
    body = read_body(NewCategory)
    department_id, name = body.department_id, body.name
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
@operation(
    "Rename a category (administrators; its slug stays)",
    {200: CATEGORY},
    body=CategoryChange,
    headers=("If-Match",),
    errors={
        404: "No such category.",
        409: "Its department has a category of that name.",
        412: "The category changed since the ETag in If-Match.",
    },
)
@require_scope("admin")
def rename_category(category_id: int):
    """Rename a category (administrators only; its slug, and so its links, stay)."""
    row = get_category_or_404(category_id)
    expected = _if_match("category")
    name = read_body(CategoryChange).name
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


PRODUCT = Answer("The product.", ProductDetail, ("ETag",))
NOT_YOURS = "You did not create a product with this id."


@bp.get("/products/<int:product_id>")
@operation(
    "One product with its brand, tags, attributes, variants and images",
    {200: PRODUCT},
    errors={404: "No such product."},
)
@require_scope("read")
def get_product(product_id: int):
    """One product of the catalog with its brand, tags, attributes, variants and images, and its ETag."""
    return _product_response(product_id)


def _category_id(body: ProductChange, errors: list[dict]) -> int | None:
    """The body's category_id if it names one that exists (an error if it names another)."""
    if body.category_id is None:
        return None
    if admin_catalog.get_category(body.category_id) is None:
        errors.append({"field": "category_id", "message": "The id of a category (GET /api/v1/categories)."})
        return None
    return body.category_id


def _labels(body: ProductChange, errors: list[dict]) -> dict:
    """brand (a name, or null for none) and tags (up to 10) when the body names them, cleaned as the form does."""
    labels: dict = {}
    if "brand" in body.model_fields_set:
        try:
            labels["brand"] = brand.clean_brand_name(body.brand)
        except InvalidInput as invalid:
            errors.append({"field": "brand", "message": str(invalid)})
    if "tags" in body.model_fields_set:
        try:
            if any("," in item for item in body.tags):
                raise InvalidInput(f"A list of up to {tag.MAX_TAGS} tags, each without commas.")
            labels["tags"] = tag.parse_tags(",".join(body.tags))
        except InvalidInput as invalid:
            errors.append({"field": "tags", "message": str(invalid)})
    return labels


def _attributes(raw, category_id: int, errors: list[dict]) -> dict | None:
    """The attribute values the category defines ({"screen_size": "15.6", …}); each checked as the form checks it."""
    definitions = attribute.list_definitions(category_id)
    known = {definition.key for definition in definitions}
    for key in raw:
        if key not in known:
            errors.append({"field": f"attributes.{key}"[:100], "message": "Not an attribute of this category."})
    posted = {f"attr.{key}": str(value) for key, value in raw.items()}
    values, problems = attribute.read_product_values(posted, definitions)
    errors.extend({"field": f"attributes.{key}", "message": message} for key, message in problems.items())
    return values


@bp.post("/products")
@operation(
    "Create a product: for sale at once (price, quantity) or with options for variants",
    {201: Answer("The new product.", ProductDetail, ("ETag", "Location"))},
    body=NewProduct,
)
@require_scope("listings")
def create_product():
    """A new product: with price and quantity it is for sale at once (your first offer); with
    options (e.g. ["Colour", "Size"]) it waits for its variants (POST …/variants), which you offer."""
    body = read_body(NewProduct)
    errors: list[dict] = []
    details = {
        "name": body.name,
        "description": body.description or "",
        "category_id": _category_id(body, errors),
        "brand": None,
        "tags": [],
    } | _labels(body, errors)
    if body.attributes is not None and details["category_id"] is not None:
        details["attributes"] = _attributes(body.attributes, details["category_id"], errors)
    if body.options is not None:
        for name in ("price", "quantity", "attributes"):
            if name in body.model_fields_set:
                errors.append({"field": name, "message": "A product with options has these on its variants."})
    else:
        if body.price is None:
            errors.append({"field": "price", "message": NewProduct.messages["price"]})
        if body.quantity is None:
            errors.append({"field": "quantity", "message": NewProduct.messages["quantity"]})
    if errors:
        raise _unprocessable(errors)
    user_id = current_caller().user_id
    if body.options is not None:
        product_id = variant.create_product_with_options(user_id, details, body.options)
    else:
        product_id = seller_product.create_product(user_id, details, None, body.price, body.quantity)
    return _product_response(product_id, 201, {"Location": url_for("api_v1.get_product", product_id=product_id)})


def _own_product_or_404(product_id: int):
    """The caller's product's editable details; a product someone else created is a 404 here."""
    row = seller_product.get_editable(product_id) if product_id <= MAX_ID else None
    if row is None or row["creator_id"] != current_caller().user_id:
        raise Problem(404, "You did not create a product with this id.")
    return row


@bp.patch("/products/<int:product_id>")
@operation(
    "Change a product you created: name, description, category, brand, tags, attributes",
    {200: PRODUCT},
    body=ProductChange,
    headers=("If-Match",),
    errors={
        404: NOT_YOURS,
        409: "This is a variant: change its product.",
        412: "The product changed since the ETag in If-Match.",
    },
)
@require_scope("listings")
def change_product(product_id: int):
    """Change the name, description, category, brand, tags or attributes of a product you created."""
    current = _own_product_or_404(product_id)
    if current["parent_id"] is not None:
        raise Problem(409, f"This is a variant: change its product, {current['parent_id']}, and the variants follow.")
    expected = _if_match("product")
    body = read_body(ProductChange)
    errors: list[dict] = []
    changes: dict = _labels(body, errors)
    if "name" in body.model_fields_set:
        changes["name"] = body.name
    if "description" in body.model_fields_set:
        changes["description"] = body.description or ""
    category_id = _category_id(body, errors) or current["category_id"]
    if "category_id" in body.model_fields_set:
        changes["category_id"] = category_id
    if body.attributes is not None:
        changes["attributes"] = _attributes(body.attributes, category_id, errors)
    elif category_id != current["category_id"]:
        # Keep the values the new category defines too; the others would show nowhere.
        known = {definition.key for definition in attribute.list_definitions(category_id)}
        kept = {key: value for key, value in current["attributes"].items() if key in known}
        changes["attributes"] = _attributes(kept, category_id, errors)
    if errors:
        raise _unprocessable(errors)
    if not changes:
        fields = ", ".join(ProductChange.model_fields)
        raise _unprocessable([{"field": "", "message": "Name a field to change: " + fields}])
    try:
        found = seller_product.change_product(product_id, current_caller().user_id, expected, changes)
    except seller_product.VersionChanged as stale:
        raise Problem(412, str(stale)) from None
    if not found:
        raise Problem(404, "You did not create a product with this id.")
    return _product_response(product_id)


@bp.post("/products/<int:product_id>/variants")
@operation(
    "Add a variant to a product you created with options",
    {201: Answer("The new variant (a product whose parent_id is the product).", ProductDetail, ("ETag", "Location"))},
    body=NewVariant,
    errors={404: NOT_YOURS, 409: "The product has no options, is sold as it is, has this variant, or has 100."},
)
@require_scope("listings")
def add_variant(product_id: int):
    """Add a variant (its value of each option, e.g. ["Red", "M"]) to a product you created with options."""
    current = _own_product_or_404(product_id)
    values = read_body(NewVariant).option_values
    try:
        variant_id = variant.add_variant(current["creator_id"], product_id, [], values)
    except variant.VariantRefused as refused:
        raise Problem(409, str(refused)) from None
    if not variant_id:
        raise Problem(404, "You did not create a product with this id.")
    return _product_response(variant_id, 201, {"Location": url_for("api_v1.get_product", product_id=variant_id)})


@bp.post("/products/<int:product_id>/images")
@operation(
    "Add an image to the end of the gallery of a product you created (at most 8)",
    {201: PRODUCT},
    body=NewImage,
    body_media_type="multipart/form-data",
    errors={
        404: NOT_YOURS,
        409: "The gallery has 8 images.",
        422: "No image, not an image we take (too large, too many pixels), or bad alt text.",
    },
)
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
@operation(
    "Take an image out of the gallery of a product you created",
    {204: Answer("Removed.")},
    errors={404: "No such image of your product."},
)
@require_scope("listings")
def remove_image(product_id: int, entry_id: int):
    """Take an image (by its `images[].id`) out of the gallery of a product you created."""
    _own_product_or_404(product_id)
    if entry_id > MAX_ID or not product_image.remove_image(product_id, current_caller().user_id, entry_id):
        raise Problem(404, "This product's gallery has no image with this id.")
    return "", 204
