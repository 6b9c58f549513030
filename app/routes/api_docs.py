"""Swagger UI for the seller API at /api/docs: vendored files (no CDN), under the site's CSP."""

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__)


@bp.get("/api/docs")
def docs():
    return render_template("api/docs.html")
