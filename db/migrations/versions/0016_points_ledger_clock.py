"""points_ledger.created_at defaults to clock_timestamp(), as the other ledgers do since 0014.

Revision 0016_points_ledger_clock, after 0014_order_states_and_escrow. With now() a row took the
time its transaction began, so a checkout that began first but waited for the buyer's row lock
wrote a later id with an earlier time, and db/check.py's "time forward" invariant caught it under
concurrency. clock_timestamp() is the moment the row is written, after the lock. Rows already
written keep their times.
"""

from alembic import op

revision = "0016_points_ledger_clock"
down_revision = "0014_order_states_and_escrow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE points_ledger ALTER COLUMN created_at SET DEFAULT clock_timestamp()")
