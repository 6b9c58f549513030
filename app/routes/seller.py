"""The seller center: dashboard, inventory, stock history, products, orders (shipping and
returns) and shipping settings.

Every page belongs to the signed-in seller; every model call passes current_user.id and
filters on it in SQL, so another seller's ids find nothing (404) and change nothing.
"""

import csv
import io
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import images
from app.charts import safe_cell
from app.forms import EmptyForm
from app.forms_orders import AcceptReturnForm, RefuseReturnForm, ShipForm, ShippingMethodForm
from app.forms_seller import (
    AltTextForm,
    GalleryImageForm,
    GalleryOrderForm,
    NewProductForm,
    OfferEditForm,
    OfferForm,
    ProductForm,
    ThresholdForm,
)
from app.inputs import STALE_FORM, int_arg, text_arg, whole_number
from app.models import (
    attribute,
    brand,
    fulfilment,
    order,
    product_image,
    product_labels,
    seller,
    seller_product,
    shipping,
)
from app.models import inventory as inventory_model
from app.models import offer as offer_model
from app.pagination import Page, requested_page
from app.templating import local_time, money, user_time_zone
from app.urls import safe_next

bp = Blueprint("seller", __name__, url_prefix="/seller")

INVENTORY_PAGE_SIZE = 50
ORDERS_PAGE_SIZE = 25
KEYWORD_COUNT_CAP = 200  # a keyword search counts lines from its page on up to this many ("200+"); >= page size
HISTORY_PAGE_SIZE = 25
CHART_POINTS = 200
LOW_STOCK_SHOWN = 10
MAX_ID = 2**63 - 1


@bp.before_request
@login_required
def require_login():
    """Anyone signed in can sell; guests are sent to sign in."""


def get_offer_or_404(product_id: int, seller_id: int):
    """The seller's own offer of this product; anyone else's is a 404, never a hint it exists."""
    row = offer_model.get_offer(seller_id, product_id) if product_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def get_own_product_or_403(product_id: int, creator_id: int):
    """A product its creator may edit: 404 if there is none, 403 if someone else created it."""
    row = seller_product.get_product_for_editing(product_id) if product_id <= MAX_ID else None
    if row is None:
        abort(404)
    if row["creator_id"] != creator_id:
        abort(403, "Only the seller who created this product may edit it.")
    return row


def _problem(form) -> str:
    return next(iter(error for errors in form.errors.values() for error in errors), "That request was not valid.")


# Dashboard


@bp.get("")
def dashboard():
    return _render_dashboard(ThresholdForm(data={"low_stock_threshold": current_user.low_stock_threshold}))


def _render_dashboard(threshold_form, status: int = 200):
    threshold = current_user.low_stock_threshold
    return render_template(
        "seller/dashboard.html",
        stock=seller.get_stock_summary(current_user.id, threshold),
        sales=fulfilment.get_recent_sales(current_user.id),
        low_stock=seller.list_low_stock(current_user.id, threshold, LOW_STOCK_SHOWN),
        threshold=threshold,
        threshold_form=threshold_form,
    ), status


@bp.post("/threshold")
def update_threshold():
    form = ThresholdForm()
    if not form.validate_on_submit():
        return _render_dashboard(form, 400)
    seller.update_low_stock_threshold(current_user.id, form.low_stock_threshold.data)
    flash(f"You will be warned when an offer has {form.low_stock_threshold.data} or fewer left.", "success")
    return redirect(url_for("seller.dashboard"))


# Inventory


def _inventory_query() -> offer_model.InventoryQuery:
    """The inventory's keyword, filter and sort from the query string (unknown values: defaults)."""
    show = request.args.get("show", "active")
    sort = request.args.get("sort", "updated")
    direction = request.args.get("dir", "desc")
    return offer_model.InventoryQuery(
        keyword=text_arg(request.args, "q"),
        show=show if show in offer_model.STOCK_FILTERS else "active",
        sort=sort if (sort, direction) in offer_model.INVENTORY_ORDER else "updated",
        direction=direction if (sort, direction) in offer_model.INVENTORY_ORDER else "desc",
        threshold=current_user.low_stock_threshold,
    )


@bp.get("/inventory")
def inventory():
    query = _inventory_query()
    page_number = requested_page()
    total = offer_model.count_offers(current_user.id, query)
    rows = offer_model.list_offers(current_user.id, query, INVENTORY_PAGE_SIZE, (page_number - 1) * INVENTORY_PAGE_SIZE)
    return render_template(
        "seller/inventory.html",
        offers=Page(rows, page_number, INVENTORY_PAGE_SIZE, total),
        query=query,
    )


@bp.get("/inventory/<int:product_id>")
def offer(product_id: int):
    row = get_offer_or_404(product_id, current_user.id)
    return _render_offer(row, OfferEditForm(data={"price": row["price"], "quantity": row["quantity"]}))


def _render_offer(row, form, status: int = 200):
    page_number = requested_page()
    total = inventory_model.count_inventory_events(current_user.id, row["product_id"])
    events = inventory_model.list_inventory_events(
        current_user.id, row["product_id"], HISTORY_PAGE_SIZE, (page_number - 1) * HISTORY_PAGE_SIZE
    )
    points = inventory_model.list_stock_points(current_user.id, row["product_id"], CHART_POINTS)
    return render_template(
        "seller/offer.html",
        offer=row,
        form=form,
        events=Page(events, page_number, HISTORY_PAGE_SIZE, total),
        points=points,
        stock_chart=_stock_chart(points),
    ), status


def _stock_chart(points) -> dict:
    """The stock chart's data: each change at its wall-clock time in the user's zone (the time axis
    shows times as given, whatever the browser's zone), and the moment now, to draw the last step to."""
    zone = user_time_zone()

    def wall_clock(moment: datetime) -> str:
        return moment.astimezone(zone).replace(tzinfo=None).isoformat(timespec="seconds")

    return {
        "times": [wall_clock(point["created_at"]) for point in points],
        "values": [point["quantity_after"] for point in points],
        "now": wall_clock(datetime.now(UTC)),
    }


@bp.post("/inventory/<int:product_id>")
def update_offer(product_id: int):
    row = get_offer_or_404(product_id, current_user.id)
    form = OfferEditForm()
    if not form.validate_on_submit():
        return _render_offer(row, form, 400)
    try:
        stock = offer_model.update_offer(
            current_user.id, product_id, form.price.data, form.quantity.data, form.expected_quantity.data
        )
    except offer_model.StockChanged as changed:
        form.quantity.errors.append(str(changed))
        return _render_offer(get_offer_or_404(product_id, current_user.id), form, 409)
    except offer_model.OfferRemoved as removed:
        flash(str(removed), "danger")
        return _render_offer(row, form, 409)
    flash(f"Saved {row['product_name']}: {money(form.price.data)}, {stock} in stock.", "success")
    return redirect(safe_next(request.form.get("next")) or url_for("seller.offer", product_id=product_id))


@bp.get("/inventory/<int:product_id>/remove")
def confirm_remove_offer(product_id: int):
    """Say what stopping the sale does before doing it; the page's button POSTs below."""
    row = get_offer_or_404(product_id, current_user.id)
    if not row["is_active"]:
        flash(f"{row['product_name']} was already removed.", "info")
        return redirect(url_for("seller.offer", product_id=product_id))
    back = safe_next(request.args.get("next")) or url_for("seller.offer", product_id=product_id)
    return render_template("seller/remove_offer.html", offer=row, remove_form=EmptyForm(), back=back)


@bp.post("/inventory/<int:product_id>/remove")
def remove_offer(product_id: int):
    row = get_offer_or_404(product_id, current_user.id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if offer_model.remove_offer(current_user.id, product_id):
        flash(f"{row['product_name']} is no longer for sale. Its past orders are kept.", "success")
    else:
        flash(f"{row['product_name']} was already removed.", "info")
    return redirect(safe_next(request.form.get("next")) or url_for("seller.inventory"))


# Offering a product that is already in the catalog


@bp.get("/offers/new")
def new_offer():
    product_id = int_arg(request.args, "product_id", 1, MAX_ID)
    if product_id:
        return _render_offer_form(_product_to_offer_or_404(product_id), OfferForm(data={"product_id": product_id}))
    keyword = text_arg(request.args, "q")
    results = offer_model.search_products_to_offer(current_user.id, keyword) if keyword else []
    return render_template("seller/offer_search.html", keyword=keyword, results=results)


def _product_to_offer_or_404(product_id: int):
    row = offer_model.get_product_to_offer(current_user.id, product_id) if 0 < product_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def _render_offer_form(product, form, status: int = 200):
    return render_template("seller/offer_new.html", product=product, form=form), status


@bp.post("/offers")
def create_offer():
    form = OfferForm()
    if not form.validate_on_submit():
        if form.product_id.data and not form.product_id.errors:
            return _render_offer_form(_product_to_offer_or_404(form.product_id.data), form, 400)
        abort(400, _problem(form))
    product_id = form.product_id.data
    try:
        reactivated = offer_model.add_offer(current_user.id, product_id, form.price.data, form.quantity.data)
    except offer_model.ProductNotFound:
        abort(404)
    except (offer_model.AlreadyOffered, offer_model.ProductHasVariants):
        return _render_offer_form(_product_to_offer_or_404(product_id), form, 409)
    flash("You sell this product again." if reactivated else "You now sell this product.", "success")
    return redirect(url_for("seller.offer", product_id=product_id))


# Products the seller creates


def _category_choices() -> dict[str, list[tuple[int, str]]]:
    """Categories grouped by department, for a select with option groups."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for row in seller_product.list_category_choices():
        groups.setdefault(row["department_name"], []).append((row["id"], row["name"]))
    return groups


def _details(form) -> dict:
    return {
        "name": form.name.data,
        "description": form.description.data or "",
        "category_id": form.category_id.data,
        **form.labels(),
    }


def _uploaded_image(form) -> images.ProcessedImage | None:
    """The form's image, checked and re-encoded; None if none was sent. Adds a field error if refused."""
    upload = form.image.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    try:
        return images.process_upload_for(current_user.id, upload.stream)
    except images.ImageRejected as rejected:
        form.image.errors.append(str(rejected))
        return None


@bp.get("/products/new")
def new_product():
    form = NewProductForm()
    form.category_id.choices = _category_choices()
    return _render_product_form(form, None)


def _render_product_form(form, product, status: int = 200, values=None, problems=None):
    """The product form; when editing, with its category's attributes (`values` as posted, else stored)."""
    definitions = attribute.list_definitions(product["category_id"]) if product else []
    if product and values is None:
        values = attribute.get_product_values(product["id"])
    return render_template(
        "seller/product_form.html",
        form=form,
        product=product,
        brands=brand.list_brand_names(),
        definitions=definitions,
        values=values or {},
        problems=problems or {},
    ), status


@bp.post("/products/new")
def create_product():
    form = NewProductForm()
    form.category_id.choices = _category_choices()
    if form.validate_on_submit():
        image = _uploaded_image(form)
        if not form.image.errors:
            product_id = seller_product.create_product(
                current_user.id, _details(form), image, form.price.data, form.quantity.data
            )
            flash(f"{form.name.data} is created and for sale.", "success")
            return redirect(url_for("seller.offer", product_id=product_id))
    return _render_product_form(form, None, 400)


@bp.get("/products/<int:product_id>/edit")
def edit_product(product_id: int):
    product = get_own_product_or_403(product_id, current_user.id)
    form = ProductForm(data=dict(product) | dict(product_labels.get_labels_for_editing(product_id)))
    form.category_id.choices = _category_choices()
    return _render_product_form(form, product)


@bp.post("/products/<int:product_id>/edit")
def update_product(product_id: int):
    product = get_own_product_or_403(product_id, current_user.id)
    form = ProductForm()
    form.category_id.choices = _category_choices()
    # The attributes of the category chosen now; the form showed the saved category's.
    category_id = form.category_id.data if form.category_id.data in dict(_flat(form.category_id.choices)) else None
    definitions = attribute.list_definitions(category_id) if category_id else []
    values, problems = attribute.read_product_values(request.form, definitions)
    if form.validate_on_submit() and not problems:
        image = _uploaded_image(form)
        if not form.image.errors:
            details = _details(form) | {"attributes": values}
            if not seller_product.update_product(product_id, current_user.id, details, image):
                abort(404)
            flash(f"{form.name.data} is saved.", "success")
            return redirect(f"/products/{product_id}")
    shown = {key: request.form.get(f"attr.{key}", "") for key in problems} | values
    return _render_product_form(form, product, 400, shown, problems)


def _flat(groups: dict[str, list[tuple[int, str]]]) -> list[tuple[int, str]]:
    return [choice for choices in groups.values() for choice in choices]


# A product's gallery: up to 8 pictures in order, each with alt text (issue 17)


@bp.get("/products/<int:product_id>/images")
def product_images(product_id: int):
    product = get_own_product_or_403(product_id, current_user.id)
    return _render_gallery(product, GalleryImageForm())


def _render_gallery(product, form: GalleryImageForm, status: int = 200):
    gallery = product_image.list_gallery(product["id"])
    return render_template(
        "seller/product_images.html",
        product=product,
        gallery=gallery,
        moves=_moves([row["id"] for row in gallery]),
        form=form,
        most=product_image.MAX_IMAGES,
    ), status


def _moves(ids: list[int]) -> list[dict]:
    """For each picture, the gallery's order after moving it up and down ("7,12,9"; None at an end)."""

    def swapped(first: int, second: int) -> str | None:
        if not (0 <= first < len(ids) and 0 <= second < len(ids)):
            return None
        order = list(ids)
        order[first], order[second] = order[second], order[first]
        return ",".join(map(str, order))

    return [{"up": swapped(index, index - 1), "down": swapped(index, index + 1)} for index in range(len(ids))]


@bp.post("/products/<int:product_id>/images")
def add_product_image(product_id: int):
    product = get_own_product_or_403(product_id, current_user.id)
    form = GalleryImageForm()
    if not form.validate_on_submit():
        return _render_gallery(product, form, 400)
    # Refused before decoding when full already; add_image checks again under the product's lock.
    if product_image.count_images(product_id) >= product_image.MAX_IMAGES:
        form.image.errors.append(product_image.GALLERY_FULL)
        return _render_gallery(product, form, 409)
    image = _uploaded_image(form)
    if form.image.errors:
        return _render_gallery(product, form, 400)
    try:
        if not product_image.add_image(product_id, current_user.id, image, form.alt_text.data or ""):
            abort(404)
    except product_image.GalleryRefused as refused:
        form.image.errors.append(str(refused))
        return _render_gallery(product, form, 409)
    flash("The picture is added to the gallery.", "success")
    return redirect(url_for("seller.product_images", product_id=product_id))


@bp.post("/products/<int:product_id>/images/<int:entry_id>/alt")
def set_image_alt_text(product_id: int, entry_id: int):
    product = get_own_product_or_403(product_id, current_user.id)
    form = AltTextForm()
    if not form.validate_on_submit():
        flash(" ".join(form.alt_text.errors) or STALE_FORM, "danger")
        return _render_gallery(product, GalleryImageForm(formdata=None), 400)
    if not product_image.set_alt_text(product_id, current_user.id, min(entry_id, MAX_ID), form.alt_text.data or ""):
        abort(404)
    flash("The alt text is saved.", "success")
    return redirect(url_for("seller.product_images", product_id=product_id))


@bp.post("/products/<int:product_id>/images/<int:entry_id>/remove")
def remove_product_image(product_id: int, entry_id: int):
    product = get_own_product_or_403(product_id, current_user.id)
    if not EmptyForm().validate_on_submit():
        flash(STALE_FORM, "danger")
        return _render_gallery(product, GalleryImageForm(formdata=None), 400)
    if not product_image.remove_image(product_id, current_user.id, min(entry_id, MAX_ID)):
        abort(404)
    flash("The picture is removed from the gallery.", "success")
    return redirect(url_for("seller.product_images", product_id=product_id))


@bp.post("/products/<int:product_id>/images/order")
def reorder_product_images(product_id: int):
    product = get_own_product_or_403(product_id, current_user.id)
    form = GalleryOrderForm()
    entry_ids = _entry_ids(form.order.data) if form.validate_on_submit() else None
    if not entry_ids:
        flash(STALE_FORM, "danger")
        return _render_gallery(product, GalleryImageForm(formdata=None), 400)
    try:
        if not product_image.reorder(product_id, current_user.id, entry_ids):
            abort(404)
    except product_image.GalleryRefused as refused:
        flash(str(refused), "danger")
        return _render_gallery(product, GalleryImageForm(formdata=None), 409)
    flash("The pictures are in their new order.", "success")
    return redirect(url_for("seller.product_images", product_id=product_id))


def _entry_ids(raw: str) -> list[int] | None:
    """Gallery entry ids from "12,7,9": each a whole number, none twice, at most a gallery's worth."""
    numbers = [whole_number(part, 1, MAX_ID) for part in raw.split(",")]
    if None in numbers or len(set(numbers)) != len(numbers) or len(numbers) > product_image.MAX_IMAGES:
        return None
    return numbers


# Orders: shipping and returns


@bp.get("/orders")
def orders():
    return _render_orders()


def _render_orders(status: int = 200):
    filters = fulfilment.parse_filters(request.args)
    for problem in filters.problems:
        flash(problem, "warning")
    page_number = requested_page()
    offset = (page_number - 1) * ORDERS_PAGE_SIZE
    if filters.keyword:
        lines, more = _lines_matching_keyword(filters, page_number, offset)
    else:
        total = fulfilment.count_lines(current_user.id, filters)
        rows = fulfilment.list_lines(current_user.id, filters, ORDERS_PAGE_SIZE, offset)
        lines, more = Page(rows, page_number, ORDERS_PAGE_SIZE, total), False
    return render_template(
        "seller/orders.html",
        lines=lines,
        more_lines=more,
        filters=filters,
        waiting=fulfilment.count_waiting(current_user.id),
        status_labels=fulfilment.STATUS_LABELS,
        status_names=order.STATUS_NAMES,
    ), status


def _lines_matching_keyword(filters, page_number: int, offset: int) -> tuple[Page, bool]:
    """The page of a keyword search, and whether more lines match than were counted.

    The search stops KEYWORD_COUNT_CAP matches past the page's first line, so a word in
    thousands of lines reads a few hundred of them; the page then says "200+ lines match".
    """
    at_most = offset + KEYWORD_COUNT_CAP + 1
    matching = fulfilment.list_matching_line_ids(current_user.id, filters, at_most)
    rows = fulfilment.list_lines_by_id(current_user.id, matching[offset : offset + ORDERS_PAGE_SIZE])
    return Page(rows, page_number, ORDERS_PAGE_SIZE, len(matching)), len(matching) == at_most


@bp.get("/orders.csv")
def orders_csv():
    """The lines the page's filters match, one row each, for a spreadsheet or a shipping tool."""
    filters = fulfilment.parse_filters(request.args)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["Line", "Purchase", "Ordered", "Buyer", "Ship to", "Buyer's note", "Product", "Quantity", "Unit price",
         "Line total", "Your coupon", "Bazaar's coupon and points", "Your proceeds", "Status", "Shipped",
         "Carrier", "Tracking number", "Delivered", "Return reason", "Refunded", "Released to you"]
    )  # fmt: skip
    for line in fulfilment.list_export_lines(current_user.id, filters):
        writer.writerow(
            [line["id"], line["purchase_id"], local_time(line["ordered_at"]), safe_cell(line["buyer_name"]),
             safe_cell(line["ship_to"]), safe_cell(line["note"] or ""), safe_cell(line["product_name"]),
             line["quantity"], line["unit_price"], line["line_total"], line["seller_discount"],
             line["platform_discount"] + line["points_discount"], fulfilment.seller_gets(line),
             order.STATUS_NAMES[line["status"]], local_time(line["shipped_at"]),
             safe_cell(line["carrier"] or ""), safe_cell(line["tracking_number"] or ""),
             local_time(line["delivered_at"]), safe_cell(line["return_reason"] or ""), line["refunded_amount"],
             local_time(line["released_at"])]
        )  # fmt: skip
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="orders.csv"', "Cache-Control": "private, no-store"},
    )


def _requested_line_ids() -> list[int]:
    """The order ids the ship page was opened with (?order_ids=…), readable ones only, at most a form's worth."""
    numbers = (whole_number(raw, 1, MAX_ID) for raw in request.args.getlist("order_ids")[: ShipForm.MAX_LINES])
    return sorted({number for number in numbers if number is not None})


def _render_ship(form: ShipForm, order_ids: list[int], status: int = 200):
    lines = fulfilment.list_lines_by_id(current_user.id, order_ids, oldest_first=True) if order_ids else []
    if not lines:
        abort(404)
    return render_template("seller/ship.html", form=form, lines=lines), status


@bp.get("/orders/ship")
def ship_form():
    """The selected lines and the carrier and tracking number they leave with."""
    return _render_ship(ShipForm(formdata=None), _requested_line_ids())


@bp.post("/orders/ship")
def ship():
    form = ShipForm()
    if not form.validate_on_submit():
        if form.order_ids.errors or not form.order_ids.data:
            flash(_problem(form), "danger")
            return _render_orders(400)
        return _render_ship(form, form.order_ids.data, 400)
    order_ids = sorted(set(form.order_ids.data))
    if order.count_own_lines(current_user.id, order_ids) != len(order_ids):
        abort(404)
    marked = order.mark_shipped(current_user.id, order_ids, form.carrier.data, form.tracking_number.data)
    skipped = len(order_ids) - len(marked)
    if not marked:
        flash("Nothing was marked: these lines were cancelled or already shipped.", "danger")
        return _render_orders(409)
    flash(f"Marked {_lines(len(marked))} shipped; the buyer is told, with the tracking number.", "success")
    if skipped:
        flash(f"{_lines(skipped)} not marked: cancelled or already shipped.", "warning")
    return redirect(safe_next(request.form.get("next")) or url_for("seller.orders"))


def _lines(count: int) -> str:
    return f"{count} line" if count == 1 else f"{count} lines"


def get_line_or_404(order_id: int):
    """The seller's own order line; anyone else's is a 404."""
    row = fulfilment.get_line(current_user.id, order_id) if order_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def _render_return(line, accept_form=None, refuse_form=None, status: int = 200):
    return render_template(
        "seller/return.html",
        line=line,
        accept_form=accept_form or AcceptReturnForm(formdata=None),
        refuse_form=refuse_form or RefuseReturnForm(formdata=None),
    ), status


@bp.get("/orders/<int:order_id>/return")
def answer_return(order_id: int):
    """The buyer's reason, and the two answers: accept (refund, restock or not) or refuse (why)."""
    line = get_line_or_404(order_id)
    if line["status"] != "return_requested":
        flash("No return of this line is waiting for your answer.", "info")
        return redirect(url_for("seller.orders", status="all"))
    return _render_return(line)


def _return_refused(line, message: str):
    flash(message, "danger")
    return _render_return(line, status=409)


@bp.post("/orders/<int:order_id>/return/accept")
def accept_return(order_id: int):
    line = get_line_or_404(order_id)
    form = AcceptReturnForm()
    if not form.validate_on_submit():
        return _render_return(line, accept_form=form, status=400)
    try:
        refunded = order.accept_return(order_id, current_user.id, restock=form.restock.data == "yes")
    except order.NoSuchLine:
        abort(404)
    except order.TransitionRefused as refused:
        return _return_refused(line, str(refused))
    restocked = f" and {line['quantity']} back in stock" if form.restock.data == "yes" else ""
    flash(f"Return accepted: {money(refunded)} refunded to the buyer{restocked}.", "success")
    return redirect(url_for("seller.orders", status="return_requested"))


@bp.post("/orders/<int:order_id>/return/refuse")
def refuse_return(order_id: int):
    line = get_line_or_404(order_id)
    form = RefuseReturnForm()
    if not form.validate_on_submit():
        return _render_return(line, refuse_form=form, status=400)
    try:
        order.refuse_return(order_id, current_user.id, form.reason.data)
    except order.NoSuchLine:
        abort(404)
    except order.TransitionRefused as refused:
        return _return_refused(line, str(refused))
    flash("Return refused; the buyer is told your reason.", "success")
    return redirect(url_for("seller.orders", status="return_requested"))


# Shipping settings


def get_method_or_404(method_id: int):
    """The seller's own active shipping method; anyone else's is a 404."""
    row = shipping.get_method(method_id, current_user.id) if method_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def _render_shipping(form: ShippingMethodForm, status: int = 200):
    return render_template(
        "seller/shipping.html",
        methods=shipping.list_methods(current_user.id),
        form=form,
        retire_form=EmptyForm(),
        standard=shipping.STANDARD,
        most=shipping.MAX_METHODS,
    ), status


@bp.get("/shipping")
def shipping_settings():
    return _render_shipping(ShippingMethodForm(formdata=None))


@bp.post("/shipping")
def add_shipping_method():
    form = ShippingMethodForm()
    if not form.validate_on_submit():
        return _render_shipping(form, 400)
    try:
        shipping.add_method(current_user.id, form.values())
    except shipping.NameTaken:
        form.name.errors.append("You already have a method with this name.")
        return _render_shipping(form, 409)
    except shipping.TooManyMethods:
        form.name.errors.append(f"You have {shipping.MAX_METHODS} methods: retire one to add another.")
        return _render_shipping(form, 409)
    flash(f"Buyers can now choose {form.name.data}.", "success")
    return redirect(url_for("seller.shipping_settings"))


def _render_method_form(method, form: ShippingMethodForm, status: int = 200):
    return render_template("seller/shipping_method.html", method=method, form=form), status


@bp.get("/shipping/<int:method_id>/edit")
def edit_shipping_method(method_id: int):
    method = get_method_or_404(method_id)
    return _render_method_form(method, ShippingMethodForm(formdata=None, data=dict(method)))


@bp.post("/shipping/<int:method_id>/edit")
def update_shipping_method(method_id: int):
    method = get_method_or_404(method_id)
    form = ShippingMethodForm()
    if not form.validate_on_submit():
        return _render_method_form(method, form, 400)
    try:
        if not shipping.update_method(method_id, current_user.id, form.values()):
            abort(404)
    except shipping.NameTaken:
        form.name.errors.append("You already have a method with this name.")
        return _render_method_form(method, form, 409)
    flash(f"Saved {form.name.data}. Orders placed before keep the fee they were charged.", "success")
    return redirect(url_for("seller.shipping_settings"))


@bp.post("/shipping/<int:method_id>/retire")
def retire_shipping_method(method_id: int):
    method = get_method_or_404(method_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    shipping.retire_method(method_id, current_user.id)
    flash(f"Buyers can no longer choose {method['name']}.", "success")
    return redirect(url_for("seller.shipping_settings"))
