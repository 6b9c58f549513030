"""Console: the catalog. Departments and categories (administrators), and products: the list
with the approval queue, one product's page, edit, take down, restore, approve, reject and
delete (moderators too)."""

from flask import abort, flash, redirect, render_template, request, url_for

from app import charts
from app.forms import EmptyForm
from app.forms_admin import (
    AttributeForm,
    CategoryForm,
    DepartmentForm,
    ProductEditForm,
    ReasonForm,
    RenameForm,
    TargetForm,
    choices,
)
from app.models import admin_attributes, admin_catalog, admin_products, audit
from app.models.admin_query import AdminRefused
from app.routes.admin import actor, bp, moderators_too
from app.routes.admin_listing import CSV_LIMIT, csv_response, page_of, read_listing, wants_csv

MAX_ID = 2**63 - 1
HISTORY_SHOWN = 10


def _tree():
    """Departments, each with its categories and product counts, from one query."""
    departments: dict[int, dict] = {}
    for row in admin_catalog.list_tree():
        department = departments.setdefault(
            row["department_id"],
            {"id": row["department_id"], "name": row["department_name"], "categories": [], "products": 0},
        )
        if row["category_id"] is not None:
            department["categories"].append(
                {"id": row["category_id"], "name": row["category_name"], "products": row["product_count"]}
            )
            department["products"] += row["product_count"]
    return list(departments.values())


def _render_catalog(status: int = 200, problem: str | None = None, **forms):
    tree = _tree()
    department_choices = [(department["id"], department["name"]) for department in tree]
    category_form = forms.pop("category_form", None) or CategoryForm(prefix="category")
    category_form.department_id.choices = choices(department_choices)
    return render_template(
        "admin/catalog.html",
        tree=tree,
        department_choices=department_choices,
        category_choices=[(c["id"], f"{d['name']} › {c['name']}") for d in tree for c in d["categories"]],
        department_form=forms.pop("department_form", None) or DepartmentForm(prefix="department"),
        category_form=category_form,
        problem=problem,
    ), status


@bp.get("/catalog")
def catalog():
    return _render_catalog()


def _done(message: str):
    flash(message, "success")
    return redirect(url_for("admin.catalog"))


def _first_error(form) -> str:
    return next((error for errors in form.errors.values() for error in errors), "That request was not valid.")


@bp.post("/departments")
def create_department():
    form = DepartmentForm(prefix="department")
    if not form.validate_on_submit():
        return _render_catalog(400, department_form=form)
    try:
        admin_catalog.create_department(form.name.data, actor())
    except AdminRefused as refusal:
        form.name.errors.append(str(refusal))
        return _render_catalog(400, department_form=form)
    return _done(f"Department “{form.name.data}” created.")


@bp.post("/categories")
def create_category():
    form = CategoryForm(prefix="category")
    form.department_id.choices = choices((department["id"], department["name"]) for department in _tree())
    if not form.validate_on_submit():
        return _render_catalog(400, category_form=form)
    try:
        admin_catalog.create_category(form.department_id.data, form.name.data, actor())
    except AdminRefused as refusal:
        form.name.errors.append(str(refusal))
        return _render_catalog(400, category_form=form)
    return _done(f"Category “{form.name.data}” created.")


def _item_or_404(kind: str, item_id: int):
    getter = admin_catalog.get_department if kind == "department" else admin_catalog.get_category
    row = getter(item_id) if item_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


KINDS = {"departments": "department", "categories": "category"}  # the URL's part → what it names


@bp.post("/<any(departments, categories):collection>/<int:item_id>/rename")
def rename(collection: str, item_id: int):
    kind = KINDS[collection]
    item = _item_or_404(kind, item_id)
    form = RenameForm()
    if not form.validate_on_submit():
        return _render_catalog(400, f"Renaming “{item['name']}”: {_first_error(form)}")
    try:
        admin_catalog.rename(kind, item_id, form.name.data, actor())
    except AdminRefused as refusal:
        return _render_catalog(400, str(refusal))
    return _done(f"“{item['name']}” is now “{form.name.data}”.")


def _target_form(kind: str, exclude_id: int) -> TargetForm:
    """The form naming a department (or category) to move or merge into, with its choices."""
    form = TargetForm()
    tree = _tree()
    if kind == "department":
        form.target_id.choices = choices((d["id"], d["name"]) for d in tree if d["id"] != exclude_id)
    else:
        form.target_id.choices = choices(
            (c["id"], f"{d['name']} › {c['name']}") for d in tree for c in d["categories"] if c["id"] != exclude_id
        )
    return form


@bp.post("/categories/<int:item_id>/move")
def move_category(item_id: int):
    item = _item_or_404("category", item_id)
    form = _target_form("department", item["department_id"])
    if not form.validate_on_submit():
        return _render_catalog(400, f"Moving “{item['name']}”: {_first_error(form)}")
    try:
        admin_catalog.move_category(item_id, form.target_id.data, actor())
    except AdminRefused as refusal:
        return _render_catalog(400, str(refusal))
    return _done(f"“{item['name']}” moved, with its products.")


@bp.post("/<any(departments, categories):collection>/<int:item_id>/merge")
def merge(collection: str, item_id: int):
    kind = KINDS[collection]
    item = _item_or_404(kind, item_id)
    form = _target_form(kind, item_id)
    if not form.validate_on_submit():
        return _render_catalog(400, f"Merging “{item['name']}”: {_first_error(form)}")
    try:
        if kind == "category":
            moved = admin_catalog.merge_categories(item_id, form.target_id.data, actor())
            message = f"“{item['name']}” merged: {moved:,} {'product' if moved == 1 else 'products'} moved."
        else:
            result = admin_catalog.merge_departments(item_id, form.target_id.data, actor())
            message = (
                f"“{item['name']}” merged: {result['categories_moved']} categories moved, "
                f"{result['categories_merged']} merged, {result['products_moved']:,} products moved."
            )
    except AdminRefused as refusal:
        return _render_catalog(400, str(refusal))
    return _done(message)


# A category's attributes


def _render_attributes(category_id: int, status: int = 200, form=None):
    category = _item_or_404("category", category_id)
    return render_template(
        "admin/category_attributes.html",
        category=category,
        attributes=admin_attributes.list_attributes(category_id),
        form=form or AttributeForm(),
    ), status


@bp.get("/categories/<int:item_id>/attributes")
def category_attributes(item_id: int):
    return _render_attributes(item_id)


@bp.post("/categories/<int:item_id>/attributes")
def add_category_attribute(item_id: int):
    category = _item_or_404("category", item_id)
    form = AttributeForm()
    if not form.validate_on_submit():
        return _render_attributes(item_id, 400, form)
    try:
        admin_attributes.create_attribute(item_id, form.definition(), actor())
    except AdminRefused as refusal:
        form.key.errors.append(str(refusal))
        return _render_attributes(item_id, 400, form)
    flash(f"“{form.label.data}” added to {category['name']}.", "success")
    return redirect(url_for("admin.category_attributes", item_id=item_id))


@bp.post("/categories/<int:item_id>/attributes/<key>/delete")
def delete_category_attribute(item_id: int, key: str):
    _item_or_404("category", item_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        removed = admin_attributes.delete_attribute(item_id, key[:30], actor())
    except AdminRefused as refusal:
        flash(str(refusal), "info")
        return redirect(url_for("admin.category_attributes", item_id=item_id))
    flash(f"“{key}” removed, with {removed:,} {'value' if removed == 1 else 'values'}.", "success")
    return redirect(url_for("admin.category_attributes", item_id=item_id))


# Products

PRODUCT_COLUMNS = (
    charts.Column("id", "Product", "count"),
    charts.Column("name", "Name"),
    charts.Column("status", "Status"),
    charts.Column("category_name", "Category"),
    charts.Column("creator_name", "Creator"),
    charts.Column("offer_count", "Offers", "count"),
    charts.Column("units_sold", "Units sold", "count"),
    charts.Column("rating_avg", "Rating", "average"),
    charts.Column("created_at", "Created (UTC)"),
    charts.Column("moderation_note", "Moderation note"),
)


@bp.get("/products")
@moderators_too
def products():
    listing = read_listing(admin_products.SORTS, "created", filters=admin_products.FILTERS)
    if wants_csv():
        return csv_response("products", PRODUCT_COLUMNS, admin_products.list_products(listing, CSV_LIMIT, 0))
    page = page_of(listing, admin_products.count_products, admin_products.list_products)
    return render_template("admin/products.html", page=page, listing=listing, pending=admin_products.count_pending())


def get_product_or_404(product_id: int):
    row = admin_products.get_product(product_id) if product_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def _category_choices():
    return choices((c["id"], f"{d['name']} › {c['name']}") for d in _tree() for c in d["categories"])


def _render_product(product_id: int, status: int = 200, **forms):
    product = get_product_or_404(product_id)
    edit_form = forms.pop("edit_form", None) or ProductEditForm(prefix="edit", data=dict(product))
    edit_form.category_id.choices = _category_choices()
    return render_template(
        "admin/product.html",
        product=product,
        offers=admin_products.list_product_offers(product_id),
        history=audit.list_for_target("product", product_id, HISTORY_SHOWN),
        edit_form=edit_form,
        action_form=forms.pop("action_form", None) or ReasonForm(),
        failed_action=forms.pop("failed_action", None),
    ), status


@bp.get("/products/<int:product_id>")
@moderators_too
def product(product_id: int):
    return _render_product(product_id)


@bp.post("/products/<int:product_id>/edit")
@moderators_too
def edit_product(product_id: int):
    get_product_or_404(product_id)
    form = ProductEditForm(prefix="edit")
    form.category_id.choices = _category_choices()
    if not form.validate_on_submit():
        return _render_product(product_id, 400, edit_form=form)
    details = {"name": form.name.data, "description": form.description.data, "category_id": form.category_id.data}
    details |= form.labels()
    changed = admin_products.edit_product(product_id, details, actor(), form.reason.data or "")
    flash("Product saved." if changed else "Nothing was changed.", "success")
    return redirect(url_for("admin.product", product_id=product_id))


# Actions that only need a reason: (the status they set, their audit action, what the flash says).
PRODUCT_ACTIONS = {
    "take-down": ("taken_down", "product.take_down", "Taken down: its offers left the catalog."),
    "reject": ("taken_down", "product.reject", "Rejected: the creator sees your reason."),
    "restore": ("listed", "product.restore", "Restored to the catalog."),
    "approve": ("listed", "product.approve", "Approved: the product is listed."),
}


@bp.post("/products/<int:product_id>/<any('take-down', reject, restore, approve):action>")
@moderators_too
def moderate_product(product_id: int, action: str):
    get_product_or_404(product_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _render_product(product_id, 400, action_form=form, failed_action=action)
    status, audit_action, message = PRODUCT_ACTIONS[action]
    try:
        admin_products.set_status(product_id, status, form.reason.data, actor(), audit_action)
    except AdminRefused as refusal:
        flash(str(refusal), "danger")
        return redirect(url_for("admin.product", product_id=product_id))
    flash(message, "success")
    target = request.form.get("back") == "queue"
    return redirect(
        url_for("admin.products", status="pending") if target else url_for("admin.product", product_id=product_id)
    )


@bp.post("/products/<int:product_id>/delete")
@moderators_too
def delete_product(product_id: int):
    product = get_product_or_404(product_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _render_product(product_id, 400, action_form=form, failed_action="delete")
    try:
        admin_products.delete_product(product_id, form.reason.data, actor())
    except AdminRefused as refusal:
        flash(str(refusal), "danger")
        return redirect(url_for("admin.product", product_id=product_id))
    flash(f"“{product['name']}” is deleted.", "success")
    return redirect(url_for("admin.products"))
