"""Reminders as docs/rules.md defines them: stages crossed (never "equals today"), each sent once, grouped in digests.

The year test runs the daemon's own ticks (scan at 00:30, digest at 08:30) for every day of a year with an
injected clock, against a real SMTP server on loopback, and compares what the server received with the
reminders docs/rules.md implies, computed here from the due days, the lead times and the working-day calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.app import App
from monitor.rules.stages import obligation_stage, warning_stage
from monitor.rules.workdays import WorkCalendar
from tests.chatservers import ChatServer
from tests.conftest import d
from tests.daemon_procs import chat_counter
from tests.helpers import write_roster
from tests.mailserver import MailServer
from tests.reminder_helpers import Clock, at, daemon, items, load_roster, make_app, record, round_day_of

LEAD = (60, 30, 14, 7, 3, 1, 0)


def test_obligation_stages_are_crossed_not_equal_to_today() -> None:
    due = d("2027-03-10")
    assert obligation_stage(due, d("2027-01-08"), LEAD, 7) is None
    assert obligation_stage(due, d("2027-01-09"), LEAD, 7) == ("lead:60", d("2027-01-09"))
    # a day the daemon was down loses nothing: three days later the same stage is still the newest crossed
    assert obligation_stage(due, d("2027-01-12"), LEAD, 7) == ("lead:60", d("2027-01-09"))
    assert obligation_stage(due, d("2027-03-09"), LEAD, 7) == ("lead:1", d("2027-03-09"))
    assert obligation_stage(due, d("2027-03-10"), LEAD, 7) == ("lead:0", d("2027-03-10"))
    assert obligation_stage(due, d("2027-03-11"), LEAD, 7) == ("overdue:1", d("2027-03-11"))
    assert obligation_stage(due, d("2027-03-17"), LEAD, 7) == ("overdue:1", d("2027-03-11"))
    assert obligation_stage(due, d("2027-03-18"), LEAD, 7) == ("overdue:2", d("2027-03-18"))


def test_warning_stages_repeat_only_for_revocation_warnings() -> None:
    assert warning_stage(None, d("2027-01-01"), True, 7) == ("warning:0", d("2027-01-01"))
    assert warning_stage(d("2027-01-01"), d("2027-01-07"), True, 7) == ("warning:0", d("2027-01-01"))
    assert warning_stage(d("2027-01-01"), d("2027-01-08"), True, 7) == ("warning:1", d("2027-01-08"))
    assert warning_stage(d("2027-01-01"), d("2027-06-01"), False, 7) == ("warning:0", d("2027-01-01"))


@pytest.fixture
def year_app(tmp_path: Path, database_url: str, server: MailServer, chat: ChatServer,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    # a DingTalk group (signed) gets every reminder too; a year runs in seconds, so its pace is lifted
    config = ('[general]\nlanguage = "en"\nadministrators = ["admin@example.gov.cn"]\n' + server.config() + "\n"
              + chat.config("dingtalk", extra="per_minute = 1000\n"))
    app = make_app(tmp_path, database_url, config, monkeypatch)
    roster = write_roster(
        tmp_path / "roster.csv",
        "A,Alpha cluster,nmg-sme-draft,2024-03-15,,,a-op@example.cn,a-bureau@example.gov.cn,,",
        "B,Beta cluster,ah-amc-2024,2024-05-01,,,b-op@example.cn,b-bureau@example.gov.cn,,",
    )
    load_roster(app, roster)
    start = d("2026-12-01")
    record(app, start, lambda r: r.report("A", 2024, d("2025-03-01")))
    record(app, start, lambda r: r.report("A", 2025, d("2026-03-01")))
    record(app, start, lambda r: r.assessment("B", 2025, "fail", d("2026-01-01")))
    yield app
    app.close()


def round_day(threshold: dt.date, calendar: WorkCalendar) -> dt.date:
    """The digest round that carries a stage: the first working day on or after it."""
    day = threshold
    while not calendar.is_workday(day):
        day += dt.timedelta(days=1)
    return day


def _subject(cluster: str, what: str) -> str:
    if "report on 2026 was filed late" in what:
        return "annual_report_late:2026"
    if "report on 2026" in what:
        return "annual_report:2026"
    if "renewal review" in what:
        return "renewal_review"
    if "years running" in what:
        return "assessment_failed_consecutive"
    if "failed the 2025 assessment" in what:
        return "assessment_failed:2025"
    raise AssertionError(f"unexpected item for {cluster}: {what}")


def test_a_year_of_daily_ticks_sends_what_the_rules_imply(year_app: App, server: MailServer,
                                                          chat: ChatServer) -> None:
    app, calendar = year_app, year_app.calendar
    clock = Clock(at(d("2026-12-01")))
    run = daemon(app, clock)
    day, end = d("2026-12-01"), d("2027-11-30")
    while day <= end:
        clock.value = at(day, 0, 30)
        run.scan_tick()
        clock.value = at(day)
        run.digest_tick()
        if day == d("2027-01-01"):
            record(app, day, lambda r: r.assessment("B", 2026, "fail", d("2027-01-01")))
            run.scan_tick()   # the consecutive failure is first seen today, reminded at the next round
        if day == d("2027-02-01"):
            from db.session import transaction
            from monitor.actions.ack_snooze import record_hold

            with transaction(app.sessions) as session:
                record_hold(session, "ack", "B", "assessment_failed_consecutive:2025", d("2027-03-01"),
                            "the bureau is handling it", day, "tester", clock.value)
        if day == d("2027-03-01"):
            record(app, day, lambda r, day=day: r.review("A", "pass", day))
        if day == d("2027-03-20"):
            record(app, day, lambda r, day=day: r.report("A", 2026, day))
        if day == d("2027-06-01"):
            record(app, day, lambda r, day=day: r.revocation("B", day, "two failed assessments"))
        day += dt.timedelta(days=1)

    expected: set[tuple[str, str, str]] = set()
    report_due, review_due = d("2027-03-10"), d("2027-03-14")
    for n in LEAD:
        expected.add((str(round_day(report_due - dt.timedelta(days=n), calendar)), "A", "annual_report:2026"))
        threshold = review_due - dt.timedelta(days=n)
        if round_day(threshold, calendar) <= d("2027-03-01"):  # the review passed on 03-01, after that round
            expected.add((str(round_day(threshold, calendar)), "A", "renewal_review"))
    for overdue in (d("2027-03-11"), d("2027-03-18")):         # filed on 03-20, after that day's round
        expected.add((str(round_day(overdue, calendar)), "A", "annual_report:2026"))
    # the late filing is a warning of its own (annual_report_late), first seen by the next scan, sent once
    expected.add((str(round_day(d("2027-03-21"), calendar)), "A", "annual_report_late:2026"))
    expected.add(("2026-12-01", "B", "assessment_failed:2025"))
    repeat = d("2027-01-01")
    first = True
    while repeat < d("2027-06-01"):
        sent_on = round_day(repeat + dt.timedelta(days=1) if first else repeat, calendar)
        if not d("2027-02-01") <= sent_on <= d("2027-03-01"):   # acknowledged through 03-01
            expected.add((str(sent_on), "B", "assessment_failed_consecutive"))
        repeat += dt.timedelta(days=7)
        first = False

    got = {(day_, cluster, _subject(cluster, what)) for recipient, day_, cluster, what in items(server.received)
           if recipient == "admin@example.gov.cn"}
    assert got == expected
    # each digest goes to its recipient once a round; the report (notify = bureau under nmg-sme-draft) never
    # reaches the operator, the renewal review (operator and bureau) does
    operator_items = {(c, _subject(c, w)) for r, _, c, w in items(server.received) if r == "a-op@example.cn"}
    assert operator_items == {("A", "renewal_review")}
    rounds = [(m.recipients[0], round_day_of(m)) for m in server.received]
    assert len(rounds) == len(set(rounds))
    # the group chat got what the administrator got, once each, one post a round
    posted, repeats = chat_counter(chat.posts("dingtalk"))
    assert {(day_, cluster, _subject(cluster, what)) for day_, cluster, what in posted} == expected
    assert max(posted.values()) == 1 and repeats == 0
    assert len(chat.posts("dingtalk")) == len({r for r in rounds if r[0] == "admin@example.gov.cn"})

