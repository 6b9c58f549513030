"""Insight pages: a buyer's spending, a seller's analytics (page, CSV and JSON), and the public
marketplace overview."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask_login import current_user, login_required

from app import charts, reports
from app.forms import time_zone_names
from app.models import analytics
from app.models.analytics import InvalidQuery
from app.templating import user_time_zone

bp = Blueprint("analytics", __name__)


def _time_zone() -> str:
    """The signed-in user's time zone if it is one the SQL may use, else UTC."""
    name = user_time_zone().key
    return name if name in time_zone_names() else "UTC"


def _period() -> analytics.Period:
    """The period the query string asks for (default: the last twelve months), in the user's time zone."""
    time_zone = _time_zone()
    today = datetime.now(ZoneInfo(time_zone)).date()
    return analytics.parse_period(request.args.get("from"), request.args.get("to"), today, time_zone)


def _sales_query() -> tuple[analytics.Period, analytics.Grouping]:
    """Period and grouping from the query string; raise InvalidQuery if either is unusable."""
    period = _period()
    grouping = analytics.parse_grouping(request.args.get("group_by"))
    analytics.check_grouping_fits(grouping, period)
    return period, grouping


def _channel_filters() -> analytics.Filters:
    """The page's channel: online, offline or (anything else) both."""
    channel = request.args.get("channel")
    return analytics.Filters(channel=channel if channel in analytics.CHANNELS else None)


def _chart_style() -> str:
    """Stacked bars or lines for charts over time (anything else reads as bars)."""
    style = request.args.get("chart", "bar")
    return style if style in reports.CHART_STYLES else "bar"


def _query_args(
    period: analytics.Period, grouping: analytics.Grouping | None = None, channel: str | None = None
) -> dict:
    """The query string that names this period (and grouping and channel), for links to the CSV files."""
    args = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    return args | ({"group_by": grouping.value} if grouping else {}) | ({"channel": channel} if channel else {})


def _csv_response(table: charts.Table, name: str, period: analytics.Period) -> Response:
    """The table as a CSV download named after what it holds and when."""
    filename = f"{name}-{period.start.isoformat()}-to-{period.end.isoformat()}.csv"
    return Response(
        charts.to_csv(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"},
    )


@bp.get("/seller/analytics")
@login_required
def seller_dashboard():
    try:
        period, grouping = _sales_query()
    except InvalidQuery as problem:
        return render_template(
            "analytics/seller.html", problem=str(problem), groupings=analytics.GROUPINGS, args=request.args
        ), 400
    filters = _channel_filters()
    return render_template(
        "analytics/seller.html",
        **reports.seller_dashboard(current_user.id, period, grouping, _chart_style(), filters),
        groupings=analytics.GROUPINGS,
        args=request.args,
        csv_urls={
            name: url_for("analytics.seller_csv", table=name, **_query_args(period, grouping, filters.channel))
            for name in reports.SELLER_TABLES
        },
    )


@bp.get("/seller/analytics.csv")
@login_required
def seller_csv():
    name = request.args.get("table", "sales")
    if name not in reports.SELLER_TABLES:
        abort(400, f"Unknown table. Choose one of: {', '.join(reports.SELLER_TABLES)}.")
    try:
        period, grouping = _sales_query()
    except InvalidQuery as problem:
        abort(400, str(problem))
    table = reports.SELLER_TABLES[name](current_user.id, period, grouping, _channel_filters())
    suffix = f"-{grouping.value.replace(',', '-')}" if name == "sales" else ""
    return _csv_response(table, f"{name}{suffix}", period)


@bp.get("/api/seller/sales")
def sales_api():
    if not current_user.is_authenticated:
        return jsonify(error="Sign in to see your sales."), 401
    try:
        period, grouping = _sales_query()
    except InvalidQuery as problem:
        return jsonify(error=str(problem), allowed_group_by=list(analytics.GROUPINGS)), 400
    return jsonify(reports.sales_report(current_user.id, period, grouping, _channel_filters()))


@bp.get("/account/insights")
@login_required
def buyer_insights():
    try:
        period = _period()
    except InvalidQuery as problem:
        return render_template("analytics/buyer.html", problem=str(problem), args=request.args), 400
    return render_template(
        "analytics/buyer.html",
        **reports.buyer_insights(current_user.id, period),
        args=request.args,
        csv_urls={
            name: url_for("analytics.buyer_csv", table=name, **_query_args(period)) for name in reports.BUYER_TABLES
        },
    )


@bp.get("/account/insights.csv")
@login_required
def buyer_csv():
    name = request.args.get("table", "months")
    if name not in reports.BUYER_TABLES:
        abort(400, f"Unknown table. Choose one of: {', '.join(reports.BUYER_TABLES)}.")
    try:
        period = _period()
    except InvalidQuery as problem:
        abort(400, str(problem))
    return _csv_response(reports.BUYER_TABLES[name](current_user.id, period), f"spending-{name}", period)


@bp.get("/insights")
def marketplace():
    return render_template("analytics/marketplace.html", **reports.marketplace_overview())


@bp.app_template_filter("cell")
def cell(value, kind: str = "text") -> str:
    """A table cell or headline number as the insight pages show it."""
    return charts.display(value, kind)


@bp.app_template_filter("long_date")
def long_date(day) -> str:
    """A date as "Mar 3, 2025"."""
    return charts.period_label(day, "day")
