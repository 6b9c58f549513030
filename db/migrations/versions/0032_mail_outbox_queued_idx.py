"""An index for the e-mail outbox's queued messages (the /metrics outbox depth, app/metrics.py).

Revision 0032_mail_outbox_queued_idx, after 0031_api_token_write_position. The outbox keeps delivered
messages for 30 days; counting the few still queued at every scrape would otherwise read them all.
Partial, so it holds only the queued rows; built CONCURRENTLY, so a live site keeps sending mail.
"""

from alembic import op

revision = "0032_mail_outbox_queued_idx"
down_revision = "0031_api_token_write_position"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS mail_outbox_queued_idx"
            " ON mail_outbox (created_at) WHERE status = 'queued'"
        )
