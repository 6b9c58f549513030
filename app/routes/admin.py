"""The administration console (/admin): its one guard, re-authentication, the dashboard, the
audit log and the site switches. Users, catalog, moderation and reports add their views to this
blueprint from admin_users.py, admin_catalog.py, admin_moderation.py, admin_reports.py and
admin_coupons.py.

The guard runs before every /admin view: anyone but an administrator gets a 404 (as if there
were nothing here), except that moderators reach the views marked `moderators_too`. A POST also
needs the password typed within the last 15 minutes; otherwise it is sent to re-enter it.
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import charts
from app.errors import render_error
from app.forms import time_zone_names
from app.forms_admin import ReauthenticateForm, SwitchForm
from app.inputs import InvalidInput, int_arg, parse_date
from app.models import admin_dashboard, admin_settings, audit, login_failure
from app.models import session as session_model
from app.models.rate_limit import wait_in_words
from app.passwords import verify_password
from app.routes.admin_listing import CSV_LIMIT, csv_response, page_of, read_listing, wants_csv
from app.templating import user_time_zone
from app.urls import safe_next

bp = Blueprint("admin", __name__, url_prefix="/admin")

STAFF_ROLES = ("moderator", "administrator")
MODERATOR_ENDPOINTS: set[str] = set()  # filled by @moderators_too


def moderators_too(view):
    """Let moderators reach this view as well as administrators (apply below the route decorator)."""
    MODERATOR_ENDPOINTS.add(f"{bp.name}.{view.__name__}")
    return view


def may_reach(role: str | None, endpoint: str | None) -> bool:
    """Whether someone with `role` may use the console view `endpoint`."""
    return role == "administrator" or (role == "moderator" and endpoint in MODERATOR_ENDPOINTS)


def console_home(role: str | None) -> str:
    """Where the console starts for a role: the dashboard, or a moderator's review queue."""
    return url_for("admin.dashboard") if role == "administrator" else url_for("admin.reviews")


@bp.before_request
def guard():
    """Role first (404 for everyone else, guests included), then a recent password for any change."""
    role = current_user.role if current_user.is_authenticated else None
    if not may_reach(role, request.endpoint):
        abort(404)
    needs_password = request.method == "POST" and request.endpoint != "admin.reauthenticate"
    if needs_password and not current_user.session_recently_authenticated:
        flash("For your safety, enter your password again, then repeat what you were doing.", "warning")
        back = safe_next(_referrer_path()) or console_home(role)
        return redirect(url_for("admin.reauthenticate", next=back))
    return None


def _referrer_path() -> str | None:
    """The path (and query) of the page the form was sent from, if it was this site's."""
    referrer = request.referrer or ""
    host = request.host_url
    return referrer[len(host) - 1 :] if referrer.startswith(host) else None


def actor() -> audit.Actor:
    """The signed-in person acting in the console, for the audit log."""
    return audit.Actor(current_user.id, current_user.role, request.remote_addr or "")


@bp.app_errorhandler(session_model.AccountSuspended)
def account_suspended(error):
    return render_error(403, "This account is suspended. Write to the marketplace if you think this is a mistake.")


@bp.app_context_processor
def staff_links() -> dict:
    """For base.html's one console link: where the signed-in moderator or administrator starts."""
    if current_user.is_authenticated and current_user.role in STAFF_ROLES:
        return {"console_url": console_home(current_user.role)}
    return {"console_url": None}


# The console's navigation, in order; each person sees the entries their role reaches.
NAVIGATION = (
    ("admin.dashboard", "Dashboard", "speedometer2"),
    ("admin.users", "Users", "people"),
    ("admin.catalog", "Departments & categories", "diagram-3"),
    ("admin.products", "Products", "box-seam"),
    ("admin.reviews", "Reviews", "chat-square-text"),
    ("admin.feedback_list", "Feedback", "envelope-paper"),
    ("admin.coupons", "Coupons", "ticket-perforated"),
    ("admin.reports_index", "Reports", "table"),
    ("admin.audit_log", "Audit log", "journal-text"),
)


@bp.context_processor
def console_navigation() -> dict:
    role = current_user.role if current_user.is_authenticated else None
    return {"console_nav": [entry for entry in NAVIGATION if may_reach(role, entry[0])]}


@bp.route("/reauthenticate", methods=["GET", "POST"])
@moderators_too
def reauthenticate():
    form = ReauthenticateForm()
    target = safe_next(request.args.get("next")) or console_home(current_user.role)
    if not form.validate_on_submit():
        return render_template("admin/reauthenticate.html", form=form, target=target), 400 if form.errors else 200
    email, address = current_user.email.lower(), request.remote_addr or "unknown"
    # Counted like sign-in failures: a stolen session cannot guess the password here either.
    throttle = login_failure.begin_attempt(email, address, login_failure.Limits.from_config(current_app.config))
    if throttle:
        form.form_errors.append(f"Too many wrong passwords. Try again in {wait_in_words(throttle.retry_after)}.")
        return render_template("admin/reauthenticate.html", form=form, target=target), 429
    if not verify_password(current_user.password_hash, form.password.data):
        form.password.errors.append("That is not your password.")
        return render_template("admin/reauthenticate.html", form=form, target=target), 400
    login_failure.forget_failures(email, address)
    session_model.mark_reauthenticated(current_user.session_id, current_user.id)
    flash("Password confirmed: the console is yours for 15 minutes.", "success")
    return redirect(target)


def viewer_time_zone() -> str:
    """The viewer's time zone if the SQL may use it, else UTC."""
    name = user_time_zone().key
    return name if name in time_zone_names() else "UTC"


SALES_COLUMNS = (
    charts.Column("day", "Day", "day"),
    charts.Column("gmv", "Sales (GMV)", "money"),
    charts.Column("orders", "Orders", "count"),
)


@bp.get("")
def dashboard():
    time_zone = viewer_time_zone()
    daily = admin_dashboard.list_daily_sales(time_zone)
    if wants_csv():
        return csv_response("sales-per-day", SALES_COLUMNS, daily)
    table = charts.Table(
        f"Sales per day, last {admin_dashboard.CHART_DAYS} days",
        SALES_COLUMNS,
        [tuple(row[column.key] for column in SALES_COLUMNS) for row in daily],
    )
    return render_template(
        "admin/dashboard.html",
        figures=admin_dashboard.get_figures(time_zone),
        sales_table=table,
        sales_chart=charts.chart(table, "bar", "day", ("gmv",), table.caption),
        approval_queue=admin_settings.is_enabled("product_approval"),
        switch_form=SwitchForm(),
        time_zone=time_zone,
    )


@bp.post("/settings/product-approval")
def product_approval():
    form = SwitchForm()
    if not form.validate_on_submit():
        abort(400, "That switch was not understood.")
    enabled = form.enabled.data == "1"
    admin_settings.set_enabled("product_approval", enabled, actor())
    flash(
        "New products now wait for a moderator's approval." if enabled else "New products are listed at once again.",
        "success",
    )
    return redirect(url_for("admin.dashboard"))


AUDIT_COLUMNS = (
    charts.Column("id", "Entry", "count"),
    charts.Column("created_at", "When (UTC)"),
    charts.Column("actor_name", "Who"),
    charts.Column("actor_role", "As"),
    charts.Column("action", "Action"),
    charts.Column("target_type", "Target"),
    charts.Column("target_id", "Target id"),
    charts.Column("reason", "Reason"),
    charts.Column("before", "Before"),
    charts.Column("after", "After"),
    charts.Column("ip_address", "From"),
)


def _audit_filters() -> tuple[audit.AuditFilters, list[str]]:
    """The audit page's own filters: an actor, a target id, and a date range; bad ones noted and dropped."""
    problems, dates = [], {}
    for name, label in (("from", "from"), ("to", "to")):
        if raw := request.args.get(name, "").strip():
            try:
                dates[name] = parse_date(raw[:20], label)
            except InvalidInput as error:
                problems.append(str(error))
    return (
        audit.AuditFilters(
            actor_id=int_arg(request.args, "actor", 1, 2**63 - 1),
            target_id=int_arg(request.args, "target", 1, 2**63 - 1),
            since=dates.get("from"),
            until=dates.get("to"),
        ),
        problems,
    )


@bp.get("/audit")
def audit_log():
    listing = read_listing(audit.SORTS, "when", filters=audit.FILTERS)
    extra, problems = _audit_filters()
    if wants_csv():
        return csv_response("audit-log", AUDIT_COLUMNS, audit.list_entries(listing, extra, CSV_LIMIT, 0))
    page = page_of(
        listing,
        lambda chosen: audit.count_entries(chosen, extra),
        lambda chosen, limit, offset: audit.list_entries(chosen, extra, limit, offset),
    )
    return render_template("admin/audit.html", page=page, listing=listing, extra=extra, problems=problems)


# The other areas' views join the blueprint (and its guard) when their modules load.
from app.routes import admin_catalog, admin_coupons, admin_moderation, admin_reports, admin_users  # noqa: E402, F401
