"""What every app that writes to one person promises (notifications/channels/apps.py), beside what every channel
does (tests/channel_contract.py): a kind's test class is ``class Test…(AppContract, Contract)``.

Against the loopback fakes of tests/chatservers.py, over real HTTP: the token is fetched once and kept until its
documented expiry; a token the service calls expired is fetched again and the message sent; a rate limit is
retried; an unknown user is a recorded failure for that person, never tried again; a wrong secret is final; and
through the ledger, one message per (reminder, person, channel).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import ClassVar

from sqlalchemy import select

from db.models import MessageRow
from db.session import transaction
from monitor.actions.accounts import add_user
from monitor.actions.reach import save_ids
from monitor.app import App
from monitor.rules.states import MessageState
from notifications.channels import channel_for
from notifications.channels.apps import EARLY
from notifications.channels.apps import App as AppChannel
from notifications.sender import Outcome, Ready
from tests.channel_contract import BASE, DAY, digest_post, settings_of
from tests.chatservers import AGENT_ID, UNKNOWN_USER, ChatServer
from tests.helpers import write_roster
from tests.reminder_helpers import Clock, at, daemon, load_roster, make_app


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def add_person(app: App, name: str, ids: dict[str, str], role: str = "admin",
               regions: tuple[str, ...] = ()) -> None:
    with transaction(app.sessions) as session:
        add_user(session, name, role, regions, "long enough pw", dt.datetime.now(dt.UTC))
        save_ids(session, name, ids)


class AppContract:
    """A personal kind's promises; ``to`` is a person the fake knows."""

    kind: ClassVar[str]
    to: ClassVar[str] = "wang-001"
    id_field: ClassVar[str]
    agent_key: ClassVar[str | None] = None     # where the body names the app's agent (飞书's has none)

    def app_channel(self, tmp_path: Path, chat: ChatServer, ticks: Ticks | None = None,
                    env: dict[str, str] | None = None) -> AppChannel:
        channel = channel_for(settings_of(tmp_path, chat, self.kind), {**chat.env(), **(env or {})},
                              monotonic=ticks or Ticks())
        assert isinstance(channel, AppChannel)
        return channel

    def send(self, channel: AppChannel, to: str | None = None, number: int = 1) -> Outcome:
        raw = digest_post(channel.settings, f"20270111-{number:08x}", self.to if to is None else to)
        return next(iter(channel.send([Ready(f"<{number}@channel.monitor>", channel.settings.recipient, raw)])))[1]

    def test_the_body_addresses_the_person_and_carries_the_reference(self, tmp_path: Path,
                                                                     chat: ChatServer) -> None:
        channel = self.app_channel(tmp_path, chat)
        assert type(channel).id_field == self.id_field
        assert self.send(channel) == Outcome(MessageState.SENT)
        post = chat.sent_to(self.kind)[0]
        assert post.to == self.to and "C001" in post.text and "20270111-00000001" in post.text
        if self.agent_key is not None:          # the app's agent, as config.toml names it
            assert post.body[self.agent_key] == AGENT_ID

    def test_the_token_is_fetched_once_and_kept_until_its_expiry(self, tmp_path: Path, chat: ChatServer) -> None:
        ticks = Ticks()
        channel = self.app_channel(tmp_path, chat, ticks)
        assert [self.send(channel, number=n).state for n in (1, 2)] == [MessageState.SENT] * 2
        assert chat.token_calls[self.kind] == 1
        ticks.value += chat.token_lifetime - EARLY - 1          # still within its time
        assert self.send(channel, number=3).state is MessageState.SENT and chat.token_calls[self.kind] == 1
        ticks.value += 2                                         # at the documented expiry, less EARLY: a new one
        assert self.send(channel, number=4).state is MessageState.SENT and chat.token_calls[self.kind] == 2

    def test_a_token_the_service_calls_expired_is_fetched_again_and_the_message_sent(
            self, tmp_path: Path, chat: ChatServer) -> None:
        channel = self.app_channel(tmp_path, chat)
        assert self.send(channel, number=1).state is MessageState.SENT
        chat.expire_tokens()                                     # expired before its time, as the service may say
        assert self.send(channel, number=2) == Outcome(MessageState.SENT)
        assert chat.token_calls[self.kind] == 2 and len(chat.sent_to(self.kind)) == 2
        assert len(chat.refused) == 1                            # the send with the expired token, once

    def test_a_rate_limit_is_retried_not_failed(self, tmp_path: Path, chat: ChatServer) -> None:
        channel = self.app_channel(tmp_path, chat)
        chat.app_per_minute = 1
        assert self.send(channel, number=1).state is MessageState.SENT
        outcome = self.send(channel, number=2)
        assert outcome.state is MessageState.RETRY and "freq" in (outcome.error or ""), outcome

    def test_an_unknown_user_is_a_failure_for_that_person_and_not_retried(self, tmp_path: Path,
                                                                          chat: ChatServer) -> None:
        channel = self.app_channel(tmp_path, chat)
        outcome = self.send(channel, to=UNKNOWN_USER)
        assert outcome.state is MessageState.FAILED and "(unknown user)" in (outcome.error or ""), outcome
        assert self.send(channel, number=2).state is MessageState.SENT     # the others are reached

    def test_a_wrong_secret_is_final(self, tmp_path: Path, chat: ChatServer) -> None:
        channel = self.app_channel(tmp_path, chat, env={f"MONITOR_TEST_{self.kind.upper()}_SECRET": "wrong"})
        outcome = self.send(channel)
        assert outcome.state is MessageState.FAILED and not chat.sent_to(self.kind), outcome

    def test_a_4xx_through_the_ledger_is_failed_and_never_posted_again(self, tmp_path: Path,
                                                                     chat: ChatServer) -> None:
        """For a person: their message fails alone (the 403 of the token call), recorded, never sent again."""
        config = (f'[general]\nadministrators = ["admin@example.gov.cn"]\n[web]\nbase_url = "{BASE}/"\n'
                  f"{chat.config(self.kind)}")
        app = make_app(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", config, None)
        load_roster(app, write_roster(tmp_path / "roster.csv",
                                      "C000,集群0,nmg-sme-draft,2024-03-15,包头市,,op@example.cn,,,"))
        add_person(app, "zhang", {self.id_field: self.to})
        chat.faults.status.append(403)
        clock = Clock(at(DAY, 10))
        run = daemon(app, clock)
        assert run.digest_tick(day=DAY)["failed"] == 1
        with transaction(app.sessions) as session:
            state, error, raw = session.execute(select(MessageRow.state, MessageRow.error, MessageRow.raw).where(
                MessageRow.recipient == f"channel:{self.kind}-group:zhang")).one()
        assert state == "failed" and error is not None and error.startswith(f"channel {self.kind}-group: HTTP 403")
        assert self.to in json.dumps(json.loads(raw))
        for hours in (1, 3, 30):
            clock.value = at(DAY, 10) + dt.timedelta(hours=hours)
            run.resend()
        assert chat.requests == 1 and not chat.accepted
        app.close()
