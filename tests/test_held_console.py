"""A held round approved in the console (issue 26, item 3): the daemon page shows how many messages go to whom, an
administrator's button approves (CSRF as the router enforces; bureaus and viewers may not), and the daemon then
sends what the round held, once, to a real SMTP server. A second approval is refused."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from jobs.daemon import Daemon
from monitor.app import App
from monitor.config import load_settings
from tests.mailserver import MailServer
from tests.web_helpers import add_user, console, csrf_of, run_cli, seeded


def test_the_console_approves_and_the_daemon_sends_once(tmp_path: Path, server: MailServer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    config = seeded(tmp_path, url, '[general]\nadministrators = ["admin@example.gov.cn"]\n'
                    '[digest]\nroles = ["administrator", "bureau"]\n' + server.config())
    run_cli(config, url, "digest", "--send")                    # the bureaus' first round: held
    assert {r for m in server.received for r in m.recipients} == {"admin@example.gov.cn"}
    add_user(config, url, "admin", "admin")
    add_user(config, url, "bao", "bureau", "包头市")
    with console(tmp_path, url, config) as running:
        with running.signed_in("bao") as client:
            page = client.get("/daemon").text
            # held rounds count every region's addresses: an administrator's to see and decide, not a bureau's
            assert 'id="held-rounds"' not in page and 'class="approve"' not in page
            round_id = page.split('name="round" value="')[1].split('"')[0] if 'name="round"' in page else "x"
            assert client.post("/daemon/approve", data={"csrf": csrf_of(page), "round": round_id}).status_code == 403
        with running.signed_in("admin") as client:
            page = client.get("/daemon").text
            assert "盟市工信局：2 个地址" in page                   # how many messages go to whom
            round_id = page.split('name="round" value="')[1].split('"')[0]
            assert client.post("/daemon/approve", data={"round": round_id}).status_code == 403    # no CSRF token
            approved = client.post("/daemon/approve", data={"csrf": csrf_of(page), "round": round_id})
            assert approved.status_code == 200 and "已批准" in approved.text
            again = client.post("/daemon/approve", data={"csrf": csrf_of(page), "round": round_id})
            assert again.status_code == 409 and "已有决定" in again.text
    monkeypatch.setenv("MONITOR_DATABASE_URL", url)
    app = App(_settings=load_settings(config))
    run = Daemon(app, "daemon", lambda: dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC))
    assert run.release_approved()["sent"] == 2
    assert run.release_approved() == {"sent": 0, "failed": 0, "retry": 0, "skipped": 0}   # once
    mailed = Counter(r for m in server.received for r in m.recipients)
    assert mailed == {"admin@example.gov.cn": 1, "bt@example.gov.cn": 1, "ordos@example.gov.cn": 1}
    app.close()


def test_the_console_refuses_an_approval_while_the_clock_is_ahead_unless_on_a_drill(
        tmp_path: Path, server: MailServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from db import round_log
    from db.daemon_marks import mark
    from db.session import transaction
    from monitor.actions.rounds import approve_held
    from monitor.errors import InputError
    from monitor.rules.states import RoundState

    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    config = seeded(tmp_path, url, '[general]\nadministrators = ["admin@example.gov.cn"]\n'
                    '[digest]\nroles = ["administrator", "bureau"]\n' + server.config())
    run_cli(config, url, "digest", "--send")
    monkeypatch.setenv("MONITOR_DATABASE_URL", url)
    app = App(_settings=load_settings(config))
    now = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
    with transaction(app.sessions) as session:
        held = round_log.open_held(session)
        assert held is not None
        with pytest.raises(InputError, match="MONITOR_NOW"):
            approve_held(session, held.id, "admin", now, ahead=True)
        assert round_log.get(session, held.id).state == RoundState.HELD      # type: ignore[union-attr]
        mark(session, "drill", now, None, str(tmp_path / "outbox"))          # a drill database may
        approve_held(session, held.id, "admin", now, ahead=True)
        assert round_log.get(session, held.id).state == RoundState.APPROVED  # type: ignore[union-attr]
    app.close()
