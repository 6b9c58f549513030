"""The home page and a health check."""

from flask import Blueprint, render_template
from flask_login import current_user

from app import db, page_cache
from app.models import category, product, recommendation
from app.routes import recently_viewed

bp = Blueprint("main", __name__)


HOME_ROW_LENGTH = 6  # products per row of cards on the home page


@bp.get("/")
@page_cache.for_guests
def index():
    best_sellers = product.list_best_sellers(HOME_ROW_LENGTH)
    new_arrivals = product.list_new_arrivals(HOME_ROW_LENGTH)
    page_cache.show_products(item["id"] for item in [*best_sellers, *new_arrivals])
    return render_template(
        "main/index.html",
        departments=category.list_departments(),
        best_sellers=best_sellers,
        new_arrivals=new_arrivals,
        # Signed-in users only: guests see the best sellers row already.
        recommendations=(
            recommendation.recommended_for_you(current_user.id) if current_user.is_authenticated else None
        ),
        recent=recently_viewed.for_page(),
    )


@bp.get("/health")
def health():
    """For load balancers and ./setup.sh: the app runs and reaches its database."""
    db.value("SELECT 1")
    return {"status": "ok"}
