"""The home page and a health check."""

from flask import Blueprint, render_template
from flask_login import current_user

from app import db
from app.models import category, product, recommendation

bp = Blueprint("main", __name__)


HOME_ROW_LENGTH = 6  # products per row of cards on the home page


@bp.get("/")
def index():
    return render_template(
        "main/index.html",
        departments=category.list_departments(),
        best_sellers=product.list_best_sellers(HOME_ROW_LENGTH),
        new_arrivals=product.list_new_arrivals(HOME_ROW_LENGTH),
        # Signed-in users only: guests see the best sellers row already.
        recommendations=(
            recommendation.recommended_for_you(current_user.id) if current_user.is_authenticated else None
        ),
    )


@bp.get("/health")
def health():
    """For load balancers and ./setup.sh: the app runs and reaches its database."""
    db.value("SELECT 1")
    return {"status": "ok"}
