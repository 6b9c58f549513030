"""Coupons: codes that take money off a purchase, issued by a seller (for their own offers, funded
by them) or by the platform (funded by it), and the record of their uses.

A coupon's limits (total uses, uses per buyer) are checked under its row lock: checkout locks the
coupons it applies after offers and products and before users (app/models/locks.py), reads their
`uses` and the buyer's own uses under that lock, and writes the use in the same transaction, so of
fifty buyers racing for the last ten uses exactly ten get the discount. Cancelling a whole purchase
restores its uses under the same lock. What a coupon takes off which line is pricing.py's business;
putting it together at checkout is promotion.py's.
"""

import re
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from app import db
from app.templating import local_time, money

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,30}[A-Z0-9]$")  # the schema's check, on upper case
MAX_COUPONS_PER_PURCHASE = 10  # one per seller and one of the platform's: more is never useful


def normalize_code(raw: str | None) -> str:
    """A code as stored: upper case, no surrounding space (codes ignore case)."""
    return (raw or "").strip().upper()


def is_well_formed(code: str) -> bool:
    """Whether a normalized code could be a coupon's (3 to 32 letters, digits, - or _)."""
    return bool(CODE_PATTERN.match(code))


# What the cart, checkout and the pages need of a coupon, with the names its messages use.
COLUMNS = """
    c.id, c.code, c.seller_id, issuer.full_name AS seller_name, c.description,
    c.percent_off, c.amount_off, c.min_spend, c.scope_seller_id, scope_seller.full_name AS scope_seller_name,
    c.scope_category_id, category.name AS scope_category_name, c.scope_product_ids,
    c.starts_at, c.ends_at, c.max_uses, c.per_buyer_limit, c.uses, c.for_thanks, c.paused_at, c.created_at
"""
JOINS = """
    LEFT JOIN users AS issuer ON issuer.id = c.seller_id
    LEFT JOIN users AS scope_seller ON scope_seller.id = c.scope_seller_id
    LEFT JOIN categories AS category ON category.id = c.scope_category_id
"""


def list_by_codes(codes: list[str]):
    """The coupons with these (normalized) codes, unlocked: what the cart page shows."""
    return db.all(
        f"""
        SELECT {COLUMNS}
        FROM coupons AS c {JOINS}
        WHERE c.code = ANY(:codes)
        ORDER BY c.id
        """,  # noqa: S608 - fixed column and join lists
        codes=list(codes),
    )


def lock_by_codes(conn: Connection, codes: list[str]):
    """Lock the coupons with these codes, in id order (locks.py: after products, before users)."""
    return db.fetch_all(
        conn,
        f"""
        SELECT {COLUMNS}
        FROM coupons AS c {JOINS}
        WHERE c.code = ANY(:codes)
        ORDER BY c.id
        FOR NO KEY UPDATE OF c
        """,  # noqa: S608 - fixed column and join lists
        codes=list(codes),
    )


def lock_used_by_purchase(conn: Connection, purchase_id: int) -> list[int]:
    """Lock the coupons a purchase still uses, in id order; return their ids."""
    rows = db.fetch_all(
        conn,
        """
        SELECT c.id
        FROM coupons AS c
        JOIN coupon_uses AS u ON u.coupon_id = c.id
        WHERE u.purchase_id = :purchase_id
          AND u.restored_at IS NULL
        ORDER BY c.id
        FOR NO KEY UPDATE OF c
        """,
        purchase_id=purchase_id,
    )
    return [row["id"] for row in rows]


def buyer_standing(conn: Connection | None, buyer_id: int | None, coupon_ids: list[int]) -> dict[int, dict]:
    """For each coupon: how many uses the buyer has made of it, and whether it was given to them."""
    if buyer_id is None or not coupon_ids:
        return {}
    sql = """
        SELECT c.id,
               (SELECT count(*) FROM coupon_uses AS u
                WHERE u.coupon_id = c.id AND u.buyer_id = :buyer_id AND u.restored_at IS NULL) AS uses,
               EXISTS (SELECT FROM coupon_grants AS g WHERE g.coupon_id = c.id AND g.buyer_id = :buyer_id) AS granted
        FROM coupons AS c
        WHERE c.id = ANY(:ids)
    """
    params = {"buyer_id": buyer_id, "ids": coupon_ids}
    rows = db.fetch_all(conn, sql, **params) if conn is not None else db.all(sql, **params)
    return {row["id"]: {"uses": row["uses"], "granted": row["granted"]} for row in rows}


def why_not_usable(coupon, standing: dict | None, now: datetime) -> str | None:
    """Why the buyer cannot use the coupon at all (whatever is in the cart), or None if they can."""
    code = coupon["code"]
    standing = standing or {"uses": 0, "granted": False}
    if coupon["paused_at"] is not None:
        return f"{code} is paused by {_issuer(coupon)}."
    if now < coupon["starts_at"]:
        return f"{code} has not started yet: it starts {local_time(coupon['starts_at'])}."
    if coupon["ends_at"] is not None and now >= coupon["ends_at"]:
        return f"{code} has expired: it ended {local_time(coupon['ends_at'])}."
    if coupon["for_thanks"] and not standing["granted"]:
        return f"{code} is a thank-you coupon for other buyers: only those it was given to can use it."
    if coupon["max_uses"] is not None and coupon["uses"] >= coupon["max_uses"]:
        return f"{code} has been used up: all {coupon['max_uses']:,} of its uses are taken."
    if standing["uses"] >= coupon["per_buyer_limit"]:
        if coupon["per_buyer_limit"] == 1:
            return f"You have already used {code}: it is once per buyer."
        return f"You have already used {code} {coupon['per_buyer_limit']} times, as often as it allows."
    return None


def status_now(coupon, now: datetime) -> str:
    """One word for a coupon's state at `now`: paused, scheduled, expired, used up or running."""
    if coupon["paused_at"] is not None:
        return "paused"
    if now < coupon["starts_at"]:
        return "scheduled"
    if coupon["ends_at"] is not None and now >= coupon["ends_at"]:
        return "expired"
    if coupon["max_uses"] is not None and coupon["uses"] >= coupon["max_uses"]:
        return "used up"
    return "running"


def why_not_applicable(coupon, reason: str, short: Decimal) -> str:
    """The sentence for pricing.DoesNotApply: which items the coupon is for, or how much is missing."""
    code = coupon["code"]
    if reason == "scope":
        return f"{code} is not for anything in your cart: it is for {describe_scope(coupon)}."
    if reason == "minimum":
        return (
            f"{code} needs {money(coupon['min_spend'])} spent on {describe_scope(coupon)}: "
            f"add {money(short)} more to use it."
        )
    return f"{code} takes nothing off the items it covers in your cart."


def _issuer(coupon) -> str:
    return coupon["seller_name"] if coupon["seller_id"] is not None else "Bazaar"


def describe_scope(coupon) -> str:
    """What a coupon covers, in words: "Ann's items in Kitchen", "everything", "3 listed products"."""
    if coupon["scope_product_ids"]:
        count = len(coupon["scope_product_ids"])
        what = "one listed product" if count == 1 else f"{count} listed products"
    elif coupon["scope_category_id"] is not None:
        what = f"items in {coupon['scope_category_name']}"
    else:
        what = "items" if coupon["seller_id"] is not None or coupon["scope_seller_id"] is not None else "everything"
    seller = coupon["seller_name"] if coupon["seller_id"] is not None else coupon["scope_seller_name"]
    if seller is None:
        return what
    return f"{seller}'s {what}" if what != "everything" else f"{seller}'s items"


def describe_discount(coupon) -> str:
    """ "15% off" or "$5.00 off"."""
    if coupon["percent_off"] is not None:
        return f"{coupon['percent_off'].normalize():f}% off"
    return f"{money(coupon['amount_off'])} off"


def record_uses(conn: Connection, purchase_id: int, buyer_id: int, discounts: dict[int, Decimal]) -> None:
    """Write the purchase's coupon uses and count them on their (locked) coupons."""
    if not discounts:
        return
    db.execute(
        conn,
        """
        WITH used AS (
            INSERT INTO coupon_uses (coupon_id, purchase_id, buyer_id, discount)
            SELECT use.coupon_id, :purchase_id, :buyer_id, use.discount
            FROM unnest(CAST(:coupon_ids AS bigint[]), CAST(:discounts AS numeric[])) AS use(coupon_id, discount)
            ORDER BY use.coupon_id
            RETURNING coupon_id
        )
        UPDATE coupons AS c
        SET uses = c.uses + 1
        FROM used
        WHERE c.id = used.coupon_id
        """,
        purchase_id=purchase_id,
        buyer_id=buyer_id,
        coupon_ids=list(discounts),
        discounts=list(discounts.values()),
    )


def restore_uses(conn: Connection, purchase_id: int) -> int:
    """The whole purchase was cancelled: its coupon uses stop counting (coupons locked by the caller)."""
    return db.execute(
        conn,
        """
        WITH restored AS (
            UPDATE coupon_uses
            SET restored_at = now()
            WHERE purchase_id = :purchase_id
              AND restored_at IS NULL
            RETURNING coupon_id
        )
        UPDATE coupons AS c
        SET uses = c.uses - 1
        FROM restored
        WHERE c.id = restored.coupon_id
        """,
        purchase_id=purchase_id,
    )


def give_thanks(conn: Connection, buyer_id: int, purchase_id: int, seller_ids: list[int]) -> int:
    """Give the buyer the running thank-you coupons of these sellers and of the platform; return how many."""
    return db.execute(
        conn,
        """
        INSERT INTO coupon_grants (buyer_id, coupon_id, purchase_id)
        SELECT :buyer_id, c.id, :purchase_id
        FROM coupons AS c
        WHERE c.for_thanks
          AND c.paused_at IS NULL
          AND (c.seller_id IS NULL OR c.seller_id = ANY(:seller_ids))
          AND c.starts_at <= now()
          AND (c.ends_at IS NULL OR c.ends_at > now())
        ORDER BY c.id
        ON CONFLICT (buyer_id, coupon_id) DO NOTHING
        """,
        buyer_id=buyer_id,
        purchase_id=purchase_id,
        seller_ids=sorted(set(seller_ids)),
    )


def list_given_to_buyer(buyer_id: int):
    """The thank-you coupons given to the buyer, newest first, with their uses by the buyer."""
    return db.all(
        f"""
        SELECT {COLUMNS}, g.granted_at, g.purchase_id AS granted_for,
               (SELECT count(*) FROM coupon_uses AS u
                WHERE u.coupon_id = c.id AND u.buyer_id = :buyer_id AND u.restored_at IS NULL) AS my_uses
        FROM coupon_grants AS g
        JOIN coupons AS c ON c.id = g.coupon_id {JOINS}
        WHERE g.buyer_id = :buyer_id
        ORDER BY g.granted_at DESC, c.id DESC
        """,  # noqa: S608 - fixed column and join lists
        buyer_id=buyer_id,
    )


def list_used_by_buyer(buyer_id: int, limit: int = 50):
    """The buyer's coupon uses, newest first."""
    return db.all(
        """
        SELECT u.purchase_id, u.discount, u.created_at, u.restored_at, c.code, c.seller_id,
               issuer.full_name AS seller_name
        FROM coupon_uses AS u
        JOIN coupons AS c ON c.id = u.coupon_id
        LEFT JOIN users AS issuer ON issuer.id = c.seller_id
        WHERE u.buyer_id = :buyer_id
        ORDER BY u.id DESC
        LIMIT :limit
        """,
        buyer_id=buyer_id,
        limit=limit,
    )


class CodeTaken(Exception):
    """Another coupon has this code (codes are unique, ignoring case)."""


def create_coupon(seller_id: int | None, code: str, **fields) -> int:
    """Create a coupon of a seller (or of the platform, seller_id None); return its id or raise CodeTaken."""
    with db.transaction() as conn:
        return insert_coupon(conn, seller_id, code, **fields)


def insert_coupon(
    conn: Connection,
    seller_id: int | None,
    code: str,
    *,
    description: str = "",
    percent_off: Decimal | None = None,
    amount_off: Decimal | None = None,
    min_spend: Decimal = Decimal("0.00"),
    scope_seller_id: int | None = None,
    scope_category_id: int | None = None,
    scope_product_ids: list[int] | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    max_uses: int | None = None,
    per_buyer_limit: int = 1,
    for_thanks: bool = False,
) -> int:
    """Write a coupon in the caller's transaction; return its id or raise CodeTaken (the code is in use)."""
    try:
        return db.fetch_one(
            conn,
            """
            INSERT INTO coupons (code, seller_id, description, percent_off, amount_off, min_spend,
                                 scope_seller_id, scope_category_id, scope_product_ids, starts_at, ends_at,
                                 max_uses, per_buyer_limit, for_thanks)
            VALUES (:code, :seller_id, :description, :percent_off, :amount_off, :min_spend,
                    :scope_seller_id, :scope_category_id, CAST(:scope_product_ids AS bigint[]),
                    coalesce(:starts_at, now()), :ends_at, :max_uses, :per_buyer_limit, :for_thanks)
            RETURNING id
            """,
            code=normalize_code(code),
            seller_id=seller_id,
            description=description,
            percent_off=percent_off,
            amount_off=amount_off,
            min_spend=min_spend,
            scope_seller_id=scope_seller_id,
            scope_category_id=scope_category_id,
            scope_product_ids=sorted(set(scope_product_ids)) if scope_product_ids else None,
            starts_at=starts_at,
            ends_at=ends_at,
            max_uses=max_uses,
            per_buyer_limit=per_buyer_limit,
            for_thanks=for_thanks,
        )["id"]
    except IntegrityError as error:
        if getattr(error.orig.diag, "constraint_name", None) == "coupons_code_key":
            raise CodeTaken() from None
        raise


def get_coupon(coupon_id: int, seller_id: int | None):
    """The coupon if it is this seller's (None: the platform's), else None."""
    return db.one(
        f"""
        SELECT {COLUMNS}
        FROM coupons AS c {JOINS}
        WHERE c.id = :coupon_id
          AND c.seller_id IS NOT DISTINCT FROM :seller_id
        """,  # noqa: S608 - fixed column and join lists
        coupon_id=coupon_id,
        seller_id=seller_id,
    )


def set_paused(coupon_id: int, seller_id: int | None, paused: bool) -> bool:
    """Pause or resume the issuer's coupon; False if it is not theirs."""
    return (
        db.run(
            """
            UPDATE coupons
            SET paused_at = CASE WHEN :paused THEN coalesce(paused_at, now()) END
            WHERE id = :coupon_id
              AND seller_id IS NOT DISTINCT FROM :seller_id
            """,
            coupon_id=coupon_id,
            seller_id=seller_id,
            paused=paused,
        )
        == 1
    )


# What an issuer's coupon has given: the discounts on its lines that were not cancelled.
_GIVEN = """
    SELECT coalesce(sum(CASE WHEN c.seller_id IS NULL THEN o.platform_discount ELSE o.seller_discount END), 0)
    FROM orders AS o
    WHERE (o.seller_coupon_id = c.id OR o.platform_coupon_id = c.id)
      AND o.cancelled_at IS NULL
"""


def list_issued(seller_id: int | None):
    """The issuer's coupons (a seller's, or the platform's), newest first, with the discount given."""
    return db.all(
        f"""
        SELECT {COLUMNS}, ({_GIVEN}) AS discount_given
        FROM coupons AS c {JOINS}
        WHERE c.seller_id IS NOT DISTINCT FROM :seller_id
        ORDER BY c.id DESC
        """,  # noqa: S608 - fixed column, join and subquery text
        seller_id=seller_id,
    )


def get_discount_given(coupon_id: int) -> Decimal:
    """What the coupon has taken off lines that were not cancelled."""
    return db.value(
        f"SELECT ({_GIVEN}) FROM coupons AS c WHERE c.id = :coupon_id",  # noqa: S608 - a fixed subquery
        coupon_id=coupon_id,
    )


def count_uses(coupon_id: int) -> int:
    """How many uses the coupon has had, restored ones included."""
    return db.value("SELECT count(*) FROM coupon_uses WHERE coupon_id = :coupon_id", coupon_id=coupon_id)


def list_uses(coupon_id: int, limit: int, offset: int):
    """One page of the coupon's uses, newest first, with the buyer's name."""
    return db.all(
        """
        SELECT u.purchase_id, u.discount, u.created_at, u.restored_at, b.full_name AS buyer_name
        FROM coupon_uses AS u
        JOIN users AS b ON b.id = u.buyer_id
        WHERE u.coupon_id = :coupon_id
        ORDER BY u.id DESC
        LIMIT :limit OFFSET :offset
        """,
        coupon_id=coupon_id,
        limit=limit,
        offset=offset,
    )


def offered_products(seller_id: int, product_ids: list[int]) -> set[int]:
    """Which of these products the seller offers (active or not): a seller's coupon may list only those."""
    rows = db.all(
        "SELECT product_id FROM offers WHERE seller_id = :seller_id AND product_id = ANY(:product_ids)",
        seller_id=seller_id,
        product_ids=product_ids,
    )
    return {row["product_id"] for row in rows}
