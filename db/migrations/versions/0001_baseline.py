"""Baseline: the schema, triggers and indexes that wave 1 created from db/schema.sql & co.

A database made by that code (tables present, no alembic_version) is stamped at this
revision without running it (db/manage.py `adopt_legacy`).
"""

from pathlib import Path

from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

BASELINE = Path(__file__).resolve().parent.parent / "baseline"


def upgrade() -> None:
    for name in ("schema.sql", "functions.sql", "indexes.sql"):
        op.execute((BASELINE / name).read_text())
