"""Suggestions as you type (issue 18): each catalog word's most popular products, kept ready.

Revision 0029_search_suggestions, after 0027_search_words. Expand only: a table, a function,
a trigger and an index.

- search_suggestions (word, units_sold, product_id, title_words): for every word of a listed
  product's name, brand and tags (split as search_words splits them), the 100 products holding it
  that sold most, with all the words of each, so that "does it hold the other typed words too?"
  is answered from these rows, not from a product row per candidate. GET /products/suggest
  (app/models/suggestion.py) reads a few words' rows from the index, in popularity order, instead
  of ranking every product that holds a common word: at a million products, checking each match
  of a word in 2 % of them took 10 µs a row.
- Kept current two ways. A product inserted, renamed, re-tagged or listed adds rows for its new
  words at once (a trigger that takes no locks: NOT EXISTS, no unique index, as search_words
  does; it leaves the product's other rows alone, which the hourly rebuild could be deleting).
  The hourly job search.suggestions (app/models/suggestion.py) rebuilds the table with
  refresh_search_suggestions(): units sold move the order, renamed products' words are renewed,
  and rows past the per-word limit or of products no longer listed go. Readers check the rows
  they pick against the product itself, so a stale row can hide a suggestion for up to an hour,
  never show a wrong one.
"""

from alembic import op

revision = "0029_search_suggestions"
down_revision = "0027_search_words"
branch_labels = None
depends_on = None

# 100 rows a word: app/models/suggestion.py SUGGESTIONS_PER_WORD.
REFRESH = """
    CREATE FUNCTION refresh_search_suggestions() RETURNS void
    LANGUAGE sql AS $$
        DELETE FROM search_suggestions;
        INSERT INTO search_suggestions (word, units_sold, product_id, title_words)
        SELECT word, units_sold, id, title_words
        FROM (
            SELECT w.word, p.units_sold, p.id,
                   regexp_split_to_array(lower(p.name || ' ' || p.search_terms), '[^[:alnum:]]+') AS title_words,
                   row_number() OVER (PARTITION BY w.word ORDER BY p.units_sold DESC, p.id) AS place
            FROM products AS p
            CROSS JOIN LATERAL (
                SELECT DISTINCT split.word
                FROM regexp_split_to_table(lower(p.name || ' ' || p.search_terms), '[^[:alnum:]]+') AS split(word)
                WHERE split.word ~ '^[[:alnum:]]{2,30}$'
            ) AS w
            WHERE p.status = 'listed' AND p.parent_id IS NULL
        ) AS ranked
        WHERE place <= 100
        ORDER BY word, units_sold DESC, id;
    $$;
"""


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE search_suggestions (
            word        text NOT NULL,
            units_sold  bigint NOT NULL,
            product_id  bigint NOT NULL,
            title_words text[] NOT NULL
        );
        CREATE INDEX search_suggestions_word_idx ON search_suggestions (word, units_sold DESC, product_id);

        CREATE FUNCTION products_search_suggestions() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            product_words text[] := regexp_split_to_array(lower(NEW.name || ' ' || NEW.search_terms), '[^[:alnum:]]+');
        BEGIN
            INSERT INTO search_suggestions (word, units_sold, product_id, title_words)
            SELECT DISTINCT w.word, NEW.units_sold, NEW.id, product_words
            FROM unnest(product_words) AS w(word)
            WHERE w.word ~ '^[[:alnum:]]{2,30}$'
              AND NOT EXISTS (
                  SELECT 1 FROM search_suggestions AS s WHERE s.word = w.word AND s.product_id = NEW.id
              );
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER products_search_suggestions
            AFTER INSERT OR UPDATE OF name, search_terms, status, parent_id ON products
            FOR EACH ROW WHEN (NEW.status = 'listed' AND NEW.parent_id IS NULL)
            EXECUTE FUNCTION products_search_suggestions();
        """
    )
    op.execute(REFRESH)
    op.execute("SELECT refresh_search_suggestions()")


def downgrade() -> None:
    op.execute(
        """
        DROP TRIGGER products_search_suggestions ON products;
        DROP FUNCTION products_search_suggestions();
        DROP FUNCTION refresh_search_suggestions();
        DROP TABLE search_suggestions;
        """
    )
