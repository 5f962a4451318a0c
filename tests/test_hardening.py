"""The independent audit's findings (issue "Hardening"), each reproduced: a bad value, a by-hand send or an odd
path is refused with one line and exit status 2, and nothing is stored or lost."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import create_engine, func, select

from db.models import ClusterRow, ReminderRow
from monitor.addresses import address_problem
from monitor.app import App
from monitor.cli import cli
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


# --- round two (issue 25, item 8): no traceback at the edges -----------------------------------------------------

EDGES = [2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**20]
CLASS_NAME = __import__("re").compile(r"\b[A-Z][A-Za-z]+(Error|Exception|Zip[A-Za-z]*|Forbidden):")


def one_line_refusal(result: Any, *said: str) -> None:
    """Exit status 2, one line on stderr saying all of ``said``, no traceback and no Python class name."""
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert all(part in result.stderr for part in said), result.stderr
    assert "Traceback" not in result.output and not CLASS_NAME.search(result.output), result.output


@pytest.mark.parametrize("number", EDGES)
def test_a_fact_number_no_fact_can_have_is_unknown_on_both_databases(app: App, config_file: Path, tmp_path: Path,
                                                                    number: int) -> None:
    """`retract 99999999999999999999` overflowed the driver (SQLite: 2^63; PostgreSQL's INTEGER: 2^31)."""
    assert monitor("import", str(write_roster(tmp_path / "r.csv", ROW)), config=config_file).exit_code == 0
    for args in (("retract", str(number), "--reason", "x"), ("amend", str(number), "--year", "2024", "--reason", "x")):
        one_line_refusal(monitor(*args, config=config_file), f"there is no fact {number}")


def test_the_console_and_the_api_ask_for_a_fact_through_the_same_code(app: App, config_file: Path,
                                                                      tmp_path: Path) -> None:
    """`POST /facts/N/retract` answered 500: the console looks the fact up (db.fact_queries.version), then corrects
    it through Recorder, as the CLI does."""
    from db.fact_queries import version
    from db.session import transaction
    from monitor import clock
    from monitor.actions.record import Recorder
    from monitor.errors import InputError

    assert monitor("import", str(write_roster(tmp_path / "r.csv", ROW)), config=config_file).exit_code == 0
    for number in EDGES:
        with pytest.raises(InputError, match="there is no fact"), transaction(app.sessions) as session:
            Recorder(session, app.packs, "tester", clock.now_utc(), app.today()).retract(number, "x")
        with transaction(app.sessions) as session:      # the console looks the fact up first: 404, not 500
            assert version(session, number) is None


@pytest.mark.parametrize("args", [("workdays", "add", "2026-01-01", "100000000"),
                                  ("workdays", "add", "2026-01-01", str(2**63)),
                                  ("publicity", "2026-01-01", "--days", "1000000000"),
                                  ("publicity", "2026-01-01", "--days", str(10**20))])
def test_counts_of_working_days_are_bounded(config: Path, args: tuple[str, ...]) -> None:
    result = monitor(*args, config=config)
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "is not in the range 1<=x<=3660" in result.stderr, result.stderr


CONFIG_NUMBERS = ["smtp.retries", "smtp.timeout", "smtp.backoff", "smtp.concurrency", "smtp.batch_size",
                  "smtp.breaker_after", "smtp.round_deadline_seconds", "smtp.port", "reminders.overdue_every_days",
                  "daemon.scan_every_minutes", "daemon.misfire_grace_seconds", "daemon.claim_lease_seconds"]


@pytest.mark.parametrize("value", [1000000, 2**63 - 1, 2**63, -2**63, 10**20, "1e309"])
@pytest.mark.parametrize("key", CONFIG_NUMBERS)
def test_every_number_in_the_config_is_bounded(tmp_path: Path, key: str, value: int | str) -> None:
    section, name = key.split(".")
    config = tmp_path / "config.toml"
    config.write_text(f'[general]\nlanguage = "en"\n[{section}]\n{name} = {value}\n', encoding="utf-8")
    result = monitor("status", config=config)
    one_line_refusal(result, f"{config}: {key}: ")


def test_the_retries_of_the_audit_are_refused_before_anything_is_sent(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[general]\nlanguage = "en"\n[smtp]\nhost = "127.0.0.1"\nretries = 1000000\n', encoding="utf-8")
    for args in (("status",), ("run",), ("digest", "--send")):
        one_line_refusal(monitor(*args, config=config), "smtp.retries: 1000000 must be at most")


def test_a_binary_config_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b"\xff\xfe[general]\x00\xc9\x01")
    one_line_refusal(monitor("status", config=config), f"错误：{config}：无法读取配置文件：不是 UTF-8 文本（第 0 字节）")
    monkeypatch.chdir(tmp_path)
    one_line_refusal(monitor("status"), "错误：config.toml：无法读取配置文件：不是 UTF-8 文本")


def test_a_config_toml_that_is_a_directory_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.toml").mkdir()
    monkeypatch.chdir(tmp_path)
    one_line_refusal(monitor("status"), f"错误：{tmp_path / 'config.toml'}：是目录，不是配置文件")


@pytest.mark.parametrize("deep", ["[" * 500 + "]" * 500, "{a=" * 500 + "1" + "}" * 500])
def test_files_nested_500_deep_are_one_line(tmp_path: Path, deep: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[general]\nlanguage = "en"\n[reminders]\nlead_days = {deep}\n', encoding="utf-8")
    one_line_refusal(monitor("status", config=config), "not valid TOML: nested too deep")   # its language line read
    config.write_text(f'[reminders]\nlead_days = {deep}\n', encoding="utf-8")
    one_line_refusal(monitor("status", config=config), "不是有效的 TOML：嵌套过深")      # none: said in Chinese
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "deep.toml").write_text('id = "deep"\ntitle = "t"\ndocument = "d"\n[incidents]\nnotice_basis = "x"\n'
                                     f"[validity]\nyears = {deep}\n", encoding="utf-8")
    config.write_text(f'[general]\nlanguage = "en"\npacks_dir = "{packs}"\n', encoding="utf-8")
    one_line_refusal(monitor("regimes", config=config), "deep.toml: not valid TOML: nested too deep")
    check = monitor("regimes", "--check", str(packs), config=config)
    assert check.exit_code == 2 and "nested too deep" in check.output and "Traceback" not in check.output


def test_a_region_over_128_characters_is_refused_alike_on_both_databases(app: App, config_file: Path,
                                                                        tmp_path: Path) -> None:
    """account_region.region is VARCHAR(128): PostgreSQL refused a longer one with a traceback, SQLite stored it.
    Every stored text is bounded in the code, the same on both."""
    long = "包" * 129
    roster = write_roster(tmp_path / "r.csv", ROW.replace("赤峰市", long))
    result = monitor("import", str(roster), config=config_file)
    assert result.exit_code == 2 and "region:" in result.stderr and "at most 128" in result.stderr, result.output
    added = CliRunner().invoke(cli, ["--config", str(config_file), "user", "add", "b", "--role", "bureau",
                                     "--region", long], input="long enough pw\nlong enough pw\n")
    one_line_refusal(added, "--region", "at most 128")
    for cell, field in ((f'"{"n" * 201}"', "name:"), (f'"{"o" * 201}"', "operator:")):
        row = ROW.replace("集群", cell) if field == "name:" else ROW.replace(",op,", f",{cell},")
        result = monitor("import", str(write_roster(tmp_path / "r2.csv", row)), config=config_file)
        assert result.exit_code == 2 and field in result.stderr and "at most 200" in result.stderr, result.output


BUNDLED_AGAIN = ('id = "miit-sme-2022"\ntitle = "本地修订版"\ndocument = "d"\n{replaces}[incidents]\n'
                 'notice_basis = "第一条"\n')


def test_a_pack_with_a_bundled_id_replaces_it_only_when_it_says_so(tmp_path: Path) -> None:
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "miit-sme-2022.toml").write_text(BUNDLED_AGAIN.format(replaces=""), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[general]\nlanguage = "en"\npacks_dir = "{packs}"\n', encoding="utf-8")
    one_line_refusal(monitor("regimes", config=config), "miit-sme-2022.toml: id: 'miit-sme-2022' is a bundled pack's",
                     "replaces = true")
    (packs / "miit-sme-2022.toml").write_text(BUNDLED_AGAIN.format(replaces="replaces = true\n"), encoding="utf-8")
    listed = monitor("regimes", config=config)
    assert listed.exit_code == 0, listed.output
    assert "replaces the bundled miit-sme-2022" in listed.stdout and "本地修订版" in listed.stdout
    (packs / "miit-sme-2022.toml").rename(packs / "mine.toml")
    (packs / "mine.toml").write_text(BUNDLED_AGAIN.format(replaces="replaces = true\n").replace(
        '"miit-sme-2022"', '"mine"'), encoding="utf-8")
    one_line_refusal(monitor("regimes", config=config), "mine.toml: replaces: no bundled pack has the id 'mine'")
