"""catalog_has_word(word): whether any product's search text holds a word, always through the GIN index.

Revision 0033_catalog_has_word, after 0032_mail_outbox_queued_idx. Search checks each typed word that
is not in the lexicon (search_words) before correcting it: a description's word is kept as typed, a
typo is corrected. As `EXISTS (… WHERE search_vector @@ …)` the planner may walk the table instead,
expecting the first match soon (it guesses ~2,000 rows for a word its statistics do not list); for a
typo there is none, and the walk read all 1,000,000 products (870 ms, past the search's 250 ms limit)
once an ANALYZE had changed its guess. In a function with enable_seqscan off the index answers, in a
few milliseconds for a typo (~65 ms for a description word in 17 % of products, still in time).
"""

from alembic import op

revision = "0033_catalog_has_word"
down_revision = "0032_mail_outbox_queued_idx"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION catalog_has_word(word text) RETURNS boolean
        LANGUAGE sql STABLE
        SET enable_seqscan = off
        AS $$
            SELECT EXISTS (SELECT 1 FROM products WHERE search_vector @@ plainto_tsquery('english', word))
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION catalog_has_word(text)")
