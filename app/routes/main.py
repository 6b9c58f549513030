"""The home page and a health check."""

from flask import Blueprint, render_template

from app import db
from app.models import category

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    return render_template("main/index.html", departments=category.list_departments())


@bp.get("/health")
def health():
    """For load balancers and ./setup.sh: the app runs and reaches its database."""
    db.value("SELECT 1")
    return {"status": "ok"}
