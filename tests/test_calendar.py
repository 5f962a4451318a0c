"""`monitor calendar`: written with icalendar, read back with vobject (a second, independent parser)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import vobject

from tests.helpers import monitor, own_config, status_json

AS_OF = "2026-11-22"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    feed = tmp_path / "feed" / "deadlines.ics"
    return own_config(tmp_path, text=f'[reminders.lead_days]\ndefault = [30, 7, 0]\n[daemon]\ncalendar_path = "{feed}"\n')


def parse(text: str) -> Any:
    return vobject.readOne(text)


def calendar(config: Path, *args: str) -> Any:
    result = monitor("calendar", "--as-of", AS_OF, *args, config=config)
    assert result.exit_code == 0, result.output
    return parse(result.stdout)


SUMMARY = "overdue-today@monitor"


def deadlines(document: Any) -> list[Any]:
    """The events of obligations (without the day's overdue summary)."""
    return [e for e in document.vevent_list if e.uid.value != SUMMARY]


def dated(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The dated obligations `status --format json` lists, by the UID the calendar gives them."""
    return {f"{c['id']}/{o['key']}@monitor": {**o, "cluster": c}
            for c in document["clusters"] for o in c["obligations"] if o["due"]}


def test_one_event_per_dated_obligation_with_cluster_article_and_state(config: Path) -> None:
    expected = dated(status_json(config, "--as-of", AS_OF))
    events = {e.uid.value: e for e in deadlines(calendar(config))}
    assert set(events) == set(expected)
    assert len(expected) > 10
    for uid, obligation in expected.items():
        event = events[uid]
        due = dt.date.fromisoformat(obligation["due"])
        assert event.dtstart.value == due and event.dtend.value == due + dt.timedelta(days=1)
        description = event.description.value
        assert obligation["cluster"]["id"] in description and obligation["cluster"]["name"] in description
        assert f"依据: {obligation['basis']}" in description
        state = {"pending": "待办", "overdue": "逾期", "done": "已完成", "late": "迟报"}[obligation["state"]]
        assert f"状态: {state}" in description and event.summary.value.startswith(f"【{state}】")


def test_pending_obligations_carry_an_alarm_per_lead_day_and_overdue_ones_none(config: Path) -> None:
    expected = dated(status_json(config, "--as-of", AS_OF))
    events = {e.uid.value: e for e in deadlines(calendar(config))}
    states = {expected[uid]["state"] for uid in events}
    assert {"pending", "overdue"} <= states
    for uid, event in events.items():
        triggers = sorted(alarm.trigger.value for alarm in event.contents.get("valarm", []))
        if expected[uid]["state"] == "pending":
            assert triggers == [dt.timedelta(days=-30), dt.timedelta(days=-7), dt.timedelta(0)]
        else:
            assert triggers == []


def test_uids_are_stable_and_a_later_export_updates_the_same_events(config: Path) -> None:
    before = {e.uid.value: e for e in deadlines(calendar(config))}
    overdue = next(uid for uid, e in before.items() if "/annual_report:2025@" in uid and e.sequence.value == "1")
    assert monitor("record", "report", overdue.split("/")[0], "--year", "2025", "--filed-on", "2026-11-20",
                   config=config).exit_code == 0
    after = {e.uid.value: e for e in deadlines(calendar(config))}
    assert set(after) == set(before)                # the same events, none added
    assert after[overdue].dtstart.value == before[overdue].dtstart.value
    assert int(after[overdue].sequence.value) > int(before[overdue].sequence.value)
    assert "状态: 迟报" in after[overdue].description.value


def test_overdue_items_are_also_one_all_day_event_on_the_day_of_the_feed(config: Path) -> None:
    """Calendar apps open on today: an overdue item on its own past due day goes unseen, so today says how many."""
    document = status_json(config, "--as-of", AS_OF)
    overdue = [(c, o) for c in document["clusters"] for o in c["obligations"] if o["state"] == "overdue"]
    [summary] = [e for e in calendar(config).vevent_list if e.uid.value == SUMMARY]
    assert summary.summary.value == f"逾期事项 {len(overdue)} 项" and len(overdue) > 3
    assert summary.dtstart.value == dt.date.fromisoformat(AS_OF)
    assert summary.dtend.value == dt.date.fromisoformat(AS_OF) + dt.timedelta(days=1)
    description = summary.description.value
    for cluster, obligation in overdue:
        assert f"{cluster['id']} {cluster['name']}：" in description
        assert f"{obligation['due']}截止，逾期{-obligation['days_left']}天" in description
    later = next(e for e in parse(monitor("calendar", "--as-of", "2026-12-01", config=config).stdout).vevent_list
             if e.uid.value == SUMMARY)
    assert later.dtstart.value == dt.date(2026, 12, 1) and int(later.sequence.value) > int(summary.sequence.value)
    none = monitor("calendar", "--as-of", AS_OF, "--cluster", "AH-AMC-2024-012", config=config).stdout
    assert SUMMARY not in none                   # nothing overdue there: no summary


def test_filters_by_cluster_and_regime_and_refuses_unknown_ones(config: Path) -> None:
    one = deadlines(calendar(config, "--cluster", "MIIT-2022-015"))
    assert one and all(e.uid.value.startswith("MIIT-2022-015/") for e in one)
    regime = deadlines(calendar(config, "--regime", "miit-sme-2022"))
    assert regime and all(e.x_monitor_regime.value == "miit-sme-2022" for e in regime)
    assert len(regime) < len(deadlines(calendar(config)))
    unknown = monitor("calendar", "--cluster", "NOPE", config=config)
    assert unknown.exit_code == 2 and "NOPE" in unknown.stderr
    assert monitor("calendar", "--regime", "nope", config=config).exit_code == 2


def test_the_daemon_rewrites_the_subscribed_file_on_every_scan(config: Path, tmp_path: Path) -> None:
    from jobs.daemon import Daemon
    from monitor.app import App
    from monitor.config import load_settings

    feed = tmp_path / "feed" / "deadlines.ics"
    app = App(_settings=load_settings(config))
    try:
        daemon = Daemon(app, "test", lambda: dt.datetime(2026, 11, 22, 9, tzinfo=dt.UTC))
        daemon.scan_tick()
        first = feed.read_text(encoding="utf-8")
        assert {e.uid.value for e in deadlines(parse(first))} == set(dated(status_json(config, "--as-of", AS_OF)))
        shutil.copy(feed, tmp_path / "old.ics")
        daemon._clock = lambda: dt.datetime(2027, 4, 1, 9, tzinfo=dt.UTC)
        daemon.scan_tick()
        assert feed.read_text(encoding="utf-8") != first
        assert [p.name for p in feed.parent.iterdir()] == ["deadlines.ics"]   # no temporary file left behind
    finally:
        app.close()


def test_a_policy_is_named_by_its_title_with_its_id_beside_it_only(config: Path) -> None:
    """Issue 27: policies by name everywhere. The category a calendar app shows is the policy's title; the id
    is in brackets beside the title in the description (what `--regime` takes), and in X-MONITOR-REGIME."""
    from monitor.rules.packs import load_packs

    titles = {pack.id: pack.title for pack in load_packs().values()}
    events = deadlines(calendar(config))
    assert {e.x_monitor_regime.value for e in events} >= {"miit-sme-2022", "nmg-sme-draft"}
    for e in events:
        regime = e.x_monitor_regime.value
        assert e.categories.value[0] == titles[regime] and regime not in e.categories.value
        assert f"办法: 《{titles[regime]}》（{regime}）" in e.description.value
        assert regime not in e.summary.value
        assert all(regime not in alarm.description.value for alarm in e.contents.get("valarm", []))
    english = calendar(in_english(config))
    event = deadlines(english)[0]
    assert f"Policy: {titles[event.x_monitor_regime.value]} ({event.x_monitor_regime.value})" in event.description.value


def in_english(config: Path) -> Path:
    """A copy of ``config`` beside it (the same database) that speaks English."""
    english = config.with_name(f"{config.stem}-en.toml")
    english.write_text(config.read_text(encoding="utf-8") + '[general]\nlanguage = "en"\n', encoding="utf-8")
    return english


def _event(document: Any, uid: str) -> Any:
    return next(e for e in document.vevent_list if e.uid.value == uid)


def test_a_snooze_or_an_ack_in_force_is_said_in_the_event_it_holds_quiet(config: Path) -> None:
    """Issue 27: acks and snoozes are visible wherever the warning is. A snoozed obligation's event and an
    obligation whose warning is acknowledged say so in the summary, and the description says who and why; the
    alarms that would ring while it is snoozed are left out (its reminders are quiet too)."""
    pending = "NMG-SME-2024-002/renewal_review:2027-02-28@monitor"
    overdue = "MIIT-2024-007/annual_report:2025@monitor"
    quiet = "MIIT-2024-007/annual_report:2024@monitor"        # overdue too, held by nothing
    before = calendar(config)
    assert [a.trigger.value for a in _event(before, pending).contents["valarm"]] == [
        dt.timedelta(days=-30), dt.timedelta(days=-7), dt.timedelta(0)]
    assert monitor("snooze", "NMG-SME-2024-002", "renewal_review", "--until", "2027-02-25", "--note", "已电话联系",
                   config=config).exit_code == 0
    assert monitor("ack", "MIIT-2024-007", "annual_report_overdue:2025", "--until", "2026-12-31", "--note", "已催报",
                   config=config).exit_code == 0
    after = calendar(config)
    snoozed, acked = _event(after, pending), _event(after, overdue)
    assert snoozed.summary.value.startswith("【待办·已暂停提醒至2027-02-25】有效期复核")
    assert "\n已暂停提醒至2027-02-25（" in snoozed.description.value
    assert snoozed.description.value.endswith("：已电话联系）")
    assert [a.trigger.value for a in snoozed.contents["valarm"]] == [dt.timedelta(0)]    # 01-29, 02-21: snoozed
    assert acked.summary.value.startswith("【逾期·警示已确认至2026-12-31】2025年度报告")
    assert "警示已确认至2026-12-31：2025年度报告逾期未报" in acked.description.value
    assert acked.description.value.endswith("：已催报）")
    assert _event(after, quiet).summary.value.startswith("【逾期】")
    assert "已确认" not in _event(after, quiet).description.value
    today = _event(after, SUMMARY).description.value
    assert "MIIT-2024-007 赤峰市绿色农畜产品加工特色产业集群：2025年度报告，2026-03-31截止，逾期236天（警示已确认至2026-12-31）" in today
    english = calendar(in_english(config))
    assert _event(english, pending).summary.value.startswith("[pending · snoozed until 2027-02-25] renewal review")
    assert "Snoozed until 2027-02-25 (" in _event(english, pending).description.value
    assert _event(english, overdue).summary.value.startswith("[overdue · warning acknowledged until 2026-12-31] ")
    assert "Warning acknowledged until 2026-12-31: " in _event(english, overdue).description.value
    gone = calendar(config, "--as-of", "2027-01-05")       # the ack has run out: the event is plain again
    assert _event(gone, overdue).summary.value.startswith("【逾期】")
    assert "已确认" not in _event(gone, overdue).description.value
