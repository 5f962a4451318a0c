"""Group chats and webhooks: one class per kind of service, registered by the config ``type`` that names it.

``channel.py`` holds the base, ``Channel``: posting, pacing, the circuit breaker and the judging every kind
shares (a 4xx is final, a 408, 429 or 5xx is retried); ``robot.py`` what the three robots share (markdown, an
answer read by its ``errcode``). Each kind is a file of its own, named after its type: ``wecom.py``,
``dingtalk.py``, ``feishu.py``, ``webhook.py``, each with its body, its signature, its reading of an answer and
its limits.

Adding a kind is adding a file here: ``<type>.py`` with a subclass of Channel (or Robot) that sets ``kind``
to its type, ``max_bytes`` and ``per_minute``, and gives ``body()`` (and ``sign()`` or ``raise_for_body()`` if
its service needs them). A class with a ``kind`` of its own is registered when it is defined, and ``kinds()``
imports every module of this package, so no list names it. ``ChannelSettings.type`` in monitor/config.py
names it for config.toml (config sits below this layer and cannot import it); tests/test_channel_kinds.py
fails until the two agree.
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from types import MappingProxyType

from monitor.config import ChannelSettings
from monitor.rules.personal import PersonalChannel
from notifications.channels.channel import KINDS, Channel


@cache
def kinds() -> Mapping[str, type[Channel]]:
    """Every kind of channel by its config type (every module of this package imported once, to register)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return MappingProxyType(KINDS)


def channel_for(settings: ChannelSettings, environ: Mapping[str, str] | None = None,
                monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                wall: Callable[[], float] = time.time) -> Channel:
    """The channel object for a ``[[channels]]`` entry, of the class its ``type`` names."""
    found = kinds().get(settings.type)
    if found is None:    # config.toml only accepts the registered types (tests/test_channel_kinds.py)
        raise LookupError(f"channels.{settings.name}: no channel class for type {settings.type!r} in "
                          "notifications/channels/")
    return found(settings, environ, monotonic=monotonic, sleep=sleep, wall=wall)


def channels_for(channels: Sequence[ChannelSettings], environ: Mapping[str, str] | None = None,
                 monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 wall: Callable[[], float] = time.time) -> dict[str, Channel]:
    """Each configured channel by its name: what the Router (notifications/router.py) hands messages to."""
    return {channel.name: channel_for(channel, environ, monotonic, sleep, wall) for channel in channels}


def split(channels: Sequence[ChannelSettings]) -> tuple[tuple[ChannelSettings, ...], tuple[PersonalChannel, ...]]:
    """The group channels (a robot, a webhook: ``channel:NAME``), and the personal ones (an app writing to each
    person, ``channel:NAME:ACCOUNT``, with the id its kind addresses people by): told apart by their class's
    ``id_field``, never by their type's name."""
    groups: list[ChannelSettings] = []
    personal: list[PersonalChannel] = []
    for channel in channels:
        found = kinds().get(channel.type)
        field = None if found is None else found.id_field
        if field is None:
            groups.append(channel)
        else:
            personal.append(PersonalChannel(channel.name, field, tuple(channel.roles), channel.regions,
                                            channel.regimes))
    return tuple(groups), tuple(personal)
