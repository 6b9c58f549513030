"""A real SMTP server for tests (aiosmtpd, the same handler as python -m app.mailcatcher) on a free port.

`mailbox` points the app's SMTP_URL at it; `mailbox.deliver()` runs the worker's loop once in
this process, so the outbox is delivered over real SMTP, and the caught messages are read back
from their .eml files.
"""

import asyncio
import re
import socket

import pytest
from aiosmtpd.controller import Controller

from app import mailcatcher, worker

CODE = re.compile(r"^\s+([0-9]{6})\s*$", re.MULTILINE)  # the code stands alone on an indented line
LINK = re.compile(r"https?://\S+")


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RefuseFirst(mailcatcher.MailFolder):
    """Answers 451 (try again later) to the first `refusals` messages, then accepts."""

    def __init__(self, folder, refusals: int = 1) -> None:
        super().__init__(folder)
        self.refusals = refusals

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        if self.refusals > 0:
            self.refusals -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        return await super().handle_DATA(server, session, envelope)


class Slow(mailcatcher.MailFolder):
    """Takes `seconds` to accept each message, so a worker can be caught in the middle of a batch."""

    def __init__(self, folder, seconds: float) -> None:
        super().__init__(folder)
        self.seconds = seconds

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        await asyncio.sleep(self.seconds)
        return await super().handle_DATA(server, session, envelope)


class Mailbox:
    """An SMTP server in a thread that keeps what it receives in `folder`."""

    def __init__(self, app, folder, handler: mailcatcher.MailFolder | None = None) -> None:
        self.app = app
        self.folder = folder
        self.handler = handler or mailcatcher.MailFolder(folder)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=free_port())

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"

    def deliver(self) -> int:
        """Run the worker once (periodic jobs, then every due job); return how many jobs ran."""
        with self.app.app_context():
            worker.load_handlers()
            return worker.run_once()

    def messages(self, to: str | None = None):
        """Every caught message (to one address, if given), oldest first."""
        messages = mailcatcher.read_messages(self.folder)
        return [message for message in messages if to is None or message["To"].lower() == to.lower()]

    def last(self, to: str):
        """The newest message to `to`, after delivering what is queued."""
        self.deliver()
        messages = self.messages(to)
        assert messages, f"no e-mail to {to}; caught: {[str(message['To']) for message in self.messages()]}"
        return messages[-1]

    def code(self, to: str) -> str:
        """The 6-digit code of the newest message to `to`."""
        return CODE.search(mailcatcher.text_of(self.last(to))).group(1)

    def link(self, to: str, containing: str) -> str:
        """The first link with `containing` in the newest message to `to`."""
        return next(link for link in LINK.findall(mailcatcher.text_of(self.last(to))) if containing in link)


@pytest.fixture
def mailbox(app, tmp_path, monkeypatch):
    """A real SMTP server the app's worker delivers to."""
    box = Mailbox(app, tmp_path / "mail")
    box.controller.start()
    monkeypatch.setitem(app.config, "SMTP_URL", box.url)
    yield box
    box.controller.stop()
