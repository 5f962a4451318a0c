"""A drill never sends (issue 26, item 4; docs/rules.md, "Drills").

With ``MONITOR_NOW`` ahead of the real time, ``monitor digest --send``, ``monitor digest --approve`` and
``monitor run`` are refused on a real database: nothing reaches the SMTP server (real, on loopback) or the chat
robot (loopback). On the copy ``monitor drill DIR`` makes, the same commands write every message to DIR/outbox.
"""

from __future__ import annotations

import email
import email.policy
import sqlite3
from pathlib import Path

import pytest

from tests.chatservers import ChatServer
from tests.helpers import monitor, own_config
from tests.mailserver import MailServer

AHEAD = "2026-12-16T09:00+08:00"      # nine days after the real day (2026-12-07)


@pytest.fixture
def drill_config(tmp_path: Path, server: MailServer, chat: ChatServer) -> Path:
    text = ('[general]\nlanguage = "en"\nadministrators = ["admin@example.gov.cn"]\n'
            '[digest]\nroles = ["administrator", "bureau", "operator"]\n'
            + server.config() + chat.config("wecom"))
    return own_config(tmp_path, text=text)


def ahead(monkeypatch: pytest.MonkeyPatch, now: str = AHEAD) -> None:
    monkeypatch.setenv("MONITOR_NOW", now)
    monkeypatch.setattr("monitor.clock._offsets", [])       # the clock reads MONITOR_NOW once a process


def test_a_send_with_the_clock_ahead_is_refused(drill_config: Path, server: MailServer, chat: ChatServer,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    ahead(monkeypatch)
    for command in (["digest", "--send"], ["digest", "--approve"], ["run"]):
        result = monitor(*command, config=drill_config)
        assert result.exit_code == 2, result.output
        assert "MONITOR_NOW puts the clock" in result.stderr and "monitor drill DIR" in result.stderr
    assert server.received == [] and chat.posts("wecom") == []
    ahead(monkeypatch, "2026-12-01T09:00+08:00")             # a clock behind the real one may send
    result = monitor("digest", "--send", config=drill_config)
    assert result.exit_code == 0, result.output
    assert {r for mail in server.received for r in mail.recipients} == {"admin@example.gov.cn"}
    assert len(chat.posts("wecom")) == 1


def test_a_drill_copy_writes_its_mail_to_its_folder(drill_config: Path, tmp_path: Path, server: MailServer,
                                                    chat: ChatServer, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "drill"
    result = monitor("drill", str(folder), config=drill_config)
    assert result.exit_code == 0, result.output
    database = folder.resolve() / "monitor.db"
    assert f"drill database {database}" in result.output
    assert monitor("drill", str(folder), config=drill_config).exit_code == 2      # not over a drill
    monkeypatch.setenv("MONITOR_DATABASE_URL", f"sqlite:///{database}")
    ahead(monkeypatch)
    result = monitor("digest", "--send", config=drill_config)
    assert result.exit_code == 0, result.output
    assert "held: round" in result.output                   # the drill shows the first send held, too
    result = monitor("digest", "--approve", config=drill_config)
    assert result.exit_code == 0, result.output
    assert server.received == [] and chat.posts("wecom") == []
    written = sorted((folder / "outbox").iterdir())
    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in written
             if p.suffix == ".eml"]
    to = [str(m["To"]) for m in mails]
    assert "admin@example.gov.cn" in to and len(to) == len(set(to)) > 1
    assert [p for p in written if p.suffix == ".json"]      # the robot's post, as it would be posted
    with sqlite3.connect(tmp_path / "config.db") as real:    # the real database saw none of it
        assert real.execute("SELECT count(*) FROM message").fetchone() == (0,)
        assert real.execute("SELECT count(*) FROM digest_round").fetchone() == (0,)
