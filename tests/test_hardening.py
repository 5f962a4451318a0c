"""The independent audit's findings (issue "Hardening"), each reproduced: a bad value, a by-hand send or an odd
path is refused with one line and exit status 2, and nothing is stored or lost."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, func, select

from db.models import ClusterRow, ReminderRow
from monitor.addresses import address_problem
from tests.helpers import ROSTER_HEADER, monitor, own_config, write_roster

ROW = "NMG-1,集群,nmg-sme-draft,2023-10-15,赤峰市,op,op@example.cn,bureau@example.cn,,"


def count(config: Path, table: type) -> int:
    url = next(line.split('"')[1] for line in config.read_text().splitlines() if line.startswith("url"))
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(select(func.count()).select_from(table)).scalar_one()
    engine.dispose()
    return int(found)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return own_config(tmp_path, text='[general]\nlanguage = "en"\nadministrators = ["admin@example.gov.cn"]\n',
                      roster=write_roster(tmp_path / "r.csv", ROW))


def test_a_round_is_never_sent_for_a_day_ahead(config: Path) -> None:
    ahead = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    result = monitor("digest", "--send", "--as-of", ahead, config=config)
    assert result.exit_code == 2 and "never ahead" in result.stderr and result.stderr.count("\n") == 1
    assert count(config, ReminderRow) == 0                           # no stage recorded as crossed
    preview = monitor("digest", "--preview", str(config.parent / "out"), "--as-of", ahead, config=config)
    assert preview.exit_code == 0                                   # a preview of a future round is fine


@pytest.mark.parametrize(("cell", "field"), [
    ("9999-12-31", "certified_on: 9999-12-31 is out of range"),
    ("0001-01-01", "certified_on: 0001-01-01 is out of range"),
    ("2958465", "certified_on: 9999-12-31 is out of range"),          # the largest Excel serial
])
def test_impossible_certification_dates_are_refused(tmp_path: Path, config: Path, cell: str, field: str) -> None:
    roster = write_roster(tmp_path / "bad.csv", f"NMG-2,集群,nmg-sme-draft,{cell},,,,,,")
    result = monitor("import", str(roster), config=config)
    assert result.exit_code == 2 and field in result.stderr
    assert "1 bad row" in result.stderr and count(config, ClusterRow) == 1
    assert monitor("status", config=config).exit_code == 0


@pytest.mark.parametrize("address", ["a\x01b@x.cn", "用户@例子.中国", "=?utf-8?q?a?=@x.cn", "undisclosed:a@b.cn",
                                     "victim(x)@b.cn", "x" * 321 + "@b.cn"])
def test_addresses_a_header_would_misread_are_refused_on_import(tmp_path: Path, config: Path, address: str) -> None:
    assert address_problem(address) is not None
    path = tmp_path / "bad.csv"
    path.write_text(ROSTER_HEADER + f"NMG-2,集群,nmg-sme-draft,2024-01-10,,,\"{address}\",,,\n", encoding="utf-8")
    result = monitor("import", str(path), config=config)
    assert result.exit_code == 2 and "operator_email:" in result.stderr and count(config, ClusterRow) == 1


def test_a_name_with_a_line_break_is_refused(tmp_path: Path, config: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(ROSTER_HEADER + '"NMG-2","两行\n的名字",nmg-sme-draft,2024-01-10,,,,,,\n', encoding="utf-8")
    result = monitor("import", str(path), config=config)
    assert result.exit_code == 2 and "name:" in result.stderr and "control character" in result.stderr


def test_contradicting_review_results_on_one_day_are_refused(config: Path) -> None:
    assert monitor("record", "review", "NMG-1", "--result", "pass", "--on", "2026-10-10", config=config).exit_code == 0
    result = monitor("record", "review", "NMG-1", "--result", "fail", "--on", "2026-10-10", config=config)
    assert result.exit_code == 2 and "records the review pass of 2026-10-10, not the review fail" in result.stderr


def test_export_writes_formulas_as_text_and_imports_them_back(tmp_path: Path) -> None:
    name = "=cmd|' /C calc'!A0"
    config = own_config(tmp_path, roster=write_roster(tmp_path / "r.csv", ROW.replace("集群", f'"{name}"')))
    out = tmp_path / "out.xlsx"
    assert monitor("export", str(out), config=config).exit_code == 0
    sheet = load_workbook(out).worksheets[0]
    cell = sheet["B2"]
    assert (cell.value, cell.data_type) == (name, "s")
    again = own_config(tmp_path, "again", roster=None)
    assert monitor("import", str(out), config=again).exit_code == 0
    status = monitor("status", "--format", "json", config=again).stdout
    assert '"name":"=cmd|\' /C calc\'!A0"' in status


def test_preview_writes_only_into_a_new_or_empty_directory_and_never_through_a_link(tmp_path: Path,
                                                                                     config: Path) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "old.eml").write_text("stale")
    result = monitor("digest", "--preview", str(used), "--as-of", "2026-11-23", config=config)
    assert result.exit_code == 2 and "is not empty" in result.stderr
    link = tmp_path / "link"
    link.symlink_to(used)
    result = monitor("digest", "--preview", str(link), "--as-of", "2026-11-23", config=config)
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert sorted(p.name for p in used.iterdir()) == ["old.eml"]


def test_who_records_is_checked(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_USER", "x" * 200)
    result = monitor("record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-01", config=config)
    assert result.exit_code == 2 and "MONITOR_USER" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("args", [("status", "--as-of", "9999-12-31"), ("workdays", "add", "9999-12-30", "5")])
def test_dates_out_of_range_on_the_command_line(config: Path, args: tuple[str, ...]) -> None:
    result = monitor(*args, config=config)
    assert result.exit_code == 2 and "out of range" in result.output


def test_database_errors_are_one_line_with_the_password_hidden(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ("nosuch+driver://bob:s3cret@host/x", "postgresql+psycopg://bob:s3cret@127.0.0.1:1/x"):
        monkeypatch.setenv("MONITOR_DATABASE_URL", url)
        result = monitor("status", config=config)
        assert result.exit_code == 2 and "s3cret" not in result.output and "bob:***@" in result.stderr, result.output
        assert result.stderr.count("\n") == 1


def test_a_locked_sqlite_database_is_one_line(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    url = next(line.split('"')[1] for line in config.read_text().splitlines() if line.startswith("url"))
    holder = sqlite3.connect(url.removeprefix("sqlite:///"))
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr("db.session.BUSY_TIMEOUT_SECONDS", 0.2)     # met at once, not after 30 s
    monkeypatch.setattr("db.read.BUSY_TIMEOUT_SECONDS", 0.2)
    try:
        result = monitor("record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-01", config=config)
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 2 and "database" in result.stderr and "locked" in result.stderr
    assert result.stderr.count("\n") == 1


def test_one_message_that_raises_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.config import SmtpSettings
    from monitor.rules.states import MessageState
    from notifications import smtp
    from notifications.sender import Ready
    from tests.mailserver import MailServer

    server = MailServer(tmp_path).start()
    original = smtp._Connection.send

    async def poisoned(self: smtp._Connection, sender: str, message: Ready) -> smtp.Outcome:
        if message.recipient == "poison@example.cn":
            raise ValueError("a bug in one message")
        return await original(self, sender, message)

    monkeypatch.setattr(smtp._Connection, "send", poisoned)
    try:
        settings = SmtpSettings(host="127.0.0.1", port=server.port, security="none", sender="m@example.cn",
                                retries=0, concurrency=1)
        messages = [Ready(f"<{n}@x>", address, b"Subject: x\r\n\r\nbody\r\n")
                    for n, address in enumerate(["a@example.cn", "poison@example.cn", "b@example.cn"])]
        outcomes = {m.recipient: o.state for m, o in smtp.SmtpSender(settings).send(messages)}
    finally:
        server.stop()
    assert outcomes == {"a@example.cn": MessageState.SENT, "poison@example.cn": MessageState.FAILED,
                        "b@example.cn": MessageState.SENT}
    assert sorted(r for mail in server.received for r in mail.recipients) == ["a@example.cn", "b@example.cn"]



def test_one_cluster_that_cannot_be_evaluated_never_stops_the_others(config: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor import overview

    assert monitor("import", str(write_roster(tmp_path / "more.csv", ROW.replace("NMG-1", "NMG-2"))),
                   config=config).exit_code == 0
    real = overview.evaluate

    def broken(pack: object, facts: object, *args: object) -> object:
        if facts.cluster.id == "NMG-2":  # type: ignore[attr-defined]
            raise OverflowError("date value out of range")
        return real(pack, facts, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(overview, "evaluate", broken)
    result = monitor("status", "--format", "json", "--as-of", "2026-11-22", config=config)
    assert result.exit_code == 0
    import json

    clusters = {c["id"]: c for c in json.loads(result.stdout)["clusters"]}
    assert clusters["NMG-1"]["obligations"]                                          # evaluated as ever
    assert [w["code"] for w in clusters["NMG-2"]["warnings"]] == ["evaluation_failed"]
    assert "OverflowError" in clusters["NMG-2"]["warnings"][0]["message"]
    table = monitor("status", "--as-of", "2026-11-22", config=config)
    assert table.exit_code == 0 and "NMG-2" in table.output and "could not be evaluated" in table.output
    preview = monitor("digest", "--preview", str(tmp_path / "out"), "--as-of", "2026-11-22", config=config)
    assert preview.exit_code == 0
    bodies = {path.name: _text_part(path) for path in (tmp_path / "out").iterdir()}
    [admin] = [name for name in bodies if "admin" in name]
    assert "NMG-2" in bodies[admin] and "could not be evaluated" in bodies[admin]    # the administrators are told
    assert all("could not be evaluated" not in text for name, text in bodies.items() if name != admin)   # no one else


def _text_part(path: Path) -> str:
    import email
    import email.policy

    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = mail.get_body(("plain",))  # type: ignore[attr-defined]
    assert body is not None
    text: str = body.get_content()
    return text


@pytest.mark.parametrize(("args", "said"), [
    (("report", "NMG-1", "--year", "2022", "--filed-on", "2023-03-01"), "the first report NMG-1 owes is on 2023"),
    (("review", "NMG-1", "--result", "applied", "--on", "2023-09-01"), "before the certification on 2023-10-15"),
    (("report", "NMG-1", "--year", "2023", "--filed-on", "2023-12-31"), "before that year ended"),
    (("incident", "NMG-1", "--ground", "violation", "--on", "2023-10-14"), "before the certification"),
])
def test_facts_dated_before_the_certification_are_refused(config: Path, args: tuple[str, ...], said: str) -> None:
    result = monitor("record", *args, config=config)
    assert result.exit_code == 2 and said in result.stderr, result.output
