"""Top-ups and withdrawals carry the form's one-time token, so a double-submitted form applies once.

The column is nullable (checkout, sales and refunds have their purchase for that), and the unique
index is built CONCURRENTLY so a big ledger keeps taking writes while it builds.
"""

from alembic import op

revision = "0007_balance_request_tokens"
down_revision = "0005_email_verification"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE balance_ledger ADD COLUMN request_token uuid")
    with op.get_context().autocommit_block():
        op.execute(
            """
            CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS balance_ledger_request_token_key
            ON balance_ledger (user_id, request_token)
            WHERE request_token IS NOT NULL
            """
        )
