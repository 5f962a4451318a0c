"""The ledger follows corrections (issue 11): the daemon's own ticks across a spring, against a real SMTP server,
while the record is corrected. A wrongly recorded filing silences the report's reminders; retracting it makes
them resume, and a reminder that was settled obsolete by the wrong filing is sent after all, once. Amending a
change's date moves its reminders to the new due day. `status --known-at` the moment of a round shows the same
items that round's digest carried."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.history_queries import history
from db.session import transaction
from monitor.app import App
from tests.conftest import d
from tests.helpers import monitor, write_roster
from tests.mailserver import MailServer
from tests.reminder_helpers import Clock, at, daemon, items, load_roster, make_app, record


@pytest.fixture
def spring(tmp_path: Path, database_url: str, server: MailServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    config = '[general]\nlanguage = "en"\nadministrators = ["admin@example.gov.cn"]\n' + server.config()
    app = make_app(tmp_path, database_url, config, monkeypatch)
    load_roster(app, write_roster(tmp_path / "roster.csv",
                                  "A,Alpha cluster,nmg-sme-draft,2024-03-15,,,a-op@example.cn,a-bureau@example.gov.cn,,"))
    start = d("2026-12-01")
    record(app, start, lambda r: r.report("A", 2024, d("2025-03-01")))
    record(app, start, lambda r: r.report("A", 2025, d("2026-03-01")))
    record(app, start, lambda r: r.review("A", "pass", d("2026-11-30")))
    yield app
    app.close()


def correct(app: App, day: dt.date, hour: int, action: str, *args: object) -> str:
    from monitor.actions.record import Recorder

    with transaction(app.sessions) as session:
        recorder = Recorder(session, app.packs, "tester", at(day, hour).astimezone(dt.UTC), day)
        outcome = getattr(recorder, action)(*args)
    return str(outcome.message)


def test_corrections_mid_spring_resume_and_move_reminders_exactly_once(
        spring: App, server: MailServer, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = spring
    clock = Clock(at(d("2026-12-01")))
    run = daemon(app, clock)
    numbers: dict[str, int] = {}
    day = d("2026-12-01")
    while day <= d("2027-05-31"):
        clock.value = at(day, 0, 30)
        run.scan_tick()
        if day == d("2027-01-20"):     # the 2026 report recorded for the wrong cluster
            numbers["wrong"] = int(correct(app, day, 7, "report", "A", 2026, day).split("fact ")[1].split(":")[0])
        if day == d("2027-02-15"):     # found out: withdrawn, so the reminders resume
            correct(app, day, 7, "retract", numbers["wrong"], "recorded for the wrong cluster")
        if day == d("2027-03-03"):     # lead:7 recorded at 00:30; a wrong filing at 07:00 makes it obsolete
            numbers["again"] = int(correct(app, day, 7, "report", "A", 2026, day).split("fact ")[1].split(":")[0])
        if day == d("2027-03-05"):     # withdrawn: the obsolete lead:7 reminder is owed after all
            correct(app, day, 7, "retract", numbers["again"], "not filed after all")
        if day == d("2027-03-20"):
            correct(app, day, 7, "report", "A", 2026, day)
        if day == d("2027-04-01"):
            numbers["change"] = int(correct(app, day, 7, "change", "A", "operator", d("2027-04-01"), None)
                                    .split("fact ")[1].split(":")[0])
        if day == d("2027-04-06"):     # the change happened on April 10 (planned), not April 1
            correct(app, day, 7, "amend", numbers["change"], {"--changed-on": d("2027-04-05")}, "date was wrong")
        clock.value = at(day)
        run.digest_tick()
        day += dt.timedelta(days=1)

    got = Counter((day_, what) for recipient, day_, cluster, what in items(server.received)
                  if recipient == "admin@example.gov.cn" and cluster == "A")
    assert max(got.values()) == 1                                   # nothing twice
    report = sorted(day_ for day_, what in got if "report on 2026" in what and "late" not in what)
    # lead:60 (Jan 9, a Saturday: the Monday round); lead:30 (Feb 8) silenced by the wrong filing, sent the day
    # it was retracted; lead:14 (Feb 24); lead:7 (Mar 3) obsolete that morning, revived and sent Mar 5; lead:3
    # (Mar 7, a Sunday: Monday), lead:1, lead:0, overdue:1, overdue:2; filed Mar 20
    assert report == ["2027-01-11", "2027-02-15", "2027-02-24", "2027-03-05", "2027-03-08", "2027-03-09",
                      "2027-03-10", "2027-03-11", "2027-03-18"]
    change = sorted((day_, what) for day_, what in got if "change" in what)
    assert change and all("2027-04-01" not in what for day_, what in change if day_ > "2027-04-06")
    assert any("2027-04-05" in what for _, what in change)
    with transaction(app.sessions) as session:
        entries = history(session, "A")
    reminders = [e.fields for e in entries if e.type == "reminder" and e.fields["recipient"] == "admin@example.gov.cn"]
    sent_lead7 = [r for r in reminders if r["subject"] == "annual_report:2026" and r["stage"] == "lead:7"]
    assert [r["state"] for r in sent_lead7] == ["sent"]             # obsolete, then revived and sent: once

    # --known-at the moment of the Feb 15 round: status shows what that digest carried, and differs from now
    config = tmp_path / "config.toml"
    monkeypatch.setenv("MONITOR_DATABASE_URL", database_url)
    as_then = json.loads(monitor("status", "--format", "json", "--as-of", "2027-02-15", "--known-at",
                                 "2027-02-15T08:30+08:00", "--cluster", "A", config=config).stdout)
    [then] = [o for o in as_then["clusters"][0]["obligations"] if o["key"] == "annual_report:2026"]
    [mail] = [m for m in server.received if "admin@example.gov.cn" in m.recipients and "2027-02-15" in
              str(m.message["Subject"])]
    lines = mail.text.splitlines()
    at_item = next(n for n, line in enumerate(lines) if "report on 2026" in line)
    line = " ".join(lines[at_item:at_item + 3])
    assert then["state"] == "pending" and then["due"] in line and f"{then['days_left']}" in line
    before = json.loads(monitor("status", "--format", "json", "--as-of", "2027-02-15", "--known-at",
                                "2027-02-14T08:30+08:00", "--cluster", "A", config=config).stdout)
    [silenced] = [o for o in before["clusters"][0]["obligations"] if o["key"] == "annual_report:2026"]
    assert silenced["state"] == "done"                              # why the Feb 8 round said nothing
