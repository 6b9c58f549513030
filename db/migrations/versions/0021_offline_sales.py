"""Offline sales recorded through the seller API (POST /api/v1/sales, issue 19).

Revision 0021_offline_sales, after 0020_api_tokens. Expand only:
- inventory_events may have the reason 'offline sale' (a stock decrement with no order line:
  the seller sold units elsewhere, at a market stall or by phone);
- offline_sales keeps each such sale with the Idempotency-Key it came with, unique per seller,
  and a digest of the request, so a client that retries gets the first sale back and a key
  reused for another request is refused.
Old servers never write the new reason nor read the new table.
"""

from alembic import op

revision = "0021_offline_sales"
down_revision = "0020_api_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE inventory_events
            DROP CONSTRAINT inventory_events_reason_check,
            ADD CONSTRAINT inventory_events_reason_check
                CHECK (reason IN ('initial', 'restock', 'adjustment', 'sale', 'cancellation', 'return',
                                  'offline sale'));

        CREATE TABLE offline_sales (
            id              bigserial PRIMARY KEY,
            seller_id       bigint NOT NULL,
            product_id      bigint NOT NULL,
            quantity        integer NOT NULL CHECK (quantity > 0),
            unit_price      numeric(12, 2) NOT NULL CHECK (unit_price >= 0),
            idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
            request_digest  text NOT NULL,
            created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
            FOREIGN KEY (seller_id, product_id) REFERENCES offers (seller_id, product_id),
            UNIQUE (seller_id, idempotency_key)
        );
        """
    )
