"""Buyer–seller messages about a purchase: the inbox and one thread."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.forms import EmptyForm, MessageForm
from app.models import message
from app.pagination import Page, requested_page

bp = Blueprint("messages", __name__, url_prefix="/messages")

PAGE_SIZE = 20
MAX_ID = 2**63 - 1


@bp.before_request
@login_required
def require_login():
    """Messages are private to their two parties."""


@bp.get("")
def inbox():
    page_number = requested_page()
    rows = message.list_threads(current_user.id, PAGE_SIZE, (page_number - 1) * PAGE_SIZE)
    return render_template(
        "messages/inbox.html", threads=Page(rows, page_number, PAGE_SIZE, message.count_threads(current_user.id))
    )


def get_thread_or_404(purchase_id: int, seller_id: int):
    """The thread if the signed-in user is its buyer or seller; anyone else gets a 404."""
    thread = None
    if purchase_id <= MAX_ID and seller_id <= MAX_ID:
        thread = message.get_thread(purchase_id, seller_id, current_user.id)
    if thread is None:
        abort(404)
    return thread


@bp.route("/<int:purchase_id>/<int:seller_id>", methods=["GET", "POST"])
def thread(purchase_id: int, seller_id: int):
    details = get_thread_or_404(purchase_id, seller_id)
    form = MessageForm()
    if form.validate_on_submit():
        if not message.send(purchase_id, seller_id, current_user.id, form.body.data):
            abort(404)
        flash("Message sent.", "success")
        return redirect(url_for("messages.thread", purchase_id=purchase_id, seller_id=seller_id) + "#latest")
    messages = message.list_messages(purchase_id, seller_id, current_user.id)
    if any(row["read_at"] is None and row["sender_id"] != current_user.id for row in messages):
        message.mark_read(purchase_id, seller_id, current_user.id)
    return render_template(
        "messages/thread.html",
        thread=details,
        messages=messages,
        form=form,
        purchase_id=purchase_id,
        hide_form=EmptyForm(formdata=None),
    ), 400 if form.errors else 200


@bp.post("/<int:purchase_id>/<int:seller_id>/delete")
def hide(purchase_id: int, seller_id: int):
    """Delete the thread for the signed-in user only; a new message in it shows it again."""
    get_thread_or_404(purchase_id, seller_id)
    if not EmptyForm().validate_on_submit():
        abort(400, "That request was not valid. Reload the page and try again.")
    if not message.hide_thread(purchase_id, seller_id, current_user.id):
        abort(404)
    flash("Conversation deleted for you. The other party still sees it; a new message brings it back.", "success")
    return redirect(url_for("messages.inbox"))
