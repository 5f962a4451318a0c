"""Which group chats a reminder goes to: a channel carries a reminder when one of its roles is notified of it
(``administrator`` carries every reminder, as administrators get every one by e-mail) and the cluster is in
one of its regions and regimes (none listed: all). Pure: the channels are plain values from config.toml."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from monitor.rules.facts import Cluster

#: how a delivery names a channel as its recipient, beside e-mail addresses
CHANNEL_PREFIX = "channel:"


class Route(Protocol):
    @property
    def recipient(self) -> str: ...
    @property
    def roles(self) -> tuple[str, ...]: ...
    @property
    def regions(self) -> tuple[str, ...]: ...
    @property
    def regimes(self) -> tuple[str, ...]: ...


def is_channel(recipient: str) -> bool:
    return recipient.startswith(CHANNEL_PREFIX)


def channel_name(recipient: str) -> str:
    """The channel a recipient is on: ``channel:NAME``, or a person on it, ``channel:NAME:ACCOUNT`` (a channel's
    name has no colon; an account's may)."""
    return recipient.removeprefix(CHANNEL_PREFIX).partition(":")[0]


def person_recipient(channel: str, account: str) -> str:
    """How a delivery names a person reached on a personal channel (monitor/rules/personal.py): one delivery per
    (reminder, person, channel), unique as every recipient is."""
    return f"{CHANNEL_PREFIX}{channel}:{account}"


def person_of(recipient: str) -> str | None:
    """The account a personal channel's recipient names; None for a group channel or an address."""
    if not is_channel(recipient):
        return None
    _, colon, account = recipient.removeprefix(CHANNEL_PREFIX).partition(":")
    return account if colon else None


def routed(cluster: Cluster, roles: Sequence[str], routes: Sequence[Route]) -> list[str]:
    """The channels (as recipients) a reminder notifying ``roles`` about ``cluster`` is posted to."""
    return [route.recipient for route in routes
            if ("administrator" in route.roles or set(route.roles) & set(roles))
            and (not route.regions or cluster.region in route.regions)
            and (not route.regimes or cluster.regime in route.regimes)]
