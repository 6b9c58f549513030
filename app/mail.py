"""E-mail: rendered from templates into the outbox in the caller's transaction, delivered by the worker.

    with db.transaction() as conn:
        ...                                           # the change that causes the message
        mail.send(conn, "verify_code", user_email, code=code)

writes a mail_outbox row and a `mail.send` job that commit (or not) with the change. The worker
(python -m app.worker) delivers it over SMTP_URL: smtp://host:port, smtp://host:port?starttls=1
(or smtp+starttls://), or smtps://user:password@host:465 for TLS from the start.
"""

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app, has_request_context, render_template, url_for
from sqlalchemy import Connection

from app import db, jobs

SMTP_TIMEOUT_SECONDS = 30
SENT_MAIL_KEPT = "30 days"
LOCAL_URL = "http://127.0.0.1:5000"  # where ./setup.sh serves, for links made by jobs when PUBLIC_URL is unset

# Subjects by template (app/templates/email/<template>.txt and .html).
SUBJECTS = {
    "verify_code": "Your {site_name} code",
    "register_taken": "Someone tried to register with your address",
    "change_email_code": "Confirm your new {site_name} e-mail address",
    "change_email_taken": "Someone tried to use your address on {site_name}",
    "email_changed": "Your {site_name} e-mail address was changed",
    "password_reset": "Reset your {site_name} password",
    "password_changed": "Your {site_name} password was changed",
    "new_sign_in": "New sign-in to your {site_name} account",
    # The order journey (app/order_mail.py).
    "order_placed": "Your {site_name} order is placed",
    "order_received": "New order to ship on {site_name}",
    "order_shipped": "Your {site_name} order has shipped",
    "order_delivered": "Your {site_name} order was delivered",
    "return_requested": "A buyer asks to return an item",
    "return_accepted": "Your return was accepted and refunded",
    "return_refused": "Your return request was refused",
    "order_refunded": "You were refunded for a cancelled item",
    "order_cancelled": "A buyer cancelled an item: do not ship it",
    # Wishlist news (app/wishlist_mail.py).
    "wishlist_news": "Something on your {site_name} wishlist is cheaper or back in stock",
}


def send(conn: Connection, template: str, recipient: str, **context: Any) -> int:
    """Render e-mail `template` for `recipient` and queue it in the caller's transaction; return its outbox id."""
    site_name = current_app.config["SITE_NAME"]
    subject = SUBJECTS[template].format(site_name=site_name)
    with _request_context():
        context |= {"site_name": site_name, "recipient": recipient, "site_url": absolute_url("main.index")}
        text_body = render_template(f"email/{template}.txt", subject=subject, **context)
        html_body = render_template(f"email/{template}.html", subject=subject, **context)
    outbox_id = insert_message(conn, template, recipient, subject, text_body, html_body)
    jobs.enqueue(conn, "mail.send", {"outbox_id": outbox_id})
    return outbox_id


@contextmanager
def _request_context() -> Iterator[None]:
    """The request's context, or, when a job sends mail, one at PUBLIC_URL (templates and links need one)."""
    if has_request_context():
        yield
        return
    with current_app.test_request_context(base_url=current_app.config.get("PUBLIC_URL") or LOCAL_URL):
        yield


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link for an e-mail: under PUBLIC_URL when set, never from a Host header a client chose."""
    with _request_context():
        if public_url := current_app.config.get("PUBLIC_URL"):
            return public_url.rstrip("/") + url_for(endpoint, **values)
        return url_for(endpoint, _external=True, **values)


def _sender_domain() -> str:
    return parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "localhost"


def insert_message(
    conn: Connection, template: str, recipient: str, subject: str, text_body: str, html_body: str
) -> int:
    """Write one message to the outbox; its Message-ID stays the same on every delivery attempt."""
    return db.fetch_one(
        conn,
        """
        INSERT INTO mail_outbox (message_id, template, recipient, subject, text_body, html_body)
        VALUES (:message_id, :template, :recipient, :subject, :text_body, :html_body)
        RETURNING id
        """,
        message_id=make_msgid(domain=_sender_domain()),
        template=template,
        recipient=recipient,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
    )["id"]


def get_queued_message(conn: Connection, outbox_id: int):
    """An outbox message still to deliver, locked; None once sent or given up."""
    return db.fetch_one(
        conn,
        """
        SELECT id, message_id, recipient, subject, text_body, html_body, created_at
        FROM mail_outbox
        WHERE id = :outbox_id
          AND status = 'queued'
        FOR UPDATE
        """,
        outbox_id=outbox_id,
    )


def mark_message_sent(conn: Connection, outbox_id: int) -> None:
    """Record the delivery and drop the bodies, which may hold live codes and links."""
    db.execute(
        conn,
        """
        UPDATE mail_outbox
        SET status = 'sent', sent_at = now(), text_body = NULL, html_body = NULL
        WHERE id = :outbox_id
        """,
        outbox_id=outbox_id,
    )


def mark_message_failed(conn: Connection, outbox_id: int, error: str) -> None:
    """Record that delivery was given up, and drop the bodies."""
    db.execute(
        conn,
        """
        UPDATE mail_outbox
        SET status = 'failed', failed_at = now(), last_error = :error, text_body = NULL, html_body = NULL
        WHERE id = :outbox_id
          AND status = 'queued'
        """,
        outbox_id=outbox_id,
        error=error[:2000],
    )


def build_message(row, sender: str) -> EmailMessage:
    """The MIME message of an outbox row: plain text with an HTML alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row["recipient"]
    message["Subject"] = row["subject"]
    message["Date"] = format_datetime(row["created_at"])
    message["Message-ID"] = row["message_id"]
    # Automatic messages: out-of-office replies should not answer them (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row["text_body"])
    message.add_alternative(row["html_body"], subtype="html")
    return message


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to deliver, read from SMTP_URL."""

    host: str
    port: int
    security: str  # "plain", "starttls" or "tls"
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        """Read smtp://, smtp+starttls:// (or ?starttls=1) and smtps:// URLs."""
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        if parts.scheme == "smtps":
            security, default_port = "tls", 465
        elif parts.scheme == "smtp+starttls" or query.get("starttls", [""])[0].lower() in ("1", "true", "yes"):
            security, default_port = "starttls", 587
        elif parts.scheme == "smtp":
            security, default_port = "plain", 25
        else:
            raise ValueError(f"SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, not {parts.scheme!r}")
        if not parts.hostname:
            raise ValueError("SMTP_URL names no host")
        return cls(
            host=parts.hostname,
            port=parts.port or default_port,
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def connect(self) -> smtplib.SMTP:
        """An open, authenticated connection."""
        if self.security == "tls":
            connection = smtplib.SMTP_SSL(
                self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS, context=ssl.create_default_context()
            )
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
            if self.security == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if self.username:
            connection.login(self.username, self.password or "")
        return connection

    def deliver(self, message: EmailMessage) -> None:
        """Hand one message to the server; PermanentError if it refuses it for good (5xx)."""
        try:
            with self.connect() as connection:
                connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if all(code >= 500 for code in codes):
                raise jobs.PermanentError(f"recipient refused: {error.recipients}") from error
            raise
        except smtplib.SMTPResponseException as error:
            if error.smtp_code >= 500:
                raise jobs.PermanentError(f"{error.smtp_code} {error.smtp_error!r}") from error
            raise


def _give_up(conn: Connection, payload: dict, error: str) -> None:
    mark_message_failed(conn, payload["outbox_id"], error)


@jobs.handler("mail.send", on_failure=_give_up)
def deliver_message(conn: Connection, payload: dict) -> None:
    """Job: deliver one outbox message over SMTP, then mark it sent (in the job's transaction)."""
    row = get_queued_message(conn, payload["outbox_id"])
    if row is None:  # an earlier run sent it (or gave up)
        return
    SmtpServer.from_url(current_app.config["SMTP_URL"]).deliver(build_message(row, sender_address()))
    mark_message_sent(conn, row["id"])


def delete_old_messages(conn: Connection) -> int:
    """Remove delivered and failed messages past their keeping time."""
    return db.execute(
        conn,
        """
        DELETE FROM mail_outbox
        WHERE status <> 'queued'
          AND created_at < now() - CAST(:kept AS interval)
        """,
        kept=SENT_MAIL_KEPT,
    )


@jobs.periodic("mail.prune", every=timedelta(hours=6))
def prune_messages(conn: Connection, payload: dict) -> None:
    """Periodic: forget old outbox rows."""
    delete_old_messages(conn)


def sender_address() -> str:
    """The From header: the site's name and MAIL_FROM's address."""
    name, address = parseaddr(current_app.config["MAIL_FROM"])
    return formataddr((name or current_app.config["SITE_NAME"], address))


def count_queued_messages():
    """The outbox's messages still to deliver, and the age in seconds of the oldest (None if
    none) — its depth for /metrics (app/metrics.py; mail_outbox_queued_idx)."""
    return db.one(
        """
        SELECT count(*) AS queued,
               extract(epoch FROM now() - min(created_at)) AS oldest_seconds
        FROM mail_outbox
        WHERE status = 'queued'
        """
    )
