"""User sessions kept in PostgreSQL, so signing out, a password change or a suspension ends them.

The signed session cookie (and the remember-me cookie) carry a random token; only its sha256
is stored. Every request looks the token up once through the unique index.
"""

from alembic import op

revision = "0003_user_sessions"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE user_sessions (
            id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
            token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
            remember     boolean NOT NULL DEFAULT false,
            user_agent   text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 300),
            ip_address   text NOT NULL DEFAULT '' CHECK (length(ip_address) <= 64),
            created_at   timestamptz NOT NULL DEFAULT now(),
            last_seen_at timestamptz NOT NULL DEFAULT now(),
            expires_at   timestamptz NOT NULL,
            CHECK (expires_at > created_at)
        );
        CREATE INDEX user_sessions_user_idx ON user_sessions (user_id, last_seen_at DESC);
        """
    )
