"""Suggestions as you type in the search box: GET /products/suggest?q= answers JSON."""

from flask import Blueprint, jsonify, request

from app.inputs import text_arg
from app.models import suggestion

bp = Blueprint("suggest", __name__, url_prefix="/products")

MAX_AGE = 60  # seconds a browser or proxy may reuse an answer: the catalog changes slowly


@bp.get("/suggest")
def suggest():
    """Products and categories that start with (or are a typo of) what was typed, for the combobox.
    The same for everyone (no session, no user): a public answer that caches may keep a minute."""
    raw = request.args.get("q", "")
    query = text_arg(request.args, "q", suggestion.MAX_LENGTH)
    # A space typed after the last word completes it ("wire " is not "wireless"); text_arg strips it.
    finished = len(raw) <= suggestion.MAX_LENGTH and raw[-1:].isspace()
    found = suggestion.suggest(query, finished)
    response = jsonify(
        query=query,
        products=[
            {"id": product["id"], "name": product["name"], "url": f"{request.script_root}/products/{product['id']}"}
            for product in found["products"]
        ],
        categories=[
            {
                "name": category["name"],
                "department": category["department"],
                "url": f"{request.script_root}/products?category={category['slug']}",
            }
            for category in found["categories"]
        ],
    )
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    return response
