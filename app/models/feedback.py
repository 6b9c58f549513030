"""Site feedback: what users send through "Send feedback", and its handling in the console."""

from app import db
from app.models import audit, rate_limit
from app.models.admin_query import AdminRefused, Listing, conditions, order_by, search_id, search_pattern

KINDS = {"suggestion": "Suggestion", "problem": "Problem"}
PER_ACCOUNT = rate_limit.Limit("feedback", 10, 60 * 60)  # plenty for a person, little for a script
SORTS = {"sent": "f.created_at", "closed": "f.closed_at", "kind": "f.kind"}
FILTERS = {
    "status": {"open": "f.closed_at IS NULL", "closed": "f.closed_at IS NOT NULL"},
    "kind": {kind: f"f.kind = '{kind}'" for kind in KINDS},
}
_MATCHES = """
    (CAST(:pattern AS text) IS NULL
     OR f.id = :feedback_id
     OR f.subject ILIKE :pattern ESCAPE '\\'
     OR f.body ILIKE :pattern ESCAPE '\\'
     OR u.full_name ILIKE :pattern ESCAPE '\\')
"""


def _params(listing: Listing) -> dict:
    return {"pattern": search_pattern(listing), "feedback_id": search_id(listing)}


def send_feedback(user_id: int, kind: str, subject: str, body: str, page: str) -> int:
    """Store a user's feedback, counted against PER_ACCOUNT; return its id.

    Raises rate_limit.Limited when the account has sent its share lately; then nothing is stored.
    """
    with db.transaction() as conn:
        if wait := rate_limit.hit(conn, PER_ACCOUNT, str(user_id)):
            raise rate_limit.Limited(wait)
        return db.fetch_one(
            conn,
            """
            INSERT INTO feedback (user_id, kind, subject, body, page)
            VALUES (:user_id, :kind, :subject, :body, :page)
            RETURNING id
            """,
            user_id=user_id,
            kind=kind,
            subject=subject,
            body=body,
            page=page[:500],
        )["id"]


def list_own_feedback(user_id: int, limit: int):
    """What the user sent, newest first, with the answer if it is closed."""
    return db.all(
        """
        SELECT id, kind, subject, created_at, closed_at, response
        FROM feedback
        WHERE user_id = :user_id
        ORDER BY created_at DESC, id DESC
        LIMIT :limit
        """,
        user_id=user_id,
        limit=limit,
    )


def list_feedback(listing: Listing, limit: int, offset: int):
    """One page of feedback with its sender and who closed it."""
    return db.all(
        f"""
        SELECT f.id, f.kind, f.subject, f.body, f.page, f.created_at, f.closed_at, f.response,
               f.user_id, u.full_name AS user_name, u.email AS user_email,
               f.closed_by, closer.full_name AS closed_by_name
        FROM feedback AS f
        JOIN users AS u ON u.id = f.user_id
        LEFT JOIN users AS closer ON closer.id = f.closed_by
        WHERE {conditions(FILTERS, listing, _MATCHES)}
        ORDER BY {order_by(SORTS, listing, "f.id")}
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - fixed fragments from allow-lists, values bound
        **_params(listing),
        limit=limit,
        offset=offset,
    )


def count_feedback(listing: Listing) -> int:
    """How many feedback rows match."""
    return db.value(
        f"""
        SELECT count(*)
        FROM feedback AS f
        JOIN users AS u ON u.id = f.user_id
        WHERE {conditions(FILTERS, listing, _MATCHES)}
        """,  # noqa: S608 - fixed fragments from allow-lists, values bound
        **_params(listing),
    )


def exists(feedback_id: int) -> bool:
    return db.value("SELECT EXISTS (SELECT 1 FROM feedback WHERE id = :id)", id=feedback_id)


def count_open() -> int:
    """How much feedback waits for an answer."""
    return db.value("SELECT count(*) FROM feedback WHERE closed_at IS NULL")


def close_feedback(feedback_id: int, response: str, actor: audit.Actor) -> None:
    """Close feedback with a note (the sender sees it); raise AdminRefused if closed already or gone."""
    with db.transaction() as conn:
        closed = db.execute(
            conn,
            """
            UPDATE feedback
            SET closed_at = now(), closed_by = :actor_id, response = :response
            WHERE id = :id
              AND closed_at IS NULL
            """,
            id=feedback_id,
            actor_id=actor.user_id,
            response=response,
        )
        if not closed:
            raise AdminRefused("This feedback is closed already.")
        audit.record(conn, actor, "feedback.close", "feedback", feedback_id, after={"response": response})


def reopen_feedback(feedback_id: int, actor: audit.Actor) -> None:
    """Open closed feedback again; raise AdminRefused if it is open or gone."""
    with db.transaction() as conn:
        before = db.fetch_one(
            conn,
            """
            UPDATE feedback AS f
            SET closed_at = NULL, closed_by = NULL, response = NULL
            FROM (SELECT id, response FROM feedback WHERE id = :id AND closed_at IS NOT NULL FOR UPDATE) AS old
            WHERE f.id = old.id
            RETURNING old.response
            """,
            id=feedback_id,
        )
        if before is None:
            raise AdminRefused("This feedback is open already.")
        audit.record(conn, actor, "feedback.reopen", "feedback", feedback_id, before=before)
