"""The audit log: who did what in the console, to what, before and after, when and from where.

Append-only: rows are only ever inserted (in the transaction of the change they describe, so
a change and its record commit together), and a trigger refuses UPDATE and DELETE.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection

from app import db
from app.models.admin_query import Listing, conditions, order_by

COMMAND_LINE = "command line"


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in moderator or administrator, or the command line (user_id None)."""

    user_id: int | None
    role: str
    ip_address: str = ""


def _json_default(value):
    """JSON for what rows hold besides JSON's own types: money, times."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot record {type(value).__name__} in the audit log")


def _as_json(snapshot) -> str | None:
    return None if snapshot is None else json.dumps(dict(snapshot), default=_json_default, sort_keys=True)


def record(
    conn: Connection,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: int | None,
    *,
    before=None,
    after=None,
    reason: str = "",
) -> None:
    """Write one audit row in the caller's transaction."""
    db.execute(
        conn,
        """
        INSERT INTO audit_log (actor_id, actor_role, action, target_type, target_id, reason, before, after, ip_address)
        VALUES (:actor_id, :actor_role, :action, :target_type, :target_id, :reason,
                CAST(:before AS jsonb), CAST(:after AS jsonb), :ip_address)
        """,
        actor_id=actor.user_id,
        actor_role=actor.role,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        before=_as_json(before),
        after=_as_json(after),
        ip_address=actor.ip_address[:64],
    )


SORTS = {"when": "a.created_at", "action": "a.action", "actor": "actor.full_name"}
FILTERS = {
    "target_type": {
        name: f"a.target_type = '{name}'"
        for name in ("user", "product", "department", "category", "product_review", "seller_review")
        + ("feedback", "review_report", "setting", "coupon")
    },
    "role": {
        "administrator": "a.actor_role = 'administrator'",
        "moderator": "a.actor_role = 'moderator'",
        "command line": "a.actor_role = 'command line'",
    },
}

_MATCHES = """
    (CAST(:pattern AS text) IS NULL
     OR a.action ILIKE :pattern ESCAPE '\\'
     OR a.reason ILIKE :pattern ESCAPE '\\'
     OR actor.full_name ILIKE :pattern ESCAPE '\\')
    AND (CAST(:actor_id AS bigint) IS NULL OR a.actor_id = :actor_id)
    AND (CAST(:target_id AS bigint) IS NULL OR a.target_id = :target_id)
    AND (CAST(:since AS date) IS NULL OR a.created_at >= CAST(:since AS date))
    AND (CAST(:until AS date) IS NULL OR a.created_at < CAST(:until AS date) + 1)
"""


@dataclass(frozen=True)
class AuditFilters:
    """The audit page's filters beyond the Listing's: an actor, a target id, a date range (UTC days)."""

    actor_id: int | None = None
    target_id: int | None = None
    since: date | None = None
    until: date | None = None

    def params(self, listing: Listing) -> dict:
        pattern = db.contains_pattern(listing.search) if listing.search else None
        return {
            "pattern": pattern,
            "actor_id": self.actor_id,
            "target_id": self.target_id,
            "since": self.since,
            "until": self.until,
        }


def list_entries(listing: Listing, extra: AuditFilters, limit: int, offset: int):
    """One page of audit rows, with the actor's name."""
    return db.all(
        f"""
        SELECT a.id, a.created_at, a.actor_id, actor.full_name AS actor_name, actor.email AS actor_email,
               a.actor_role, a.action, a.target_type, a.target_id, a.reason,
               a.before::text AS before, a.after::text AS after, a.ip_address
        FROM audit_log AS a
        LEFT JOIN users AS actor ON actor.id = a.actor_id
        WHERE {conditions(FILTERS, listing, _MATCHES)}
        ORDER BY {order_by(SORTS, listing, "a.id")}
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - fixed fragments from allow-lists, values bound
        **extra.params(listing),
        limit=limit,
        offset=offset,
    )


def count_entries(listing: Listing, extra: AuditFilters) -> int:
    """How many audit rows match."""
    return db.value(
        f"""
        SELECT count(*)
        FROM audit_log AS a
        LEFT JOIN users AS actor ON actor.id = a.actor_id
        WHERE {conditions(FILTERS, listing, _MATCHES)}
        """,  # noqa: S608 - fixed fragments from allow-lists, values bound
        **extra.params(listing),
    )


def list_for_target(target_type: str, target_id: int, limit: int):
    """The newest audit rows about one thing (a user's page shows its history)."""
    return db.all(
        """
        SELECT a.id, a.created_at, a.actor_id, actor.full_name AS actor_name, a.actor_role,
               a.action, a.reason
        FROM audit_log AS a
        LEFT JOIN users AS actor ON actor.id = a.actor_id
        WHERE a.target_type = :target_type
          AND a.target_id = :target_id
        ORDER BY a.id DESC
        LIMIT :limit
        """,
        target_type=target_type,
        target_id=target_id,
        limit=limit,
    )
