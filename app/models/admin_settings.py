"""Console switches kept in PostgreSQL (site_settings), so every app server reads the same."""

from app import db
from app.models import audit


def is_enabled(name: str) -> bool:
    """Whether a switch (e.g. 'product_approval') is on; a switch never set is off."""
    return bool(db.value("SELECT enabled FROM site_settings WHERE name = :name", name=name))


def set_enabled(name: str, enabled: bool, actor: audit.Actor) -> bool:
    """Turn a switch on or off; False if it was so already."""
    with db.transaction() as conn:
        before = db.fetch_one(conn, "SELECT enabled FROM site_settings WHERE name = :name FOR UPDATE", name=name)
        if bool(before and before["enabled"]) == enabled:
            return False
        db.execute(
            conn,
            """
            INSERT INTO site_settings (name, enabled, updated_at, updated_by)
            VALUES (:name, :enabled, now(), :actor_id)
            ON CONFLICT (name) DO UPDATE
            SET enabled = EXCLUDED.enabled, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            """,
            name=name,
            enabled=enabled,
            actor_id=actor.user_id,
        )
        audit.record(
            conn,
            actor,
            "setting." + ("enable" if enabled else "disable"),
            "setting",
            None,
            before={"name": name, "enabled": bool(before and before["enabled"])},
            after={"name": name, "enabled": enabled},
        )
    return True
