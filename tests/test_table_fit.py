"""The status table in a real pseudo-terminal at 80, 120 and 200 columns: no line wider than the terminal, every
due day and its days whole, every ack/snooze key shown whole; --wide prints every column whole."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.helpers import EXAMPLE_ROSTER, monitor

ANSI = re.compile(r"\x1b\[[0-9;]*m")
AS_OF = "2026-11-23"


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fit")
    path = folder / "config.toml"
    path.write_text("", encoding="utf-8")
    assert monitor("import", str(EXAMPLE_ROSTER), config=path).exit_code == 0
    return path


def in_terminal(config: Path, columns: int, *args: str) -> list[str]:
    """`monitor status` run in a pseudo-terminal of this width; its lines without colour codes."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "MONITOR_DATABASE_URL")}
    env["TERM"] = "xterm-256color"
    process = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config), "status", "--as-of",
                                AS_OF, *args], stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=60) == 0
    return [ANSI.sub("", line) for line in b"".join(chunks).decode().replace("\r\n", "\n").splitlines()]


def _document(config: Path) -> dict[str, object]:
    result = monitor("status", "--as-of", AS_OF, "--format", "json", config=config)
    found: dict[str, object] = json.loads(result.stdout)
    return found


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_the_table_fits_the_terminal_and_cuts_nothing_that_matters(config: Path, columns: int) -> None:
    lines = in_terminal(config, columns)
    assert max(cell_len(line) for line in lines[:-3]) <= columns, [l for l in lines if cell_len(l) > columns]
    text = "\n".join(lines)
    clusters = _document(config)["clusters"]
    assert isinstance(clusters, list)
    for cluster in clusters:
        assert cluster["id"] in text
        open_items = [o for o in cluster["obligations"] if o["state"] in ("pending", "overdue") and o["due"]]
        if open_items:
            first = min(open_items, key=lambda o: o["due"])
            days = first["days_left"]
            assert f"{first['due']} ({'逾期' + str(-days) if days < 0 else str(days)}天)" in text
        if cluster["warnings"]:     # the principal ground (monitor.rules.principal) is one of the most severe
            top = [w["key"] for w in cluster["warnings"] if w["severity"] == cluster["warnings"][0]["severity"]]
            assert any(key in text for key in top), top        # what `monitor ack` takes, whole


def test_wide_prints_every_column_whole_whatever_the_width(config: Path) -> None:
    lines = in_terminal(config, 80, "--wide")
    text = "\n".join(lines)
    assert "…" not in text
    for cluster in _document(config)["clusters"]:  # type: ignore[attr-defined]
        assert cluster["name"] in text
        if cluster["warnings"]:     # the principal ground: one of the most severe
            severity = cluster["warnings"][0]["severity"]
            assert any(w["message"] in text for w in cluster["warnings"] if w["severity"] == severity)


@pytest.mark.parametrize("screen", range(36, 100))
def test_a_card_line_is_whole_when_it_fits_and_cut_to_the_width_when_not(screen: int) -> None:
    """The three-line layout measures its lines from the widths the workers measured: a line that fits is printed
    whole, one that does not is cut to exactly the terminal's width; braces in an id are only text."""
    import io

    from rich.console import Console

    from monitor.views.cells import fit
    from monitor.views.table import LIMITS, Row, RowSummary, print_table

    names = ["短名", "Ordos {name} cluster", "鄂尔多斯市装备制造中小企业特色产业集群", "x" * 40]
    warnings = ["—", "[风险] 第十条 2025年度报告逾期", "[撤销] 第十四条 " + "连续两年未报送年度报告" * 3]
    rows, summaries = [], []
    for n, (name, warning) in enumerate((name, warning) for name in names for warning in warnings):
        cells = (f"C-{{{n}}}", name, "nmg-amc-2025", "有效", "2027-01-14", "—", "年度报告 2026 2027-03-31 (128天)",
                 f"annual_report_overdue:{2020 + n}", warning)
        lengths = tuple(cell_len(cell) for cell in cells)
        assert all(map(int.__le__, lengths, LIMITS))
        rows.append(Row(cells, "", (), lengths))
        summaries.append(RowSummary(lengths, "in_force", (), None))
    out = io.StringIO()
    print_table(summaries, rows, dt.date(2026, 11, 23), "zh", Console(file=out, width=screen), wide=False)
    expected = []
    for row in rows:
        cid, name, regime, state, valid, _, upcoming, key, warning = row.cells      # no 达标: no value read
        head = f"{cid}    {regime}  {state}  {valid}"
        if cell_len(head) + cell_len(name) > screen:
            name = fit(name, max(screen - cell_len(head), 10)).rstrip()
        expected += [f"{cid}  {name}  {regime}  {state}  {valid}", f"  下一事项：{upcoming}"]
        if warning != "—":
            expected.append(f"  警示：{key}  {warning}")
    printed = out.getvalue().splitlines()[1:1 + len(expected)]
    for line, whole in zip(printed, expected, strict=True):
        if cell_len(whole) <= screen:
            assert line == whole
        else:
            assert cell_len(line) == screen and line.endswith("…") and whole.startswith(line[:-1].rstrip())


def test_every_column_is_named_with_a_header_in_each_language() -> None:
    from monitor.views.table import CARD, COLUMNS, headers
    from monitor.views.words import words

    for lang in ("zh", "en"):
        assert list(words("table", lang)["headers"]) == [column.key for column in COLUMNS]
        assert len(headers(lang)) == len(COLUMNS)
    assert sorted(i for _, columns, _ in CARD for i in columns) == list(range(len(COLUMNS)))
    assert [c.key for c in COLUMNS if c.shortened_to] == ["name", "warning"]
