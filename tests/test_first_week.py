"""A department's first week (issue 26), simulated against a real SMTP server and a loopback chat robot, on SQLite
and PostgreSQL: 30 clusters certified in 2023 and 2024, imported with the baseline (``monitoring_from``) today,
bureaus enabled, the daemon's own ticks run for a week with an injected clock.

What must hold: no reminder about an ``unrecorded`` obligation; operators get nothing until enabled; the grown
recipient set is held until an administrator approves it, and then each message arrives exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from db import round_log
from db.models import DeliveryRow, MessageRow, ReminderRow
from db.session import transaction
from monitor.app import App
from monitor.overview import Selection, evaluated
from monitor.rules.states import DeliveryState, MessageState, ObligationState
from tests.chatservers import ChatServer
from tests.conftest import d
from tests.helpers import write_roster
from tests.mailserver import MailServer
from tests.reminder_helpers import Clock, at, daemon, load_roster, make_app

ADMIN = "admin@example.gov.cn"
TODAY = d("2026-12-07")                                 # Monday, the real day: the department starts
WEEK = [TODAY + dt.timedelta(days=n) for n in range(7)]
REGIONS = ("包头市", "赤峰市", "鄂尔多斯市")


def roster(path: Path) -> Path:
    """30 clusters certified from 2023-01 to 2024-12 (every 24 days or so), in three regions; each its operator,
    each region its bureau."""
    rows = []
    for n in range(30):
        certified = d("2023-01-05") + dt.timedelta(days=24 * n)
        region = REGIONS[n % 3]
        rows.append(f"FW-{n:02d},集群{n},nmg-sme-draft,{certified},{region},,op{n}@example.cn,"
                    f"bureau{n % 3}@example.gov.cn,,")
    return write_roster(path, *rows)


def config(server: MailServer, chat: ChatServer, roles: str) -> str:
    return (f'[general]\nlanguage = "en"\nadministrators = ["{ADMIN}"]\nmonitoring_from = {TODAY}\n'
            f"[digest]\nroles = {roles}\n{server.config()}\n{chat.config('wecom')}")


def mailed(server: MailServer) -> Counter[str]:
    return Counter(r for mail in server.received for r in mail.recipients)


def unrecorded_subjects(app: App, day: dt.date) -> set[tuple[str, str]]:
    """(cluster, subject) of every unrecorded obligation as of ``day``, and of every warning about one."""
    found: set[tuple[str, str]] = set()
    for facts, verdict in evaluated(app, Selection(day)):
        keys = {o.key for o in verdict.obligations if o.state == ObligationState.UNRECORDED}
        found |= {(facts.cluster.id, key) for key in keys}
        found |= {(facts.cluster.id, w.key) for w in verdict.warnings if w.obligation in keys}
    return found


def held_to(app: App) -> set[str]:
    """Everyone a held round held something for (released or not)."""
    with transaction(app.sessions) as session:
        return set(session.execute(select(DeliveryRow.recipient).where(DeliveryRow.held_round.is_not(None)))
                   .scalars())


def _held(app: App) -> bool:
    with transaction(app.sessions) as session:
        return round_log.open_held(session) is not None


def week(app: App, clock: Clock, days: list[dt.date], approve_on: dt.date | None = None) -> None:
    """The daemon's ticks over these days (scan at 00:30, the round at 08:30), approving at 10:00 on one."""
    run = daemon(app, clock)
    for day in days:
        clock.value = at(day, 0, 30)
        run.scan_tick()
        clock.value = at(day)
        run.digest_tick()
        if day == approve_on:
            clock.value = at(day, 10)
            run.approve(None, "chief")


def test_a_departments_first_week(tmp_path: Path, database_url: str, server: MailServer, chat: ChatServer,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bureaus").mkdir()
    app = make_app(tmp_path / "bureaus", database_url, config(server, chat, '["administrator", "bureau"]'),
                   monkeypatch)
    load_roster(app, roster(tmp_path / "roster.csv"), approve=False)
    clock = Clock(at(TODAY))

    # Monday and Tuesday: the administrators and the robot get theirs; the bureaus' first send is held
    week(app, clock, WEEK[:2])
    assert set(mailed(server)) == {ADMIN} and chat.posts("wecom")      # the robot carries the administrators' reminders
    with transaction(app.sessions) as session:
        waiting = round_log.open_held(session)
        assert waiting is not None and "bureau" in (waiting.grown or "")
        kinds = round_log.held_by_kind(session, waiting.id)
    assert set(kinds) == {"bureau"} and kinds["bureau"][0] >= 1       # bureaus, and no operator

    # Wednesday: approved after the round; each bureau gets one message, once
    week(app, clock, WEEK[2:3], approve_on=WEEK[2])
    bureaus = {r: n for r, n in mailed(server).items() if r.startswith("bureau")}
    assert set(bureaus) == held_to(app) and len(bureaus) >= kinds["bureau"][0]
    assert all(n == 1 for n in bureaus.values()), bureaus

    # the rest of the week is sent whole; operators get nothing (not enabled)
    week(app, clock, WEEK[3:])
    assert not [r for r in mailed(server) if r.startswith("op")]
    app.close()

    # Monday next: operators enabled; their first round is held until approved, then each gets one message
    (tmp_path / "operators").mkdir()
    app = make_app(tmp_path / "operators", database_url,
                   config(server, chat, '["administrator", "bureau", "operator"]'), monkeypatch)
    monday = TODAY + dt.timedelta(days=7)
    before = len(server.received)
    day = monday        # an operator is reminded of stages crossed from now on: the days until one is held
    while not _held(app):
        assert day < monday + dt.timedelta(days=28), "no operator reminder within four weeks"
        week(app, clock, [day])
        assert not [r for r in mailed(server) if r.startswith("op")]
        day += dt.timedelta(days=1)
    clock.value = at(day - dt.timedelta(days=1), 10)
    daemon(app, clock).approve(None, "chief")
    operators = {r: n for r, n in mailed(server).items() if r.startswith("op")}
    assert operators and all(n == 1 for n in operators.values()), operators
    assert set(operators) == {r for r in held_to(app) if r.startswith("op")}
    assert len(server.received) > before

    # exactly once, over the whole run: every Message-ID received once, every delivery in one message, sent
    ids = Counter(str(mail.message["Message-ID"]) for mail in server.received)
    assert ids and max(ids.values()) == 1
    with transaction(app.sessions) as session:
        sent = session.execute(select(MessageRow.id).where(MessageRow.state == MessageState.SENT,
                                                           ~MessageRow.recipient.startswith("channel:"))).scalars()
        assert {f"<{i.strip('<>')}>" for i in sent} == {f"<{i.strip('<>')}>" for i in ids}
        states = Counter(session.execute(select(DeliveryRow.state)).scalars())
        assert states[DeliveryState.HELD] == 0 and states[DeliveryState.PENDING] == 0
        reminded = {(c, s) for c, s in session.execute(select(ReminderRow.cluster_id, ReminderRow.subject))}

    # no reminder, that whole time, about an obligation unrecorded (due before the baseline, no fact)
    unrecorded = unrecorded_subjects(app, day)
    assert unrecorded, "the roster has unrecorded obligations (past reports, reviews)"
    assert reminded and not reminded & unrecorded, sorted(reminded & unrecorded)
    app.close()
