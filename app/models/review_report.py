"""Reports of reviews and what moderators do with them: hide or restore a review, dismiss its reports.

A user reports a review with a reason; the report stays open until a moderator hides the review
(its open reports close as 'hidden') or dismisses them. A hidden review leaves its product's or
seller's rating through the rating triggers (migration 0009), so hiding a product review locks
the product first, as every review writer does (app/models/locks.py).
"""

from app import db
from app.models import audit, locks, rate_limit
from app.models.admin_query import AdminRefused, Listing, conditions, order_by
from app.models.review import KINDS

REASONS = {
    "spam": "Spam or advertising",
    "offensive": "Offensive or abusive",
    "conflict_of_interest": "Written by the seller or someone paid by them",
    "off_topic": "Not about the product or seller",
    "other": "Something else",
}
REPORT_COLUMNS = {"product": "product_review_id", "seller": "seller_review_id"}
PER_ACCOUNT = rate_limit.Limit("review-report", 20, 60 * 60)  # a reader's share; a script's flood waits


class ReportRefused(Exception):
    """The report was not taken; the message says why, for the user."""


def report_review(kind_name: str, review_id: int, reporter_id: int, reason: str, details: str) -> bool:
    """Report a visible review of someone else's; False if this user reported it already.

    Raises ReportRefused if the review is gone, hidden, or the reporter's own, and
    rate_limit.Limited when the reporter has sent PER_ACCOUNT reports lately (nothing is stored).
    """
    kind = KINDS[kind_name]
    column = REPORT_COLUMNS[kind_name]
    with db.transaction() as conn:
        review = db.fetch_one(
            conn,
            f"SELECT author_id, hidden_at FROM {kind.reviews} WHERE id = :id",  # noqa: S608 - allow-listed table
            id=review_id,
        )
        if review is None or review["hidden_at"] is not None:
            raise ReportRefused("That review is no longer shown.")
        if review["author_id"] == reporter_id:
            raise ReportRefused("You cannot report your own review.")
        if wait := rate_limit.hit(conn, PER_ACCOUNT, str(reporter_id)):
            raise rate_limit.Limited(wait)
        return (
            db.execute(
                conn,
                f"""
                INSERT INTO review_reports ({column}, reporter_id, reason, details)
                VALUES (:review_id, :reporter_id, :reason, :details)
                ON CONFLICT ({column}, reporter_id) DO NOTHING
                """,  # noqa: S608 - allow-listed column
                review_id=review_id,
                reporter_id=reporter_id,
                reason=reason,
                details=details,
            )
            == 1
        )


# The moderation list starts from reports and hidden reviews (both few), never from all reviews.
_MODERATED = """
    WITH report_counts AS (
        SELECT CASE WHEN product_review_id IS NOT NULL THEN 'product' ELSE 'seller' END AS kind,
               coalesce(product_review_id, seller_review_id) AS review_id,
               count(*) FILTER (WHERE resolved_at IS NULL) AS open_reports,
               count(*) AS reports,
               max(created_at) AS last_reported_at,
               string_agg(DISTINCT reason, ',' ORDER BY reason) AS reasons
        FROM review_reports
        GROUP BY 1, 2
    ),
    candidates AS (
        SELECT kind, review_id FROM report_counts
        UNION
        SELECT 'product', id FROM product_reviews WHERE hidden_at IS NOT NULL
        UNION
        SELECT 'seller', id FROM seller_reviews WHERE hidden_at IS NOT NULL
    )
    SELECT c.kind, c.review_id,
           coalesce(rc.open_reports, 0) AS open_reports, coalesce(rc.reports, 0) AS reports,
           rc.last_reported_at, coalesce(rc.reasons, '') AS reasons,
           coalesce(pr.rating, sr.rating) AS rating,
           coalesce(pr.title, sr.title) AS title,
           coalesce(pr.body, sr.body) AS body,
           coalesce(pr.hidden_at, sr.hidden_at) AS hidden_at,
           coalesce(pr.hidden_reason, sr.hidden_reason) AS hidden_reason,
           coalesce(pr.created_at, sr.created_at) AS created_at,
           author.id AS author_id, author.full_name AS author_name,
           coalesce(p.id, seller.id) AS subject_id,
           coalesce(p.name, seller.full_name) AS subject_name
    FROM candidates AS c
    LEFT JOIN report_counts AS rc ON rc.kind = c.kind AND rc.review_id = c.review_id
    LEFT JOIN product_reviews AS pr ON c.kind = 'product' AND pr.id = c.review_id
    LEFT JOIN seller_reviews AS sr ON c.kind = 'seller' AND sr.id = c.review_id
    LEFT JOIN products AS p ON p.id = pr.product_id
    LEFT JOIN users AS seller ON seller.id = sr.seller_id
    JOIN users AS author ON author.id = coalesce(pr.author_id, sr.author_id)
"""
SORTS = {
    "reported": "r.last_reported_at",
    "reports": "r.open_reports",
    "written": "r.created_at",
    "hidden": "r.hidden_at",
}
FILTERS = {
    "state": {
        "open": "r.open_reports > 0",
        "hidden": "r.hidden_at IS NOT NULL",
        "dismissed": "r.open_reports = 0 AND r.hidden_at IS NULL",
    },
    "kind": {"product": "r.kind = 'product'", "seller": "r.kind = 'seller'"},
}
_MATCHES = """
    (CAST(:pattern AS text) IS NULL
     OR r.title ILIKE :pattern ESCAPE '\\'
     OR r.body ILIKE :pattern ESCAPE '\\'
     OR r.author_name ILIKE :pattern ESCAPE '\\'
     OR r.subject_name ILIKE :pattern ESCAPE '\\')
"""


def list_moderated(listing: Listing, limit: int, offset: int):
    """One page of reported or hidden reviews with their report counts."""
    return db.all(
        f"""
        SELECT r.*
        FROM ({_MODERATED}) AS r
        WHERE {conditions(FILTERS, listing, _MATCHES)}
        ORDER BY {order_by(SORTS, listing, "r.review_id")}
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - fixed fragments from allow-lists, values bound
        pattern=db.contains_pattern(listing.search) if listing.search else None,
        limit=limit,
        offset=offset,
    )


def count_moderated(listing: Listing) -> int:
    """How many reported or hidden reviews match."""
    return db.value(
        f"SELECT count(*) FROM ({_MODERATED}) AS r WHERE {conditions(FILTERS, listing, _MATCHES)}",  # noqa: S608 - fixed fragments
        pattern=db.contains_pattern(listing.search) if listing.search else None,
    )


def count_open_reports() -> int:
    """How many reports wait for a moderator."""
    return db.value("SELECT count(*) FROM review_reports WHERE resolved_at IS NULL")


def get_review(kind_name: str, review_id: int):
    """One review as a moderator sees it (hidden or not), with its subject and author; or None."""
    kind = KINDS[kind_name]
    subject = (
        "(SELECT name FROM products WHERE id = r.product_id)"
        if kind_name == "product"
        else "(SELECT full_name FROM users WHERE id = r.seller_id)"
    )
    return db.one(
        f"""
        SELECT r.id, r.{kind.subject} AS subject_id, {subject} AS subject_name, r.author_id,
               a.full_name AS author_name, r.rating, r.title, r.body, r.helpful_count,
               r.created_at, r.updated_at, r.hidden_at, r.hidden_reason
        FROM {kind.reviews} AS r
        JOIN users AS a ON a.id = r.author_id
        WHERE r.id = :id
        """,  # noqa: S608 - allow-listed table and columns
        id=review_id,
    )


def list_reports(kind_name: str, review_id: int):
    """Every report of a review, newest first, with its reporter."""
    return db.all(
        f"""
        SELECT rr.id, rr.reason, rr.details, rr.created_at, rr.resolved_at, rr.resolution,
               rr.reporter_id, u.full_name AS reporter_name
        FROM review_reports AS rr
        JOIN users AS u ON u.id = rr.reporter_id
        WHERE rr.{REPORT_COLUMNS[kind_name]} = :review_id
        ORDER BY rr.created_at DESC, rr.id DESC
        """,  # noqa: S608 - allow-listed column
        review_id=review_id,
    )


def _resolve_reports(conn, kind_name: str, review_id: int, resolution: str) -> int:
    """Close the review's open reports; return how many."""
    return db.execute(
        conn,
        f"""
        UPDATE review_reports
        SET resolved_at = now(), resolution = :resolution
        WHERE {REPORT_COLUMNS[kind_name]} = :review_id
          AND resolved_at IS NULL
        """,  # noqa: S608 - allow-listed column
        review_id=review_id,
        resolution=resolution,
    )


def _lock_review(conn, kind_name: str, review_id: int):
    """Lock a review's subject product (product reviews) and then the review; return it or None."""
    kind = KINDS[kind_name]
    review = db.fetch_one(
        conn,
        f"SELECT {kind.subject} AS subject_id FROM {kind.reviews} WHERE id = :id",  # noqa: S608 - allow-listed
        id=review_id,
    )
    if review is None:
        return None
    if kind_name == "product":
        locks.lock_products(conn, [review["subject_id"]])
    return db.fetch_one(
        conn,
        f"SELECT id, rating, hidden_at, hidden_reason FROM {kind.reviews} WHERE id = :id FOR NO KEY UPDATE",  # noqa: S608 - allow-listed
        id=review_id,
    )


@db.retry_on_conflict
def hide_review(kind_name: str, review_id: int, reason: str, actor: audit.Actor) -> int:
    """Hide a review (it leaves the averages) and close its open reports; return how many closed."""
    kind = KINDS[kind_name]
    with db.transaction() as conn:
        before = _lock_review(conn, kind_name, review_id)
        if before is None:
            raise AdminRefused("There is no such review.")
        if before["hidden_at"] is not None:
            raise AdminRefused("This review is hidden already.")
        db.execute(
            conn,
            f"UPDATE {kind.reviews} SET hidden_at = now(), hidden_reason = :reason WHERE id = :id",  # noqa: S608 - allow-listed
            id=review_id,
            reason=reason,
        )
        closed = _resolve_reports(conn, kind_name, review_id, "hidden")
        audit.record(
            conn,
            actor,
            "review.hide",
            f"{kind_name}_review",
            review_id,
            before={"hidden": False, "rating": before["rating"]},
            after={"hidden": True, "reports_closed": closed},
            reason=reason,
        )
    return closed


@db.retry_on_conflict
def restore_review(kind_name: str, review_id: int, reason: str, actor: audit.Actor) -> None:
    """Show a hidden review again (it counts in the averages again)."""
    kind = KINDS[kind_name]
    with db.transaction() as conn:
        before = _lock_review(conn, kind_name, review_id)
        if before is None:
            raise AdminRefused("There is no such review.")
        if before["hidden_at"] is None:
            raise AdminRefused("This review is not hidden.")
        db.execute(
            conn,
            f"UPDATE {kind.reviews} SET hidden_at = NULL, hidden_reason = NULL WHERE id = :id",  # noqa: S608 - allow-listed
            id=review_id,
        )
        audit.record(
            conn,
            actor,
            "review.restore",
            f"{kind_name}_review",
            review_id,
            before={"hidden": True, "hidden_reason": before["hidden_reason"]},
            after={"hidden": False},
            reason=reason,
        )


def dismiss_reports(kind_name: str, review_id: int, reason: str, actor: audit.Actor) -> int:
    """Close the review's open reports without hiding it; return how many. Raises AdminRefused if none."""
    with db.transaction() as conn:
        closed = _resolve_reports(conn, kind_name, review_id, "dismissed")
        if not closed:
            raise AdminRefused("This review has no open reports.")
        audit.record(
            conn,
            actor,
            "review.dismiss_reports",
            f"{kind_name}_review",
            review_id,
            after={"reports_closed": closed},
            reason=reason,
        )
    return closed
