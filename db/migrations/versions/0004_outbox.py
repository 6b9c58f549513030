"""The job queue (jobs, periodic_jobs) and the e-mail outbox (mail_outbox).

Revision 0004_outbox, after 0003_user_sessions.

A job is a row; workers (python -m app.worker) take due rows with FOR UPDATE SKIP LOCKED and run
each in the transaction that holds its lock, so a worker that dies mid-job releases it untouched.
An e-mail is a mail_outbox row written in the transaction of the change that causes it, plus a
`mail.send` job that delivers it.
"""

from alembic import op

revision = "0004_outbox"
down_revision = "0003_user_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE jobs (
            id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind         text NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
            payload      jsonb NOT NULL DEFAULT '{}',
            -- queued (or running: a worker holds its row lock), done, or failed for good.
            status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'done', 'failed')),
            run_at       timestamptz NOT NULL DEFAULT now(),
            attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            max_attempts integer NOT NULL DEFAULT 10 CHECK (max_attempts >= 1),
            last_error   text CHECK (length(last_error) <= 2000),
            -- At most one queued or running job per key: periodic jobs never run twice at once.
            unique_key   text CHECK (length(unique_key) <= 200),
            created_at   timestamptz NOT NULL DEFAULT now(),
            finished_at  timestamptz,
            CHECK ((status = 'queued') = (finished_at IS NULL))
        );
        -- What workers scan: the due jobs, oldest first.
        CREATE INDEX jobs_due_idx ON jobs (run_at, id) WHERE status = 'queued';
        CREATE UNIQUE INDEX jobs_unique_key_idx ON jobs (unique_key) WHERE status = 'queued';
        -- Pruning finished jobs by age.
        CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE status <> 'queued';

        -- One row per periodic job the code defines: the next time it is due.
        CREATE TABLE periodic_jobs (
            kind            text PRIMARY KEY CHECK (length(kind) BETWEEN 1 AND 100),
            next_run_at     timestamptz NOT NULL,
            last_enqueued_at timestamptz
        );

        CREATE TABLE mail_outbox (
            id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            message_id  text NOT NULL UNIQUE CHECK (length(message_id) <= 300),
            template    text NOT NULL CHECK (length(template) BETWEEN 1 AND 100),
            recipient   text NOT NULL CHECK (length(recipient) BETWEEN 3 AND 254),
            subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
            -- The bodies may hold live codes and reset links: kept only until delivered or given up.
            text_body   text,
            html_body   text,
            status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
            last_error  text CHECK (length(last_error) <= 2000),
            created_at  timestamptz NOT NULL DEFAULT now(),
            sent_at     timestamptz,
            failed_at   timestamptz,
            CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
            CHECK ((status = 'failed') = (failed_at IS NOT NULL)),
            CHECK (status <> 'queued' OR (text_body IS NOT NULL AND html_body IS NOT NULL))
        );
        CREATE INDEX mail_outbox_recipient_idx ON mail_outbox (lower(recipient), created_at DESC);
        """
    )
