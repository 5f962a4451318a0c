"""Posting stored chat messages to WeCom, DingTalk and Feishu robots and to webhooks, over HTTP (httpx).

The services' documented HTTP APIs are used directly: a robot is one POST of JSON, and what decides whether a
message was delivered (the HTTP status and the ``errcode`` in the answer) must be read exactly, which a
general notification library hides. Outcomes, as for e-mail:

- ``sent`` only on a 2xx answer and, for the robots, ``errcode`` (Feishu: ``code``) 0;
- ``retry`` (with the ledger's backoff) on a timeout, a connection error, a 5xx, a 429, a 408, or a robot's
  rate-limit code;
- ``failed`` on any other refusal (a wrong key, a bad signature, a 4xx), with the service's own words.

Each channel keeps to its service's pace (``per_minute``: WeCom and DingTalk allow 20 messages a minute): a
post that would exceed it waits for its slot, or, if that is more than ``MAX_WAIT`` away, is given back for a
retry. After ``BREAKER_AFTER`` failed attempts in a row a channel is not tried again in this batch.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence

import httpx

from monitor.config import ChannelSettings
from monitor.errors import ConfigError
from monitor.rules.routes import channel_name
from monitor.rules.states import MessageState
from notifications.sender import Outcome, Ready

log = logging.getLogger("monitor.channels")

#: the robots' answers that mean "too many messages": try again later
RATE_LIMITED = {45009, 130101, 410100, 11232, 9499}
#: seconds a post may wait for its rate-limit slot before it is given back for a retry
MAX_WAIT = 15.0
BREAKER_AFTER = 3


def dingtalk_signed(url: str, secret: str, millis: int) -> str:
    """DingTalk's signed address: HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret, base64, URL-quoted."""
    digest = hmac.new(secret.encode(), f"{millis}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={millis}&sign={sign}"


def feishu_sign(secret: str, seconds: int) -> str:
    """Feishu's signature: HMAC-SHA256 keyed by "timestamp\\nsecret" of an empty message, base64."""
    return base64.b64encode(hmac.new(f"{seconds}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class ChannelSender:
    """The Sender for group chats and webhooks (messages whose recipient is ``channel:NAME``)."""

    def __init__(self, channels: Sequence[ChannelSettings], environ: Mapping[str, str] | None = None,
                 monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 wall: Callable[[], float] = time.time) -> None:
        self.channels = {channel.name: channel for channel in channels}
        self.environ = environ
        self._monotonic, self._sleep, self._wall = monotonic, sleep, wall
        self._posted: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self.failures: dict[str, int] = collections.defaultdict(int)

    @property
    def halted(self) -> bool:
        return bool(self.channels) and all(self.failures[name] >= BREAKER_AFTER for name in self.channels)

    def send(self, messages: Sequence[Ready]) -> Iterator[tuple[Ready, Outcome]]:
        probed: set[str] = set()
        with httpx.Client(follow_redirects=False) as client:
            for message in messages:
                name = channel_name(message.recipient)
                channel = self.channels.get(name)
                if channel is None:
                    yield message, Outcome(MessageState.FAILED, f"no channel named '{name}' in config.toml")
                    continue
                if self.failures[name] >= BREAKER_AFTER and name in probed:
                    yield message, Outcome(MessageState.RETRY, f"not tried: the last {self.failures[name]} "
                                           f"posts to channel {name} failed")
                    continue
                probed.add(name)
                yield message, self._post(client, channel, message)

    def _slot(self, channel: ChannelSettings) -> bool:
        """Wait until a post keeps within the channel's pace; False if that is more than MAX_WAIT away."""
        posted = self._posted[channel.name]
        now = self._monotonic()
        while posted and now - posted[0] >= 60:
            posted.popleft()
        if len(posted) >= channel.rate:
            wait = 60 - (now - posted[0])
            if wait > MAX_WAIT:
                return False
            self._sleep(wait)
            posted.popleft()
        posted.append(self._monotonic())
        return True

    def _post(self, client: httpx.Client, channel: ChannelSettings, message: Ready) -> Outcome:
        if not self._slot(channel):
            return Outcome(MessageState.RETRY, f"channel {channel.name}: {channel.rate} messages a minute "
                           "already posted; waits for the next minute")
        try:
            url, body, headers = self._signed(channel, message)
        except ConfigError as exc:     # the variable was unset or the file removed since the daemon started
            return Outcome(MessageState.RETRY, str(exc))
        try:
            answer = client.post(url, content=body, headers=headers, timeout=channel.timeout)
        except httpx.HTTPError as exc:
            self.failures[channel.name] += 1
            error = f"channel {channel.name}: {type(exc).__name__}: {exc}".replace(url, "<address>")
            log.warning("message %s: %s", message.id, error)
            return Outcome(MessageState.RETRY, error)
        outcome = self._judge(channel, answer)
        self.failures[channel.name] = self.failures[channel.name] + 1 if answer.status_code >= 500 else 0
        return outcome

    def _signed(self, channel: ChannelSettings, message: Ready) -> tuple[str, bytes, dict[str, str]]:
        url = channel.url(self.environ)
        secret = channel.signing_secret(self.environ)
        body = message.raw
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if channel.type == "webhook":
            headers["Idempotency-Key"] = message.id
            if secret:
                headers["X-Monitor-Signature"] = webhook_signature(secret, body)
        elif secret and channel.type == "dingtalk":
            url = dingtalk_signed(url, secret, int(self._wall() * 1000))
        elif secret and channel.type == "feishu":
            seconds = int(self._wall())
            payload = json.loads(body)
            body = json.dumps({"timestamp": str(seconds), "sign": feishu_sign(secret, seconds), **payload},
                              ensure_ascii=False, separators=(",", ":")).encode()
        return url, body, headers

    def _judge(self, channel: ChannelSettings, answer: httpx.Response) -> Outcome:
        status = answer.status_code
        said = answer.text[:200].replace("\n", " ")
        if status == 429 or status == 408 or status >= 500:
            return Outcome(MessageState.RETRY, f"channel {channel.name}: HTTP {status} {said}".rstrip())
        if not 200 <= status < 300:
            return Outcome(MessageState.FAILED, f"channel {channel.name}: HTTP {status} {said}".rstrip())
        if channel.type == "webhook":
            return Outcome(MessageState.SENT)
        try:
            found = answer.json()
            code = int(found.get("errcode", found.get("code", found.get("StatusCode"))))
        except (ValueError, TypeError, AttributeError):
            return Outcome(MessageState.RETRY, f"channel {channel.name}: an answer without an errcode: {said}")
        if code == 0:
            return Outcome(MessageState.SENT)
        reason = found.get("errmsg") or found.get("msg") or ""
        state = MessageState.RETRY if code in RATE_LIMITED else MessageState.FAILED
        return Outcome(state, f"channel {channel.name}: errcode {code} {reason}".rstrip())
