"""The audit log refuses TRUNCATE too: it was append-only for UPDATE and DELETE (0008), row by row,
but TRUNCATE fires no row trigger, so one statement could still empty it.

Revision 0019_audit_log_no_truncate, after 0018_points_filled_below_zero. A statement-level BEFORE
TRUNCATE trigger runs the same refusal as 0008's row trigger (TG_OP names the statement), also when
the log is truncated with other tables or through a foreign key's CASCADE. Loading demo data
(db/generated/build.py) disables triggers for its load as before, and the tests' clean-up disables
this one for its own TRUNCATE of every table; nothing else truncates.
"""

from alembic import op

revision = "0019_audit_log_no_truncate"
down_revision = "0018_points_filled_below_zero"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TRIGGER audit_log_no_truncate
        BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
        """
    )
