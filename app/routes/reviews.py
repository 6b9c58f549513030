"""Writing, editing and deleting reviews of products and sellers; helpful votes; and the
user's own reviews. The review lists themselves are shown on product and seller pages."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.forms import EmptyForm, ReviewForm, VoteForm
from app.forms_admin import ReportReviewForm
from app.models import rate_limit, review, review_report
from app.models.rate_limit import wait_in_words
from app.pagination import Page, requested_page
from app.urls import safe_next

bp = Blueprint("reviews", __name__)

PAGE_SIZE = 10
MAX_ID = 2**63 - 1


def _subject_or_404(kind: str, subject_id: int):
    """The product or seller being reviewed: its id, name and page, or a 404."""
    if subject_id > MAX_ID:
        abort(404)
    if kind == "product":
        row = review.get_reviewed_product(subject_id)
        page = f"/products/{subject_id}"
    else:
        row = review.get_reviewed_seller(subject_id)
        page = url_for("reviews.seller_reviews", seller_id=subject_id)
    if row is None or not row.get("listed", True):  # a product taken down or awaiting approval
        abort(404)
    return {"id": row["id"], "name": row["name"], "page": page}


def _edit(kind: str, subject_id: int):
    subject = _subject_or_404(kind, subject_id)
    if kind == "seller":
        if subject_id == current_user.id:
            abort(403, "You cannot review yourself.")
        if not review.may_review_seller(subject_id, current_user.id):
            abort(403, "Only buyers of this seller can review them. Buy from them first.")
    elif review.sells_product(subject_id, current_user.id):
        abort(403, review.SELLER_OF_PRODUCT)
    existing = review.get_own_review(kind, subject_id, current_user.id)
    form = ReviewForm(data=dict(existing) | {"rating": str(existing["rating"])} if existing else None)
    if form.validate_on_submit():
        try:
            created = review.save_review(
                kind, subject_id, current_user.id, int(form.rating.data), form.title.data, form.body.data
            )
        except review.ReviewRefused as refusal:
            abort(403, str(refusal))
        flash("Thank you for your review." if created else "Your review is updated.", "success")
        return redirect(subject["page"])
    status = 400 if form.errors else 200
    return render_template("reviews/edit.html", form=form, kind=kind, subject=subject, existing=existing), status


def _confirm_delete(kind: str, subject_id: int):
    """Show the review and what deleting it does; the page's button POSTs to the delete route."""
    subject = _subject_or_404(kind, subject_id)
    existing = review.get_own_review(kind, subject_id, current_user.id)
    if existing is None:
        abort(404, "You have no review of this to delete.")
    back = safe_next(request.args.get("next")) or subject["page"]
    return render_template(
        "reviews/delete.html", kind=kind, subject=subject, review=existing, delete_form=EmptyForm(), back=back
    )


def _delete(kind: str, subject_id: int):
    subject = _subject_or_404(kind, subject_id)
    existing = review.get_own_review(kind, subject_id, current_user.id)
    if existing is None or not review.delete_review(kind, existing["id"], current_user.id):
        abort(404, "You have no review of this to delete.")
    flash("Your review is deleted.", "success")
    return redirect(safe_next(request.form.get("next")) or subject["page"])


@bp.route("/products/<int:product_id>/review", methods=["GET", "POST"])
@login_required
def product_review(product_id: int):
    return _edit("product", product_id)


@bp.get("/products/<int:product_id>/review/delete")
@login_required
def confirm_delete_product_review(product_id: int):
    return _confirm_delete("product", product_id)


@bp.post("/products/<int:product_id>/review/delete")
@login_required
def delete_product_review(product_id: int):
    return _delete("product", product_id)


@bp.route("/users/<int:seller_id>/review", methods=["GET", "POST"])
@login_required
def seller_review(seller_id: int):
    return _edit("seller", seller_id)


@bp.get("/users/<int:seller_id>/review/delete")
@login_required
def confirm_delete_seller_review(seller_id: int):
    return _confirm_delete("seller", seller_id)


@bp.post("/users/<int:seller_id>/review/delete")
@login_required
def delete_seller_review(seller_id: int):
    return _delete("seller", seller_id)


@bp.post("/reviews/<any(product, seller):kind>/<int:review_id>/vote")
@login_required
def vote(kind: str, review_id: int):
    form = VoteForm()
    if not form.validate_on_submit():
        abort(400, "That vote was not understood.")
    if review_id > MAX_ID or review.get_review(kind, review_id) is None:
        abort(404)
    try:
        review.vote(kind, review_id, current_user.id, form.helpful.data == "1")
    except review.ReviewRefused as refusal:
        abort(403, str(refusal))
    flash("Thanks for your vote." if form.helpful.data == "1" else "Your vote is taken back.", "success")
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))


@bp.route("/reviews/<any(product, seller):kind>/<int:review_id>/report", methods=["GET", "POST"])
@login_required
def report(kind: str, review_id: int):
    """Ask a moderator to look at someone else's review, with a reason."""
    target = review.get_review(kind, review_id) if review_id <= MAX_ID else None
    if target is None or target["hidden_at"] is not None:
        abort(404)
    if target["author_id"] == current_user.id:
        abort(403, "You cannot report your own review.")
    if kind == "product":
        back = url_for("catalog.show", product_id=target["subject_id"]) + "#reviews"
    else:
        back = url_for("reviews.seller_reviews", seller_id=target["subject_id"]) + "#reviews"
    form = ReportReviewForm()
    status, headers = None, {}
    if form.validate_on_submit():
        try:
            created = review_report.report_review(
                kind, review_id, current_user.id, form.reason.data, form.details.data or ""
            )
        except review_report.ReportRefused as refusal:
            abort(403, str(refusal))
        except rate_limit.Limited as limited:
            wait = wait_in_words(limited.wait)
            form.form_errors.append(f"You have reported many reviews lately. Please wait {wait} and report it again.")
            status, headers = 429, {"Retry-After": str(limited.wait)}
        else:
            thanks = "Thank you: a moderator will look at this review."
            flash(thanks if created else "You reported this review already: a moderator will look at it.", "success")
            return redirect(back)
    page = render_template("reviews/report.html", form=form, review=target, kind=kind, back=back)
    return page, status or (400 if form.errors else 200), headers


def review_list_options() -> dict:
    """Sort, star and verified-purchase filters for a review list, from the query string (bad values ignored)."""
    sort = request.args.get("review_sort", "helpful")
    stars = request.args.get("stars", type=int)
    return {
        "sort": sort if sort in review.SORTS else "helpful",
        "stars": stars if stars in (1, 2, 3, 4, 5) else None,
        "verified": request.args.get("verified") == "1",
    }


def review_section(kind: str, subject_id: int, page_param: str = "page") -> dict:
    """Everything the reviews partial (reviews/_section.html) needs: two queries."""
    options = review_list_options()
    page_number = requested_page(page_param)
    viewer_id = current_user.id if current_user.is_authenticated else None
    rows = review.list_reviews(kind, subject_id, viewer_id, options, PAGE_SIZE, (page_number - 1) * PAGE_SIZE)
    summary = review.summary(kind, subject_id, options["verified"], viewer_id)
    # The summary already counts reviews per star level (and verified ones): no separate count query.
    counted = "verified" if options["verified"] else "stars"
    total = (
        summary[f"{counted}_{options['stars']}"]
        if options["stars"]
        else summary["verified" if options["verified"] else "count"]
    )
    return {
        "kind": kind,
        "subject_id": subject_id,
        "summary": summary,
        "reviews": Page(rows, page_number, PAGE_SIZE, total),
        "options": options,
        "page_param": page_param,  # a page that lists other things too pages its reviews separately
        "own_review": summary["has_own_review"],
        "sells_product": summary["sells_product"],  # a seller of the product may not review it
    }


@bp.get("/users/<int:seller_id>/reviews")
def seller_reviews(seller_id: int):
    subject = _subject_or_404("seller", seller_id)
    may_review = (
        current_user.is_authenticated
        and current_user.id != seller_id
        and review.may_review_seller(seller_id, current_user.id)
    )
    return render_template(
        "reviews/seller.html", seller=subject, section=review_section("seller", seller_id), may_review=may_review
    )


@bp.get("/account/reviews")
@login_required
def mine():
    page_number = requested_page()
    rows = review.list_by_author(current_user.id, PAGE_SIZE, (page_number - 1) * PAGE_SIZE)
    return render_template(
        "reviews/mine.html",
        reviews=Page(rows, page_number, PAGE_SIZE, review.count_by_author(current_user.id)),
    )
