"""A local SMTP server that delivers nowhere: it keeps every message as an .eml file.

Usage: python -m app.mailcatcher [--host 127.0.0.1] [--port 8025] [--folder instance/mail]
       python -m app.mailcatcher --latest [N]     print the newest N caught messages (default 1)

./setup.sh starts it when SMTP_URL is unset, so the site's e-mail can be read without a mail
server: open the files in instance/mail/ with any mail program, or print them with --latest.
Tests start the same handler on a free port (tests/mail.py).
"""

import argparse
import asyncio
import email
import email.policy
import os
import signal
import sys
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

DEFAULT_FOLDER = Path(__file__).resolve().parent.parent / "instance" / "mail"


class MailFolder:
    """An aiosmtpd handler that writes each message it accepts to its own file in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's name
        self.save(envelope)
        return "250 Message accepted for delivery"

    def save(self, envelope: Envelope) -> Path:
        """Write the message, with its envelope recipients on top, and return its path."""
        content = envelope.original_content or b""
        recipients = ", ".join(envelope.rcpt_tos)
        # The name sorts by arrival; writing under a dot-name then renaming means a reader never
        # sees half a message.
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        partial = self.folder / f".{name}.part"
        partial.write_bytes(f"X-Envelope-To: {recipients}\r\n".encode() + content)
        os.replace(partial, self.folder / name)
        return self.folder / name


def read_messages(folder: Path) -> list[EmailMessage]:
    """Every message caught in `folder`, oldest first."""
    paths = sorted(Path(folder).glob("*.eml"), key=lambda path: int(path.name.split("-", 1)[0]))
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in paths]


def text_of(message: EmailMessage) -> str:
    """The plain-text part of a message."""
    return message.get_body(preferencelist=("plain",)).get_content()


async def serve(handler: MailFolder, host: str, port: int) -> None:
    """Accept mail until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, enable_SMTPUTF8=True), host, port)
    stopped = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    print(f"mailcatcher: listening on smtp://{host}:{port}, keeping mail in {handler.folder}", flush=True)
    await stopped.wait()
    server.close()
    await server.wait_closed()


def print_latest(folder: Path, count: int) -> None:
    """Print the newest `count` messages: headers and the plain-text part."""
    for message in read_messages(folder)[-count:]:
        for header in ("Date", "From", "To", "Subject"):
            print(f"{header}: {message[header]}")
        print()
        print(text_of(message))
        print("-" * 72)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.mailcatcher", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BAZAAR_MAIL_PORT", "8025")))
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--latest", type=int, nargs="?", const=1, metavar="N", help="print the newest N messages")
    options = parser.parse_args(argv)
    if options.latest is not None:
        print_latest(options.folder, options.latest)
        return 0
    asyncio.run(serve(MailFolder(options.folder), options.host, options.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
