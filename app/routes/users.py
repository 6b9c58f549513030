"""Public profiles."""

from flask import Blueprint, abort, render_template

from app.models import user as user_model

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.get("/<int:user_id>")
def show(user_id: int):
    profile = user_model.get_public_profile(user_id) if user_id < 2**63 else None
    if profile is None:
        abort(404)
    return render_template("users/show.html", profile=profile)
