"""`monitor ack`, `monitor snooze`, `monitor digest` and what `monitor status` says about the daemon."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from monitor.app import App
from tests.conftest import d
from tests.helpers import in_chinese, monitor, status_json, write_roster
from tests.mailserver import MailServer
from tests.reminder_helpers import Clock, approve_recipients, at, daemon, items

ROW = "A,Alpha,nmg-sme-draft,2024-03-15,,,a-op@example.cn,a-bureau@example.gov.cn,,"


@pytest.fixture
def roster_config(tmp_path: Path, config_file: Path, app: App) -> Path:
    result = monitor("import", str(write_roster(tmp_path / "r.csv", ROW)), config=config_file)
    assert result.exit_code == 0, result.output
    approve_recipients(app)          # as if the bureaus' first round had been approved (tests/test_first_send.py)
    return config_file


def test_preview_writes_eml_files_and_stores_nothing(roster_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = monitor("digest", "--as-of", "2026-11-23", "--preview", str(out), config=roster_config)
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    # the overdue reports notify the bureau (nmg-sme-draft); the renewal review's first lead day is 2027-01-13
    assert files == ["0001-a-bureau@example.gov.cn.eml", "0002-admin@example.gov.cn.eml"]
    mail = email.message_from_bytes((out / files[0]).read_bytes(), policy=email.policy.default)
    assert mail.get_content_type() == "multipart/alternative"
    assert "2026-11-23" in str(mail["Subject"])
    assert status_json(roster_config)["daemon"]["last_round"] is None   # nothing recorded
    again = monitor("digest", "--as-of", "2026-11-23", "--preview", str(tmp_path / "again"), config=roster_config)
    assert again.exit_code == 0 and len(list((tmp_path / "again").iterdir())) == 2


def test_digest_needs_send_or_preview(roster_config: Path) -> None:
    result = monitor("digest", config=roster_config)
    assert result.exit_code == 2 and "exactly one of --send, --approve, --refuse and --preview" in result.output


def test_digest_send_without_a_server_says_so(roster_config: Path) -> None:
    result = monitor("digest", "--send", config=roster_config)
    assert result.exit_code == 2 and "neither smtp.host nor a channel is set" in result.output
    assert status_json(roster_config)["daemon"]["last_round"] is None


def test_ack_and_snooze_are_recorded_shown_and_checked(roster_config: Path) -> None:
    ok = monitor("ack", "A", "annual_report_overdue", "--until", "2099-01-01", "--note", "已电话督促",
                 config=roster_config)
    assert ok.exit_code == 2 and "names 2 warnings" in ok.output    # 2024 and 2025 reports are both overdue
    ok = monitor("ack", "A", "annual_report_overdue:2025", "--until", "2099-01-01", "--note", "已电话督促",
                 config=roster_config)
    assert ok.exit_code == 0, ok.output
    assert monitor("snooze", "A", "renewal_review", "--until", "2099-01-01", "--note", "复核材料已受理",
                   config=roster_config).exit_code == 0
    holds = status_json(roster_config)["holds"]
    assert [(h["kind"], h["subject"], h["by"], h["note"]) for h in holds] == [
        ("ack", "annual_report_overdue:2025", "tester", "已电话督促"),
        ("snooze", "renewal_review:2027-03-14", "tester", "复核材料已受理")]
    table = monitor("status", config=in_chinese(roster_config)).output
    assert "已确认 A annual_report_overdue:2025 至2099-01-01（tester：已电话督促）" in table
    for args, message in [
        (("ack", "A", "nothing", "--until", "2099-01-01", "--note", "x"), "no warning 'nothing'"),
        (("ack", "Z", "x", "--until", "2099-01-01", "--note", "x"), "Z"),
        (("snooze", "A", "renewal_review", "--until", "2001-01-01", "--note", "x"), "is before today"),
        (("snooze", "A", "renewal_review", "--until", "2099-01-01", "--note", " "), "--note"),
    ]:
        result = monitor(*args, config=roster_config)
        assert result.exit_code == 2 and message in result.output, result.output


def test_ack_stops_reminders_until_the_day_then_they_resume(tmp_path: Path, app: App, roster_config: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from db.session import transaction
    from monitor.actions.ack_snooze import record_hold
    from tests.reminder_helpers import make_app

    server = MailServer(tmp_path).start()
    try:
        (tmp_path / "cfg").mkdir()
        mail_app = make_app(tmp_path / "cfg", app.settings.database_url, server.config(), monkeypatch)
        clock = Clock(at(d("2027-03-11")))
        with transaction(mail_app.sessions) as session:
            record_hold(session, "ack", "A", "annual_report_overdue:2026", d("2027-03-20"), "督办中",
                        d("2027-03-11"), "tester", clock.value)
        run = daemon(mail_app, clock)
        run.digest_tick(day=d("2027-03-11"))
        first = {what for _, _, _, what in items(server.received)}
        assert not any("2026年度报告" in w for w in first) and any("2025年度报告" in w for w in first)
        clock.value = at(d("2027-03-25"))
        run.digest_tick(day=d("2027-03-25"))                 # the ack has expired: overdue:3 (03-25) is sent
        later = {what for _, day, _, what in items(server.received) if day == "2027-03-25"}
        assert any("2026年度报告逾期未报" in w for w in later)
        mail_app.close()
    finally:
        server.stop()


def test_status_reports_the_daemons_last_tick_and_queue(roster_config: Path, app: App) -> None:
    run = daemon(app, Clock(at(d("2026-11-23"))))
    run.heartbeat()
    run.scan_tick()
    info = status_json(roster_config)["daemon"]
    assert info["last_scan"] == "2026-11-23T08:30:00+08:00"
    assert info["waiting"] > 0 and info["running"] == []   # the heartbeat is from the injected past
    table = monitor("status", config=in_chinese(roster_config)).output
    assert "守护进程：未运行；上次扫描 2026-11-23 08:30:00+08:00" in table      # as history prints a time


def test_catch_up_after_downtime_marks_the_round_late(tmp_path: Path, app: App, roster_config: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.reminder_helpers import make_app

    server = MailServer(tmp_path).start()
    try:
        (tmp_path / "cfg").mkdir()
        mail_app = make_app(tmp_path / "cfg", app.settings.database_url, server.config(), monkeypatch)
        clock = Clock(at(d("2027-01-04"), 9, 0))
        run = daemon(mail_app, clock)
        run.startup()                                 # first start: catches up today's 08:30 round
        first = len(server.received)
        assert first == 1                             # the bureau's digest (no administrators here)
        assert "补发" not in str(server.received[0].message["Subject"])
        clock.value = at(d("2027-01-13"), 11, 0)      # down for a week and a day
        run.startup()
        assert run.catch_up() is False                # once only
        late = server.received[first:]
        assert late and all("补发" in str(m.message["Subject"]) for m in late)
        assert all("2027-01-13" in str(m.message["Subject"]) for m in late)
        mail_app.close()
    finally:
        server.stop()


def test_the_systemd_unit_runs_the_daemon_and_stops_it_with_sigterm() -> None:
    import configparser

    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(Path(__file__).resolve().parent.parent / "deploy" / "monitor.service", encoding="utf-8")
    assert unit["Service"]["ExecStart"].split()[-1] == "run"
    assert unit["Service"]["KillSignal"] == "SIGTERM"
    assert "password" not in unit["Service"].get("Environment", "").lower()


def test_a_claim_lease_shorter_than_one_send_is_refused(tmp_path: Path) -> None:
    from monitor.config import load_settings
    from monitor.errors import ConfigError

    path = tmp_path / "c.toml"
    path.write_text('[daemon]\nclaim_lease_seconds = 30\n[smtp]\nhost = "mail"\ntimeout = 30\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="claim_lease_seconds: 30 must be at least 1 and outlast"):
        load_settings(path)


def _bodies(directory: Path) -> dict[str, str]:
    """Each previewed message by recipient, without the headers that differ from one build to the next."""
    found = {}
    for path in directory.iterdir():
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        del mail["Message-ID"], mail["Date"]
        boundary = mail.get_boundary()
        found[str(mail["To"])] = mail.as_string().replace(boundary or "", "")
    return found


def test_a_round_built_a_few_clusters_at_a_time_sends_the_same_digests(tmp_path: Path, app: App, config_file: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import jobs.compose
    from db.models import RoundItemRow
    from jobs.manual import preview_round

    example = Path(__file__).resolve().parent.parent / "examples" / "roster.csv"
    assert monitor("import", str(example), config=config_file).exit_code == 0
    whole = _bodies(tmp_path / "whole") if preview_round(app, d("2026-11-23"), tmp_path / "whole") else {}
    monkeypatch.setattr(jobs.compose, "IDS_PER_QUERY", 2)        # 8 clusters: four slices
    sliced = _bodies(tmp_path / "sliced") if preview_round(app, d("2026-11-23"), tmp_path / "sliced") else {}
    assert len(whole) >= 5 and sliced == whole
    with app.sessions() as session:   # the scratch rows live only inside the round's transaction
        assert session.query(RoundItemRow).count() == 0


def test_the_digest_shows_the_principal_ground_with_the_overdue_items_under_it(roster_config: Path,
                                                                             tmp_path: Path) -> None:
    """First-week issue, item 6: the reports on 2024 and 2025 are both overdue, each a ground to revoke under
    nmg-sme-draft; the digest shows the 2025 one (the principal) once, the 2024 one counted under it."""
    for config, out, under in ((roster_config, tmp_path / "en", "; 1 more overdue under it"),
                               (in_chinese(roster_config), tmp_path / "zh", "，另有1项逾期")):
        result = monitor("digest", "--as-of", "2026-11-23", "--preview", str(out), config=config)
        assert result.exit_code == 0, result.output
        mail = email.message_from_bytes((out / "0001-a-bureau@example.gov.cn.eml").read_bytes(),
                                        policy=email.policy.default)
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert text.count(under) == 1 and under in html, text
        assert "2025" in text.split(under)[0].splitlines()[-1]
        assert "2024-" not in text.replace("2024-03-15", ""), text     # the 2024 report is not listed


BULK = ("A,Alpha,nmg-sme-draft,2024-03-15,乌兰察布市,,,,,", "B,Beta,nmg-sme-draft,2023-03-15,乌兰察布市,,,,,",
        "C,Gamma,nmg-sme-draft,2023-03-15,包头市,,,,,")


def test_ack_and_snooze_many_at_once_by_region_and_code_or_by_clusters(tmp_path: Path, config_file: Path,
                                                                       app: App) -> None:
    """First-week issue, item 7: one transaction, printing each and how many; `monitor holds` lists them; the
    table shows an acknowledged principal with its until."""
    assert monitor("import", str(write_roster(tmp_path / "r.csv", *BULK)), config=config_file).exit_code == 0
    bad = monitor("ack", "--region", "乌兰察布市", "--code", "annual_report_overdue", "--until", "2099-01-31",
                  "--note", "a\nb", config=config_file)
    assert bad.exit_code == 2 and "--note" in bad.output
    none = monitor("ack", "--region", "乌兰察布市", "--code", "review_failed", "--until", "2099-01-31", "--note", "x",
                   config=config_file)
    assert none.exit_code == 2
    assert none.output.strip() == ("error: no cluster of region 乌兰察布市 has a warning 'review_failed' (they have: "
                                   "annual_report_overdue, validity_expired)")
    zh = monitor("ack", "--region", "乌兰察布市", "--code", "review_failed", "--until", "2099-01-31", "--note", "x",
                 config=in_chinese(config_file))
    assert "乌兰察布市没有集群有警示 'review_failed'" in zh.output
    assert status_json(config_file)["holds"] == []                     # nothing half-stored
    done = monitor("ack", "--region", "乌兰察布市", "--code", "annual_report_overdue", "--until", "2099-01-31",
                   "--note", "已电话督促", config=config_file)
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[-1] == "acknowledged 5 warnings of 2 clusters until 2099-01-31"
    assert "A annual_report_overdue:2024: acknowledged until 2099-01-31" in lines
    assert not any(line.startswith("C ") for line in lines)            # 包头市 is another region
    snoozed = monitor("snooze", "--cluster", "a", "--cluster", "C", "--code", "annual_report", "--until",
                      "2099-01-31", "--note", "材料已受理", config=in_chinese(config_file))
    assert snoozed.exit_code == 0, snoozed.output
    assert snoozed.stdout.splitlines()[-1] == "已暂停 2 个集群的 5 项事项的提醒至 2099-01-31"
    listed = monitor("holds", config=config_file)
    assert listed.exit_code == 0
    assert listed.stdout.splitlines()[0].endswith(": 10")
    assert "acknowledged B annual_report_overdue:2023 until 2099-01-31" in listed.stdout
    assert "snoozed C annual_report:2023 until 2099-01-31" in listed.stdout
    assert len(status_json(config_file)["holds"]) == 10
    table = monitor("status", "--wide", config=config_file).stdout
    [a_line] = [line for line in table.splitlines() if line.startswith("A ")]
    [c_line] = [line for line in table.splitlines() if line.startswith("C ")]
    assert "acknowledged until 2099-01-31]" in a_line and "acknowledged" not in c_line
    mixed = monitor("ack", "A", "--code", "annual_report_overdue", "--until", "2099-01-31", "--note", "x",
                    config=config_file)
    assert mixed.exit_code == 2 and "--code takes --region or --cluster" in mixed.output
