"""The cart: add, change, save for later, and checkout."""

from flask import Blueprint, flash, redirect, request, url_for

bp = Blueprint("cart", __name__, url_prefix="/cart")


@bp.post("/add")
def add():
    """Add an offer to the cart (work in progress: issue 5)."""
    flash("The cart is not open yet.", "info")
    return redirect(request.referrer if request.referrer else url_for("main.index"))
