"""Free text on the record (issue 25, item 7): a note, a reason or a comment is one paragraph of printable text.
A line break, a tab, an escape or a Unicode line separator in any of them is refused in one line naming the
field, nothing stored; and `monitor history` prints every stored text so that none can start a line of its own
(texts stored before this rule included), so no "… fact 9 retracts fact 8" line can be forged."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, insert

from tests.helpers import monitor, own_config, write_roster

ROW = "NMG-1,集群,nmg-sme-draft,2023-10-15,乌兰察布市,op,op@example.cn,,,"
FORGED = "ok\n2026-01-01 00:00:00Z  admin        fact 9 retracts fact 8: forged"
#: what cannot be in a free text: line breaks of every kind, a tab, escapes, bidirectional overrides
CONTROLS = ["\n", "\r", "\t", "\x1b[2J", "\x00", "\x85", "\u2028", "\u2029", "\u202e", "\x7f"]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return own_config(tmp_path, text='[general]\nlanguage = "en"\n', roster=write_roster(tmp_path / "r.csv", ROW))


def entries(config: Path) -> list[dict[str, object]]:
    result = monitor("history", "NMG-1", "--format", "json", config=config)
    assert result.exit_code == 0, result.output
    found: list[dict[str, object]] = json.loads(result.stdout)["entries"]
    return found


def refused(config: Path, field: str, *args: str) -> None:
    before = entries(config)
    result = monitor(*args, config=config)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"error: {field}"), result.stderr
    assert "control character" in result.stderr
    assert entries(config) == before                                    # nothing stored


def _report(config: Path) -> str:
    result = monitor("record", "report", "NMG-1", "--year", "2024", "--filed-on", "2025-03-01", config=config)
    assert result.exit_code == 0, result.output
    return result.stdout.split("fact ")[1].split()[0].rstrip(":")


@pytest.mark.parametrize("control", CONTROLS, ids=repr)
def test_a_control_character_in_any_free_text_of_the_command_line_is_refused(config: Path, control: str) -> None:
    number = _report(config)
    bad = f"before{control}after"
    refused(config, "--note", "record", "incident", "NMG-1", "--ground", "violation", "--on", "2025-05-01",
            "--note", bad)
    refused(config, "--note", "record", "revocation", "NMG-1", "--on", "2025-05-01", "--note", bad)
    refused(config, "--reason", "amend", number, "--filed-on", "2025-03-02", "--reason", bad)
    refused(config, "--reason", "retract", number, "--reason", bad)
    refused(config, "--reason", "roster", "archive", "NMG-1", "--reason", bad)
    refused(config, "--note", "snooze", "NMG-1", "annual_report:2025", "--until", "2099-01-01", "--note", bad)


def test_the_forged_line_of_the_audit_is_refused(config: Path) -> None:
    number = _report(config)
    refused(config, "--reason", "retract", number, "--reason", FORGED)
    refused(config, "--note", "ack", "NMG-1", "annual_report_overdue:2023", "--until", "2099-01-01", "--note", FORGED)


def test_a_facts_file_note_with_a_line_break_is_refused_naming_its_line_and_column(config: Path,
                                                                                   tmp_path: Path) -> None:
    path = tmp_path / "facts.csv"
    path.write_text('集群编号,事项,日期,情形,备注\nNMG-1,incident,2025-05-01,violation,"two\nlines"\n', encoding="utf-8")
    before = entries(config)
    result = monitor("import-facts", str(path), config=config)
    assert result.exit_code == 2
    assert f"error: {path}: line 2: 备注: " in result.stderr and "control character" in result.stderr
    assert entries(config) == before


def test_the_api_and_the_console_check_through_the_same_code(config: Path) -> None:
    """The API's and the console's forms give a fact as a facts file's row (fact_of) and record it with the
    Recorder; a hold goes through record_hold: each refuses the same."""
    from monitor.actions.ack_snooze import record_hold
    from monitor.actions.facts_import import fact_of
    from monitor.errors import InputError

    with pytest.raises(InputError, match=r"note: .* control character"):
        fact_of({"cluster": "NMG-1", "fact": "incident", "on": "2025-05-01", "ground": "violation", "note": FORGED})
    with pytest.raises(InputError, match=r"--note: .* control character"):
        record_hold(None, "ack", "NMG-1", "x", dt.date(2099, 1, 1), FORGED, dt.date(2026, 1, 1), "a",  # type: ignore[arg-type]
                    dt.datetime.now(dt.UTC))


def test_history_never_lets_a_stored_text_start_a_line(config: Path) -> None:
    """Texts stored before the rule (written here straight into the database) are printed with their control
    characters escaped: one line an entry, whatever they hold."""
    from db.models import FactRow, SnoozeRow

    url = next(line.split('"')[1] for line in config.read_text().splitlines() if line.startswith("url"))
    engine = create_engine(url)
    stamp = {"cluster_id": "NMG-1", "recorded_at": dt.datetime(2026, 1, 2, tzinfo=dt.UTC), "recorded_by": "old\nby"}
    with engine.begin() as conn:
        conn.execute(insert(FactRow).values(kind="incident", on_date=dt.date(2025, 5, 1), detail="violation",
                                            note="a\rb\u2028c", retracts=False, reason=FORGED, **stamp))
        conn.execute(insert(SnoozeRow).values(subject="annual_report:2025", until=dt.date(2099, 1, 1), note=FORGED,
                                              **stamp))
    engine.dispose()
    result = monitor("history", "NMG-1", config=config)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 + 2, result.stdout                          # the head, the fact, the snooze
    assert all(line.startswith(("NMG-1 ", "2026-01-02 08:00:00+08:00  old\\nby ")) for line in lines), lines
    assert "ok\\n2026-01-01" in result.stdout and "a\\rb\\u2028c" in result.stdout
    assert "\r" not in result.stdout and "\u2028" not in result.stdout


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=40))
def test_a_generated_note_is_stored_as_given_or_refused_in_one_line(config: Path, note: str) -> None:
    if "\x00" in note or any(0xD800 <= ord(ch) <= 0xDFFF for ch in note):
        return                                   # an argument cannot hold NUL, nor a lone surrogate on a real command line
    before = entries(config)
    result = monitor("record", "incident", "NMG-1", "--ground", "violation", "--on", "2025-05-01", "--note", note,
                     config=config)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert result.stderr.count("\n") == 1 and entries(config) == before, result.stderr
    else:
        lines = monitor("history", "NMG-1", config=config).stdout.splitlines()
        assert len(lines) == len(before) + 2 or len(lines) == len(before) + 1, lines
        monitor("retract", result.stdout.split("fact ")[1].split()[0].rstrip(":"), "--reason", "test",
                config=config)
