"""Each move of the ledger (db/ledger.py), its WHERE tested directly: two sessions on one database stepped by hand
(tests/two_sessions.py), first one, then the other first, on SQLite and PostgreSQL; and the retry backoff."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from db import ledger, round_queries
from db.models import ClusterRow, DeliveryRow, MessageRow, ReminderRow, RoundItemRow
from db.queries import aware
from db.session import ensure_schema, make_engine, session_factory, transaction
from jobs.compose import Outgoing, round_name
from jobs.deliver import deliver, owed, retry_delay
from monitor.rules.states import DeliveryState, MessageState
from tests.reminder_helpers import Clock
from tests.test_guards import FakeSender
from tests.two_sessions import each, race

NOW = dt.datetime(2027, 1, 11, 0, 30, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=900)
LAPSED_BEFORE = NOW - LEASE
LONG_AGO = NOW - dt.timedelta(days=2)
SECOND = dt.timedelta(seconds=1)
#: who goes first: each race runs both ways
ORDERS = pytest.mark.parametrize("first", ["A", "B"], ids=["A first", "B first"])
#: a message's deliveries as its state leaves them
DELIVERIES = {MessageState.CLAIMED: DeliveryState.QUEUED, MessageState.RETRY: DeliveryState.QUEUED,
              MessageState.SENT: DeliveryState.SENT, MessageState.FAILED: DeliveryState.FAILED}


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    found = make_engine(database_url)
    ensure_schema(found)
    with transaction(session_factory(found)) as session:
        session.add(ClusterRow(id="C1", name="集群", regime="nmg-sme-draft", certified_on=dt.date(2024, 3, 15),
                               recorded_at=LONG_AGO, recorded_by="tester"))
    yield found
    found.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


def put(sessions: sessionmaker[Session], message_id: str, state: MessageState, owner: str = "A",
        claimed_at: dt.datetime = NOW, next_attempt_at: dt.datetime | None = None, deliveries: int = 2) -> None:
    """A stored message, claimed by ``owner`` at ``claimed_at``, with its deliveries."""
    with transaction(sessions) as session:
        session.add(MessageRow(id=message_id, recipient="bureau@example.cn", state=state, late=False,
                               round_day=NOW.date(), raw=b"Subject: x\r\n\r\nx\r\n", created_at=LONG_AGO,
                               claimed_by=owner, claimed_at=claimed_at, attempts=0, next_attempt_at=next_attempt_at))
        session.flush()
        for n in range(deliveries):
            reminder = ReminderRow(cluster_id="C1", subject=f"{message_id}-{n}", stage="lead:30",
                                   crossed_on=NOW.date(), found_on=NOW.date(), late=False, created_at=LONG_AGO)
            session.add(reminder)
            session.flush()
            session.add(DeliveryRow(reminder_id=reminder.id, recipient="bureau@example.cn", state=DELIVERIES[state],
                                    message_id=message_id))


def pending(sessions: sessionmaker[Session], count: int) -> list[int]:
    """``count`` pending deliveries (no message yet); their ids."""
    with transaction(sessions) as session:
        reminders = [ReminderRow(cluster_id="C1", subject=f"s{n}", stage="lead:30", crossed_on=NOW.date(),
                                 found_on=NOW.date(), late=False, created_at=LONG_AGO) for n in range(count)]
        session.add_all(reminders)
        session.flush()
        rows = [DeliveryRow(reminder_id=r.id, recipient="bureau@example.cn", state=DeliveryState.PENDING)
                for r in reminders]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def stored(sessions: sessionmaker[Session], message_id: str) -> dict[str, Any]:
    """A message as stored, its deliveries' states and messages with it."""
    with transaction(sessions) as session:
        row = session.get(MessageRow, message_id)
        assert row is not None
        found = {"state": row.state, "claimed_by": row.claimed_by, "claimed_at": aware(row.claimed_at),
                 "attempts": row.attempts, "error": row.error,
                 "next_attempt_at": None if row.next_attempt_at is None else aware(row.next_attempt_at),
                 "sent_at": None if row.sent_at is None else aware(row.sent_at)}
        found["deliveries"] = sorted(session.execute(select(DeliveryRow.state).where(
            DeliveryRow.message_id == message_id)).scalars())
        return found


def seen(sessions: sessionmaker[Session], message_id: str) -> ledger.Seen:
    """A message as a claimer reads it."""
    row = stored(sessions, message_id)
    return ledger.Seen(message_id, "bureau@example.cn", row["claimed_by"], row["claimed_at"])


# --- claim -------------------------------------------------------------------------------------------------------

@ORDERS
@pytest.mark.parametrize("state", [MessageState.CLAIMED, MessageState.RETRY], ids=["a lapsed claim", "a retry"])
def test_two_claimers_race_for_one_message_and_exactly_one_wins(engine: Engine, sessions: sessionmaker[Session],
                                                                first: str, state: MessageState) -> None:
    put(sessions, "m", state, owner="dead", claimed_at=LAPSED_BEFORE - SECOND, next_attempt_at=NOW)
    views = {}
    for name in "AB":      # both read what is owed before either claims
        with transaction(sessions) as session:
            views[name] = ledger.owed(session, NOW, LAPSED_BEFORE)
    assert views["A"] == views["B"] == [seen(sessions, "m")]
    won = race(engine, each(lambda s, name: ledger.claim(s, views[name][0], name, NOW, LAPSED_BEFORE)), first)
    assert won == {"A": first == "A", "B": first == "B"}
    after = stored(sessions, "m")
    assert (after["state"], after["claimed_by"], after["claimed_at"]) == (MessageState.CLAIMED, first, NOW)


@ORDERS
def test_a_claim_rolled_back_leaves_the_message_to_the_other_claimer(engine: Engine, sessions: sessionmaker[Session],
                                                                     first: str) -> None:
    put(sessions, "m", MessageState.CLAIMED, owner="dead", claimed_at=LONG_AGO)
    view = seen(sessions, "m")
    won = race(engine, each(lambda s, name: ledger.claim(s, view, name, NOW, LAPSED_BEFORE)), first,
               first_ends="rollback")
    second = "B" if first == "A" else "A"
    assert won == {first: True, second: True}       # the first's claim died with its transaction
    assert stored(sessions, "m")["claimed_by"] == second


CLAIMABLE = [   # (what, state, claimed_at, next_attempt_at, taken over)
    ("sent long ago", MessageState.SENT, LONG_AGO, None, False),
    ("failed long ago", MessageState.FAILED, LONG_AGO, None, False),
    ("sent long ago, a retry before", MessageState.SENT, LONG_AGO, LONG_AGO, False),
    ("claimed within the lease", MessageState.CLAIMED, NOW - LEASE / 2, None, False),
    ("claimed a lease ago exactly", MessageState.CLAIMED, LAPSED_BEFORE, None, False),
    ("claimed a lease and a second ago", MessageState.CLAIMED, LAPSED_BEFORE - SECOND, None, True),
    ("claimed long ago", MessageState.CLAIMED, LONG_AGO, None, True),
    ("claimed now, a retry before", MessageState.CLAIMED, NOW, LONG_AGO, False),
    ("a retry due in a second", MessageState.RETRY, LONG_AGO, NOW + SECOND, False),
    ("a retry due now", MessageState.RETRY, LONG_AGO, NOW, True),
    ("a retry due a second ago", MessageState.RETRY, NOW - SECOND, NOW - SECOND, True),
]


@pytest.mark.parametrize(("state", "claimed_at", "next_attempt_at", "taken"), [case[1:] for case in CLAIMABLE],
                         ids=[case[0] for case in CLAIMABLE])
def test_a_claim_takes_over_only_a_lapsed_claim_or_a_due_retry(
        sessions: sessionmaker[Session], state: MessageState, claimed_at: dt.datetime,
        next_attempt_at: dt.datetime | None, taken: bool) -> None:
    put(sessions, "m", state, owner="A", claimed_at=claimed_at, next_attempt_at=next_attempt_at)
    before, view = stored(sessions, "m"), seen(sessions, "m")
    with transaction(sessions) as session:
        listed = ledger.owed(session, NOW, LAPSED_BEFORE)
    assert listed == ([view] if taken else [])          # what is listed as owed is what may be claimed
    with transaction(sessions) as session:
        assert ledger.claim(session, view, "B", NOW, LAPSED_BEFORE) is taken
    after = stored(sessions, "m")
    assert after == (before | {"state": MessageState.CLAIMED, "claimed_by": "B", "claimed_at": NOW}
                     if taken else before)


@ORDERS
@pytest.mark.parametrize("outcome", [MessageState.SENT, MessageState.FAILED])
def test_a_message_settled_while_another_daemon_takes_it_over_is_either_settled_or_taken(
        engine: Engine, sessions: sessionmaker[Session], first: str, outcome: MessageState) -> None:
    """A, whose claim lapsed, settles its message; B, which saw the claim lapsed, claims it: only one acts."""
    put(sessions, "m", MessageState.CLAIMED, owner="A", claimed_at=LONG_AGO)
    view = seen(sessions, "m")
    acted = race(engine, {"A": lambda s: ledger.settle(s, "m", "A", outcome, None, NOW),
                          "B": lambda s: ledger.claim(s, view, "B", NOW, LAPSED_BEFORE)}, first)
    assert acted == {"A": first == "A", "B": first == "B"}
    after = stored(sessions, "m")
    if first == "A":
        assert (after["state"], after["claimed_by"]) == (outcome, "A")
        assert after["deliveries"] == [DeliveryState(outcome.value)] * 2
    else:
        assert (after["state"], after["claimed_by"], after["deliveries"]) == (
            MessageState.CLAIMED, "B", [DeliveryState.QUEUED] * 2)


# --- renew, settle, release --------------------------------------------------------------------------------------

@ORDERS
def test_only_the_owner_renews_its_claim(engine: Engine, sessions: sessionmaker[Session], first: str) -> None:
    put(sessions, "m", MessageState.CLAIMED, owner="A", claimed_at=NOW - LEASE / 2)
    later = NOW + dt.timedelta(minutes=1)
    renewed = race(engine, each(lambda s, name: ledger.renew(s, "m", name, later)), first)
    assert renewed == {"A": True, "B": False}
    after = stored(sessions, "m")
    assert (after["claimed_by"], after["claimed_at"], after["attempts"]) == ("A", later, 1)


@pytest.mark.parametrize("state", [MessageState.RETRY, MessageState.SENT], ids=["a retry", "sent"])
def test_a_claim_no_longer_held_is_not_renewed(sessions: sessionmaker[Session], state: MessageState) -> None:
    put(sessions, "m", state, owner="A", claimed_at=NOW, next_attempt_at=NOW)
    before = stored(sessions, "m")
    with transaction(sessions) as session:
        assert ledger.renew(session, "m", "A", NOW + SECOND) is False
    assert stored(sessions, "m") == before


@ORDERS
@pytest.mark.parametrize("outcome", [MessageState.SENT, MessageState.FAILED, MessageState.RETRY])
def test_only_the_owner_settles_its_claim(engine: Engine, sessions: sessionmaker[Session], first: str,
                                          outcome: MessageState) -> None:
    put(sessions, "m", MessageState.CLAIMED, owner="A", claimed_at=NOW)
    retry_at = NOW + dt.timedelta(minutes=2)
    settled = race(engine, each(lambda s, name: ledger.settle(s, "m", name, outcome, f"by {name}", NOW, retry_at)),
                   first)
    assert settled == {"A": True, "B": False}
    after = stored(sessions, "m")
    assert (after["state"], after["claimed_by"], after["error"]) == (outcome, "A", "by A")
    assert after["sent_at"] == (NOW if outcome is MessageState.SENT else None)
    assert after["next_attempt_at"] == (retry_at if outcome is MessageState.RETRY else None)
    assert after["deliveries"] == [DELIVERIES[outcome]] * 2


def test_a_settle_by_another_daemon_changes_nothing(sessions: sessionmaker[Session]) -> None:
    put(sessions, "m", MessageState.CLAIMED, owner="A", claimed_at=NOW)
    before = stored(sessions, "m")
    for outcome in (MessageState.SENT, MessageState.FAILED, MessageState.RETRY):
        with transaction(sessions) as session:
            assert ledger.settle(session, "m", "B", outcome, "550 no", NOW, NOW) is False
    assert stored(sessions, "m") == before


@ORDERS
def test_a_release_gives_back_only_what_the_releaser_owns(engine: Engine, sessions: sessionmaker[Session],
                                                          first: str) -> None:
    put(sessions, "mine", MessageState.CLAIMED, owner="A", claimed_at=NOW)
    put(sessions, "theirs", MessageState.CLAIMED, owner="B", claimed_at=NOW)
    put(sessions, "sent", MessageState.SENT, owner="A", claimed_at=NOW)
    later = NOW + dt.timedelta(minutes=1)
    got = race(engine, {"A": lambda s: ledger.release(s, ["mine", "theirs", "sent"], "A", later, "time is up"),
                        "B": lambda s: ledger.renew(s, "theirs", "B", later)}, first)
    assert got == {"A": 1, "B": True}
    mine, theirs, sent = (stored(sessions, m) for m in ("mine", "theirs", "sent"))
    assert (mine["state"], mine["next_attempt_at"], mine["error"]) == (MessageState.RETRY, later, "time is up")
    assert (theirs["state"], theirs["claimed_by"], theirs["claimed_at"]) == (MessageState.CLAIMED, "B", later)
    assert sent["state"] == MessageState.SENT


# --- a round's deliveries and scratch rows -----------------------------------------------------------------------

@ORDERS
def test_two_rounds_racing_for_the_same_deliveries_queue_each_into_one_message(
        engine: Engine, sessions: sessionmaker[Session], first: str) -> None:
    ids = pending(sessions, 3)
    rounds = {name: round_name(NOW, name) for name in "AB"}
    with transaction(sessions) as session:
        round_queries.add_items(session, [{"round_id": rounds[name], "recipient": "bureau@example.cn",
                                           "delivery_id": i} for name in "AB" for i in ids])

    def build(name: str, session: Session) -> int:
        ledger.store_message(session, f"<{name}@x>", "bureau@example.cn", b"x", False, NOW.date(), name, NOW)
        return ledger.claim_deliveries(session, rounds[name], "bureau@example.cn", f"<{name}@x>")

    queued = race(engine, each(lambda s, name: build(name, s)), first)
    assert queued == {"A": 3 if first == "A" else 0, "B": 3 if first == "B" else 0}
    with transaction(sessions) as session:
        assert set(session.execute(select(DeliveryRow.state, DeliveryRow.message_id))) == {
            (DeliveryState.QUEUED, f"<{first}@x>")}


@pytest.mark.parametrize("state", [DeliveryState.SUPPRESSED, DeliveryState.OBSOLETE])
def test_only_pending_deliveries_are_settled_when_a_round_sorts_them_out(sessions: sessionmaker[Session],
                                                                         state: DeliveryState) -> None:
    ids = pending(sessions, 2)
    put(sessions, "m", MessageState.CLAIMED, deliveries=1)
    with transaction(sessions) as session:
        queued = session.execute(select(DeliveryRow.id).where(DeliveryRow.message_id == "m")).scalar_one()
        assert ledger.settle_pending(session, [*ids, queued], state, NOW) == 2
    with transaction(sessions) as session:
        assert dict(session.execute(select(DeliveryRow.id, DeliveryRow.state)).all()) == {
            ids[0]: state, ids[1]: state, queued: DeliveryState.QUEUED}


@ORDERS
def test_a_sweep_removes_only_the_scratch_rows_of_dead_rounds(engine: Engine, sessions: sessionmaker[Session],
                                                              first: str) -> None:
    """B sweeps while A, a live round, writes its scratch rows: only the dead round's go."""
    dead, old_live = round_name(LAPSED_BEFORE - SECOND, "dead:1"), round_name(LAPSED_BEFORE, "slow:2")
    with transaction(sessions) as session:
        round_queries.add_items(session, [{"round_id": r, "recipient": "x@example.cn", "delivery_id": n}
                                          for r in (dead, old_live) for n in range(3)])
    live = round_name(NOW, "A")
    swept = race(engine, {
        "A": lambda s: round_queries.add_items(s, [{"round_id": live, "recipient": "x@example.cn",
                                                   "delivery_id": n} for n in range(2)]),
        "B": lambda s: round_queries.sweep(s, round_name(LAPSED_BEFORE, ""))}, first)
    assert swept["B"] == 3
    with transaction(sessions) as session:
        assert dict(session.execute(select(RoundItemRow.round_id, func.count()).group_by(RoundItemRow.round_id)).all()) \
            == {old_live: 3, live: 2}


# --- the retry backoff -------------------------------------------------------------------------------------------

def test_the_retry_backoff_grows_between_attempts_and_stops_at_its_cap() -> None:
    minutes = [retry_delay(attempts) / dt.timedelta(minutes=1) for attempts in range(1, 10)]
    assert minutes == [2, 4, 8, 16, 32, 60, 60, 60, 60]
    grows = [later > earlier for earlier, later in itertools.pairwise(minutes)]
    assert grows == [True] * 5 + [False] * 3            # doubles up to the cap, an hour, then stays there


def test_a_message_retried_again_waits_longer_each_time_up_to_an_hour(sessions: sessionmaker[Session]) -> None:
    put(sessions, "m", MessageState.CLAIMED, owner="A", claimed_at=NOW)
    sender, clock, waits = FakeSender(MessageState.RETRY), Clock(NOW), list[float]()
    messages = [Outgoing("m", "bureau@example.cn")]
    for _ in range(8):
        assert deliver(sessions, sender, "A", messages, clock)["retry"] == 1
        retry_at = stored(sessions, "m")["next_attempt_at"]
        waits.append((retry_at - clock.value) / dt.timedelta(minutes=1))
        assert owed(sessions, "A", retry_at - SECOND, 900) == []      # not before its time
        clock.value = retry_at
        messages = owed(sessions, "A", clock.value, 900)
        assert messages == [Outgoing("m", "bureau@example.cn")]
    assert waits == [2, 4, 8, 16, 32, 60, 60, 60]
