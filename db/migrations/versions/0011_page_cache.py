"""Version numbers for the guest page cache (app/page_cache.py): one row per product, bumped by
triggers whenever the product, one of its offers or one of its reviews changes.

Every app server keeps its own short-lived copy of guest pages and checks, with one indexed read,
that the versions of the products a page shows are still the ones it was rendered with. A bump
commits with the change that caused it, so a page can never be stored as current for data it did
not see. Offer changes reach the products row through offers_summary and order lines through
orders_units_sold, so the products trigger covers them; reviews and helpful votes that leave the
product row alone have their own trigger.

Lock order (app/models/locks.py): the version row is taken last, at write time, by the trigger;
every writer but a helpful vote already holds the product's row then, and a vote holds only the
review row, so no writer waits on a version row while holding one another writer wants.

The demo-data loader runs with triggers off: a product without a row is at version 0.
"""

from alembic import op

revision = "0011_page_cache"
down_revision = "0010_feedback_and_search_misses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE page_cache_versions (
            product_id bigint PRIMARY KEY,
            version bigint NOT NULL
        )
        """
    )
    op.execute(
        """
        CREATE OR REPLACE FUNCTION bump_page_cache_version(target_product_id bigint) RETURNS void
        LANGUAGE sql AS $$
            INSERT INTO page_cache_versions AS v (product_id, version)
            VALUES (target_product_id, 1)
            ON CONFLICT (product_id) DO UPDATE SET version = v.version + 1
        $$
        """
    )
    op.execute(
        """
        CREATE OR REPLACE FUNCTION products_page_cache() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM bump_page_cache_version(NEW.id);
            RETURN NULL;
        END;
        $$
        """
    )
    op.execute(
        """
        CREATE OR REPLACE TRIGGER products_page_cache
        AFTER INSERT OR UPDATE ON products
        FOR EACH ROW EXECUTE FUNCTION products_page_cache()
        """
    )
    op.execute(
        """
        CREATE OR REPLACE FUNCTION product_reviews_page_cache() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                PERFORM bump_page_cache_version(OLD.product_id);
            END IF;
            IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.product_id <> OLD.product_id) THEN
                PERFORM bump_page_cache_version(NEW.product_id);
            END IF;
            RETURN NULL;
        END;
        $$
        """
    )
    # Named to fire after product_reviews_rating (triggers of one event fire in name order),
    # which locks the product first.
    op.execute(
        """
        CREATE OR REPLACE TRIGGER product_reviews_then_page_cache
        AFTER INSERT OR UPDATE OR DELETE ON product_reviews
        FOR EACH ROW EXECUTE FUNCTION product_reviews_page_cache()
        """
    )
