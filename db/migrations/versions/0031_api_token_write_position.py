"""Read-your-writes for API clients (issue 22): each token remembers the primary's WAL position after
its last request that wrote.

Revision 0031_api_token_write_position, after 0030_sales_filters. Expand only: a nullable column, no
rewrite. An API client has no session cookie to carry the position (as pages do, app/replicas.py),
so the token's row keeps it: the token check reads it in the statement it runs anyway, and a later
GET reads from a replica only once that replica has replayed past it.
"""

from alembic import op

revision = "0031_api_token_write_position"
down_revision = "0030_sales_filters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE api_tokens ADD COLUMN last_write_lsn pg_lsn")


def downgrade() -> None:
    op.execute("ALTER TABLE api_tokens DROP COLUMN last_write_lsn")
