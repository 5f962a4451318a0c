"""What every kind of channel promises, as tests a kind's own test file inherits (``class TestWeCom(Contract)``).

A kind's answers are judged against the loopback servers of tests/chatservers.py, over real HTTP: a 2xx that
the service accepts is ``sent``; a 4xx other than 408 and 429 is ``failed`` and never posted again (here and
through the ledger); a 408, a 429, a 5xx, a timeout and a refused connection are ``retry``; three failures in a
row open the breaker. Not collected itself (its name does not start with Test); tests/test_channel_kinds.py
checks that every registered kind has a test file with a subclass of it.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import select

from db.models import MessageRow
from db.session import transaction
from monitor.config import ChannelSettings, load_settings
from monitor.rules.states import MessageState
from notifications.channels import channel_for
from notifications.channels.channel import Channel
from notifications.digest import Digest, Item, Letterhead, context
from notifications.posts import channel_post
from notifications.sender import Outcome, Ready
from tests.chatservers import ChatServer
from tests.conftest import d
from tests.helpers import write_roster
from tests.reminder_helpers import Clock, at, daemon, load_roster, make_app

DAY = d("2027-01-11")   # the 2026 reports of nmg-sme-draft clusters are 58 days away: a round has something
BASE = "https://monitor.example.gov.cn"
#: refusals for good, whatever the kind: bad request, unauthorised, forbidden, not found, gone, too large …
FINAL_4XX = (400, 401, 403, 404, 410, 413, 422)
TEMPORARY = (408, 429, 500, 502, 503, 504)


def settings_of(tmp_path: Path, chat: ChatServer, kind: str, extra: str = "") -> ChannelSettings:
    path = tmp_path / "config.toml"
    path.write_text(chat.config(kind, extra=extra), encoding="utf-8")
    return load_settings(path, chat.env()).channels[0]


LETTERHEAD = Letterhead("monitor@localhost", base_url=BASE, department="工业和信息化厅")


def one_item() -> Digest:
    digest = Digest()
    digest.add(Item("month", "C001", "集群1", "2026年度运行报告", DAY + dt.timedelta(days=20), 20, "第十五条",
                    None, False))
    return digest


def values(reference: str = "20270111-0badcafe") -> dict[str, Any]:
    """What a kind's body() is made from: the one-item digest's rendering values."""
    return context(one_item(), DAY, "zh", LETTERHEAD, reference=reference)


def digest_post(settings: ChannelSettings, reference: str = "20270111-0badcafe", to: str = "") -> bytes:
    """The body a round stores for this channel: the one-item digest, built by the kind itself (``to``: the person
    a personal channel writes to)."""
    return channel_post(settings, one_item(), DAY, "zh", LETTERHEAD, reference, to)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed): a post to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Contract:
    """The promises of one kind (``kind``), against a ChatServer answering as its service."""

    kind: ClassVar[str]
    to: ClassVar[str] = ""       # a personal channel's person (their id on the service); a group's: none

    @pytest.fixture
    def chat(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatServer]:
        server = ChatServer(per_minute=1000).start()
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        yield server
        server.stop()

    def channel(self, tmp_path: Path, chat: ChatServer, extra: str = "",
                env: dict[str, str] | None = None) -> Channel:
        return channel_for(settings_of(tmp_path, chat, self.kind, extra), {**chat.env(), **(env or {})})

    def post(self, channel: Channel, number: int = 1) -> Outcome:
        message = Ready(f"<{number}@channel.monitor>", channel.settings.recipient,
                        digest_post(channel.settings, to=self.to))
        return next(iter(channel.send([message])))[1]

    def test_the_registry_gives_this_kind_its_own_class(self, tmp_path: Path, chat: ChatServer) -> None:
        channel = self.channel(tmp_path, chat)
        assert type(channel).kind == self.kind and type(channel).__module__ == f"notifications.channels.{self.kind}"

    def test_a_post_the_service_accepts_is_sent(self, tmp_path: Path, chat: ChatServer) -> None:
        assert self.post(self.channel(tmp_path, chat)) == Outcome(MessageState.SENT)
        assert [post.service for post in chat.accepted] == [self.kind]
        assert "C001" in chat.accepted[0].text

    @pytest.mark.parametrize("status", FINAL_4XX)
    def test_a_4xx_is_final(self, tmp_path: Path, chat: ChatServer, status: int) -> None:
        """Refused for good, with the service's words; not counted as an outage (the breaker stays shut)."""
        channel = self.channel(tmp_path, chat)
        chat.faults.status.append(status)
        outcome = self.post(channel)
        assert outcome.state is MessageState.FAILED, outcome
        assert outcome.error == f'channel {self.kind}-group: HTTP {status} {{"errcode": -1, "errmsg": "status {status}"}}'
        assert chat.requests == 1 and not chat.accepted and channel.failures == 0

    @pytest.mark.parametrize("status", TEMPORARY)
    def test_a_408_a_429_and_a_5xx_are_retried(self, tmp_path: Path, chat: ChatServer, status: int) -> None:
        channel = self.channel(tmp_path, chat)
        chat.faults.status.append(status)
        outcome = self.post(channel)
        assert outcome.state is MessageState.RETRY and f"HTTP {status}" in (outcome.error or ""), outcome
        assert channel.failures == (1 if status >= 500 else 0)
        assert self.post(channel, 2).state is MessageState.SENT and channel.failures == 0

    def test_a_timeout_is_retried(self, tmp_path: Path, chat: ChatServer) -> None:
        channel = self.channel(tmp_path, chat, extra="timeout = 0.3\n")
        chat.faults.stall.append(1.0)
        outcome = self.post(channel)
        assert outcome.state is MessageState.RETRY and "ReadTimeout" in (outcome.error or ""), outcome
        assert channel.failures == 1 and not chat.accepted

    def test_a_refused_connection_is_retried_and_the_address_is_not_told(self, tmp_path: Path,
                                                                         chat: ChatServer) -> None:
        address = f"http://127.0.0.1:{closed_port()}/secret-key-in-the-path"
        channel = self.channel(tmp_path, chat, env={f"MONITOR_TEST_{self.kind.upper()}_URL": address})
        outcome = self.post(channel)
        assert outcome.state is MessageState.RETRY and "ConnectError" in (outcome.error or ""), outcome
        assert "secret-key" not in (outcome.error or "") and channel.failures == 1

    def test_three_failures_in_a_row_open_the_breaker_and_one_message_probes(self, tmp_path: Path,
                                                                            chat: ChatServer) -> None:
        channel = self.channel(tmp_path, chat)
        chat.faults.status.extend([500, 500, 500, 500])
        assert [self.post(channel, n).state for n in range(3)] == [MessageState.RETRY] * 3 and channel.halted
        raw = digest_post(channel.settings, to=self.to)
        batch = [Ready(f"<b{n}@channel.monitor>", channel.settings.recipient, raw) for n in range(3)]
        outcomes = [outcome for _, outcome in channel.send(batch)]
        assert [o.state for o in outcomes] == [MessageState.RETRY] * 3 and chat.requests == 4   # one probe
        assert outcomes[1].error == f"not tried: the last 4 posts to channel {self.kind}-group failed"
        assert [o.state for _, o in channel.send(batch)] == [MessageState.SENT] * 3 and not channel.halted

    def test_a_4xx_through_the_ledger_is_failed_and_never_posted_again(self, tmp_path: Path,
                                                                     chat: ChatServer) -> None:
        config = (f'[general]\nadministrators = ["admin@example.gov.cn"]\n[web]\nbase_url = "{BASE}/"\n'
                  f"{chat.config(self.kind)}")
        app = make_app(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", config, None)
        load_roster(app, write_roster(tmp_path / "roster.csv",
                                      "C000,集群0,nmg-sme-draft,2024-03-15,包头市,,op@example.cn,,,"))
        chat.faults.status.append(403)
        clock = Clock(at(DAY))
        run = daemon(app, clock)
        assert run.digest_tick(day=DAY)["failed"] == 1
        with transaction(app.sessions) as session:
            state, error = session.execute(select(MessageRow.state, MessageRow.error)
                                           .where(MessageRow.recipient == f"channel:{self.kind}-group")).one()
        assert state == "failed" and error is not None and error.startswith(f"channel {self.kind}-group: HTTP 403")
        for hours in (1, 3, 30):
            clock.value = at(DAY) + dt.timedelta(hours=hours)
            assert run.resend() in ({}, {"sent": 0, "failed": 0, "retry": 0, "skipped": 0})
        assert chat.requests == 1 and not chat.accepted
        app.close()
