"""product_attributes.category_id: each value carries its product's category, and the filter indexes lead with it.

Revision 0034_attribute_category, after 0033_catalog_has_word. A category page's attribute filter read its
key's values in every category (`screen_size` up to 13" is 29,000 phones and tablets at a million
products and no laptop) and looked each one up in `products` to learn it was not a laptop: 100-170 ms
for a page with no match. Indexed by (category, key, value) the filter reads only its category's values.

The column is always its product's category, kept by the database rather than by each writer:
- product_attributes_category (BEFORE INSERT, or an update of product_id) copies it from the product.
  Every writer of values holds the product's lock, so the category it reads cannot change under it.
- products_category_attributes (0025, AFTER UPDATE OF category_id) deletes the values the new category
  does not define, as before, and now moves the rest to the new category: rows only the product's
  writers touch, under the product's lock, after locking the new category's definitions FOR KEY
  SHARE, as every writer of values does before its values (app/models/locks.py): removing a
  definition locks it, then deletes its values, so no value is moved or written for a definition
  being removed (it would outlive it).
No foreign key to categories: a value's insert would then take a KEY SHARE lock on the category row,
which merging categories locks FOR UPDATE before the products (a lock out of locks.py's order).
db/check.py checks the column against the product.
"""

from alembic import op

revision = "0034_attribute_category"
down_revision = "0033_catalog_has_word"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE product_attributes ADD COLUMN category_id integer;
        UPDATE product_attributes AS a SET category_id = p.category_id FROM products AS p WHERE p.id = a.product_id;
        ALTER TABLE product_attributes ALTER COLUMN category_id SET NOT NULL;

        DROP INDEX product_attributes_text_idx;
        DROP INDEX product_attributes_number_idx;
        CREATE INDEX product_attributes_text_idx
            ON product_attributes (category_id, key, value_text, product_id) WHERE value_text IS NOT NULL;
        CREATE INDEX product_attributes_number_idx
            ON product_attributes (category_id, key, value_number, product_id) WHERE value_number IS NOT NULL;
        -- A key's values mostly sit in one category: without these the planner multiplies the
        -- category's, the key's and the value's shares as if unrelated, guesses 1,940 screens of 15"
        -- and up among laptops for 17,467, and probes the range for each Ultrabook (143 ms, not 12).
        CREATE STATISTICS product_attributes_text_stats (mcv) ON category_id, key, value_text FROM product_attributes;
        CREATE STATISTICS product_attributes_number_stats (mcv)
            ON category_id, key, value_number FROM product_attributes;

        CREATE FUNCTION product_attributes_category() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.category_id := (SELECT category_id FROM products WHERE id = NEW.product_id);
            RETURN NEW;
        END
        $$;
        CREATE TRIGGER product_attributes_category
            BEFORE INSERT OR UPDATE OF product_id, category_id ON product_attributes
            FOR EACH ROW EXECUTE FUNCTION product_attributes_category();

        CREATE OR REPLACE FUNCTION products_category_attributes() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            -- The new category's definitions first (app/models/locks.py): one being removed now
            -- either goes before the values move (and they are dropped here) or after (and its
            -- removal finds them in this category).
            PERFORM 1 FROM category_attributes WHERE category_id = NEW.category_id ORDER BY key FOR KEY SHARE;
            DELETE FROM product_attributes AS a
            WHERE a.product_id = NEW.id
              AND NOT EXISTS (
                  SELECT 1 FROM category_attributes AS ca WHERE ca.category_id = NEW.category_id AND ca.key = a.key
              );
            UPDATE product_attributes SET category_id = NEW.category_id WHERE product_id = NEW.id;
            RETURN NULL;
        END
        $$;
        """
    )


def downgrade() -> None:
    op.execute(
        """
        CREATE OR REPLACE FUNCTION products_category_attributes() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM product_attributes AS a
            WHERE a.product_id = NEW.id
              AND NOT EXISTS (
                  SELECT 1 FROM category_attributes AS ca WHERE ca.category_id = NEW.category_id AND ca.key = a.key
              );
            RETURN NULL;
        END
        $$;
        DROP TRIGGER product_attributes_category ON product_attributes;
        DROP FUNCTION product_attributes_category();
        DROP STATISTICS product_attributes_text_stats, product_attributes_number_stats;
        DROP INDEX product_attributes_text_idx;
        DROP INDEX product_attributes_number_idx;
        ALTER TABLE product_attributes DROP COLUMN category_id;
        CREATE INDEX product_attributes_text_idx
            ON product_attributes (key, value_text, product_id) WHERE value_text IS NOT NULL;
        CREATE INDEX product_attributes_number_idx
            ON product_attributes (key, value_number, product_id) WHERE value_number IS NOT NULL;
        """
    )
