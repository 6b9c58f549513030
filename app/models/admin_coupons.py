"""The platform's coupons as the console sees them: the searchable list with each coupon's uses
and the discount it has given, and what an administrator changes: create, pause, resume.

A coupon's rules, its uses and what it gives are coupon.py's; this module adds the console's
table and writes an audit row in the transaction of each change (the command line's too).
"""

from app import db
from app.models import audit, coupon
from app.models.admin_query import AdminRefused, Listing, conditions, order_by, search_id, search_pattern

# The platform's coupons funded this much: the platform's share of the lines they discounted.
_GIVEN = """
    (SELECT coalesce(sum(o.platform_discount), 0)
     FROM orders AS o
     WHERE o.platform_coupon_id = c.id
       AND o.cancelled_at IS NULL)
"""
SORTS = {
    "code": "c.code",
    "created": "c.created_at",
    "starts": "c.starts_at",
    "ends": "c.ends_at",
    "uses": "c.uses",
    "given": _GIVEN,
}
STATUSES = {
    "running": (
        "c.paused_at IS NULL AND c.starts_at <= now() AND (c.ends_at IS NULL OR c.ends_at > now())"
        " AND (c.max_uses IS NULL OR c.uses < c.max_uses)"
    ),
    "paused": "c.paused_at IS NOT NULL",
    "scheduled": "c.paused_at IS NULL AND c.starts_at > now()",
    "expired": "c.paused_at IS NULL AND c.ends_at <= now()",
    "used_up": "c.paused_at IS NULL AND c.uses >= c.max_uses",
}
FILTERS = {
    "status": STATUSES,
    "kind": {"percent": "c.percent_off IS NOT NULL", "amount": "c.amount_off IS NOT NULL"},
    "thanks": {"yes": "c.for_thanks", "no": "NOT c.for_thanks"},
}
# Digits find the coupon with that id; other words a part of the code or the description.
_MATCHES = """
    c.seller_id IS NULL
    AND (CAST(:pattern AS text) IS NULL
         OR c.id = :coupon_id
         OR c.code ILIKE :pattern ESCAPE '\\'
         OR c.description ILIKE :pattern ESCAPE '\\')
"""


def _params(listing: Listing) -> dict:
    return {"pattern": search_pattern(listing), "coupon_id": search_id(listing)}


def list_coupons(listing: Listing, limit: int, offset: int):
    """One page of the platform's coupons, with what each has given."""
    return db.all(
        f"""
        SELECT {coupon.COLUMNS}, {_GIVEN} AS discount_given
        FROM coupons AS c {coupon.JOINS}
        WHERE {conditions(FILTERS, listing, _MATCHES)}
        ORDER BY {order_by(SORTS, listing, "c.id")}
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - fixed fragments from allow-lists, values bound
        **_params(listing),
        limit=limit,
        offset=offset,
    )


def count_coupons(listing: Listing) -> int:
    """How many of the platform's coupons match."""
    return db.value(
        f"SELECT count(*) FROM coupons AS c WHERE {conditions(FILTERS, listing, _MATCHES)}",  # noqa: S608 - fixed fragments
        **_params(listing),
    )


def create_platform_coupon(code: str, fields: dict, actor: audit.Actor) -> int:
    """Create a platform coupon (coupon.insert_coupon's fields) and its audit row; return its id.

    Raises coupon.CodeTaken when the code is in use; then nothing is written.
    """
    with db.transaction() as conn:
        coupon_id = coupon.insert_coupon(conn, None, code, **fields)
        audit.record(
            conn,
            actor,
            "coupon.create",
            "coupon",
            coupon_id,
            after={"code": coupon.normalize_code(code)} | {name: value for name, value in fields.items() if value},
        )
    return coupon_id


def set_paused(coupon_id: int, paused: bool, reason: str, actor: audit.Actor) -> str:
    """Pause or resume a platform coupon with an audit row; return its code.

    One conditional UPDATE: it changes the coupon only when it is the platform's and not in that
    state already, so two administrators pausing at once write one change and one audit row.
    Raises AdminRefused otherwise.
    """
    with db.transaction() as conn:
        row = db.fetch_one(
            conn,
            """
            UPDATE coupons
            SET paused_at = CASE WHEN :paused THEN now() END
            WHERE id = :coupon_id
              AND seller_id IS NULL
              AND (paused_at IS NOT NULL) <> :paused
            RETURNING code
            """,
            coupon_id=coupon_id,
            paused=paused,
        )
        if row is None:
            raise AdminRefused("This coupon is paused already." if paused else "This coupon is running already.")
        audit.record(
            conn,
            actor,
            "coupon.pause" if paused else "coupon.resume",
            "coupon",
            coupon_id,
            before={"paused": not paused},
            after={"paused": paused},
            reason=reason,
        )
    return row["code"]


def get_platform_coupon_id(code: str) -> int | None:
    """The id of the platform's coupon with this code (any case), or None."""
    return db.value(
        "SELECT id FROM coupons WHERE code = :code AND seller_id IS NULL",
        code=coupon.normalize_code(code),
    )


# The rows a coupon may name: a seller (a user) to narrow to, or listed products.
_NAMED_ROWS = {
    "users": "SELECT FROM users AS t WHERE t.id = wanted.id",
    "products": "SELECT FROM products AS t WHERE t.id = wanted.id",
}


def missing_ids(table: str, ids: list[int]) -> list[int]:
    """Which of these ids have no row in `table` ("users" or "products"): a coupon names only real ones."""
    rows = db.all(
        f"""
        SELECT wanted.id
        FROM unnest(CAST(:ids AS bigint[])) AS wanted(id)
        WHERE NOT EXISTS ({_NAMED_ROWS[table]})
        ORDER BY wanted.id
        """,  # noqa: S608 - a fixed subquery from an allow-list
        ids=ids,
    )
    return [row["id"] for row in rows]
