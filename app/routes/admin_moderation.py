"""Console: reported and hidden reviews (hide, restore, dismiss reports) and site feedback
(close with an answer, reopen). Moderators and administrators."""

from flask import abort, flash, redirect, render_template, url_for

from app import charts
from app.forms import EmptyForm
from app.forms_admin import FeedbackCloseForm, ReasonForm
from app.models import audit, feedback, review_report
from app.models.admin_query import AdminRefused
from app.routes.admin import actor, bp, moderators_too
from app.routes.admin_listing import CSV_LIMIT, csv_response, page_of, read_listing, wants_csv

MAX_ID = 2**63 - 1
HISTORY_SHOWN = 10

REVIEW_COLUMNS = (
    charts.Column("kind", "Kind"),
    charts.Column("review_id", "Review", "count"),
    charts.Column("subject_name", "About"),
    charts.Column("author_name", "Author"),
    charts.Column("rating", "Rating", "count"),
    charts.Column("title", "Title"),
    charts.Column("open_reports", "Open reports", "count"),
    charts.Column("reports", "Reports", "count"),
    charts.Column("reasons", "Reasons"),
    charts.Column("last_reported_at", "Last reported (UTC)"),
    charts.Column("hidden_at", "Hidden (UTC)"),
    charts.Column("hidden_reason", "Why hidden"),
)


@bp.get("/reviews")
@moderators_too
def reviews():
    listing = read_listing(
        review_report.SORTS, "reported", filters=review_report.FILTERS, default_filters={"state": "open"}
    )
    if wants_csv():
        return csv_response("reviews", REVIEW_COLUMNS, review_report.list_moderated(listing, CSV_LIMIT, 0))
    page = page_of(listing, review_report.count_moderated, review_report.list_moderated)
    return render_template("admin/reviews.html", page=page, listing=listing, reasons=review_report.REASONS)


def get_review_or_404(kind: str, review_id: int):
    row = review_report.get_review(kind, review_id) if review_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def _render_review(kind: str, review_id: int, status: int = 200, form=None, failed_action=None):
    return render_template(
        "admin/review.html",
        kind=kind,
        review=get_review_or_404(kind, review_id),
        reports=review_report.list_reports(kind, review_id),
        reasons=review_report.REASONS,
        history=audit.list_for_target(f"{kind}_review", review_id, HISTORY_SHOWN),
        action_form=form or ReasonForm(),
        failed_action=failed_action,
    ), status


@bp.get("/reviews/<any(product, seller):kind>/<int:review_id>")
@moderators_too
def review(kind: str, review_id: int):
    return _render_review(kind, review_id)


REVIEW_ACTIONS = {
    "hide": (review_report.hide_review, "Hidden: the review left the average, its reports are closed."),
    "restore": (review_report.restore_review, "Restored: the review is shown and counted again."),
    "dismiss": (review_report.dismiss_reports, "Reports dismissed: the review stays."),
}


@bp.post("/reviews/<any(product, seller):kind>/<int:review_id>/<any(hide, restore, dismiss):action>")
@moderators_too
def moderate_review(kind: str, review_id: int, action: str):
    get_review_or_404(kind, review_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _render_review(kind, review_id, 400, form, action)
    change, message = REVIEW_ACTIONS[action]
    try:
        change(kind, review_id, form.reason.data, actor())
    except AdminRefused as refusal:
        flash(str(refusal), "danger")
    else:
        flash(message, "success")
    return redirect(url_for("admin.review", kind=kind, review_id=review_id))


FEEDBACK_COLUMNS = (
    charts.Column("id", "Feedback", "count"),
    charts.Column("created_at", "Sent (UTC)"),
    charts.Column("kind", "Kind"),
    charts.Column("user_name", "From"),
    charts.Column("user_email", "E-mail"),
    charts.Column("subject", "Subject"),
    charts.Column("body", "Details"),
    charts.Column("page", "Page"),
    charts.Column("closed_at", "Closed (UTC)"),
    charts.Column("closed_by_name", "Closed by"),
    charts.Column("response", "Answer"),
)


def _feedback_listing():
    return read_listing(feedback.SORTS, "sent", filters=feedback.FILTERS, default_filters={"status": "open"})


def _render_feedback(status: int = 200, failed_id: int | None = None, failed_form=None):
    listing = _feedback_listing()
    page = page_of(listing, feedback.count_feedback, feedback.list_feedback)
    return render_template(
        "admin/feedback.html",
        page=page,
        listing=listing,
        kinds=feedback.KINDS,
        close_form=FeedbackCloseForm(),
        reopen_form=EmptyForm(),
        failed_id=failed_id,
        failed_form=failed_form,
    ), status


@bp.get("/feedback")
@moderators_too
def feedback_list():
    if wants_csv():
        listing = _feedback_listing()
        return csv_response("feedback", FEEDBACK_COLUMNS, feedback.list_feedback(listing, CSV_LIMIT, 0))
    return _render_feedback()


def _feedback_exists_or_404(feedback_id: int) -> None:
    if feedback_id > MAX_ID or not feedback.exists(feedback_id):
        abort(404)


@bp.post("/feedback/<int:feedback_id>/close")
@moderators_too
def close_feedback(feedback_id: int):
    _feedback_exists_or_404(feedback_id)
    form = FeedbackCloseForm()
    if not form.validate_on_submit():
        return _render_feedback(400, feedback_id, form)
    try:
        feedback.close_feedback(feedback_id, form.response.data, actor())
    except AdminRefused as refusal:
        flash(str(refusal), "danger")
    else:
        flash("Feedback closed: the sender sees your answer.", "success")
    return redirect(url_for("admin.feedback_list", status="open"))


@bp.post("/feedback/<int:feedback_id>/reopen")
@moderators_too
def reopen_feedback(feedback_id: int):
    _feedback_exists_or_404(feedback_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        feedback.reopen_feedback(feedback_id, actor())
    except AdminRefused as refusal:
        flash(str(refusal), "danger")
    else:
        flash("Feedback reopened.", "success")
    return redirect(url_for("admin.feedback_list", status="open"))
