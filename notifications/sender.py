"""What a transport is to the rest of monitor: a Sender takes ready messages and reports each one's fate.

A Sender speaks its protocol only. It never touches the ledger: jobs/deliver.py claims the messages, hands
them over a bounded chunk at a time, and records each outcome as the sender reports it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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


class Sender(Protocol):
    @property
    def halted(self) -> bool:
        """True while the transport is known to be down (a circuit breaker is open): hand it nothing more now."""
        ...

    def send(self, messages: Sequence[Ready]) -> Iterator[tuple[Ready, Outcome]]:
        """Send the messages; yield each one with its outcome as soon as it is known, in any order."""
        ...
