"""One Sender for a round's messages of every kind: e-mail to the SMTP sender, ``channel:NAME`` to that channel.

The Router knows no kind of channel: it is given each configured channel's object by name
(notifications.channels.channels_for) and hands each its own messages; what the message looks like, how it is
signed and how the answer is read is the channel's class's. A message whose transport is not configured
(smtp.host unset, no channels) is given back for a retry: rounds only claim what can be sent, so that happens
only when the config changed between a round and its resend. A message to a channel name that is not in the
config (while others are) fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from monitor.rules.routes import channel_name, is_channel
from monitor.rules.states import MessageState
from notifications.sender import Outcome, Outcomes, Ready, Sender


class Router:
    def __init__(self, email: Sender | None, channels: Mapping[str, Sender] | None = None) -> None:
        self.email, self.channels = email, dict(channels or {})

    @property
    def halted(self) -> bool:
        """True when every transport there is is halted (or there is none)."""
        present = [sender for sender in (self.email, *self.channels.values()) if sender is not None]
        return all(sender.halted for sender in present)

    def send(self, messages: Sequence[Ready]) -> Outcomes:
        by_channel: dict[str, list[Ready]] = {}
        for message in messages:
            if is_channel(message.recipient):
                by_channel.setdefault(channel_name(message.recipient), []).append(message)
        for name, part in by_channel.items():
            channel = self.channels.get(name)
            if channel is not None:
                yield from channel.send(part)
                continue
            outcome = (Outcome(MessageState.FAILED, f"no channel named '{name}' in config.toml") if self.channels
                       else Outcome(MessageState.RETRY, "not sent: channels is not configured"))
            for message in part:
                yield message, outcome
        email = [message for message in messages if not is_channel(message.recipient)]
        if email and self.email is None:
            for message in email:
                yield message, Outcome(MessageState.RETRY, "not sent: smtp.host is not configured")
        elif email and self.email is not None:
            yield from self.email.send(email)
