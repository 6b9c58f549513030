"""Product variants: a product may come in options (Colour, Size) whose combinations are variants.

Revision 0026_product_variants, after 0024_product_gallery.

A variant is a products row with a parent_id: it carries its own offers, stock, orders and
inventory events, so every table keyed by (seller_id, product_id) — cart lines, order lines,
offline sales, the API — works on variants unchanged. The parent is the catalog's product: it has
the name, the reviews and the page, owns no offers itself, and its summary columns (offer_count,
total_stock, min_price, min_price_before_sale, units_sold) add up its variants', kept by the
products_family_summary trigger in the same transaction. max_price, the dearest variant's price,
gives the catalog card its price range.

Every existing product stays as it was: a single-variant product (no parent, no options).

Lock order: the trigger locks the parent when a variant's summary changes. locks.lock_products
locks a variant's parent together with the variant, in id order, so the trigger's lock is already
held and no writer takes a parent after a later product.
"""

from alembic import op

revision = "0026_product_variants"
down_revision = "0024_product_gallery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE products
            ADD COLUMN parent_id bigint REFERENCES products ON DELETE RESTRICT,
            -- On a product with variants: the names of its options, e.g. {Colour,Size}.
            ADD COLUMN option_names text[] NOT NULL DEFAULT '{}',
            -- On a variant: its value of each of the parent's options, in the same order.
            ADD COLUMN option_values text[] NOT NULL DEFAULT '{}',
            -- On a product with variants: the price of its dearest variant (the card's range).
            ADD COLUMN max_price numeric(12, 2),
            ADD CONSTRAINT products_option_names_check CHECK (cardinality(option_names) <= 3),
            ADD CONSTRAINT products_variant_check CHECK (
                (parent_id IS NULL AND cardinality(option_values) = 0)
                OR (parent_id IS NOT NULL AND parent_id <> id
                    AND cardinality(option_values) BETWEEN 1 AND 3 AND cardinality(option_names) = 0)
            ),
            ADD CONSTRAINT products_max_price_check CHECK (max_price >= min_price);

        -- A family's variants, and one variant per combination of values.
        CREATE INDEX products_parent_idx ON products (parent_id, id) WHERE parent_id IS NOT NULL;
        CREATE UNIQUE INDEX products_variant_values_key ON products (parent_id, option_values)
            WHERE parent_id IS NOT NULL;

        -- A parent's summary is its variants' added up: the cheapest variant in stock (else the
        -- cheapest), its usual price when a sale makes it cheaper, the dearest variant, the sum of
        -- offers, stock and units sold. The parent was locked with the variant (locks.lock_products).
        CREATE FUNCTION refresh_family_summary(target_parent_id bigint) RETURNS void
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE products
            SET offer_count = family.offer_count,
                total_stock = family.total_stock,
                min_price = family.min_price,
                max_price = family.max_price,
                min_price_before_sale = CASE WHEN family.min_usual > family.min_price THEN family.min_usual END,
                units_sold = family.units_sold
            FROM (
                SELECT coalesce(sum(offer_count), 0) AS offer_count,
                       coalesce(sum(total_stock), 0) AS total_stock,
                       coalesce(min(min_price) FILTER (WHERE total_stock > 0), min(min_price)) AS min_price,
                       max(min_price) AS max_price,
                       coalesce(min(coalesce(min_price_before_sale, min_price)) FILTER (WHERE total_stock > 0),
                                min(coalesce(min_price_before_sale, min_price))) AS min_usual,
                       coalesce(sum(units_sold), 0) AS units_sold
                FROM products
                WHERE parent_id = target_parent_id
            ) AS family
            WHERE products.id = target_parent_id;
        END;
        $$;

        CREATE FUNCTION products_family_summary() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM refresh_family_summary(NEW.parent_id);
            RETURN NULL;
        END;
        $$;
        CREATE TRIGGER products_family_summary
        AFTER UPDATE OF offer_count, total_stock, min_price, min_price_before_sale, units_sold ON products
        FOR EACH ROW WHEN (NEW.parent_id IS NOT NULL)
        EXECUTE FUNCTION products_family_summary();
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TRIGGER products_family_summary ON products;
        DROP FUNCTION products_family_summary();
        DROP FUNCTION refresh_family_summary(bigint);
        DROP INDEX products_variant_values_key;
        DROP INDEX products_parent_idx;
        ALTER TABLE products
            DROP CONSTRAINT products_max_price_check,
            DROP CONSTRAINT products_variant_check,
            DROP CONSTRAINT products_option_names_check,
            DROP COLUMN max_price,
            DROP COLUMN option_values,
            DROP COLUMN option_names,
            DROP COLUMN parent_id;
        """
    )
