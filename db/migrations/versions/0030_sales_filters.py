"""Sales filters and offline sales in a seller's analytics (issue 19, GET /api/v1/sales).

Revision 0030_sales_filters, after 0029_search_suggestions. Expand only:

- purchases.ship_country: the ISO 3166-1 alpha-2 code of the delivery address's country, when its
  free-text country names one (app/countries.py); the checkout writes it from now on. Existing
  purchases get it from their copy of the address (ship_to), whose lines after the name are
  matched whole against the country names and codes; a purchase whose country is not recognised
  keeps NULL and never matches a buyer_country filter. A server still on the old code leaves it
  NULL, which is read the same way.
- offline_sales_seller_sales_idx: a seller's offline sales of a period, read index-only by the
  analytics (their totals, tables and the API) as the covering orders_seller_sales_idx serves the
  order lines.
- purchases_ship_country_idx (ship_country, id): a seller's line is checked against its purchase's
  country in the index alone (both columns are in the condition), and a rare country's purchases
  can be read as a range.
Both built CONCURRENTLY, so the site keeps taking orders and the API recording sales meanwhile.

The other filters use indexes that exist: status orders_seller_status_idx (seller, status, time);
amount the covering orders_seller_sales_idx (line_total is in it); product orders_seller_product_idx;
category products_pkey, one probe per line (docs/PERFORMANCE.md, "Sales filters").
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_sales_filters"
down_revision = "0029_search_suggestions"
branch_labels = None
depends_on = None

BACKFILL = """
    WITH country_texts (text, code) AS (
        SELECT * FROM unnest(CAST(:texts AS text[]), CAST(:codes AS text[]))
    ),
    found AS (
        -- The last line after the name that is a country's name or code (one hash join for all).
        SELECT DISTINCT ON (p.id) p.id, c.code
        FROM purchases AS p
        CROSS JOIN LATERAL unnest(string_to_array(p.ship_to, E'\\n')) WITH ORDINALITY AS line (text, n)
        JOIN country_texts AS c ON c.text = lower(btrim(line.text, ' .'))
        WHERE p.ship_to IS NOT NULL
          AND p.ship_country IS NULL
          AND line.n > 1
        ORDER BY p.id, line.n DESC
    )
    UPDATE purchases AS p
    SET ship_country = found.code
    FROM found
    WHERE found.id = p.id
"""


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE purchases
            ADD COLUMN ship_country text CHECK (ship_country ~ '^[A-Z]{2}$');
        """
    )
    from app import countries  # here, not at the top: `alembic heads` reads this file without the app on its path

    texts = countries.texts()
    op.get_bind().execute(sa.text(BACKFILL), {"texts": list(texts), "codes": list(texts.values())})
    with op.get_context().autocommit_block():
        op.execute(
            """
            CREATE INDEX CONCURRENTLY IF NOT EXISTS offline_sales_seller_sales_idx
                ON offline_sales (seller_id, created_at) INCLUDE (product_id, quantity, unit_price)
            """
        )
        op.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS purchases_ship_country_idx ON purchases (ship_country, id)")
        op.execute("VACUUM (ANALYZE) purchases")  # the backfill rewrote every row: keep the probes index-only
