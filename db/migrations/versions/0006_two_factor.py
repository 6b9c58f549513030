"""Two-factor sign-in (TOTP, recovery codes, sign-ins awaiting their code), passkeys, new-browser alerts.

Passkeys come with their WebAuthn challenges; sign_in_devices keeps the browsers each user signed
in with, so that a sign-in from a new one is told by e-mail.

Revision 0006_two_factor, after 0007_balance_request_tokens (which landed first).

Codes and tokens are stored hashed (sha256 of a random value with at least 80 bits). The TOTP
secret cannot be hashed, since the server must compute codes from it: it is stored encrypted
(AES-GCM under a key derived from SECRET_KEY, bound to its user id) so a copy of the table alone
computes no codes.
"""

from alembic import op

revision = "0006_two_factor"
down_revision = "0007_balance_request_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        -- One authenticator per user: pending (enabled_at NULL) while the QR code waits for its
        -- confirmation code, then on.
        CREATE TABLE user_totp (
            user_id           bigint PRIMARY KEY REFERENCES users ON DELETE CASCADE,
            secret_encrypted  bytea NOT NULL CHECK (length(secret_encrypted) BETWEEN 29 AND 200),
            enabled_at        timestamptz,
            -- The 30-second step of the last code accepted: a code of that step or an earlier one
            -- is refused, so a code seen over someone's shoulder cannot be used again.
            last_used_step    bigint CHECK (last_used_step >= 0),
            -- Wrong codes for this account (across all its pending sign-ins) since failures_since.
            failures          integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
            failures_since    timestamptz,
            created_at        timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE recovery_codes (
            id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
            code_hash   bytea NOT NULL CHECK (length(code_hash) = 32),
            created_at  timestamptz NOT NULL DEFAULT now(),
            used_at     timestamptz
        );
        CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);

        -- A password accepted for an account with two-factor sign-in on, waiting for its code.
        -- The browser holds the token (in its signed session cookie); this row holds its hash.
        CREATE TABLE pending_sign_ins (
            id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
            token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
            remember    boolean NOT NULL,
            attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            created_at  timestamptz NOT NULL DEFAULT now(),
            expires_at  timestamptz NOT NULL,
            CHECK (expires_at > created_at)
        );
        CREATE INDEX pending_sign_ins_user_idx ON pending_sign_ins (user_id);
        CREATE INDEX pending_sign_ins_expires_idx ON pending_sign_ins (expires_at);

        -- The WebAuthn user handle: random, the same for all of a user's passkeys, never the user id.
        CREATE TABLE passkey_user_handles (
            user_id  bigint PRIMARY KEY REFERENCES users ON DELETE CASCADE,
            handle   bytea NOT NULL UNIQUE CHECK (length(handle) BETWEEN 16 AND 64)
        );

        CREATE TABLE passkeys (
            id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            user_id        bigint NOT NULL REFERENCES users ON DELETE CASCADE,
            name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
            credential_id  bytea NOT NULL UNIQUE CHECK (length(credential_id) BETWEEN 16 AND 1023),
            public_key     bytea NOT NULL CHECK (length(public_key) BETWEEN 1 AND 2048),
            sign_count     bigint NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
            -- The relying party the passkey belongs to (the site's host name).
            rp_id          text NOT NULL CHECK (length(rp_id) BETWEEN 1 AND 253),
            transports     text[] NOT NULL DEFAULT '{}',
            backed_up      boolean NOT NULL DEFAULT false,
            created_at     timestamptz NOT NULL DEFAULT now(),
            last_used_at   timestamptz
        );
        CREATE INDEX passkeys_user_idx ON passkeys (user_id);

        -- A challenge handed to the browser, single use: verifying deletes it.
        CREATE TABLE passkey_challenges (
            id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            purpose         text NOT NULL CHECK (purpose IN ('register', 'sign_in')),
            -- Who registers; NULL for a sign-in, whose user the passkey tells.
            user_id         bigint REFERENCES users ON DELETE CASCADE,
            challenge_hash  bytea NOT NULL UNIQUE CHECK (length(challenge_hash) = 32),
            -- The name the user chose for the passkey being registered.
            passkey_name    text CHECK (length(passkey_name) BETWEEN 1 AND 60),
            created_at      timestamptz NOT NULL DEFAULT now(),
            expires_at      timestamptz NOT NULL,
            CHECK (expires_at > created_at),
            CHECK ((purpose = 'register') = (user_id IS NOT NULL AND passkey_name IS NOT NULL))
        );
        CREATE INDEX passkey_challenges_expires_idx ON passkey_challenges (expires_at);

        -- Each browser (by the sha256 of its User-Agent, as user_sessions keeps it) that signed in
        -- to an account; a sign-in from one not seen lately sends the owner an e-mail.
        CREATE TABLE sign_in_devices (
            user_id          bigint NOT NULL REFERENCES users ON DELETE CASCADE,
            user_agent_hash  bytea NOT NULL CHECK (length(user_agent_hash) = 32),
            first_seen_at    timestamptz NOT NULL DEFAULT now(),
            last_seen_at     timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (user_id, user_agent_hash)
        );
        -- The browsers signed in now are known already.
        INSERT INTO sign_in_devices (user_id, user_agent_hash, first_seen_at, last_seen_at)
        SELECT user_id, sha256(convert_to(user_agent, 'UTF8')), min(created_at), max(last_seen_at)
        FROM user_sessions
        GROUP BY user_id, sha256(convert_to(user_agent, 'UTF8'));
        """
    )
