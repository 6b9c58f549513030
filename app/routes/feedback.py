"""Send feedback: a suggestion or a problem, from any signed-in user, to the console's feedback list."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.forms_admin import FeedbackForm
from app.models import feedback, rate_limit
from app.models.rate_limit import wait_in_words
from app.urls import safe_next

bp = Blueprint("feedback", __name__)

OWN_SHOWN = 10


@bp.route("/feedback", methods=["GET", "POST"])
@login_required
def send():
    form = FeedbackForm()
    if request.method == "GET":
        # The page the user came from, so a problem report says where it happened.
        form.page.data = safe_next(request.args.get("from")) or ""
    if form.validate_on_submit():
        try:
            feedback.send_feedback(
                current_user.id, form.kind.data, form.subject.data, form.body.data, safe_next(form.page.data) or ""
            )
        except rate_limit.Limited as limited:
            form.form_errors.append(
                f"You have sent a lot of feedback in the last hour. Please wait {wait_in_words(limited.wait)}"
                " and send it again: what you wrote is still here."
            )
            return _render(form, 429, {"Retry-After": str(limited.wait)})
        flash("Thank you: your feedback reached the people who run Bazaar.", "success")
        return redirect(url_for("feedback.send"))
    return _render(form, 400 if form.errors else 200)


def _render(form: FeedbackForm, status: int, headers: dict | None = None):
    return (
        render_template(
            "feedback/send.html",
            form=form,
            sent=feedback.list_own_feedback(current_user.id, OWN_SHOWN),
            kinds=feedback.KINDS,
        ),
        status,
        headers or {},
    )
