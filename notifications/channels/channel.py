"""A channel: one group-chat robot or webhook that digests are posted to, over HTTP (httpx).

``Channel`` is the base of every kind of service; each kind is a subclass in a file of its own
(notifications/channels/<kind>.py), registered by the config ``type`` that names it (``kind``). The services'
documented HTTP APIs are used directly: a post is one POST of JSON, and what decides whether a message was
delivered (the HTTP status and, for the robots, the ``errcode`` in the answer) must be read exactly, which a
general notification library hides.

What a kind owns, it declares:

- ``kind``, ``max_bytes`` and ``per_minute``: its type and its service's limits (a ``[[channels]]`` entry's
  ``max_bytes`` and ``per_minute`` override them);
- ``body()``: the JSON it posts, and its size as the service counts it;
- ``sign()``: what it adds when it posts (a signature, which holds the time, so is never stored);
- ``raise_for_body()``: its reading of a 2xx answer.

What is the same for every kind is here, so that no kind can get it wrong:

- ``sent`` only on a 2xx answer that the kind's ``raise_for_body`` accepts (the robots: ``errcode`` 0);
- ``retry`` (with the ledger's backoff) on a timeout, a connection error, a 5xx, a 429, a 408, or what the
  kind calls temporary (a robot's rate-limit code);
- ``failed`` on any other refusal, a 4xx whatever the kind among them, with the service's own words
  (``TransportError(permanent=True)``).

Each channel keeps to its service's pace: a post that would exceed ``rate`` a minute waits for its slot, or, if
that is more than ``MAX_WAIT`` away, is given back for a retry. After ``BREAKER_AFTER`` failed attempts in a
row (no answer, or a 5xx) a channel is not tried again in this batch but for one probe.
"""

from __future__ import annotations

import collections
import json
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

import httpx

from monitor.config import ChannelSettings
from monitor.errors import ConfigError
from monitor.rules.states import MessageState
from notifications.sender import Outcome, Outcomes, Ready, TransportError

log = logging.getLogger("monitor.channels")
# httpx logs every request's URL at INFO, and a robot's URL holds its key (WeCom ?key=, DingTalk ?access_token=,
# Feishu /hook/TOKEN): the daemon logs at INFO, so httpx speaks only of what went wrong (its WARNINGs); what a
# post did is logged here, with the address left out
logging.getLogger("httpx").setLevel(logging.WARNING)

#: every kind of channel by its config ``type``; a subclass with a ``kind`` of its own is added when defined
KINDS: dict[str, type[Channel]] = {}
#: the HTTP statuses that mean "not now" for every kind (too many requests, the request timed out)
RETRY_STATUSES = frozenset({408, 429})
#: seconds a post may wait for its rate-limit slot before it is given back for a retry
MAX_WAIT = 15.0
BREAKER_AFTER = 3


class Request(NamedTuple):
    """One POST, as it goes out: the address, the exact body, the headers."""
    url: str
    body: bytes
    headers: dict[str, str]


def compact(payload: Mapping[str, Any]) -> bytes:
    """JSON as the services take it: UTF-8 (Chinese as itself, not escaped), no spaces."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class Channel(ABC):
    """One configured channel of one kind: a Sender (notifications/sender.py) for the messages to it."""

    kind: ClassVar[str]          # the config type that names this kind: the registry's key
    #: the account's id this kind addresses a person by (monitor/rules/personal.py ID_FIELDS); None: a group's
    id_field: ClassVar[str | None] = None
    max_bytes: ClassVar[int]     # the most a message may have, as the service counts it (see body())
    per_minute: ClassVar[int]    # the most posts a minute the service takes

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            if cls.kind in KINDS:
                raise TypeError(f"two channel classes for type {cls.kind!r}: {KINDS[cls.kind].__qualname__} "
                                f"and {cls.__qualname__}")
            KINDS[cls.kind] = cls

    def __init__(self, settings: ChannelSettings, environ: Mapping[str, str] | None = None,
                 monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 wall: Callable[[], float] = time.time) -> None:
        self.settings, self.environ = settings, environ
        self._monotonic, self._sleep, self._wall = monotonic, sleep, wall
        self._posted: collections.deque[float] = collections.deque()
        self.failures = 0           # failed attempts in a row (no answer, or a 5xx), across batches

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def size_limit(self) -> int:
        """The most bytes a message may have: the entry's ``max_bytes``, else the service's."""
        return self.settings.max_bytes or self.max_bytes

    @property
    def rate(self) -> int:
        """The most posts a minute: the entry's ``per_minute``, else the service's."""
        return self.settings.per_minute or self.per_minute

    @property
    def halted(self) -> bool:
        return self.failures >= BREAKER_AFTER

    # --- what each kind owns ----------------------------------------------------------------------------------

    @abstractmethod
    def body(self, values: Mapping[str, Any], count: int, reference: str, to: str = "") -> tuple[bytes, int]:
        """The body to store and post, made from a digest's rendering ``values`` (notifications.digest.context)
        with ``count`` items in all, and its size as the service counts it against ``size_limit``. ``to``: the person
        a personal channel (notifications/channels/apps.py) writes to, as its service addresses them; a group's
        robot has none."""

    def sign(self, request: Request, message: Ready, secret: str | None) -> Request:
        """The request with what is added at posting time (a signature holds the time). Default: nothing."""
        return request

    def raise_for_body(self, answer: httpx.Response) -> None:
        """Raise TransportError unless this 2xx answer says the message was taken. Default: a 2xx is."""
        return

    # --- the same for every kind ------------------------------------------------------------------------------

    def raise_for_response(self, answer: httpx.Response) -> None:
        """Raise TransportError unless the service took the message: temporary for a 408, a 429 or a 5xx,
        permanent for any other status that is not 2xx; a 2xx is then read by the kind (``raise_for_body``)."""
        status = answer.status_code
        said = f"channel {self.name}: HTTP {status} {said_by(answer)}".rstrip()
        if status in RETRY_STATUSES or status >= 500:
            raise TransportError(said)
        if not 200 <= status < 300:
            raise TransportError(said, permanent=True)
        self.raise_for_body(answer)

    def send(self, messages: Sequence[Ready]) -> Outcomes:
        """Post the messages in order, one connection for the batch; while the breaker is open only the first is
        tried (a probe), the others are given back for a retry."""
        with httpx.Client(follow_redirects=False) as client:
            for number, message in enumerate(messages):
                if number and self.halted:
                    yield message, Outcome(MessageState.RETRY, f"not tried: the last {self.failures} posts to "
                                           f"channel {self.name} failed")
                    continue
                yield message, self._post(client, message)

    def request(self, message: Ready) -> Request:
        """The signed POST for a stored message; ConfigError if its address or secret cannot be read now."""
        request = Request(self.settings.url(self.environ), message.raw,
                          {"Content-Type": "application/json; charset=utf-8"})
        return self.sign(request, message, self.settings.signing_secret(self.environ))

    def now_seconds(self) -> float:
        """The wall clock (injected in tests), for the timestamps of signatures."""
        return self._wall()

    def _slot(self) -> bool:
        """Wait until a post keeps within the channel's pace; False if that is more than MAX_WAIT away."""
        posted = self._posted
        now = self._monotonic()
        while posted and now - posted[0] >= 60:
            posted.popleft()
        if len(posted) >= self.rate:
            wait = 60 - (now - posted[0])
            if wait > MAX_WAIT:
                return False
            self._sleep(wait)
            posted.popleft()
        posted.append(self._monotonic())
        return True

    def _post(self, client: httpx.Client, message: Ready) -> Outcome:
        if not self._slot():
            return Outcome(MessageState.RETRY, f"channel {self.name}: {self.rate} messages a minute "
                           "already posted; waits for the next minute")
        try:
            request = self.request(message)
        except ConfigError as exc:     # the variable was unset or the file removed since the daemon started
            return Outcome(MessageState.RETRY, str(exc))
        try:
            answer = client.post(request.url, content=request.body, headers=request.headers,
                                 timeout=self.settings.timeout)
        except httpx.HTTPError as exc:
            self.failures += 1
            error = f"channel {self.name}: {type(exc).__name__}: {exc}".replace(request.url, "<address>")
            log.warning("message %s: %s", message.id, error)
            return Outcome(MessageState.RETRY, error)
        self.failures = self.failures + 1 if answer.status_code >= 500 else 0
        try:
            self.raise_for_response(answer)
        except TransportError as exc:
            return exc.outcome
        return Outcome(MessageState.SENT)


def said_by(answer: httpx.Response) -> str:
    """The start of what the service said, on one line (for the ledger's error)."""
    return answer.text[:200].replace("\n", " ")
