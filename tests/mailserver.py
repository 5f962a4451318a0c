"""A real SMTP server on loopback for the tests: aiosmtpd's Controller on a free port, optionally with
STARTTLS (a trustme certificate authority) and AUTH, refusing chosen recipients, and able to go down and come back."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, Session

USER, PASSWORD = "monitor", "s3cret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Received:
    recipients: list[str]
    raw: bytes
    tls: bool
    user: str | None
    peer: str = ""          # the client's address and port: one per SMTP connection

    @property
    def message(self) -> EmailMessage:
        parsed: EmailMessage = email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[assignment]
        return parsed

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert body is not None
        content: str = body.get_content()  # type: ignore[attr-defined]
        return content


@dataclass
class Handler:
    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: run once the message numbered by the key (1 the first) is received, before the server answers 250
    hooks: dict[int, Callable[[], None]] = field(default_factory=dict)

    async def handle_RCPT(self, server: Any, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.original_content, bytes)
        login = session.auth_data if isinstance(session.auth_data, str) else None
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), envelope.original_content,
                                          session.ssl is not None, login, str(session.peer)))
            hook = self.hooks.pop(len(self.received), None)
        if hook is not None:    # blocks the server's loop: the other connections wait for it too
            hook()
        return "250 OK"


def _authenticate(server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False, auth_data=USER if ok else None)


class MailServer:
    def __init__(self, tmp: Path, starttls: bool = False, refuse: set[str] | None = None) -> None:
        self.handler = Handler(refuse or set())
        self.port = free_port()
        self.starttls = starttls
        self.ca_file: Path | None = None
        self.controller: Controller | None = None
        self._context: ssl.SSLContext | None = None
        if starttls:
            ca = trustme.CA()
            self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("127.0.0.1", "localhost").configure_cert(self._context)
            self.ca_file = tmp / "ca.pem"
            ca.cert_pem.write_to_path(str(self.ca_file))

    def start(self) -> MailServer:
        kwargs: dict[str, Any] = {}
        if self.starttls:
            kwargs = {"tls_context": self._context, "require_starttls": True, "authenticator": _authenticate,
                      "auth_required": True, "auth_require_tls": True}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def when_received(self, count: int, action: Callable[[], None]) -> None:
        """Run ``action`` once the ``count``-th message has been received, before it is acknowledged: the
        client learns it was accepted only after ``action`` is done."""
        with self.handler.lock:
            self.handler.hooks[count] = action

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def config(self, security: str = "none", extra: str = "") -> str:
        """The [smtp] table of a config.toml that sends here."""
        lines = ['host = "127.0.0.1"', f"port = {self.port}", f'security = "{security}"',
                 'sender = "monitor@example.gov.cn"', "timeout = 5", "retries = 1", "backoff = 0.05"]
        if self.ca_file is not None:
            lines.append(f'ca_file = "{self.ca_file}"')
        return "[smtp]\n" + "\n".join(lines) + "\n" + extra
