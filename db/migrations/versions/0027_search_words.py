"""Search that finds what shoppers mean (issue 18): the catalog's words, category names in search.

Revision 0027_search_words. Expand only: a new table, triggers and an index.

- search_words (word, products): every word of product names, brands and tags (search_terms) and of
  category and department names, lower case, 2-30 letters or digits, with how many listed products
  hold it. Typo correction (app/models/search_word.py) looks words up here through the trigram
  index, and suggestions as you type start from it.
- Kept current by triggers: a product inserted or renamed (or given new tags or a brand), a category
  or department created or renamed, adds its new words at once. The triggers take no locks: a word
  is added unless it is already there (NOT EXISTS, no unique index), so two transactions adding the
  same new word both store it, and nothing ever waits on the table (app/models/locks.py). The
  hourly job search.words (app/models/search_word.py) recounts `products` and merges such twins;
  a word left by a renamed product stays until then (a correction to it finds nothing, harmlessly).
- products.category_terms: the names of the product's category and department, so that search_vector
  holds them and one GIN lookup finds "wireless headphones" whether "headphones" is in the name or
  the category (a separate category condition OR-ed in made the planner read every "wireless" row).
  Set by trigger products_category_terms when a product is inserted or changes category (it reads
  categories and departments, locks nothing); when a category or department is renamed or a category
  moves, the job search.category_terms (app/models/category.py) rewrites its products' terms in
  batches, in id order (locks.py), so for a few seconds a renamed category is found by its old name.
- search_vector weighs its parts as relevance ranks them: name A, category and department B, brand
  and tags (search_terms) C, description D (name and brand/tags were both A, description B). The
  new column's values and the expression come in one rewrite of products, rebuilding its indexes
  under an ACCESS EXCLUSIVE lock, as 0025 did: seconds on the demo, a few minutes at a million
  products. Run it in a maintenance window there. The rewrite drops the column's statistics, which
  the planner needs to judge a word's matches: ANALYZE.
- products_name_search_idx: the name's words alone, so that "how many products have every word
  in their name" is an index lookup, not a recheck of every match of a common word.
"""

from alembic import op

revision = "0027_search_words"
down_revision = "0025_brands_tags_attributes"
branch_labels = None
depends_on = None


RECOUNT = """
    CREATE FUNCTION recount_search_words() RETURNS void
    LANGUAGE sql AS $$
        DELETE FROM search_words;
        INSERT INTO search_words (word, products)
        SELECT word, sum(products)
        FROM (
            SELECT w.word, count(DISTINCT p.id) AS products
            FROM products AS p
            CROSS JOIN LATERAL regexp_split_to_table(lower(p.name || ' ' || p.search_terms), '[^[:alnum:]]+') AS w(word)
            WHERE p.status = 'listed' AND p.parent_id IS NULL
            GROUP BY w.word
            UNION ALL
            SELECT w.word, coalesce(sum(counted.products), 0)
            FROM categories AS c
            JOIN departments AS d ON d.id = c.department_id
            CROSS JOIN LATERAL regexp_split_to_table(lower(c.name || ' ' || d.name), '[^[:alnum:]]+') AS w(word)
            LEFT JOIN LATERAL (
                SELECT count(*) AS products
                FROM products AS p
                WHERE p.category_id = c.id AND p.status = 'listed' AND p.parent_id IS NULL
            ) AS counted ON true
            GROUP BY w.word
        ) AS found
        WHERE found.word ~ '^[[:alnum:]]{2,30}$'
        GROUP BY word;
    $$;
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        """
        CREATE TABLE search_words (
            word     text NOT NULL CHECK (word ~ '^[[:alnum:]]{2,30}$' AND word = lower(word)),
            products integer NOT NULL DEFAULT 0 CHECK (products >= 0)
        );
        CREATE INDEX search_words_word_idx ON search_words (word text_pattern_ops);
        CREATE INDEX search_words_trgm_idx ON search_words USING gist (word gist_trgm_ops);

        CREATE FUNCTION add_search_words(words text) RETURNS void
        LANGUAGE sql AS $$
            INSERT INTO search_words (word)
            SELECT DISTINCT w.word
            FROM regexp_split_to_table(lower(words), '[^[:alnum:]]+') AS w(word)
            WHERE w.word ~ '^[[:alnum:]]{2,30}$'
              AND NOT EXISTS (SELECT 1 FROM search_words AS s WHERE s.word = w.word);
        $$;

        CREATE FUNCTION products_search_words() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM add_search_words(NEW.name || ' ' || NEW.search_terms);
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER products_search_words
            AFTER INSERT OR UPDATE OF name, search_terms ON products
            FOR EACH ROW EXECUTE FUNCTION products_search_words();

        CREATE FUNCTION catalog_names_search_words() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM add_search_words(NEW.name);
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER categories_search_words
            AFTER INSERT OR UPDATE OF name ON categories
            FOR EACH ROW EXECUTE FUNCTION catalog_names_search_words();
        CREATE TRIGGER departments_search_words
            AFTER INSERT OR UPDATE OF name ON departments
            FOR EACH ROW EXECUTE FUNCTION catalog_names_search_words();
        """
    )
    op.execute(RECOUNT)
    op.execute("SELECT recount_search_words()")
    op.execute(
        """
        CREATE FUNCTION category_terms_of(category integer) RETURNS text
        LANGUAGE sql STABLE AS $$
            SELECT c.name || ' ' || d.name
            FROM categories AS c
            JOIN departments AS d ON d.id = c.department_id
            WHERE c.id = category
        $$;

        ALTER TABLE products ADD COLUMN category_terms text;
        ALTER TABLE products
            ALTER COLUMN category_terms TYPE text USING coalesce(category_terms_of(category_id), ''),
            ALTER COLUMN search_vector SET EXPRESSION AS (
                setweight(to_tsvector('english', name), 'A')
                || setweight(to_tsvector('english', category_terms), 'B')
                || setweight(to_tsvector('english', search_terms), 'C')
                || setweight(to_tsvector('english', description), 'D')
            );
        ALTER TABLE products ALTER COLUMN category_terms SET DEFAULT '', ALTER COLUMN category_terms SET NOT NULL;

        CREATE FUNCTION products_category_terms() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.category_terms := coalesce(category_terms_of(NEW.category_id), '');
            RETURN NEW;
        END
        $$;
        CREATE TRIGGER products_category_terms
            BEFORE INSERT OR UPDATE OF category_id ON products
            FOR EACH ROW EXECUTE FUNCTION products_category_terms();

        CREATE INDEX products_name_search_idx ON products USING gin (to_tsvector('english', name));
        ANALYZE products;
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP INDEX products_name_search_idx;
        DROP TRIGGER IF EXISTS products_category_terms ON products;
        DROP FUNCTION IF EXISTS products_category_terms();
        ALTER TABLE products ALTER COLUMN search_vector SET EXPRESSION AS (
            setweight(to_tsvector('english', name), 'A')
            || setweight(to_tsvector('english', search_terms), 'A')
            || setweight(to_tsvector('english', description), 'B')
        );
        ALTER TABLE products DROP COLUMN IF EXISTS category_terms;
        DROP FUNCTION IF EXISTS category_terms_of(integer);
        DROP TRIGGER departments_search_words ON departments;
        DROP TRIGGER categories_search_words ON categories;
        DROP TRIGGER products_search_words ON products;
        DROP FUNCTION catalog_names_search_words();
        DROP FUNCTION products_search_words();
        DROP FUNCTION add_search_words(text);
        DROP FUNCTION recount_search_words();
        DROP TABLE search_words;
        """
    )
