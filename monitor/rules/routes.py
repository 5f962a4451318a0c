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
    return recipient.removeprefix(CHANNEL_PREFIX)


def routed(cluster: Cluster, roles: Sequence[str], routes: Sequence[Route]) -> list[str]:
    """The channels (as recipients) a reminder notifying ``roles`` about ``cluster`` is posted to."""
    return [route.recipient for route in routes
            if ("administrator" in route.roles or set(route.roles) & set(roles))
            and (not route.regions or cluster.region in route.regions)
            and (not route.regimes or cluster.regime in route.regimes)]
