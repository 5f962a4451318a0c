"""The SMTP sender (aiosmtplib): one connection reused for a batch, a few connections at once, timeouts,
retries with backoff, and TLS exactly as configured (STARTTLS is required when configured, never skipped).

It speaks SMTP only: the event loop runs in a thread of its own and hands each outcome back through a queue,
so the caller records it (in the ledger) on its own thread as soon as the server has answered. A connection
takes its next message only once the caller has come back for the next outcome (it recorded the last one), and
none takes another once the caller stops asking (``close()``, or an error while recording): at most one message
a connection is ever sent and not yet recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import ssl
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from typing import NamedTuple

import aiosmtplib

from monitor.config import SmtpSettings
from monitor.errors import ConfigError
from monitor.rules.states import MessageState
from notifications.sender import Outcome, Outcomes, Ready, TransportError

log = logging.getLogger("monitor.smtp")


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

    async def send(self, sender: str, message: Ready) -> Outcome:
        client = await self.open()
        self.used += 1
        try:
            await client.sendmail(sender, [message.recipient], message.raw)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            return refused_outcome(refused.code, refused.message)
        except (aiosmtplib.SMTPDataError, aiosmtplib.SMTPSenderRefused) as exc:
            return refused_outcome(exc.code, exc.message)
        return Outcome(MessageState.SENT)


def refused_outcome(code: int, text: str) -> Outcome:
    """5xx: the server will never take it (failed); 4xx: a temporary refusal (retry)."""
    return TransportError(f"{code} {text}", permanent=500 <= code < 600).outcome


class _Report(NamedTuple):
    """An outcome on its way to the caller, and the answer its connection waits for: was it recorded?"""
    message: Ready
    outcome: Outcome
    recorded: Future[bool]


def _answer(recorded: Future[bool], value: bool) -> None:
    """Tell a connection waiting for it whether its outcome was recorded (unless its loop is gone already)."""
    with contextlib.suppress(InvalidStateError):
        recorded.set_result(value)


class SmtpSender:
    """The Sender for e-mail, with a circuit breaker: after ``smtp.breaker_after`` failed attempts in a row (any
    message: the server is down, or silent) it stops trying, and reports what it was given as ``retry`` at once;
    the next ``send`` probes with one message first, and a success closes the breaker."""

    def __init__(self, settings: SmtpSettings) -> None:
        if settings.host is None:
            raise ConfigError("smtp.host is not set: digests can be previewed (monitor digest --preview DIR) "
                              "but not sent")
        self.settings = settings
        self.password = settings.password() if settings.username else None
        self.failures = 0       # failed attempts in a row, across messages and rounds

    @property
    def halted(self) -> bool:
        return self.failures >= self.settings.breaker_after

    def send(self, messages: Sequence[Ready]) -> Outcomes:
        """Each message with its outcome, as the server answers. An outcome counts as recorded when the caller
        asks for the next one; until then its connection sends nothing more. Closing the iterator (or an error
        in the caller between two outcomes) stops every connection after the message it is sending."""
        results: queue.Queue[_Report | BaseException | None] = queue.Queue()
        stop = threading.Event()

        def loop() -> None:
            try:
                asyncio.run(self._send_all(messages, results.put, stop))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, raised there
                results.put(exc)
            results.put(None)

        thread = threading.Thread(target=loop, name="smtp", daemon=True)
        thread.start()
        shown: _Report | None = None
        item: _Report | BaseException | None = None
        try:
            while (item := results.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                shown = item
                yield item.message, item.outcome
                shown = None
                _answer(item.recorded, True)        # the caller came back: its connection may go on
        finally:
            stop.set()
            if shown is not None:                   # the caller stopped while recording this one
                _answer(shown.recorded, False)
            while item is not None:                 # what the others were sending: no record, and no more
                if isinstance(item, _Report):
                    _answer(item.recorded, False)
                item = results.get()
            thread.join()

    async def _send_all(self, messages: Sequence[Ready], put: Callable[[_Report], None],
                        stop: threading.Event) -> None:
        pending: asyncio.Queue[Ready] = asyncio.Queue()
        for message in messages:
            pending.put_nowait(message)

        def report(message: Ready, outcome: Outcome) -> Awaitable[bool]:
            """Hand the outcome to the caller; whether it was recorded (then the connection may go on)."""
            recorded: Future[bool] = Future()
            put(_Report(message, outcome, recorded))
            return asyncio.wrap_future(recorded)

        if self.halted and messages:   # the breaker is open: one message probes before the others are tried
            probe = pending.get_nowait()
            connection = _Connection(self.settings, self.password)
            try:
                outcome = await self._with_retries(connection, probe, tries=1)
            finally:
                await connection.close()
            if not await report(probe, outcome):
                return

        async def worker() -> None:
            connection = _Connection(self.settings, self.password)
            try:
                while not stop.is_set() and not pending.empty():
                    message = pending.get_nowait()
                    try:
                        outcome = await self._with_retries(connection, message)
                    except Exception as exc:
                        log.exception("smtp: message %s to %s failed unexpectedly", message.id, message.recipient)
                        outcome = Outcome(MessageState.FAILED, f"{type(exc).__name__}: {exc}")
                        await connection.close()   # in an unknown state: the next message opens a new one
                    if not await report(message, outcome):
                        return                     # it could not be recorded: hand over nothing more
            finally:
                await connection.close()

        await asyncio.gather(*(worker() for _ in range(max(1, min(self.settings.concurrency, len(messages))))))

    async def _with_retries(self, connection: _Connection, message: Ready, tries: int | None = None) -> Outcome:
        settings, error = self.settings, ""
        tries = settings.retries + 1 if tries is None else tries
        for attempt in range(tries):
            if self.halted and tries > 1:
                return Outcome(MessageState.RETRY, error or f"not tried: the last {self.failures} attempts to reach "
                               f"{settings.host} failed (circuit open until one succeeds)")
            try:
                outcome = await connection.send(settings.sender, message)
                self.failures = 0
                return outcome
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                self.failures += 1
                # the connection is gone or unusable; whether the server took the message is unknown, so it is
                # sent again (byte for byte, same Message-ID) rather than risk losing it
                error = f"{type(exc).__name__}: {exc}"
                log.warning("smtp attempt %d/%d for %s to %s failed: %s", attempt + 1, tries,
                            message.id, message.recipient, error)
                connection.client = None
                if attempt < tries - 1 and not self.halted:
                    await asyncio.sleep(settings.backoff * 2 ** attempt)
        return Outcome(MessageState.RETRY, error)
