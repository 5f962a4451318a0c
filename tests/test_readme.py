"""Docs never lie (issue 14): every `$ monitor …` transcript in README.md runs here, in order, in one fresh
folder (the repository's config.toml and examples/, an empty database beside them), and prints what the README
shows. The clock is pinned with MONITOR_NOW; the tables are 200 columns wide (COLUMNS); facts are recorded by
"wang" (MONITOR_USER).

How the README's transcripts are read:
- a line starting with ``$ `` is a command, the lines after it (up to the next command or the block's end) what
  it prints, standard error included;
- a line that is only ``…`` stands for any number of lines the README leaves out;
- what differs from machine to machine is put the same way on both sides before comparing: the folder
  (``/home/admin/monitor``), the moment a fact was stamped (``2026-11-23 09:00:01+08:00``) and a new API token;
- the shell is a small one: ``VAR=value``, ``cd DIR &&``, ``printf … |``, ``> FILE``, ``| head -N``,
  ``| tail -N`` and ``echo $?``; ``monitor run`` runs as a process of its own until its first scan is recorded,
  then gets SIGTERM.

``README_UPDATE=1`` writes what the commands printed into README.md instead (not where it has ``…``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor import clock
from monitor.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
NOW = "2026-11-23T09:00+08:00"
HOME = "/home/admin/monitor"
BLOCK = re.compile(r"^```(?:text|console)\n(.*?)^```", re.MULTILINE | re.DOTALL)
STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d")
TOKEN = re.compile(r"mon_[A-Za-z0-9_-]{20,}")


@dataclass
class Step:
    line: int                  # of the command in README.md
    command: str
    expected: list[str]


def steps(text: str) -> list[Step]:
    found: list[Step] = []
    for block in BLOCK.finditer(text):
        first = text.count("\n", 0, block.start(1)) + 1
        current: Step | None = None
        for offset, line in enumerate(block.group(1).splitlines()):
            if line.startswith("$ "):
                current = Step(first + offset, line[2:], []) if "monitor" in line or "echo $?" in line else None
                if current is not None:
                    found.append(current)
            elif current is not None:
                current.expected.append(line)
    return found


@dataclass
class Shell:
    home: Path
    elsewhere: Path
    exit_code: int = 0
    env: dict[str, str] = field(default_factory=dict)

    def run(self, command: str) -> list[str]:
        words = shlex.split(command, comments=True)
        if words == ["echo", "$?"]:
            return [str(self.exit_code)]
        cwd = self.home
        if words[0] == "cd" and words[2] == "&&":
            cwd, words = (self.elsewhere if words[1] == "/tmp" else Path(words[1])), words[3:]
        stdin = None
        if words[0] == "printf":
            stdin, words = words[1].replace("\\n", "\n"), words[3:]
        env = {}
        while "=" in words[0]:
            name, _, value = words.pop(0).partition("=")
            env[name] = value
        into, tail, head = None, None, None
        if ">" in words:
            into, words = words[words.index(">") + 1], words[:words.index(">")]
        if "|" in words:
            pipe, words = words[words.index("|") + 1:], words[:words.index("|")]
            count = int(pipe[1].lstrip("-"))
            tail, head = (count, None) if pipe[0] == "tail" else (None, count)
        assert words[0] == "monitor", command
        output = self._daemon(words[1:], env) if words[1:2] == ["run"] else self._monitor(words[1:], cwd, stdin, into)
        lines = output.splitlines()
        return lines[-tail:] if tail else lines[:head] if head else lines

    def _monitor(self, args: list[str], cwd: Path, stdin: str | None, into: str | None) -> str:
        os.chdir(cwd)
        try:
            result = CliRunner().invoke(cli, args, input=stdin, prog_name="monitor", catch_exceptions=False)
        finally:
            os.chdir(self.home)
        self.exit_code = result.exit_code
        if into is not None:
            (cwd / into).write_bytes(result.stdout_bytes)
            return result.stderr
        return result.output

    def _daemon(self, args: list[str], env: dict[str, str]) -> str:
        """``monitor run`` until its first scan is recorded, then SIGTERM (as systemd stops it)."""
        process = subprocess.Popen([sys.executable, "-m", "monitor", *args], cwd=self.home,
                                   env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                status = CliRunner().invoke(cli, ["status", "--format", "json"], catch_exceptions=False)
                if status.exit_code == 0 and json.loads(status.stdout)["daemon"]["last_scan"]:
                    break
                time.sleep(0.5)
            else:
                pytest.fail("monitor run recorded no scan within 90 s")
        finally:
            process.send_signal(signal.SIGTERM)
            out, _ = process.communicate(timeout=60)
        self.exit_code = process.returncode
        return out.decode()


def same(text: str, shell: Shell) -> str:
    text = text.replace(str(shell.home), HOME).replace(str(shell.elsewhere), "/tmp")
    return TOKEN.sub("mon_…", STAMP.sub("2026-11-23 09:00:00+08:00", text))


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; a line of ``…`` stands for any lines, up to the next one that matches."""
    if not expected:
        return not actual
    if expected[0] == "…":
        return any(matches(expected[1:], actual[skip:]) for skip in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and matches(expected[1:], actual[1:])


def test_every_transcript_in_the_readme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, elsewhere = tmp_path / "monitor", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    shutil.copy(ROOT / "config.toml", home / "config.toml")
    shutil.copytree(ROOT / "examples", home / "examples")
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    monkeypatch.setenv("MONITOR_USER", "wang")
    monkeypatch.setenv("MONITOR_NOW", NOW)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(clock, "_offsets", [dt.datetime.fromisoformat(NOW) - dt.datetime.now(dt.UTC)])
    monkeypatch.chdir(home)
    shell = Shell(home, elsewhere)
    text = README.read_text(encoding="utf-8")
    found = steps(text)
    assert len(found) > 30                  # the parser still finds the README's transcripts
    wrong, said = [], {}
    for step in found:
        actual = [same(line, shell) for line in shell.run(step.command)]
        expected = [same(line, shell) for line in step.expected]
        if not matches(expected, actual):
            wrong.append(f"README.md:{step.line}: $ {step.command}\n  README:\n    " + "\n    ".join(expected)
                         + "\n  printed:\n    " + "\n    ".join(actual))
            said[step.line] = actual
    if os.environ.get("README_UPDATE") and said:
        _update(text, found, said, shell)
    assert not wrong, "\n".join(wrong)


def _update(text: str, found: list[Step], said: dict[int, list[str]], shell: Shell) -> None:
    lines = text.splitlines()
    for step in sorted(found, key=lambda s: -s.line):
        if step.line in said and "…" not in step.expected:
            start = step.line                     # the lines after the command (README lines are 1-based)
            lines[start:start + len(step.expected)] = said[step.line]
    README.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_readme_says_what_each_bundled_pack_adopts() -> None:
    """Regenerate with: python -c 'from monitor.rules.packs import load_packs; from monitor.views.regimes import
    adoption_table; print(adoption_table(load_packs().values()), end="")'"""
    from monitor.rules.packs import load_packs
    from monitor.views.regimes import adoption_table

    assert adoption_table(load_packs().values()) in README.read_text(encoding="utf-8")
