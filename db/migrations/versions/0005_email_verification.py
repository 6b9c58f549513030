"""Verified e-mail addresses, one-time e-mail codes, password reset links and request limits.

Revision 0005_email_verification, after 0004_outbox.

Codes and tokens are stored hashed only: a 6-digit code as an HMAC under the app's SECRET_KEY
(a plain hash of a million possible codes is reversed in a blink), a reset token as its sha256.
"""

from alembic import op

revision = "0005_email_verification"
down_revision = "0004_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        -- NULL until the owner proves the address with a code (or a reset link sent to it).
        ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
        -- Accounts made before verification existed were never asked: they keep buying.
        UPDATE users SET email_verified_at = created_at;

        CREATE TABLE email_codes (
            id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            purpose     text NOT NULL CHECK (purpose IN ('register', 'verify', 'change_email')),
            -- A stand-in for an address already taken (a registration, or a change of e-mail to
            -- it): it behaves like a real code but none matches it, so both cases look the same.
            stand_in    boolean NOT NULL DEFAULT false,
            user_id     bigint REFERENCES users ON DELETE CASCADE,
            email       text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
            -- sha256 of the random token in the browser's session that ties the code to its flow.
            flow_hash   bytea NOT NULL CHECK (length(flow_hash) = 32),
            code_hash   bytea NOT NULL CHECK (length(code_hash) = 32),
            attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            created_at  timestamptz NOT NULL DEFAULT now(),
            expires_at  timestamptz NOT NULL,
            used_at     timestamptz,
            CHECK (expires_at > created_at),
            CHECK (stand_in OR user_id IS NOT NULL)
        );
        CREATE INDEX email_codes_flow_idx ON email_codes (flow_hash, id DESC);
        CREATE INDEX email_codes_user_idx ON email_codes (user_id) WHERE user_id IS NOT NULL;
        CREATE INDEX email_codes_expires_idx ON email_codes (expires_at);

        CREATE TABLE password_resets (
            id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
            -- The address the link was sent to: the link stops working if the account's e-mail changes.
            email       text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
            token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
            created_at  timestamptz NOT NULL DEFAULT now(),
            expires_at  timestamptz NOT NULL,
            used_at     timestamptz,
            CHECK (expires_at > created_at)
        );
        CREATE INDEX password_resets_user_idx ON password_resets (user_id);
        CREATE INDEX password_resets_expires_idx ON password_resets (expires_at);

        -- Requests counted against a limit (registrations and reset requests per address and per
        -- network address, password checks per user, bad reset links per network address).
        CREATE TABLE rate_limit_hits (
            id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            action  text NOT NULL CHECK (length(action) BETWEEN 1 AND 50),
            key     text NOT NULL CHECK (length(key) BETWEEN 1 AND 300),
            hit_at  timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX rate_limit_hits_key_idx ON rate_limit_hits (action, key, hit_at DESC);
        CREATE INDEX rate_limit_hits_age_idx ON rate_limit_hits (hit_at);
        """
    )
