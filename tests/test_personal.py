"""Messages to a person (monitor/rules/personal.py, jobs/people.py): each person reached on each of their channels
about the clusters they see, exactly once per (reminder, person, channel), in their window only (held, not lost),
once a round or once a day; against the loopback fakes of the three apps (tests/chatservers.py)."""

from __future__ import annotations

import collections
import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import DeliveryRow, MessageRow, ReminderRow
from db.person_queries import waiting
from db.session import transaction
from jobs.people import reach
from monitor.actions.reach import Reach, reach_of, save_reach
from monitor.app import App
from monitor.rules.access import Account, Role
from monitor.rules.personal import Person, Window, due
from tests.app_contract import add_person
from tests.chatservers import APPS, UNKNOWN_USER, ChatServer
from tests.conftest import d
from tests.helpers import write_roster
from tests.reminder_helpers import Clock, at, daemon, load_roster, make_app

MONDAY = d("2027-01-11")        # a working day; nmg-sme-draft's 2026 reports are due 2027-03-10
APP_CHANNELS = ("wecom_app-group", "dingtalk_work-group", "feishu_app-group")
IDS = {"wecom_userid": "zhang-wx", "dingtalk_userid": "zhang-dd", "feishu_open_id": "ou_zhang"}


def _app(tmp_path: Path, chat: ChatServer, extra: str = "", database_url: str | None = None) -> App:
    config = (f'[general]\nadministrators = ["admin@example.gov.cn"]\n{extra}\n'
              + chat.config(*APPS))
    app = make_app(tmp_path, database_url or f"sqlite:///{tmp_path / 'm.db'}", config, None)
    load_roster(app, write_roster(
        tmp_path / "roster.csv",
        "C000,包头集群0,nmg-sme-draft,2024-03-15,包头市,,op@example.cn,,,",
        "C001,包头集群1,nmg-sme-draft,2023-05-20,包头市,,op@example.cn,,,",
        "C002,赤峰集群2,nmg-sme-draft,2024-04-15,赤峰市,,op@example.cn,,,"))
    add_person(app, "zhang", IDS)                                           # an administrator: every cluster
    add_person(app, "baotou", {"wecom_userid": "baotou-wx"}, "bureau", ("包头市",))    # 包头市's only, on 企业微信
    add_person(app, "leader", {})                                           # no id: reached on no app
    return app


def _sent_to(app: App) -> collections.Counter[tuple[int, str]]:
    """(reminder, recipient) of every delivery to a person, counted."""
    with transaction(app.sessions) as session:
        rows = session.execute(select(DeliveryRow.reminder_id, DeliveryRow.recipient)
                               .where(DeliveryRow.recipient.like("channel:%:%"))).all()
    return collections.Counter((rid, recipient) for rid, recipient in rows)


def test_each_person_is_reached_once_per_reminder_on_each_channel_about_what_they_see(
        tmp_path: Path, chat: ChatServer, database_url: str) -> None:
    app = _app(tmp_path, chat, database_url=database_url)
    clock = Clock(at(MONDAY, 10))
    run = daemon(app, clock)
    for number in range(6):                     # six days of rounds, and a tick after each: nothing twice
        day = MONDAY + dt.timedelta(days=number)
        clock.value = at(day, 10)
        run.digest_tick(day=day)
        clock.value = at(day, 11)
        run.scan_tick()
    deliveries = _sent_to(app)
    assert deliveries and max(deliveries.values()) == 1             # one per (reminder, person, channel)
    recipients = {recipient for _, recipient in deliveries}
    assert recipients == {"channel:wecom_app-group:zhang", "channel:dingtalk_work-group:zhang",
                          "channel:feishu_app-group:zhang", "channel:wecom_app-group:baotou"}
    with transaction(app.sessions) as session:
        states = dict(session.execute(select(DeliveryRow.state, func.count())
                                      .where(DeliveryRow.recipient.like("channel:%:%"))
                                      .group_by(DeliveryRow.state)).all())
        messages = dict(session.execute(select(MessageRow.recipient, func.count())
                                        .where(MessageRow.recipient.like("channel:%:%"))
                                        .group_by(MessageRow.recipient)).all())
        per_reminder = session.execute(select(ReminderRow.id).join(DeliveryRow, DeliveryRow.reminder_id == ReminderRow.id)
                                       .where(DeliveryRow.recipient == "channel:wecom_app-group:zhang")).scalars()
        reminders_of_zhang = set(per_reminder)
    assert set(states) == {"sent"}, states
    # every message accepted once: as many posts to each person on each app as messages in the ledger
    posted = collections.Counter((post.service, post.to) for post in chat.accepted)
    assert posted == {("wecom_app", "zhang-wx"): messages["channel:wecom_app-group:zhang"],
                      ("dingtalk_work", "zhang-dd"): messages["channel:dingtalk_work-group:zhang"],
                      ("feishu_app", "ou_zhang"): messages["channel:feishu_app-group:zhang"],
                      ("wecom_app", "baotou-wx"): messages["channel:wecom_app-group:baotou"]}
    # the bureau's account is told of 包头市's clusters only; the administrator of every one
    baotou = " ".join(post.text for post in chat.accepted if post.to == "baotou-wx")
    zhang = " ".join(post.text for post in chat.accepted if post.to == "zhang-wx")
    assert "C000" in baotou and "C002" not in baotou and "C002" in zhang
    assert reminders_of_zhang
    # the tokens were fetched once a channel for the whole run (kept to their expiry)
    assert chat.token_calls == dict.fromkeys(APPS, 1)
    app.close()


def test_quiet_hours_hold_the_message_and_the_window_releases_it_once(tmp_path: Path, chat: ChatServer,
                                                                     database_url: str) -> None:
    """The 08:30 round is before zhang's window (09:00–18:00): held, counted, nothing posted; the first tick in the
    window sends it, once; on Saturday nothing goes out until Monday 09:00."""
    app = _app(tmp_path, chat, database_url=database_url)
    clock = Clock(at(MONDAY, 8, 30))
    run = daemon(app, clock)
    run.digest_tick()                                                # the scheduled round, at 08:30
    assert not chat.accepted
    with transaction(app.sessions) as session:
        held = waiting(session, "zhang")
    assert held and set(held) == {"wecom_app-group", "dingtalk_work-group", "feishu_app-group"}
    clock.value = at(MONDAY, 9, 5)
    run.scan_tick()                                                  # the first tick in the window
    assert collections.Counter(post.to for post in chat.accepted) == {"zhang-wx": 1, "zhang-dd": 1,
                                                                       "ou_zhang": 1, "baotou-wx": 1}
    with transaction(app.sessions) as session:
        assert waiting(session, "zhang") == {}
    for hour in (10, 11, 17):                                        # later ticks send nothing more
        clock.value = at(MONDAY, hour, 5)
        run.scan_tick()
    assert len(chat.accepted) == 4
    # a week later, a fact changes nothing here; Saturday's ticks hold what is owed until Monday's window
    saturday = MONDAY + dt.timedelta(days=5)
    with transaction(app.sessions) as session:
        session.execute(DeliveryRow.__table__.update().where(DeliveryRow.recipient.like("channel:%:%"))
                        .values(state="pending", message_id=None))       # owed again, as a new stage would be
    for hour in (9, 12, 17):
        clock.value = at(saturday, hour, 5)
        run.scan_tick()
    assert len(chat.accepted) == 4
    clock.value = at(saturday + dt.timedelta(days=2), 9, 5)
    run.scan_tick()
    assert len(chat.accepted) == 8
    app.close()


def test_a_digest_a_day_writes_once_a_day_whatever_the_rounds(tmp_path: Path, chat: ChatServer) -> None:
    app = _app(tmp_path, chat, '[digest]\ntimes = ["10:00", "15:00"]\nroles = ["administrator"]')
    with transaction(app.sessions) as session:
        save_reach(session, "zhang", Reach(IDS, (), "09:00", "18:00", True, "day"),
                   ["wecom_app-group", "dingtalk_work-group", "feishu_app-group"])
    clock = Clock(at(MONDAY, 10))
    run = daemon(app, clock)
    run.digest_tick()
    first = collections.Counter(post.to for post in chat.accepted)
    assert first["zhang-wx"] == 1
    with transaction(app.sessions) as session:      # something new for everyone before the 15:00 round
        session.execute(DeliveryRow.__table__.update().where(DeliveryRow.recipient.like("channel:%:%"))
                        .values(state="pending", message_id=None))
    clock.value = at(MONDAY, 15)
    run.digest_tick()
    second = collections.Counter(post.to for post in chat.accepted)
    assert second["zhang-wx"] == 1 and second["baotou-wx"] == 2      # zhang: once a day; baotou: a round
    clock.value = at(MONDAY + dt.timedelta(days=1), 10)
    run.digest_tick()
    assert collections.Counter(post.to for post in chat.accepted)["zhang-wx"] == 2     # the next day's
    app.close()


def test_an_unknown_user_is_a_recorded_failure_for_that_person_only(tmp_path: Path, chat: ChatServer) -> None:
    app = _app(tmp_path, chat)
    add_person(app, "ghost", {"wecom_userid": UNKNOWN_USER, "feishu_open_id": UNKNOWN_USER})
    clock = Clock(at(MONDAY, 10))
    run = daemon(app, clock)
    counts = run.digest_tick(day=MONDAY)
    assert counts["failed"] == 2 and counts["retry"] == 0
    with transaction(app.sessions) as session:
        failed = dict(session.execute(select(MessageRow.recipient, MessageRow.error)
                                      .where(MessageRow.state == "failed")).all())
    assert set(failed) == {"channel:wecom_app-group:ghost", "channel:feishu_app-group:ghost"}
    assert all("(unknown user)" in (error or "") for error in failed.values())
    requests = chat.requests
    for hours in (1, 5, 30):                       # never tried again: no retry storm
        clock.value = at(MONDAY, 10) + dt.timedelta(hours=hours)
        run.resend()
    assert chat.requests == requests
    assert {post.to for post in chat.accepted} == {"zhang-wx", "zhang-dd", "ou_zhang", "baotou-wx"}
    app.close()


def test_a_channel_turned_off_reaches_nobody_and_reach_adds_each_delivery_once(tmp_path: Path,
                                                                              chat: ChatServer) -> None:
    app = _app(tmp_path, chat)
    with transaction(app.sessions) as session:
        save_reach(session, "zhang", Reach(IDS, ("dingtalk_work-group",)),
                   ["wecom_app-group", "dingtalk_work-group", "feishu_app-group"])
        assert reach_of(session, "zhang").muted == ("dingtalk_work-group",)
    clock = Clock(at(MONDAY, 10))
    daemon(app, clock).digest_tick(day=MONDAY)
    assert "zhang-dd" not in {post.to for post in chat.accepted}
    with transaction(app.sessions) as session:
        reminder = session.execute(select(ReminderRow.id)).scalars().first()
        assert reminder is not None
        first = reach(session, app.settings, "leader", [reminder])      # no id: nothing
        save_reach(session, "leader", Reach({"feishu_open_id": "ou_leader"}), [])
        added = reach(session, app.settings, "leader", [reminder])
        again = reach(session, app.settings, "leader", [reminder])
    assert first == [] and added == again == ["channel:feishu_app-group:leader"]
    assert _sent_to(app)[(reminder, "channel:feishu_app-group:leader")] == 1


@pytest.mark.parametrize(("when", "at_round", "last_slot", "last", "expected"), [
    ("2027-01-11T08:30", True, None, None, False),                  # before the window
    ("2027-01-11T09:00", True, None, None, True),                   # its first minute
    ("2027-01-11T18:00", True, None, None, False),                  # its end is not in it
    ("2027-01-16T10:00", True, None, None, False),                  # a Saturday
    ("2027-01-11T09:05", False, "2027-01-11T08:30", None, True),    # a tick after a round held them
    ("2027-01-11T09:05", False, "2027-01-11T08:30", "2027-01-11T09:01", False),    # sent since
    ("2027-01-11T11:05", False, "2027-01-11T10:00", None, False),   # the round was in the window: it sent
])
def test_when_a_person_is_written_to(when: str, at_round: bool, last_slot: str | None, last: str | None,
                                     expected: bool) -> None:
    person = Person(Account(1, "zhang", Role.ADMIN), window=Window())
    moment = dt.datetime.fromisoformat
    assert due(person, moment(when), lambda day: day.weekday() < 5, at_round,
               None if last_slot is None else moment(last_slot), None if last is None else moment(last)) is expected


@pytest.mark.parametrize(("entry", "problem"), [
    ('type = "wecom_app"\napp_id = "ww1"\n', "an app (app_id) needs its secret"),
    ('type = "feishu_app"\napp_id = "cli_1"\nsecret_env = "S"\nurl_env = "U"\nurl_file = "u"\n',
     "at most one of url_env and url_file"),
    ('type = "dingtalk_work"\napp_id = "k"\nappsecret = "s3cret"\n', "never put the signing secret in config.toml"),
    ('type = "wecom_app"\napp_id = "ww1"\ncorpsecret = "s3cret"\n', "never put the signing secret in config.toml"),
])
def test_an_apps_secret_comes_from_outside_config_toml(tmp_path: Path, entry: str, problem: str) -> None:
    from monitor.config import load_settings
    from monitor.errors import ConfigError

    path = tmp_path / "config.toml"
    path.write_text(f'[general]\nlanguage = "en"\n[[channels]]\nname = "app"\n{entry}', encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(problem)):
        load_settings(path, {})


def test_an_apps_unset_secret_stops_a_send_at_start_naming_it(tmp_path: Path) -> None:
    from monitor.config import load_settings
    from monitor.errors import ConfigError

    path = tmp_path / "config.toml"
    path.write_text('[[channels]]\nname = "app"\ntype = "wecom_app"\napp_id = "ww1"\nsecret_env = "MONITOR_T_S"\n',
                    encoding="utf-8")
    settings = load_settings(path, {})
    with pytest.raises(ConfigError) as caught:
        settings.check_channels()
    assert "MONITOR_T_S" in str(caught.value)


def test_what_waits_for_a_channel_the_person_then_turns_off_is_suppressed_not_left_pending(
        tmp_path: Path, chat: ChatServer) -> None:
    app = _app(tmp_path, chat)
    clock = Clock(at(MONDAY, 8, 30))
    run = daemon(app, clock)
    run.digest_tick()                                   # held: before the window
    with transaction(app.sessions) as session:
        assert "feishu_app-group" in waiting(session, "zhang")
        save_reach(session, "zhang", Reach(IDS, ("feishu_app-group",)),
                   ["wecom_app-group", "dingtalk_work-group", "feishu_app-group"])
    clock.value = at(MONDAY, 9, 5)
    run.scan_tick()
    assert "ou_zhang" not in {post.to for post in chat.accepted} and "zhang-wx" in {post.to for post in chat.accepted}
    with transaction(app.sessions) as session:
        assert waiting(session, "zhang") == {}
        states = set(session.execute(select(DeliveryRow.state)
                                     .where(DeliveryRow.recipient == "channel:feishu_app-group:zhang")).scalars())
    assert states == {"suppressed"}
    app.close()


def test_a_preview_shows_every_persons_message_whatever_their_window(tmp_path: Path, chat: ChatServer) -> None:
    from jobs.manual import preview_round

    app = _app(tmp_path, chat)
    written = preview_round(app, MONDAY, tmp_path / "preview")
    names = {path.name.split("-", 1)[1] for path in written}
    assert {"channel_wecom_app-group_zhang.json", "channel_feishu_app-group_zhang.json",
            "channel_wecom_app-group_baotou.json"} <= names
    assert not chat.requests                            # nothing was sent
    app.close()


def test_an_escalation_step_reaches_its_account_on_their_personal_channels(tmp_path: Path, chat: ChatServer) -> None:
    """A step to ``account:leader``, who has no e-mail, only a 飞书 id: the step reaches them there, once, and says
    which step it is."""
    app = _app(tmp_path, chat, '[[escalation]]\nregimes = ["nmg-sme-draft"]\n'
                               'steps = [ { after_days = 0, to = "account:leader" } ]')
    with transaction(app.sessions) as session:
        save_reach(session, "leader", Reach({"feishu_open_id": "ou_leader"}), list(APP_CHANNELS))
    clock = Clock(at(MONDAY, 10))
    run = daemon(app, clock)
    run.digest_tick(day=MONDAY)
    clock.value = at(MONDAY + dt.timedelta(days=1), 10)
    run.digest_tick(day=MONDAY + dt.timedelta(days=1))
    with transaction(app.sessions) as session:
        steps = session.execute(select(ReminderRow.stage, DeliveryRow.state).join(
            DeliveryRow, DeliveryRow.reminder_id == ReminderRow.id).where(
            DeliveryRow.recipient == "channel:feishu_app-group:leader",
            ReminderRow.stage.like("escalate:%"))).all()
    assert steps and {state for _, state in steps} == {"sent"}
    leader = " ".join(post.text for post in chat.accepted if post.to == "ou_leader")
    assert "升级第1步" in leader
    app.close()
