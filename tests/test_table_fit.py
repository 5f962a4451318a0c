"""The status table in a real pseudo-terminal at 80, 120 and 200 columns: no line wider than the terminal, every
due day and its days whole, every ack/snooze key shown whole; --wide prints every column whole."""

from __future__ import annotations

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
        if cluster["warnings"]:
            assert cluster["warnings"][0]["key"] in text       # what `monitor ack` takes, whole


def test_wide_prints_every_column_whole_whatever_the_width(config: Path) -> None:
    lines = in_terminal(config, 80, "--wide")
    text = "\n".join(lines)
    assert "…" not in text
    for cluster in _document(config)["clusters"]:  # type: ignore[attr-defined]
        assert cluster["name"] in text
        for warning in cluster["warnings"][:1]:
            assert warning["message"] in text
