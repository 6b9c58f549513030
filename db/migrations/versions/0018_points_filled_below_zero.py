"""Points that come in while a balance is below zero may leave it below zero: they fill it.

Revision 0018_points_filled_below_zero, after 0017_hide_conflicted_reviews. 0012 allowed only a
reversal to leave a balance below zero (points a refunded line earned, spent already), but refused
every other row doing so: the next delivery of that buyer earning fewer points than were owed broke
points_ledger_balance_check, so confirming receipt failed, and so did the delivery job's whole batch
on every run. Now a row that adds points (an earning, a refund of points) may leave it below zero
too; rows that take points away other than a reversal (spend, expire) still may not. The new rule
is looser than the old one, so every existing row keeps to it (checking them is one read of the
ledger, under the lock the constraint change takes anyway).
"""

from alembic import op

revision = "0018_points_filled_below_zero"
down_revision = "0017_hide_conflicted_reviews"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE points_ledger DROP CONSTRAINT points_ledger_balance_check;
        ALTER TABLE points_ledger ADD CONSTRAINT points_ledger_balance_check
            CHECK (balance_after >= 0 OR kind = 'reverse' OR points > 0);
        """
    )
