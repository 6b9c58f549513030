"""The e-mail outbox: written in the caller's transaction, delivered over real SMTP by the worker,
retried after a temporary refusal, given up on a permanent one."""

from decimal import Decimal

import pytest
from sqlalchemy import text

from app import db, jobs, mail
from tests.conftest import query_one
from tests.mail import Mailbox, RefuseFirst, free_port


def queue_mail(app, recipient: str = "someone@example.com") -> int:
    """Queue one code e-mail the way the app does; return its outbox id."""
    with app.test_request_context(), db.transaction() as conn:
        return mail.send(conn, "verify_code", recipient, code="123456", minutes=15)


def outbox(app, outbox_id: int):
    return query_one(app, "SELECT * FROM mail_outbox WHERE id = :id", id=outbox_id)


def job_of(app, outbox_id: int):
    return query_one(
        app, "SELECT * FROM jobs WHERE kind = 'mail.send' AND payload->>'outbox_id' = :id", id=str(outbox_id)
    )


def test_a_message_is_delivered_once_and_its_bodies_dropped(app, mailbox):
    outbox_id = queue_mail(app)
    assert outbox(app, outbox_id)["status"] == "queued" and "123456" in outbox(app, outbox_id)["text_body"]
    mailbox.deliver()
    [message] = mailbox.messages()
    row = outbox(app, outbox_id)
    assert row["status"] == "sent" and row["sent_at"] is not None
    assert row["text_body"] is None and row["html_body"] is None  # the code does not stay in the database
    assert message["Message-ID"] == row["message_id"]
    assert message["To"] == "someone@example.com" and message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    assert job_of(app, outbox_id)["status"] == "done" and job_of(app, outbox_id)["attempts"] == 1
    mailbox.deliver()
    assert len(mailbox.messages()) == 1  # nothing is sent twice


def test_the_message_commits_or_rolls_back_with_the_change_that_caused_it(app):
    class Abandoned(Exception):
        pass

    def change_then_fail():
        with app.test_request_context(), db.transaction() as conn:
            mail.send(conn, "verify_code", "ghost@example.com", code="000000", minutes=15)
            raise Abandoned

    with pytest.raises(Abandoned):
        change_then_fail()
    assert query_one(app, "SELECT count(*) AS n FROM mail_outbox WHERE recipient = 'ghost@example.com'")["n"] == 0
    assert query_one(app, "SELECT count(*) AS n FROM jobs WHERE kind = 'mail.send'")["n"] == 0


def test_a_temporary_refusal_is_retried_with_backoff(app, tmp_path, monkeypatch):
    box = Mailbox(app, tmp_path / "mail", RefuseFirst(tmp_path / "mail", refusals=1))
    box.controller.start()
    monkeypatch.setitem(app.config, "SMTP_URL", box.url)
    try:
        outbox_id = queue_mail(app)
        box.deliver()
        assert box.messages() == []
        job = job_of(app, outbox_id)
        assert job["status"] == "queued" and job["attempts"] == 1 and "451" in job["last_error"]
        waited = query_one(app, "SELECT run_at - now() AS wait FROM jobs WHERE id = :id", id=job["id"])["wait"]
        assert 11 <= waited.total_seconds() <= 15  # the first retry comes after about 15 seconds
        box.deliver()
        assert box.messages() == []  # not due yet
        query_one(app, "UPDATE jobs SET run_at = now() WHERE id = :id RETURNING id", id=job["id"])  # time moves on
        box.deliver()
        [message] = box.messages()
        assert message["Message-ID"] == outbox(app, outbox_id)["message_id"]
        assert outbox(app, outbox_id)["status"] == "sent"
        assert job_of(app, outbox_id)["attempts"] == 2 and job_of(app, outbox_id)["status"] == "done"
    finally:
        box.controller.stop()


class RefuseForGood(RefuseFirst):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        return "550 5.1.1 No such mailbox"


def test_a_permanent_refusal_fails_at_once_and_drops_the_bodies(app, tmp_path, monkeypatch):
    box = Mailbox(app, tmp_path / "mail", RefuseForGood(tmp_path / "mail", refusals=0))
    box.controller.start()
    monkeypatch.setitem(app.config, "SMTP_URL", box.url)
    try:
        outbox_id = queue_mail(app, "nobody@example.com")
        box.deliver()
    finally:
        box.controller.stop()
    job = job_of(app, outbox_id)
    assert job["status"] == "failed" and job["attempts"] == 1 and "550" in job["last_error"]
    row = outbox(app, outbox_id)
    assert row["status"] == "failed" and "550" in row["last_error"] and row["text_body"] is None


def test_an_unreachable_server_is_retried_until_the_last_attempt(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    outbox_id = queue_mail(app)
    job_id = job_of(app, outbox_id)["id"]
    query_one(app, "UPDATE jobs SET max_attempts = 3 WHERE id = :id RETURNING id", id=job_id)
    for attempt in range(1, 4):
        _run_worker(app)
        job = job_of(app, outbox_id)
        assert job["attempts"] == attempt and "ConnectionRefusedError" in job["last_error"]
        query_one(app, "UPDATE jobs SET run_at = now() WHERE id = :id RETURNING id", id=job_id)
    assert job_of(app, outbox_id)["status"] == "failed"
    assert outbox(app, outbox_id)["status"] == "failed"


def _run_worker(app) -> None:
    from app import worker

    with app.app_context():
        worker.load_handlers()
        worker.run_once()


def test_backoff_doubles_up_to_an_hour():
    waits = [jobs.backoff_seconds(attempt) for attempt in (1, 2, 3, 4, 20, 200)]
    assert 12 <= waits[0] <= 15 and 24 <= waits[1] <= 30 and 48 <= waits[2] <= 60 and 96 <= waits[3] <= 120
    assert 2880 <= waits[4] <= 3600 and 2880 <= waits[5] <= 3600


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:8025", ("127.0.0.1", 8025, "plain", None, None)),
        ("smtp://mail.example.com", ("mail.example.com", 25, "plain", None, None)),
        ("smtp://u:p@mail.example.com:587?starttls=1", ("mail.example.com", 587, "starttls", "u", "p")),
        ("smtp+starttls://mail.example.com", ("mail.example.com", 587, "starttls", None, None)),
        (
            "smtps://me%40example.com:s%3Acret@mail.example.com:465",
            ("mail.example.com", 465, "tls", "me@example.com", "s:cret"),
        ),
        ("smtps://mail.example.com", ("mail.example.com", 465, "tls", None, None)),
    ],
)
def test_smtp_urls(url, expected):
    server = mail.SmtpServer.from_url(url)
    assert (server.host, server.port, server.security, server.username, server.password) == expected


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "mail.example.com:25"])
def test_bad_smtp_urls_are_refused_with_a_reason(url):
    with pytest.raises(ValueError, match="SMTP_URL"):
        mail.SmtpServer.from_url(url)


def test_links_in_emails_use_the_public_url_not_the_request_host(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://shop.example.com/")
    with app.test_request_context(base_url="http://evil.example"):
        assert mail.absolute_url("auth.forgot_password") == "https://shop.example.com/forgot-password"


def test_every_template_renders_both_parts_escaped(app):
    context = {
        "code": "123456",
        "minutes": 15,
        "sign_in_link": "http://x/login",
        "reset_link": "http://x/r",
        "new_email": "<b>new</b>@example.com",
        "name": "<script>",
        "link": "http://x/l",
        "lifetime": "1 hour",
    }
    # The order journey's messages (app/order_mail.py), with user text where users write it.
    line = {
        "purchase_id": 7,
        "quantity": 2,
        "product_name": "<i>Mug</i>",
        "seller_name": "<b>Shop</b>",
        "buyer_name": "<script>",
        "paid": Decimal("9.50"),
        "line_total": Decimal("10.00"),
        "refunded_amount": Decimal("9.50"),
        "fee": Decimal("4.99"),
        "method_name": "Courier",
        "min_days": 1,
        "max_days": 3,
        "carrier": "<b>Post</b>",
        "tracking_number": "<b>TR1</b>",
        "return_reason": "<script>broken</script>",
        "refuse_reason": "<script>used</script>",
    }
    context |= {
        "purchase_id": 7,
        "line": line,
        "lines": [line],
        "fees": [line],
        "shipping": line,
        "total": Decimal("23.99"),
        "ship_to": "<b>Ada</b>\n1 Main St",
        "note": "<script>ring twice</script>",
        "buyer_name": "<script>",
        "return_days": 14,
        "return_until": "14 December 2026",
        "fee_refunded": Decimal("4.99"),
        "automatically": False,
    }
    with app.test_request_context(), db.transaction() as conn:
        for template in mail.SUBJECTS:
            outbox_id = mail.send(conn, template, "to@example.com", **context)
            row = conn.execute(text("SELECT * FROM mail_outbox WHERE id = :id"), {"id": outbox_id}).mappings().one()
            assert "Bazaar" in row["html_body"] and "Bazaar" in row["text_body"]
            assert "<script>" not in row["html_body"] and "<b>new</b>" not in row["html_body"]
            assert "<img" not in row["html_body"]


def test_a_job_can_send_mail_with_links_from_the_public_url(app, monkeypatch, mailbox):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://shop.example.com")
    with app.app_context(), db.transaction() as conn:  # no request, as in a job's handler
        mail.send(
            conn, "password_changed", "job@example.com", name="Job", link=mail.absolute_url("auth.forgot_password")
        )
    text = mailbox.last("job@example.com").get_body(("plain",)).get_content()
    assert "https://shop.example.com/forgot-password" in text and "by Bazaar (https://shop.example.com/)" in text
