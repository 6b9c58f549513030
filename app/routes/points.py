"""Member points: the balance, what expires soon, and the points ledger (/account/points)."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from app.models import points, pricing
from app.pagination import Page, requested_page

bp = Blueprint("points", __name__, url_prefix="/account/points")

LEDGER_PAGE_SIZE = 25


@bp.before_request
@login_required
def require_login():
    """The page belongs to the signed-in member."""


@bp.get("")
def show():
    number = requested_page()
    ledger = Page(
        points.list_ledger(current_user.id, LEDGER_PAGE_SIZE, (number - 1) * LEDGER_PAGE_SIZE),
        number,
        LEDGER_PAGE_SIZE,
        points.count_ledger(current_user.id),
    )
    balance = points.get_balance(current_user.id)
    return render_template(
        "account/points.html",
        balance=balance,
        worth=pricing.points_value(max(balance, 0)),
        expiring=points.get_expiring(current_user.id),
        ledger=ledger,
    )
