"""An app that writes to one person at a time (企业微信应用消息, 钉钉工作通知, 飞书 messages): what the three
personal kinds share (wecom_app.py, dingtalk_work.py, feishu_app.py).

Unlike a group's robot, an app calls its service with an access token: fetched with the app's id (``app_id`` in
config.toml) and its secret (``secret_env`` / ``secret_file``, never config.toml), kept for as long as the
service says it lasts (``expires_in`` / ``expire``, less ``EARLY`` seconds), and fetched again at once when the
service says the token is expired or invalid (each kind's ``expired_codes``), then the send is tried once more.
The service's address is its public one unless ``url_env`` / ``url_file`` names another (the tests' loopback
fakes, a proxy).

Each stored message is one person's digest, their id in its body (``to``). Judging the answer, beside what every
channel shares (channel.py: a 408, a 429 or a 5xx is retried, any other 4xx is final):

- a code in ``expired_codes`` (whatever the HTTP status): the token is dropped and fetched again;
- a code in ``rate_limited`` (whatever the status): retried with the ledger's backoff;
- a code in ``unknown_user`` (or what the kind's ``refused_person`` finds): ``failed`` for that person, with
  the service's words, never tried again: a recorded failure, not a retry storm;
- a code in ``busy_codes`` in a 2xx answer ("system busy"): retried;
- any other non-zero code: ``failed``; 0: ``sent``.

The token call counts as the post's attempt: a refusal of it is judged the same way (a wrong secret is final, an
outage is retried, and opens the breaker as a post's would).
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple

import httpx

from monitor.errors import ConfigError
from monitor.rules.states import MessageState
from notifications.channels.channel import Channel, said_by
from notifications.digest import environment
from notifications.sender import Outcome, Ready, TransportError

log = logging.getLogger("monitor.channels")

#: seconds before the documented expiry at which a token is fetched anew (a token is never used at its edge)
EARLY = 300.0


class Call(NamedTuple):
    """One HTTP call of an app: the method, the address, the JSON body (None: none), extra headers."""
    method: str
    url: str
    body: bytes | None = None
    headers: Mapping[str, str] = {}


class Expired(Exception):
    """The service said the access token is expired or invalid: fetch another and try again."""


class App(Channel):
    """A personal channel: token, send, and the answers' codes, as each kind's service documents them."""

    default_url: ClassVar[str]                               # the service's public address
    code_keys: ClassVar[tuple[str, ...]] = ("errcode",)     # where an answer keeps its code
    reason_keys: ClassVar[tuple[str, ...]] = ("errmsg",)    # and its words
    expired_codes: ClassVar[frozenset[int]] = frozenset()
    rate_limited: ClassVar[frozenset[int]] = frozenset()
    unknown_user: ClassVar[frozenset[int]] = frozenset()
    busy_codes: ClassVar[frozenset[int]] = frozenset()        # "system busy" in a 2xx answer: retried
    token_keys: ClassVar[tuple[str, str]] = ("access_token", "expires_in")   # a token answer's token and its life

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token: tuple[str, float] | None = None     # the token, and when (monotonic) it is to be renewed

    # --- what each kind owns --------------------------------------------------------------------------------

    @abstractmethod
    def token_call(self, base: str, app_id: str, secret: str) -> Call:
        """The call that fetches an access token."""

    def token_of(self, found: Mapping[str, Any]) -> tuple[str, float]:
        """The token in an accepted token answer, and for how many seconds it lasts (``token_keys``: where the
        kind's service keeps them; 7,200 s, what all three document, when it says nothing of its life)."""
        token, lasts = self.token_keys
        try:
            return str(found[token]), float(found.get(lasts, 7200))
        except (KeyError, TypeError, ValueError):
            raise TransportError(f"channel {self.name}: a token answer without {token}") from None

    @abstractmethod
    def send_call(self, base: str, token: str, raw: bytes) -> Call:
        """The call that sends a stored message with ``token``."""

    def refused_person(self, found: Mapping[str, Any]) -> str | None:
        """In an accepted answer (code 0), the words saying the person was not reached after all; None: reached."""
        return None

    def confirm(self, client: httpx.Client, base: str, token: str, found: Mapping[str, Any],
                message: Ready) -> None:
        """After an accepted send: whatever the kind must ask to know it reached the person (raise TransportError
        if it did not). Default: nothing."""
        return

    @staticmethod
    def markdown(values: Mapping[str, Any]) -> str:
        """The digest as markdown (templates/digest.md), as the robots post it."""
        return environment().get_template("digest.md").render(values).strip()

    # --- the same for every app -----------------------------------------------------------------------------

    def base(self) -> str:
        return self.settings.url(self.environ, self.default_url).rstrip("/")

    def code(self, answer: httpx.Response) -> tuple[int | None, dict[str, Any]]:
        """The answer's code (None: it has none) and its JSON object."""
        try:
            found = answer.json()
            return int(next(found[key] for key in self.code_keys if key in found)), found
        except (ValueError, TypeError, AttributeError, KeyError, StopIteration):
            return None, {}

    def judge(self, answer: httpx.Response) -> dict[str, Any]:
        """The answer's JSON if it says the call was taken; Expired, or TransportError (temporary or final)."""
        code, found = self.code(answer)
        reason = next((str(found[key]) for key in self.reason_keys if found.get(key)), "")
        said = f"channel {self.name}: errcode {code} {reason}".rstrip()
        if code in self.expired_codes:
            raise Expired(said)
        if code in self.rate_limited:
            raise TransportError(said)
        if code in self.unknown_user:            # (飞书 answers these with HTTP 400: the code says more)
            raise TransportError(f"{said} (unknown user)", permanent=True)
        self.raise_for_response(answer)          # the statuses every channel shares (a 4xx final, a 5xx retried)
        if code is None:
            raise TransportError(f"channel {self.name}: an answer without a code: {said_by(answer)}")
        if code in self.busy_codes:
            raise TransportError(said)
        if code != 0:
            raise TransportError(said, permanent=True)
        return dict(found)

    def _call(self, client: httpx.Client, call: Call) -> httpx.Response:
        """One call; a connection error or a timeout is a temporary TransportError (the address never told)."""
        try:
            answer = client.request(call.method, call.url, content=call.body,
                                    headers={"Content-Type": "application/json; charset=utf-8", **call.headers},
                                    timeout=self.settings.timeout)
        except httpx.HTTPError as exc:
            self.failures += 1
            error = f"channel {self.name}: {type(exc).__name__}: {exc}".replace(call.url, "<address>")
            raise TransportError(error) from None
        self.failures = self.failures + 1 if answer.status_code >= 500 else 0
        return answer

    def access_token(self, client: httpx.Client, base: str, secret: str) -> str:
        """The token in hand while it lasts, else a new one (TransportError if the service refuses it)."""
        if self._token is not None and self._monotonic() < self._token[1]:
            return self._token[0]
        self._token = None
        try:
            found = self.judge(self._call(client, self.token_call(base, self.settings.app_id, secret)))
        except Expired as exc:          # a token call cannot be expired: its code is a refusal
            raise TransportError(str(exc), permanent=True) from None
        token, lasts = self.token_of(found)
        self._token = (token, self._monotonic() + max(0.0, lasts - EARLY))
        return token

    def _post(self, client: httpx.Client, message: Ready) -> Outcome:
        if not self._slot():
            return Outcome(MessageState.RETRY, f"channel {self.name}: {self.rate} messages a minute "
                           "already sent; waits for the next minute")
        try:
            base, secret = self.base(), self.settings.signing_secret(self.environ)
        except ConfigError as exc:     # the variable was unset or the file removed since the daemon started
            return Outcome(MessageState.RETRY, str(exc))
        if not secret:
            return Outcome(MessageState.RETRY, f"channel {self.name}: no secret")
        for attempt in (1, 2):
            try:
                token = self.access_token(client, base, secret)
                found = self.judge(self._call(client, self.send_call(base, token, message.raw)))
                refused = self.refused_person(found)
                if refused is not None:
                    raise TransportError(f"channel {self.name}: {refused} (unknown user)", permanent=True)
                self.confirm(client, base, token, found, message)
            except Expired as exc:
                self._token = None
                log.info("message %s: %s: the access token is fetched again", message.id, exc)
                if attempt == 1:
                    continue
                return Outcome(MessageState.RETRY, f"{exc} (a new token was refused too)")
            except TransportError as exc:
                return exc.outcome
            return Outcome(MessageState.SENT)
        raise AssertionError("unreachable")   # pragma: no cover
