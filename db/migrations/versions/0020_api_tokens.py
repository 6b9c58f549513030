"""Personal access tokens for the seller API (/api/v1, issue 19).

Revision 0020_api_tokens, after 0019_audit_log_no_truncate. Expand only: a new table, read by
nothing older. A token is shown once at /account/tokens; only the SHA-256 of it is kept
(token_hash), with its first characters (display_prefix) so its owner can tell tokens apart.
A token authorizes a request while it is neither revoked nor expired; scopes are a non-empty
subset of read, listings, orders and admin.
"""

from alembic import op

revision = "0020_api_tokens"
down_revision = "0019_audit_log_no_truncate"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE api_tokens (
            id             bigserial PRIMARY KEY,
            user_id        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
            scopes         text[] NOT NULL
                               CHECK (cardinality(scopes) >= 1
                                      AND scopes <@ ARRAY['read', 'listings', 'orders', 'admin']::text[]),
            token_hash     text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
            display_prefix text NOT NULL,
            created_at     timestamptz NOT NULL DEFAULT now(),
            expires_at     timestamptz NOT NULL,
            last_used_at   timestamptz,
            revoked_at     timestamptz,
            CHECK (expires_at > created_at),
            CHECK (revoked_at IS NULL OR revoked_at >= created_at)
        );
        CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at DESC);
        """
    )
