"""Each guard of the ledger, the daemon and the overview, caught by a fast test of its own: a fake Sender and an
injected clock where they fit, a real SQLite file and a loopback SMTP server where the guard is about them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from db.models import DeliveryRow, MessageRow, ReminderRow, RoundItemRow
from db.queries import daemon_summary, running_daemons
from db.session import stepwise, transaction
from jobs import compose
from jobs.compose import ConcurrentRound, Transports, build_round
from jobs.daemon import latest_slot
from jobs.scan import scan
from monitor.app import App
from monitor.rules.facts import Cluster, Facts
from monitor.rules.listing import Evaluated, urgency
from monitor.rules.states import ClusterState, DeliveryState, MessageState, ObligationState, Severity
from monitor.rules.verdict import Alert, Obligation, Verdict
from monitor.rules.workdays import WorkCalendar
from monitor.views.report import tally
from notifications.sender import Outcome, Ready
from notifications.smtp import refused_outcome
from tests.helpers import write_roster
from tests.mailserver import MailServer
from tests.reminder_helpers import Clock, at, daemon, load_roster, make_app

ROW = "NMG-1,集群,nmg-sme-draft,2023-10-15,赤峰市,op,op@example.cn,bureau@example.cn,,"
DAY = dt.date(2025, 3, 3)        # a Monday: the 2024 report falls due on 03-10


class FakeSender:
    """A Sender that answers from a script and remembers what it was handed."""
    halted = False

    def __init__(self, state: MessageState = MessageState.SENT) -> None:
        self.state, self.handed = state, list[list[str]]()

    def send(self, messages: Sequence[Ready]) -> Iterator[tuple[Ready, Outcome]]:
        self.handed.append([m.recipient for m in messages])
        for message in messages:
            yield message, Outcome(self.state, None if self.state is MessageState.SENT else "550 no")


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[App]:
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'm.db'}",
                   '[general]\nadministrators = ["admin@example.gov.cn"]\n[digest]\ntimes = ["08:30"]\nroles = ["administrator", "bureau", "operator"]\n', None)
    load_roster(app, write_roster(tmp_path / "r.csv", ROW))
    yield app
    app.close()


@pytest.mark.parametrize("durable", [True, False])
def test_a_recipient_whose_deliveries_another_process_claimed_gets_no_message(
        sqlite_app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, durable: bool) -> None:
    """The daemon's round (durable) rolls back that recipient's transaction only; a preview raises, whole."""
    now = at(DAY).astimezone(dt.UTC)
    with transaction(sqlite_app.sessions) as session:
        scan(sqlite_app, session, DAY, now)
    sort_out = compose._sort_out

    def and_another_claims(app: App, session: object, *args: object) -> dict[str, int]:
        counts = sort_out(app, session, *args)  # type: ignore[arg-type]
        session.execute(update(DeliveryRow).where(DeliveryRow.recipient == "bureau@example.cn")  # type: ignore[attr-defined]
                        .values(state=DeliveryState.QUEUED))
        return counts

    monkeypatch.setattr(compose, "_sort_out", and_another_claims)
    every = Transports.every(sqlite_app.settings)
    if durable:
        with stepwise(sqlite_app.sessions) as session:
            outgoing = build_round(sqlite_app, session, DAY, now, "me", every)
        assert [m.recipient for m in outgoing] == ["admin@example.gov.cn"]
        assert "2 of bureau@example.cn's deliveries were claimed by another process" in caplog.text
    else:
        with pytest.raises(ConcurrentRound), transaction(sqlite_app.sessions) as session:
            build_round(sqlite_app, session, DAY, now, "me", every, durable=False)
    with transaction(sqlite_app.sessions) as session:
        recipients = set(session.scalars(select(MessageRow.recipient)))
        states = dict(session.execute(select(DeliveryRow.recipient, DeliveryRow.state)).all())
        scratch = session.scalar(select(func.count()).select_from(RoundItemRow))
    assert recipients == ({"admin@example.gov.cn"} if durable else set())
    assert states == {"admin@example.gov.cn": DeliveryState.QUEUED if durable else DeliveryState.PENDING,
                      "bureau@example.cn": DeliveryState.QUEUED if durable else DeliveryState.PENDING}
    assert scratch == 0


def test_the_daemon_steps_over_a_concurrent_round_and_sends_it_next_time(
        sqlite_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    clock, sender = Clock(at(DAY)), FakeSender()
    worker = daemon(sqlite_app, clock)
    worker._sender = sender

    def clash(*_args: object, **_kwargs: object) -> list[compose.Outgoing]:
        raise ConcurrentRound("claimed elsewhere")

    monkeypatch.setattr("jobs.daemon.build_round", clash)
    assert worker.digest_tick() == {"sent": 0, "failed": 0, "retry": 0, "skipped": 0}
    monkeypatch.undo()
    assert worker.digest_tick()["sent"] == 2 and len(sender.handed) == 1    # the bureau and the administrator


def test_the_latest_digest_slot_skips_rest_days() -> None:
    calendar = WorkCalendar.load()
    monday_morning = dt.datetime(2025, 3, 3, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    slot = latest_slot(monday_morning, ("08:30",), calendar.is_workday, "Asia/Shanghai")
    assert slot is not None and slot.date() == dt.date(2025, 2, 28)      # Friday, not Sunday
    every_day = latest_slot(monday_morning, ("08:30",), None, "Asia/Shanghai")
    assert every_day is not None and every_day.date() == dt.date(2025, 3, 2)


@pytest.mark.parametrize(("code", "state"), [(550, MessageState.FAILED), (553, MessageState.FAILED),
                                             (450, MessageState.RETRY), (421, MessageState.RETRY)])
def test_a_refusal_for_good_fails_and_a_temporary_one_retries(code: int, state: MessageState) -> None:
    assert refused_outcome(code, "x").state is state


def test_a_refused_message_fails_with_its_deliveries_and_is_not_retried(sqlite_app: App) -> None:
    clock, sender = Clock(at(DAY)), FakeSender(MessageState.FAILED)
    worker = daemon(sqlite_app, clock)
    worker._sender = sender
    assert worker.digest_tick()["failed"] == 2
    clock.value += dt.timedelta(hours=2)
    worker.resend()
    assert len(sender.handed) == 1
    with transaction(sqlite_app.sessions) as session:
        assert set(session.scalars(select(DeliveryRow.state))) == {DeliveryState.FAILED}


def test_one_smtp_connection_carries_a_batch(tmp_path: Path) -> None:
    server = MailServer(tmp_path).start()
    try:
        addresses = ";".join(f"bureau{n}@example.cn" for n in range(8))   # the report reminds the bureau
        app = make_app(tmp_path, f"sqlite:///{tmp_path / 'm.db'}",
                       server.config(extra="concurrency = 1\nbatch_size = 3\n"), None)
        load_roster(app, write_roster(tmp_path / "r.csv", ROW.replace("bureau@example.cn", addresses)))
        daemon(app, Clock(at(DAY))).digest_tick()
        peers = [mail.peer for mail in server.received]
        assert len(peers) == 8                                   # one digest to each bureau address
        assert len(set(peers)) == 3                              # 3 + 3 + 2 messages over three connections
        app.close()
    finally:
        server.stop()


def test_a_reminder_crossed_while_no_daemon_ran_is_marked_late_in_an_on_time_round(sqlite_app: App) -> None:
    now = at(DAY).astimezone(dt.UTC)
    with transaction(sqlite_app.sessions) as session:
        scan(sqlite_app, session, DAY, now)
        session.execute(update(ReminderRow).where(ReminderRow.subject == "annual_report:2024").values(late=True))
    with stepwise(sqlite_app.sessions) as session:
        outgoing = build_round(sqlite_app, session, DAY, now, "me", Transports.every(sqlite_app.settings))
        late = dict(session.execute(select(MessageRow.recipient, MessageRow.late)).all())
    assert outgoing and late == dict.fromkeys(late, True)


def test_a_fresh_heartbeat_says_running_and_a_stale_one_does_not(sqlite_app: App) -> None:
    clock = Clock(at(DAY))
    worker = daemon(sqlite_app, clock, owner="host:1")
    worker.heartbeat()
    with sqlite_app.reader.connect() as reads:
        assert running_daemons(reads, clock().astimezone(dt.UTC)) == ["host:1"]
        assert daemon_summary(reads, clock().astimezone(dt.UTC), "Asia/Shanghai")["running"] == ["host:1"]
        assert running_daemons(reads, clock().astimezone(dt.UTC) + dt.timedelta(minutes=6)) == []
    worker.heartbeat("stopped")
    with sqlite_app.reader.connect() as reads:
        assert running_daemons(reads, clock().astimezone(dt.UTC)) == []


def _evaluated(cid: str, states: Sequence[ObligationState], severity: Severity | None = None,
               days_left: int = 5, state: ClusterState = ClusterState.IN_FORCE) -> Evaluated:
    cluster = Cluster(cid, cid, "xj-amc", dt.date(2024, 1, 1))
    obligations = tuple(Obligation("annual_report", f"annual_report:{n}", dt.date(2025, 1, 1), s, "第一条",
                                   days_left=days_left) for n, s in enumerate(states))
    warnings = () if severity is None else (Alert("incident", severity, "第一条", f"incident:{cid}",
                                                  (("ground", "violation"), ("on", "2024-06-01"), ("note", ""))),)
    return Evaluated(Facts(cluster), Verdict(cid, state, None, obligations, warnings))


def test_urgency_orders_by_severity_then_overdue_count_then_nearest_due_then_id() -> None:
    overdue, pending = ObligationState.OVERDUE, ObligationState.PENDING
    items = [
        _evaluated("A", [pending], days_left=1),
        _evaluated("B", [overdue], Severity.RISK),
        _evaluated("C", [overdue, overdue], Severity.RISK),
        _evaluated("D", [overdue], Severity.REVOCATION, state=ClusterState.REVOKED),
        _evaluated("E", [pending], Severity.REVOCATION, days_left=9),
        _evaluated("F", [pending], Severity.REVOCATION, days_left=3),
        _evaluated("G", [pending], days_left=1),
    ]
    assert [e.facts.cluster.id for e in sorted(items, key=urgency)] == ["F", "E", "C", "B", "A", "G", "D"]


def test_the_report_lists_warnings_most_severe_first_then_by_cluster_and_key(packs: dict[str, object],
                                                                               calendar: WorkCalendar) -> None:
    items = [_evaluated("B", [], Severity.NOTICE), _evaluated("C", [], Severity.REVOCATION),
             _evaluated("A", [], Severity.RISK), _evaluated("A2", [], Severity.REVOCATION)]
    result = tally(items, dt.date(2025, 1, 1), "zh", packs, calendar)  # type: ignore[arg-type]
    assert [(w["severity"], w["cluster_id"]) for w in result.warnings] == [
        ("revocation", "A2"), ("revocation", "C"), ("risk", "A"), ("notice", "B")]


def test_the_ledger_states_move_only_forward() -> None:
    from monitor.rules.states import DELIVERY_MOVES, MESSAGE_MOVES, delivery_sources, message_sources

    assert set(DELIVERY_MOVES) == set(DeliveryState) and set(MESSAGE_MOVES) == set(MessageState)
    assert delivery_sources(DeliveryState.QUEUED) == (DeliveryState.PENDING, DeliveryState.HELD)
    assert delivery_sources(DeliveryState.HELD) == (DeliveryState.PENDING,)     # held only when a round is built
    assert set(delivery_sources(DeliveryState.SENT)) == {DeliveryState.QUEUED}
    assert {s for s, moves in DELIVERY_MOVES.items() if not moves} == {
        DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.SUPPRESSED}
    assert delivery_sources(DeliveryState.PENDING) == (DeliveryState.OBSOLETE,)   # revived by a correction only
    assert set(message_sources(MessageState.CLAIMED)) == {MessageState.CLAIMED, MessageState.RETRY}
    assert not MESSAGE_MOVES[MessageState.SENT] and not MESSAGE_MOVES[MessageState.FAILED]
    from monitor.rules.states import ROUND_MOVES, RoundState, round_sources

    assert set(ROUND_MOVES) == set(RoundState)
    assert round_sources(RoundState.APPROVED) == (RoundState.HELD, RoundState.REFUSED)    # approved once
    assert not ROUND_MOVES[RoundState.APPROVED] and not ROUND_MOVES[RoundState.SENT]


@pytest.mark.parametrize(("due", "state", "shown_"), [
    ("2025-01-01", ObligationState.DONE, True),      # 365 days before as_of: still listed
    ("2024-12-31", ObligationState.DONE, False),     # 366 days: history
    ("2024-12-31", ObligationState.LATE, False),
    ("2020-01-01", ObligationState.OVERDUE, True),   # open: always
    ("2027-01-01", ObligationState.DONE, True),      # ahead (filed early)
])
def test_an_overview_lists_open_obligations_and_a_year_of_history(due: str, state: ObligationState,
                                                                 shown_: bool) -> None:
    from monitor.rules.listing import shown

    obligation = Obligation("annual_report", "annual_report:x", dt.date.fromisoformat(due), state, "第一条")
    verdict = Verdict("A", ClusterState.IN_FORCE, None, (obligation,), ())
    item = shown(Facts(Cluster("A", "A", "xj-amc", dt.date(2020, 1, 1))), verdict, dt.date(2026, 1, 1))
    assert (item.verdict.obligations == (obligation,)) is shown_


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab 1集群鄂尔多斯市（）…—-"), min_size=0, max_size=40),
       st.integers(min_value=2, max_value=30))
def test_the_tables_quick_cut_is_rich_s_cut(text: str, width: int) -> None:
    from rich.cells import cell_len, set_cell_size

    from monitor.views.cells import cut_to, fit

    if cell_len(text) > width:
        assert cut_to(text, width) == set_cell_size(text, width - 1) + "…"
        assert fit(text, width) == cut_to(text, width)
    else:
        assert fit(text, width) == set_cell_size(text, width)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZ 1\x00\x07\t集群（）…—·é\u0301👍👨\u200d👩\ufe0f❤한ｱ"), max_size=30)
       | st.text(max_size=30))
def test_the_tables_quick_measure_is_rich_s_measure(text: str) -> None:
    from rich.cells import cell_len

    from monitor.views.cells import cell_len as quick

    assert quick(text) == cell_len(text)
