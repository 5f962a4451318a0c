"""One Sender for a round's messages of every kind: e-mail to the SMTP sender, ``channel:NAME`` to the channels'.

A message whose transport is not configured (smtp.host unset, say) is given back for a retry: rounds only
claim what can be sent, so that happens only when the config changed between a round and its resend.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from monitor.rules.routes import is_channel
from monitor.rules.states import MessageState
from notifications.sender import Outcome, Ready, Sender


class Router:
    def __init__(self, email: Sender | None, channels: Sender | None) -> None:
        self.email, self.channels = email, channels

    @property
    def halted(self) -> bool:
        present = [sender for sender in (self.email, self.channels) if sender is not None]
        return all(sender.halted for sender in present)

    def send(self, messages: Sequence[Ready]) -> Iterator[tuple[Ready, Outcome]]:
        for sender, part, kind in ((self.channels, [m for m in messages if is_channel(m.recipient)], "channels"),
                                   (self.email, [m for m in messages if not is_channel(m.recipient)], "smtp.host")):
            if not part:
                continue
            if sender is None:
                for message in part:
                    yield message, Outcome(MessageState.RETRY, f"not sent: {kind} is not configured")
            else:
                yield from sender.send(part)
