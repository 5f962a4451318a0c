"""What a round does when it cannot finish now (issue 25, items 6 and 9), in this process with a clock of its own:
it stops sending as soon as an outcome cannot be recorded, and asks for a one-off retry (``Daemon.later``) when
the round lock is held, when claims are still out, or when the database went away, instead of waiting for a
tick. tests/test_faults.py does the same with real daemons, a real PostgreSQL outage and a SIGKILL."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from db import ledger
from db.models import DeliveryRow, MessageRow
from db.session import transaction
from jobs import deliver
from jobs.compose import Outgoing, RoundLocked
from jobs.daemon import RETRY_MARGIN, Daemon
from monitor.app import App
from monitor.config import SmtpSettings
from monitor.rules.states import DeliveryState, MessageState
from notifications.sender import Ready
from notifications.smtp import SmtpSender
from tests.helpers import write_roster
from tests.mailserver import MailServer
from tests.reminder_helpers import Clock, at, daemon, load_roster, make_app

DAY = dt.date(2025, 3, 3)        # a Monday: the 2024 reports of these clusters fall due on 03-10
LEASE = 900
CONNECTIONS = 3


class Later:
    """Daemon.later as a list: what the daemon asked to run once, and after how long."""

    def __init__(self) -> None:
        self.asked: list[tuple[dt.timedelta, str, Callable[[], object]]] = []

    def __call__(self, after: dt.timedelta, name: str, job: Callable[[], object]) -> None:
        self.asked.append((after, name, job))

    def names(self) -> list[str]:
        return [name for _, name, _ in self.asked]


@pytest.fixture
def app(tmp_path: Path, server: MailServer) -> Iterator[App]:
    """Twelve clusters, each with its bureau (the report reminders go to the bureau): with the administrator, 13
    recipients, a message each."""
    config = ('[general]\nlanguage = "en"\nadministrators = ["admin@example.gov.cn"]\n'
              + server.config(extra=f"concurrency = {CONNECTIONS}\n"))
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", config, None)
    load_roster(app, write_roster(tmp_path / "r.csv", *(
        f"NMG-{i:02d},集群{i},nmg-sme-draft,2023-10-15,,,op{i:02d}@example.cn,bureau{i:02d}@example.gov.cn,,"
        for i in range(12))))
    yield app
    app.close()


def _worker(app: App, clock: Clock, owner: str = "test-daemon") -> tuple[Daemon, Later]:
    later = Later()
    run = daemon(app, clock, owner)
    run.later = later
    return run, later


def _messages(app: App) -> dict[str, int]:
    with transaction(app.sessions) as session:
        states = session.scalars(select(MessageRow.state)).all()
    return {state: states.count(state) for state in set(states)}


def _outage() -> OperationalError:
    return OperationalError("UPDATE message …", {}, Exception("server closed the connection unexpectedly"))


# --- the sender stops when the caller stops -----------------------------------------------------------------------

def _ready(count: int) -> list[Ready]:
    return [Ready(f"<m{n}@test>", f"r{n}@example.cn", f"Message-ID: <m{n}@test>\r\n\r\nbody {n}\r\n".encode())
            for n in range(count)]


def _smtp(server: MailServer) -> SmtpSender:
    return SmtpSender(SmtpSettings(host="127.0.0.1", port=server.port, security="none", timeout=5, retries=0,
                                   concurrency=CONNECTIONS))


def test_a_closed_send_hands_over_nothing_more_than_its_connections_held(server: MailServer) -> None:
    outcomes = _smtp(server).send(_ready(30))
    _, outcome = next(outcomes)
    assert outcome.state is MessageState.SENT
    outcomes.close()                       # the caller could not record it
    time.sleep(0.5)                        # (whatever would still be sent has had the time to arrive)
    assert 1 <= len(server.received) <= CONNECTIONS


def test_each_connection_waits_for_its_last_outcome_to_be_recorded(server: MailServer) -> None:
    sender = _smtp(server)
    outcomes = sender.send(_ready(30))
    next(outcomes)
    time.sleep(0.5)                        # the caller records slowly: the connections wait for it
    seen = len(server.received)
    next(outcomes)                         # one more recorded: one connection may send one more
    time.sleep(0.5)
    assert seen <= CONNECTIONS and len(server.received) <= CONNECTIONS + 1
    rest = list(outcomes)
    assert len(rest) == 28 and len(server.received) == 30
    assert sorted(r.recipients[0] for r in server.received) == sorted(f"r{n}@example.cn" for n in range(30))


def test_no_chunk_holds_two_messages_to_one_recipient() -> None:
    messages = [Outgoing(f"<{n}>", f"r{n % 7}@example.cn") for n in range(1000)]
    parts = deliver.chunks(messages)
    assert sorted(itertools.chain.from_iterable(parts)) == sorted(messages)
    assert all(len({m.recipient for m in part}) == len(part) <= deliver.CHUNK for part in parts)
    for recipient in {m.recipient for m in messages}:     # a recipient's messages keep their order
        mine = [m for part in parts for m in part if m.recipient == recipient]
        assert mine == [m for m in messages if m.recipient == recipient]
    single = [Outgoing(f"<{n}>", f"r{n}@example.cn") for n in range(450)]
    assert deliver.chunks(single) == [single[:200], single[200:400], single[400:]]


# --- an outcome that cannot be recorded ---------------------------------------------------------------------------

def test_an_outcome_that_cannot_be_recorded_stops_the_round_and_it_is_retried_after_the_lease(
        app: App, server: MailServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock(at(DAY))
    run, later = _worker(app, clock)
    settle, settled = deliver._settle, [0]

    def breaks_at_the_fifth(*args: object, **kwargs: object) -> None:
        settled[0] += 1
        if settled[0] >= 5:
            raise _outage()
        settle(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(deliver, "_settle", breaks_at_the_fifth)
    run.round_job()
    assert 5 <= len(server.received) <= 4 + CONNECTIONS           # four recorded, at most one a connection more
    assert "could not be recorded" in caplog.text
    assert [(after, name) for after, name, _ in later.asked] == [(dt.timedelta(seconds=LEASE) + RETRY_MARGIN,
                                                                  "round")]
    assert _messages(app) == {MessageState.SENT: 4, MessageState.CLAIMED: 9}
    monkeypatch.undo()
    clock.value += dt.timedelta(seconds=LEASE) + RETRY_MARGIN      # the retry, when it comes
    later.asked.pop()[2]()
    assert _messages(app) == {MessageState.SENT: 13}
    assert not later.asked                                         # nothing is left claimed: no retry asked
    by_recipient = [r.recipients[0] for r in server.received]
    assert len(set(by_recipient)) == 13 and len(by_recipient) - 13 <= CONNECTIONS
    assert max(by_recipient.count(r) for r in by_recipient) <= 2   # at most one resend a recipient


def test_a_database_gone_before_the_round_is_retried_after_the_lease(
        app: App, server: MailServer, monkeypatch: pytest.MonkeyPatch) -> None:
    run, later = _worker(app, Clock(at(DAY)))

    def unreachable(*_args: object, **_kwargs: object) -> None:
        raise _outage()

    monkeypatch.setattr("jobs.daemon.scan", unreachable)
    run.round_job()
    run.scan_job()
    assert later.names() == ["round", "take-over"] and not server.received
    monkeypatch.undo()
    later.asked[0][2]()
    assert _messages(app) == {MessageState.SENT: 13}


def test_any_other_error_is_not_retried(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    run, later = _worker(app, Clock(at(DAY)))

    def bug(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError

    monkeypatch.setattr("jobs.daemon.scan", bug)
    with pytest.raises(ZeroDivisionError):
        run.round_job()
    assert not later.asked


# --- the round lock held, claims still out ------------------------------------------------------------------------

def test_a_round_that_found_the_lock_held_is_retried_after_the_lease(
        app: App, server: MailServer, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(at(DAY))
    run, later = _worker(app, clock)

    def held(*_args: object, **_kwargs: object) -> list[Outgoing]:
        raise RoundLocked

    monkeypatch.setattr("jobs.daemon.build_round", held)
    assert run.digest_tick()["sent"] == 0
    assert [(after, name) for after, name, _ in later.asked] == [(dt.timedelta(seconds=LEASE) + RETRY_MARGIN,
                                                                  "round")]
    with transaction(app.sessions) as session:               # the scan before it was kept, its deliveries wait
        assert set(session.scalars(select(DeliveryRow.state))) == {DeliveryState.PENDING}
    monkeypatch.undo()
    clock.value += dt.timedelta(seconds=LEASE) + RETRY_MARGIN
    later.asked.pop()[2]()
    assert _messages(app) == {MessageState.SENT: 13} and len(server.received) == 13
    assert not later.asked


def test_a_round_by_hand_asks_for_no_retry(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    run, later = _worker(app, Clock(at(DAY)))

    def held(*_args: object, **_kwargs: object) -> list[Outgoing]:
        raise RoundLocked

    monkeypatch.setattr("jobs.daemon.build_round", held)
    assert run.digest_tick(day=DAY)["sent"] == 0
    assert not later.asked


def test_claims_a_dead_daemon_left_are_taken_over_when_they_lapse(app: App, server: MailServer) -> None:
    """A daemon that died after building its round: the next round (another daemon's) sees its claims, and the
    retry it asks for, due when they lapse, sends them."""
    clock = Clock(at(DAY))
    built = at(DAY).astimezone(dt.UTC) - dt.timedelta(seconds=60)
    with transaction(app.sessions) as session:
        ledger.store_message(session, "<dead@test>", "bureau00@example.gov.cn",
                             b"Message-ID: <dead@test>\r\nTo: bureau00@example.gov.cn\r\n\r\nbody\r\n", False, DAY,
                             "dead:1", built)
    run, later = _worker(app, clock)
    run.digest_tick()
    assert _messages(app) == {MessageState.SENT: 13, MessageState.CLAIMED: 1}
    [(after, name, job)] = later.asked
    assert name == "take-over" and after == dt.timedelta(seconds=LEASE - 60) + RETRY_MARGIN
    clock.value += after
    later.asked.clear()
    assert job() == {"sent": 1, "failed": 0, "retry": 0, "skipped": 0}
    assert _messages(app) == {MessageState.SENT: 14} and not later.asked
    assert "<dead@test>" in {str(r.message["Message-ID"]) for r in server.received}


def test_claims_that_have_not_lapsed_yet_are_looked_at_again(app: App) -> None:
    """A take-over that comes too early (another host's clock is ahead) leaves the claim and looks again."""
    clock = Clock(at(DAY))
    with transaction(app.sessions) as session:
        ledger.store_message(session, "<busy@test>", "bureau00@example.gov.cn", b"x", False, DAY, "busy:1",
                             at(DAY).astimezone(dt.UTC))
    run, later = _worker(app, clock)
    assert run.take_over() == {"sent": 0, "failed": 0, "retry": 0, "skipped": 0}
    [(after, name, _)] = later.asked
    assert name == "take-over" and after == dt.timedelta(seconds=LEASE) + RETRY_MARGIN
