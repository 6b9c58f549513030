"""An index for a seller's whole stock history, newest first (GET /api/v1/inventory-events).

Revision 0022_inventory_events_seller_idx, after 0021_offline_sales. The baseline's
inventory_events_offer_idx leads with (seller_id, product_id), which serves one product's history;
without a product the API's page would read and sort every event of the seller. Built
CONCURRENTLY, so a live site keeps writing stock events meanwhile.
"""

from alembic import op

revision = "0022_inventory_events_seller_idx"
down_revision = "0021_offline_sales"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS inventory_events_seller_idx ON inventory_events (seller_id, id)"
        )
