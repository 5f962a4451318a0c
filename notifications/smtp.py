"""Sending digests with aiosmtplib: one connection reused for a batch, a few connections at once, timeouts,
retries with backoff, and TLS exactly as configured (STARTTLS is required when configured, never skipped).

The caller decides what a result means for the ledger: ``before_send`` renews the claim on a message just before
it goes out and returns its bytes (``None``: it is no longer ours), ``settle`` records the outcome at once.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Sequence
from typing import NamedTuple

import aiosmtplib

from monitor.config import SmtpSettings
from monitor.errors import ConfigError

log = logging.getLogger("monitor.smtp")


class Outgoing(NamedTuple):
    id: str             # the Message-ID; its bytes are read from the ledger just before sending
    recipient: str


class Outcome(NamedTuple):
    state: str          # sent | failed (the server refused it for good) | retry (try again later)
    error: str | None = None


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """Certificates are always verified, against the system's CAs or ``smtp.ca_file``."""
    return ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)


class _Connection:
    """One SMTP session, opened on first use and reopened after ``batch_size`` messages or an error."""

    def __init__(self, settings: SmtpSettings, password: str | None) -> None:
        self.settings, self.password = settings, password
        self.client: aiosmtplib.SMTP | None = None
        self.used = 0

    async def open(self) -> aiosmtplib.SMTP:
        if self.client is not None and self.used < self.settings.batch_size:
            return self.client
        await self.close()
        s = self.settings
        client = aiosmtplib.SMTP(hostname=s.host, port=s.port, timeout=s.timeout, use_tls=s.security == "tls",
                                 start_tls=s.security == "starttls", tls_context=tls_context(s))
        await client.connect()
        if s.username:
            await client.login(s.username, self.password or "")
        self.client, self.used = client, 0
        return client

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()

    async def send(self, sender: str, message: Outgoing, raw: bytes) -> Outcome:
        client = await self.open()
        self.used += 1
        try:
            await client.sendmail(sender, [message.recipient], raw)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            return _refused(refused.code, refused.message)
        except (aiosmtplib.SMTPDataError, aiosmtplib.SMTPSenderRefused) as exc:
            return _refused(exc.code, exc.message)
        return Outcome("sent")


def _refused(code: int, text: str) -> Outcome:
    """5xx: the server will never take it (failed); 4xx: a temporary refusal (retry)."""
    return Outcome("failed" if 500 <= code < 600 else "retry", f"{code} {text}")


async def send_all(settings: SmtpSettings, sender: str, messages: Sequence[Outgoing],
                   before_send: Callable[[str], bytes | None], settle: Callable[[str, Outcome], None]) -> None:
    """Send every message, ``settings.concurrency`` connections at once, settling each as soon as it is known."""
    if settings.host is None:
        raise ConfigError("smtp.host is not set: digests can be previewed (monitor digest --preview DIR) "
                          "but not sent")
    password = settings.password() if settings.username else None
    queue: asyncio.Queue[Outgoing] = asyncio.Queue()
    for message in messages:
        queue.put_nowait(message)

    async def worker() -> None:
        connection = _Connection(settings, password)
        try:
            while not queue.empty():
                message = queue.get_nowait()
                raw = before_send(message.id)
                if raw is not None:
                    settle(message.id, await _with_retries(settings, connection, sender, message, raw))
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(max(1, min(settings.concurrency, len(messages))))))


async def _with_retries(settings: SmtpSettings, connection: _Connection, sender: str,
                        message: Outgoing, raw: bytes) -> Outcome:
    error = ""
    for attempt in range(settings.retries + 1):
        try:
            return await connection.send(sender, message, raw)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            # the connection is gone or unusable; whether the server took the message is unknown, so it is
            # sent again (byte for byte, same Message-ID) rather than risk losing it
            error = f"{type(exc).__name__}: {exc}"
            log.warning("smtp attempt %d/%d for %s to %s failed: %s", attempt + 1, settings.retries + 1,
                        message.id, message.recipient, error)
            connection.client = None
            if attempt < settings.retries:
                await asyncio.sleep(settings.backoff * 2 ** attempt)
    return Outcome("retry", error)
