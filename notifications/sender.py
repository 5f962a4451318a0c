"""What a transport is to the rest of monitor: a Sender takes ready messages and reports each one's fate.

Every transport is a Sender: ``SmtpSender`` (notifications/smtp.py) for e-mail, and one ``Channel`` object per
``[[channels]]`` entry (notifications/channels/: a class per kind of service), which the Router
(notifications/router.py) hands the messages addressed to it. A Sender speaks its protocol only. It never
touches the ledger: jobs/deliver.py claims the messages, hands them over a bounded chunk at a time, and
records each outcome as the sender reports it.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import NamedTuple, Protocol

from monitor.rules.states import MessageState


class Ready(NamedTuple):
    """A stored message, as it is handed to a sender: its id (the Message-ID), recipient and exact bytes."""
    id: str
    recipient: str
    raw: bytes


class Outcome(NamedTuple):
    state: MessageState     # sent | failed (refused for good) | retry (try again later)
    error: str | None = None


class TransportError(Exception):
    """A message the service did not take, in its words. ``permanent``: refused for good (a wrong key, a bad
    signature, a 4xx), recorded ``failed`` and never tried again; otherwise (an outage, a timeout, a rate limit)
    it is retried with the ledger's backoff. One vocabulary for every transport, as healthchecks' has."""

    def __init__(self, error: str, permanent: bool = False) -> None:
        super().__init__(error)
        self.permanent = permanent

    @property
    def outcome(self) -> Outcome:
        return Outcome(MessageState.FAILED if self.permanent else MessageState.RETRY, str(self))


#: what a Sender's ``send`` returns: a generator, so that closing it stops the sender
Outcomes = Generator[tuple[Ready, Outcome], None, None]


class Sender(Protocol):
    @property
    def halted(self) -> bool:
        """True while the transport is known to be down (a circuit breaker is open): hand it nothing more now."""
        ...

    def send(self, messages: Sequence[Ready]) -> Outcomes:
        """Send the messages; yield each one with its outcome as soon as it is known, in any order. An outcome is
        the caller's to record before it asks for the next: a sender hands over no more messages than it has
        connections ahead of what was recorded, and none once the iterator is closed (the caller could not
        record an outcome: whatever it sent now would be sent again)."""
        ...
