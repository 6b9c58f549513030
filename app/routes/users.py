"""Public profiles."""

from flask import Blueprint, abort, render_template

from app.models import seller
from app.models import user as user_model
from app.pagination import Page, requested_page

bp = Blueprint("users", __name__, url_prefix="/users")

OFFERS_PAGE_SIZE = 24


@bp.get("/<int:user_id>")
def show(user_id: int):
    profile = user_model.get_public_profile(user_id) if user_id < 2**63 else None
    if profile is None:
        abort(404)
    page_number = requested_page()
    offers = seller.list_public_offers(user_id, OFFERS_PAGE_SIZE, (page_number - 1) * OFFERS_PAGE_SIZE)
    total = seller.count_public_offers(user_id)
    return render_template(
        "users/show.html", profile=profile, offers=Page(offers, page_number, OFFERS_PAGE_SIZE, total)
    )
