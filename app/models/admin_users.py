"""Users as the console sees them: the searchable list, one user's whole story, and what an
administrator may change: role, suspension, balance (always through a ledger row).

Every change writes its audit row in its own transaction. A suspension holds the user's offers
(admin_holds.py) in the lock order of app/models/locks.py: offers, their products, then the user.
"""

from decimal import Decimal

from sqlalchemy import Connection

from app import db
from app.models import admin_holds as holds
from app.models import audit, balance
from app.models import session as session_model
from app.models.admin_query import AdminRefused, Listing, conditions, order_by, search_id, search_pattern

ROLES = ("user", "moderator", "administrator")
SORTS = {
    "id": "u.id",
    "name": "u.full_name",
    "email": "lower(u.email)",
    "joined": "u.created_at",
    "balance": "u.balance",
}
FILTERS = {
    "role": {role: f"u.role = '{role}'" for role in ROLES},
    "status": {"active": "u.suspended_at IS NULL", "suspended": "u.suspended_at IS NOT NULL"},
}
# Digits find the user with that id; other words a part of the name or the e-mail (trigram indexes).
_MATCHES = """
    (CAST(:pattern AS text) IS NULL
     OR u.id = :user_id
     OR u.full_name ILIKE :pattern ESCAPE '\\'
     OR lower(u.email) LIKE lower(:pattern) ESCAPE '\\')
"""


def _params(listing: Listing) -> dict:
    return {"pattern": search_pattern(listing), "user_id": search_id(listing)}


def list_users(listing: Listing, limit: int, offset: int):
    """One page of users with their role, status and balance."""
    return db.all(
        f"""
        SELECT u.id, u.full_name, u.email, u.role, u.balance, u.created_at, u.suspended_at,
               u.email_verified_at
        FROM users AS u
        WHERE {conditions(FILTERS, listing, _MATCHES)}
        ORDER BY {order_by(SORTS, listing, "u.id")}
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - fixed fragments from allow-lists, values bound
        **_params(listing),
        limit=limit,
        offset=offset,
    )


def count_users(listing: Listing) -> int:
    """How many users match."""
    return db.value(
        f"SELECT count(*) FROM users AS u WHERE {conditions(FILTERS, listing, _MATCHES)}",  # noqa: S608 - fixed fragments
        **_params(listing),
    )


def get_user_overview(user_id: int):
    """One user with how much they bought, sell, wrote and hold; or None."""
    return db.one(
        """
        SELECT u.id, u.full_name, u.email, u.address, u.role, u.balance, u.created_at, u.time_zone,
               u.suspended_at, u.suspended_reason, u.email_verified_at,
               u.seller_rating_count,
               round(u.seller_rating_sum::numeric / nullif(u.seller_rating_count, 0), 1) AS seller_rating,
               (SELECT count(*) FROM purchases WHERE buyer_id = u.id) AS purchase_count,
               (SELECT count(*) FROM orders WHERE seller_id = u.id) AS sale_count,
               (SELECT count(*) FROM offers WHERE seller_id = u.id AND is_active) AS active_offer_count,
               (SELECT count(*) FROM offers WHERE seller_id = u.id AND moderation_hold) AS held_offer_count,
               (SELECT count(*) FROM product_reviews WHERE author_id = u.id)
             + (SELECT count(*) FROM seller_reviews WHERE author_id = u.id) AS review_count,
               (SELECT count(*) FROM balance_ledger WHERE user_id = u.id) AS ledger_count,
               (SELECT count(*) FROM user_sessions WHERE user_id = u.id AND expires_at > now()) AS session_count
        FROM users AS u
        WHERE u.id = :user_id
        """,
        user_id=user_id,
    )


def list_recent_purchases(user_id: int, limit: int):
    """The user's newest purchases as a buyer, with their line counts."""
    return db.all(
        """
        SELECT p.id, p.created_at, p.total,
               (SELECT count(*) FROM orders AS o WHERE o.purchase_id = p.id) AS line_count
        FROM purchases AS p
        WHERE p.buyer_id = :user_id
        ORDER BY p.created_at DESC, p.id DESC
        LIMIT :limit
        """,
        user_id=user_id,
        limit=limit,
    )


def list_recent_sales(user_id: int, limit: int):
    """The user's newest order lines as a seller, with product and status."""
    return db.all(
        """
        SELECT o.id, o.purchase_id, o.product_id, p.name AS product_name, o.quantity, o.line_total,
               o.ordered_at, o.fulfilled_at, o.cancelled_at
        FROM orders AS o
        JOIN products AS p ON p.id = o.product_id
        WHERE o.seller_id = :user_id
        ORDER BY o.ordered_at DESC, o.id DESC
        LIMIT :limit
        """,
        user_id=user_id,
        limit=limit,
    )


def list_offers(user_id: int, limit: int):
    """The user's offers, most recently changed first, active, held or removed."""
    return db.all(
        """
        SELECT o.product_id, p.name AS product_name, p.status AS product_status, o.price, o.quantity,
               o.is_active, o.moderation_hold, o.updated_at
        FROM offers AS o
        JOIN products AS p ON p.id = o.product_id
        WHERE o.seller_id = :user_id
        ORDER BY o.updated_at DESC, o.product_id DESC
        LIMIT :limit
        """,
        user_id=user_id,
        limit=limit,
    )


def _locked_user(conn: Connection, user_id: int):
    """The user's row, locked (users come last in the lock order); or None."""
    return db.fetch_one(
        conn,
        """
        SELECT id, role, balance, suspended_at, suspended_reason
        FROM users
        WHERE id = :user_id
        FOR NO KEY UPDATE
        """,
        user_id=user_id,
    )


@db.retry_on_conflict
def set_suspended(user_id: int, suspend: bool, reason: str, actor: audit.Actor) -> int:
    """Suspend the user (no sign-in, their offers held out of the catalog, their sessions ended)
    or lift the suspension (the offers it held sell again, unless their product is not listed).

    Returns how many offers changed state; raises AdminRefused if the user is gone or already so.
    """
    with db.transaction() as conn:
        holds.lock_offers_and_products(conn, "seller", user_id, "active" if suspend else "held")
        before = _locked_user(conn, user_id)
        if before is None:
            raise AdminRefused("There is no such user.")
        if (before["suspended_at"] is not None) == suspend:
            raise AdminRefused("This user is suspended already." if suspend else "This user is not suspended.")
        db.execute(
            conn,
            """
            UPDATE users
            SET suspended_at = CASE WHEN :suspend THEN now() END,
                suspended_reason = CASE WHEN :suspend THEN CAST(:reason AS text) END
            WHERE id = :user_id
            """,
            user_id=user_id,
            suspend=suspend,
            reason=reason,
        )
        changed = holds.switch_offers(conn, "seller", user_id, activate=not suspend)
        audit.record(
            conn,
            actor,
            "user.suspend" if suspend else "user.reactivate",
            "user",
            user_id,
            before={"suspended": not suspend, "suspended_reason": before["suspended_reason"]},
            after={"suspended": suspend, "offers_held" if suspend else "offers_released": changed},
            reason=reason,
        )
    if suspend:
        session_model.end_all_sessions(user_id)
    return changed


def set_role(user_id: int, role: str, actor: audit.Actor, reason: str = "") -> bool:
    """Give the user a role (is_admin kept in step until it is dropped); False if they had it already.

    Raises AdminRefused if there is no such user.
    """
    with db.transaction() as conn:
        before = _locked_user(conn, user_id)
        if before is None:
            raise AdminRefused("There is no such user.")
        if before["role"] == role:
            return False
        db.execute(
            conn,
            "UPDATE users SET role = :role, is_admin = (:role = 'administrator') WHERE id = :user_id",
            user_id=user_id,
            role=role,
        )
        audit.record(
            conn,
            actor,
            "user.role",
            "user",
            user_id,
            before={"role": before["role"]},
            after={"role": role},
            reason=reason,
        )
    return True


def get_user_id_by_email(email: str) -> int | None:
    """The id of the user with this e-mail (ignoring case), or None."""
    return db.value("SELECT id FROM users WHERE lower(email) = lower(:email)", email=email)


def adjust_balance(user_id: int, amount: Decimal, reason: str, actor: audit.Actor) -> Decimal:
    """Add (or, negative, take) `amount` through one 'adjustment' ledger row noting the reason.

    Returns the new balance. Raises balance.InsufficientFunds if a deduction exceeds the balance,
    balance.BalanceCeiling if an addition would pass the ceiling. The balance still equals the
    sum of the ledger: the same statement writes both.
    """
    with db.transaction() as conn:
        if amount > 0:
            after = balance.credit(conn, user_id, amount, "adjustment", ceiling=balance.MAX_BALANCE, note=reason)
            if after is None:
                raise balance.BalanceCeiling()
        else:
            after = balance.debit(conn, user_id, -amount, "adjustment", note=reason)
            if after is None:
                raise balance.InsufficientFunds(balance.get_balance(user_id))
        audit.record(
            conn,
            actor,
            "user.balance",
            "user",
            user_id,
            before={"balance": after - amount},
            after={"balance": after, "amount": amount},
            reason=reason,
        )
    return after
