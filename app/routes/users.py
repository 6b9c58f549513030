"""Public profiles: a seller's storefront with their offers, searchable and sortable, and their reviews."""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from app.inputs import MAX_ID, text_arg
from app.models import review, seller
from app.models import user as user_model
from app.pagination import Page, requested_page
from app.routes.reviews import review_section

bp = Blueprint("users", __name__, url_prefix="/users")

OFFERS_PAGE_SIZE = 24


@bp.get("/<int:user_id>")
def show(user_id: int):
    profile = user_model.get_public_profile(user_id) if user_id <= MAX_ID else None
    if profile is None:
        abort(404)
    keyword = text_arg(request.args, "q", 100)
    sort = request.args.get("sort", "newest")
    sort = sort if sort in seller.STOREFRONT_SORTS else "newest"
    page_number = requested_page()
    offers = seller.list_storefront_offers(
        user_id, keyword, sort, OFFERS_PAGE_SIZE, (page_number - 1) * OFFERS_PAGE_SIZE
    )
    total = seller.count_storefront_offers(user_id, keyword)
    may_review = (
        current_user.is_authenticated
        and current_user.id != user_id
        and review.may_review_seller(user_id, current_user.id)
    )
    return render_template(
        "users/show.html",
        profile=profile,
        offers=Page(offers, page_number, OFFERS_PAGE_SIZE, total),
        keyword=keyword,
        sort=sort,
        sorts={key: label for key, (label, _) in seller.STOREFRONT_SORTS.items()},
        # Seller reviews page separately (?reviews_page=) from what the seller sells (?page=).
        section=review_section("seller", user_id, page_param="reviews_page"),
        may_review=may_review,
    )
