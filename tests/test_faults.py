"""Never lost, never sent twice: `monitor run` killed with SIGKILL at random points across many daily rounds,
and two daemons at once on PostgreSQL, each compared with an uninterrupted run of the same days."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import os
import random
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from db.round_queries import ROUND_LOCK
from monitor.app import App
from tests import daemon_procs as procs
from tests.app_contract import add_person
from tests.chatservers import ChatServer
from tests.conftest import d
from tests.helpers import write_roster
from tests.mailserver import MailServer
from tests.pgcluster import Cluster
from tests.reminder_helpers import Clock, at, daemon, load_roster, make_app

#: working days around the 2026-03-10 report day (no holiday falls here), in the past: the real daemons run with
#: MONITOR_NOW, and a send with the clock ahead of the real time is refused (docs/rules.md, "Drills")
DAYS = [d("2026-03-02") + dt.timedelta(days=i) for i in range(18)]
DAYS = [day for day in DAYS if day.weekday() < 5]


def _config(server: MailServer, chat: ChatServer | None = None) -> str:
    # a claim lapses after 60 s; each restart runs 10 minutes later on the injected clock, so a dead
    # daemon's claims are taken over by the next one. With a chat server, a WeCom group gets every reminder too,
    # and two people get theirs from a 企业微信 app and a 飞书 app (PEOPLE)
    return ('[general]\nlanguage = "en"\nadministrators = ["admin@example.gov.cn"]\n'
            "[daemon]\nclaim_lease_seconds = 60\n"
            + server.config().replace("timeout = 5", "timeout = 10").replace("retries = 1", "retries = 2")
            + ("\n" + chat.config("wecom", "wecom_app", "feishu_app") if chat is not None else ""))


#: the people personal channels reach (administrator and viewer: every cluster), by their ids
PEOPLE = {"zhang": {"wecom_userid": "zhang-wx", "feishu_open_id": "ou_zhang"}, "li": {"wecom_userid": "li-wx"}}


def _people(app: App) -> None:
    for name, ids in PEOPLE.items():
        add_person(app, name, ids, "admin" if name == "zhang" else "viewer")


def _personal(chat: ChatServer) -> dict[tuple[str, str], collections.Counter[tuple[str, str, str]]]:
    """For each (app, person): what their distinct messages listed, (round day, cluster, item) counted; a repeat
    (the same reference) asserted byte-identical."""
    return {(service, to): procs.chat_counter([post for post in chat.sent_to(service) if post.to == to])[0]
            for service in ("wecom_app", "feishu_app") for to in {post.to for post in chat.sent_to(service)}}


def _roster(tmp: Path) -> Path:
    rows = []
    for i in range(40):   # renewal reviews due on 40 consecutive days, reports all due 03-10
        certified = d("2023-02-18") + dt.timedelta(days=i)
        rows.append(f"C{i:02d},Cluster {i},nmg-sme-draft,{certified},,,op{i % 7}@example.cn,"
                    f"bureau{i % 3}@example.gov.cn,,")
    return write_roster(tmp / "roster.csv", *rows)


def _reference(tmp: Path, server: MailServer, monkeypatch: pytest.MonkeyPatch,
               refuse: set[str] | None = None, chat: ChatServer | None = None) -> MailServer:
    """The same days run in this process, uninterrupted: what each recipient should get, exactly once (and what
    the ``chat`` server, if given, should get: the caller points the channel's address at it)."""
    reference = MailServer(tmp, refuse=refuse).start()
    (tmp / "ref").mkdir()
    app: App = make_app(tmp / "ref", f"sqlite:///{tmp / 'ref' / 'ref.db'}", _config(reference, chat), monkeypatch)
    load_roster(app, _roster(tmp))
    if chat is not None:
        _people(app)
    clock = Clock(at(DAYS[0], 9, 0))
    run = daemon(app, clock)
    for day in DAYS:
        clock.value = at(day, 9, 0)
        run.startup()
    app.close()
    reference.stop()
    return reference


#: the kill points are drawn from this seed: the same every run unless MONITOR_FAULT_SEED says otherwise
FAULT_SEED = 20261123


def _prepare(tmp: Path, database_url: str, server: MailServer, monkeypatch: pytest.MonkeyPatch,
             chat: ChatServer | None = None) -> Path:
    config = tmp / "config.toml"
    app = make_app(tmp, database_url, _config(server, chat), monkeypatch)
    load_roster(app, _roster(tmp))
    if chat is not None:
        _people(app)
    app.close()
    return config


def test_sigkill_at_random_points_loses_nothing_and_sends_nothing_twice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed = int(os.environ.get("MONITOR_FAULT_SEED", FAULT_SEED))
    print(f"fault test seed {seed} (MONITOR_FAULT_SEED={seed} replays it)")
    rng = random.Random(seed)
    server = MailServer(tmp_path).start()
    chat = ChatServer(per_minute=1000).start()      # the daemons (child processes) post to it through the env
    for key, value in chat.env().items():
        monkeypatch.setenv(key, value)
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    config = _prepare(tmp_path, url, server, monkeypatch, chat)
    engine = create_engine(url)
    kills = 0
    try:
        full = 3.0
        for number, day in enumerate(DAYS):
            minute = 0
            if number > 0:   # the first day measures how long a start takes; later days are killed inside it
                victim = procs.start(config, url, f"{day}T09:00+08:00", tmp_path / f"{day}-killed.log")
                time.sleep(rng.uniform(0.0, full))
                procs.kill(victim)
                kills += 1
                minute = 10
            began = time.monotonic()
            log = tmp_path / f"{day}.log"
            survivor = procs.start(config, url, f"{day}T09:{minute:02d}+08:00", log)
            procs.wait_settled(engine, str(day), [log])
            if number == 0:
                full = time.monotonic() - began
            assert procs.stop(survivor) == 0, log.read_text()[-2000:]
        chat_reference = ChatServer(per_minute=1000).start()
        monkeypatch.setenv("MONITOR_TEST_WECOM_URL", chat_reference.urls()["wecom"])
        for key, value in chat_reference.env().items():
            if "_APP_" in key:
                monkeypatch.setenv(key, value)
        reference = _reference(tmp_path, server, monkeypatch, chat=chat_reference)
        chat_reference.stop()
        unique, repeats = procs.by_message_id(server.received)
        got, want = procs.item_counter(server.received), procs.item_counter(reference.received)
        assert got == want, f"seed {seed}: {kills} kills; missing {want - got}; extra {got - want}"
        assert max(got.values()) == 1
        # the WeCom group got every reminder once too; a repeat is the same post (same reference), byte for byte
        posted, chat_repeats = procs.chat_counter(chat.posts("wecom"))
        expected, _ = procs.chat_counter(chat_reference.posts("wecom"))
        assert posted == expected and max(posted.values()) == 1, f"seed {seed}: {posted - expected} {expected - posted}"
        # (a WeCom post lists what fits in 4,096 bytes and counts the rest; there is one for each of the days)
        assert {key[0] for key in posted} == {key[1] for key in got if key[0] == "admin@example.gov.cn"}
        # each person, on each of their apps, got every reminder once: as the uninterrupted run sent it
        personal, personal_expected = _personal(chat), _personal(chat_reference)
        assert set(personal) == {("wecom_app", "zhang-wx"), ("feishu_app", "ou_zhang"), ("wecom_app", "li-wx")}
        assert personal == personal_expected, f"seed {seed}: personal messages differ"
        assert all(max(counter.values()) == 1 for counter in personal.values()), f"seed {seed}"
        with engine.connect() as conn:
            states = dict(conn.execute(text("SELECT state, count(*) FROM delivery GROUP BY state")).all())
            sent_ids = set(conn.execute(text("SELECT id FROM message WHERE state = 'sent' "
                                             "AND recipient NOT LIKE 'channel:%'")).scalars())
        assert set(states) == {"sent"}, states
        assert sent_ids == set(unique), f"seed {seed}"
        # a kill between the server's acceptance and our commit resends the same bytes, same Message-ID
        print(f"seed {seed}: {kills} kills, {len(unique)} messages, {repeats} identical resends; "
              f"{len(chat.posts('wecom'))} chat posts, {chat_repeats} identical reposts; "
              f"{len(chat.sent_to('wecom_app')) + len(chat.sent_to('feishu_app'))} personal messages")
    finally:
        engine.dispose()
        server.stop()
        chat.stop()


@pytest.mark.postgres
def test_two_daemons_on_one_postgresql_database(tmp_path: Path, postgres_server: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    server = MailServer(tmp_path).start()
    config = _prepare(tmp_path, postgres_server, server, monkeypatch)
    try:
        for day in DAYS[:6]:
            logs = [tmp_path / f"{day}-{n}.log" for n in (1, 2)]
            pair = [procs.start(config, postgres_server, f"{day}T09:00+08:00", log) for log in logs]
            procs.wait_settled(engine, str(day), logs)
            assert [procs.stop(p) for p in pair] == [0, 0], logs[0].read_text()[-2000:]
        unique, repeats = procs.by_message_id(server.received)
        assert repeats == 0
        got = procs.item_counter(server.received)
        assert got and max(got.values()) == 1
        with engine.connect() as conn:
            states = dict(conn.execute(text("SELECT state, count(*) FROM delivery GROUP BY state")).all())
            owners = set(conn.execute(text("SELECT claimed_by FROM message")).scalars())
        assert set(states) == {"sent"}, states
        print(f"{len(unique)} messages by {len(owners)} daemons")
    finally:
        engine.dispose()
        server.stop()


POISON = "op3@example.cn"


def test_an_outage_a_refused_address_a_future_send_and_kills_lose_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Across the days: one address the server refuses throughout, a day on which the server accepts connections
    and never answers, a by-hand send for a day ahead (refused), and kills; every good reminder arrives once."""
    from click.testing import CliRunner

    from monitor.cli import cli
    from tests.test_outage import Silent

    rng = random.Random(int(os.environ.get("MONITOR_FAULT_SEED", FAULT_SEED)))
    server = MailServer(tmp_path, refuse={POISON})
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    config = _prepare(tmp_path, url, server, monkeypatch)
    engine = create_engine(url)
    days = DAYS[:7]
    try:
        for number, day in enumerate(days):
            log = tmp_path / f"{day}.log"
            if number == 2:                          # the server is up but silent all morning
                silent = Silent(server.port)
                try:
                    daemon_process = procs.start(config, url, f"{day}T09:00+08:00", log)
                    deadline = time.monotonic() + 120
                    while b"startup done" not in log.read_bytes() and time.monotonic() < deadline:
                        time.sleep(0.2)
                    assert b"startup done" in log.read_bytes(), log.read_text()[-2000:]
                    assert procs.stop(daemon_process) == 0
                finally:
                    silent.close()
                with engine.connect() as conn:     # given back for a retry, none left claimed
                    stuck = conn.execute(text("SELECT count(*) FROM message WHERE state = 'claimed'")).scalar()
                assert stuck == 0
                continue
            server.start()
            try:
                if number == 3:                      # someone tries to send the round of a day ahead by hand
                    ahead = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)     # of the real day
                    result = CliRunner().invoke(cli, ["--config", str(config), "digest", "--send", "--as-of",
                                                      str(ahead)],
                                                env={"MONITOR_DATABASE_URL": url})
                    assert result.exit_code == 2 and "never ahead" in result.output
                if number in (1, 4, 5):              # killed at a random point, then started again
                    victim = procs.start(config, url, f"{day}T09:00+08:00", tmp_path / f"{day}-killed.log")
                    time.sleep(rng.uniform(0.0, 3.0))
                    procs.kill(victim)
                survivor = procs.start(config, url, f"{day}T09:10+08:00", log)
                procs.wait_settled(engine, str(day), [log])
                assert procs.stop(survivor) == 0, log.read_text()[-2000:]
            finally:
                server.stop()
        received = list(server.received)
        monkeypatch.setattr("tests.test_faults.DAYS", days)
        reference = _reference(tmp_path, server, monkeypatch, refuse={POISON})
        got, want = procs.item_counter(received), procs.item_counter(reference.received)
        assert got == want, f"missing {want - got}; extra {got - want}"
        assert got and max(got.values()) == 1 and not any(POISON in key[0] for key in got)
        with engine.connect() as conn:
            states = dict(conn.execute(text(
                "SELECT d.state, count(*) FROM delivery d GROUP BY d.state")).all())
            failed_to = set(conn.execute(text("SELECT DISTINCT recipient FROM delivery WHERE state = 'failed'"))
                            .scalars())
        assert set(states) <= {"sent", "failed"} and failed_to == {POISON}, (states, failed_to)
    finally:
        engine.dispose()


# --- the database goes away mid-round (issue 25, item 6) ----------------------------------------------------------

#: the round's SMTP connections (smtp.concurrency's default): at most this many messages are in flight at once
CONNECTIONS = 4


def _short_lease_config(server: MailServer, lease: int) -> str:
    """A claim that lapses after ``lease`` seconds (one message's tries take 2 x 2 s at most), scans hourly: every
    tick is far away, and what happens within a few leases is the daemon's own doing."""
    return ('[general]\nlanguage = "en"\nadministrators = ["admin@example.gov.cn"]\n'
            f"[daemon]\nclaim_lease_seconds = {lease}\nscan_every_minutes = 60\n"
            + server.config(extra=f"concurrency = {CONNECTIONS}\n").replace("timeout = 5", "timeout = 2"))


def _big_roster(tmp: Path, clusters: int) -> Path:
    """One operator each, five bureaus: ``clusters`` + 6 recipients, a message each in the day's round."""
    rows = [f"B{i:03d},Cluster {i},nmg-sme-draft,{d('2023-02-18') + dt.timedelta(days=i % 40)},,,"
            f"op{i:03d}@example.cn,bureau{i % 5}@example.gov.cn,," for i in range(clusters)]
    return write_roster(tmp / "big-roster.csv", *rows)


def _reference_round(tmp: Path, roster: Path, day: dt.date, lease: int) -> MailServer:
    """The day's round in this process on SQLite, undisturbed: what each recipient should get, once."""
    reference = MailServer(tmp).start()
    (tmp / "ref").mkdir()
    app = make_app(tmp / "ref", f"sqlite:///{tmp / 'ref' / 'ref.db'}", _short_lease_config(reference, lease), None)
    load_roster(app, roster)
    daemon(app, Clock(at(day, 9, 0))).startup()
    app.close()
    reference.stop()
    return reference


def _quiet(server: MailServer, seconds: float, timeout: float) -> int:
    """Wait until the server has received nothing more for ``seconds``; how many it has then."""
    deadline = time.monotonic() + timeout
    count, since = len(server.received), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if len(server.received) != count:
            count, since = len(server.received), time.monotonic()
        elif time.monotonic() - since >= seconds:
            return count
    raise AssertionError(f"the server was still receiving after {timeout} s")


@pytest.mark.postgres
def test_a_database_outage_mid_round_resends_at_most_what_was_in_flight(
        tmp_path: Path, private_postgres: Cluster) -> None:
    """PostgreSQL stops while the round is being sent (as the 40th of 206 messages is accepted) and comes back:
    the daemon stops handing messages over as soon as an outcome cannot be recorded, so only the messages already
    in flight (at most one per connection, each to its own recipient) go out unrecorded and are sent again; the
    daemon takes the rest over by itself once their claims lapse, long before its next tick. Every reminder
    arrives once, those few twice (same Message-ID, same bytes), none is lost."""
    cluster, lease, stop_at = private_postgres, 6, 40
    day = DAYS[0]
    server = MailServer(tmp_path).start()
    stopped = threading.Event()

    def outage() -> None:
        cluster.stop()
        stopped.set()

    server.when_received(stop_at, outage)
    roster = _big_roster(tmp_path, 200)
    app = make_app(tmp_path, cluster.url, _short_lease_config(server, lease), None)
    load_roster(app, roster)
    app.close()
    engine = create_engine(cluster.url, pool_pre_ping=True)
    log = tmp_path / "daemon.log"
    process = procs.start(tmp_path / "config.toml", cluster.url, f"{day}T09:00+08:00", log)
    try:
        assert stopped.wait(90), log.read_text()[-3000:]
        received = _quiet(server, 3.0, 60.0)
        # what went out while no outcome could be recorded: the messages in flight on the other connections
        assert received - stop_at <= CONNECTIONS - 1, (
            f"{received - stop_at} messages were sent after the database went away", log.read_text()[-3000:])
        cluster.start()
        procs.wait_settled(engine, str(day), [], timeout=20 * lease)
        assert process.poll() is None, log.read_text()[-3000:]
        assert procs.stop(process) == 0, log.read_text()[-3000:]
    finally:
        if process.poll() is None:
            procs.kill(process)
        server.stop()
    reference = _reference_round(tmp_path, roster, day, lease)
    unique, repeats = procs.by_message_id(server.received)
    got, want = procs.item_counter(server.received), procs.item_counter(reference.received)
    assert len(unique) == len(reference.received) > 200
    assert got == want, f"missing {want - got}; extra {got - want}"
    per_recipient = collections.Counter(mail.recipients[0] for mail in server.received)
    assert max(per_recipient.values()) <= 2 and repeats <= CONNECTIONS, (repeats, per_recipient.most_common(5))
    with engine.connect() as conn:
        states = dict(conn.execute(text("SELECT state, count(*) FROM delivery GROUP BY state")).all())
    engine.dispose()
    assert set(states) == {"sent"}, states
    assert b"could not be recorded" in log.read_bytes()
    print(f"{len(unique)} messages, {repeats} resent after the outage")


# --- failover: the round builder is killed (issue 25, item 9) -----------------------------------------------------

@pytest.mark.postgres
def test_the_other_daemon_takes_the_round_over_after_the_lease_not_at_its_next_tick(
        tmp_path: Path, postgres_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two daemons on one PostgreSQL database, scanning hourly. The first builds the day's round and is held
    half-way (the test locks the last recipient's deliveries), the second finds the round lock held; the first is
    killed. The second sends the whole round within a few leases (8 s), long before its next tick (an hour):
    the messages the dead one composed and the deliveries it never reached, each once."""
    lease = 8
    engine = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    day = DAYS[0]
    server = MailServer(tmp_path).start()
    app = make_app(tmp_path, postgres_server, _short_lease_config(server, lease), monkeypatch)
    load_roster(app, _roster(tmp_path))
    daemon(app, Clock(at(day, 9, 0))).scan_tick()      # the day's deliveries are there before either starts
    app.close()
    config = tmp_path / "config.toml"
    locker = create_engine(postgres_server)           # (not AUTOCOMMIT: the rows stay locked until rollback)
    held = locker.connect()
    hold = held.begin()                               # the builder will wait on the last recipient's deliveries
    held.execute(text("SELECT id FROM delivery WHERE recipient = 'op6@example.cn' FOR UPDATE"))
    logs = [tmp_path / "builder.log", tmp_path / "other.log"]
    began = time.monotonic()
    builder = procs.start(config, postgres_server, f"{day}T09:00+08:00", logs[0])
    other: subprocess.Popen[bytes] | None = None
    try:
        _wait(lambda: _waiting_on_a_lock(engine) and _round_locked(engine), 90, logs[0])
        later = at(day, 9, 0) + dt.timedelta(seconds=time.monotonic() - began)   # the same clock as the builder's
        other = procs.start(config, postgres_server, later.isoformat(), logs[1])
        _wait(lambda: b"another daemon is building one" in logs[1].read_bytes()
              and b"startup done" in logs[1].read_bytes(), 90, logs[1])
        procs.kill(builder)
        killed = time.monotonic()
        hold.rollback()
        held.close()
        locker.dispose()
        # the next tick is an hour away (scan_every_minutes = 60; the next digest time is tomorrow's)
        procs.wait_settled(engine, str(day), [logs[1]], timeout=12 * lease)
        took = time.monotonic() - killed
        assert procs.stop(other) == 0, logs[1].read_text()[-3000:]
    finally:
        for process in (builder, other):
            if process is not None and process.poll() is None:
                procs.kill(process)
        server.stop()
    monkeypatch.setattr("tests.test_faults.DAYS", [day])
    reference = _reference(tmp_path, server, monkeypatch)
    unique, repeats = procs.by_message_id(server.received)
    got, want = procs.item_counter(server.received), procs.item_counter(reference.received)
    assert got == want and repeats == 0, f"missing {want - got}; extra {got - want}; {repeats} repeats"
    with engine.connect() as conn:
        states = dict(conn.execute(text("SELECT state, count(*) FROM delivery GROUP BY state")).all())
        senders = set(conn.execute(text("SELECT DISTINCT claimed_by FROM message")).scalars())
    engine.dispose()
    assert set(states) == {"sent"}, states
    assert len(senders) == 1, senders       # the dead builder's messages were taken over, none sent by it
    print(f"{len(unique)} messages sent by the other daemon {took:.1f} s after the builder was killed")


def _wait(condition: Callable[[], bool], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if condition():
                return
        time.sleep(0.1)
    raise AssertionError(log.read_text()[-3000:] if log.exists() else f"nothing within {timeout} s")


def _waiting_on_a_lock(engine: Engine) -> bool:
    """A daemon waits, in its round, to claim deliveries another transaction holds."""
    with engine.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                      "AND datname = current_database() AND query LIKE 'UPDATE delivery%'")).scalar())


def _round_locked(engine: Engine) -> bool:
    """A daemon holds the round lock (db/round_queries.py's advisory lock)."""
    with engine.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                      "AND objid = :lock AND database = (SELECT oid FROM pg_database "
                                      "WHERE datname = current_database())"), {"lock": ROUND_LOCK}).scalar())
