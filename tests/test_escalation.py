"""Escalation over 30 days (issue 29 item 3), the daemon's own ticks with an injected clock against a real SMTP
server, on SQLite and PostgreSQL: a revocation ground (an incident) recorded on four clusters of two regions, a
chain bureau (day 0), administrators (day 5), a named leader of 包头市 (day 12), and acks at different steps (the
steps' days are not the days a revocation warning repeats on, every 7: the daemon's incremental scan must come
back for them by itself).

What must hold: every step owed is sent once, to exactly its recipients; none after the ack; nobody outside the
cluster's region (赤峰市's bureau account, or 包头市's leader for a 赤峰市 cluster) gets anything of it; history
says each step.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from db.models import DeliveryRow, ReminderRow
from db.session import transaction
from monitor.actions.account_admin import Profile, save_profile
from monitor.actions.accounts import add_user
from monitor.actions.ack_snooze import record_hold
from monitor.app import App
from monitor.cli import cli
from monitor.rules.escalation import parse_stage
from monitor.rules.states import DeliveryState
from tests.conftest import d
from tests.helpers import own_config, write_roster
from tests.mailserver import MailServer
from tests.reminder_helpers import Clock, at, daemon, load_roster, make_app, record

ADMIN = "admin@nmg.gov.cn"
START = d("2026-12-07")
DAYS = [START + dt.timedelta(days=n) for n in range(30)]
CHAIN = ('[[escalation]]\nregimes = ["nmg-sme-draft"]\nseverities = ["revocation"]\n'
         'steps = [ { after_days = 0, to = "bureau" }, { after_days = 5, to = "administrators" },\n'
         '          { after_days = 12, to = "account:bt-leader" } ]\n')
#: the accounts: (name, role, regions, e-mail)
ACCOUNTS = [("bt-desk", "bureau", ["包头市"], "desk@baotou.gov.cn"),
            ("cf-desk", "bureau", ["赤峰市"], "desk@chifeng.gov.cn"),
            ("bt-leader", "bureau", ["包头市"], "leader@baotou.gov.cn"),
            ("chief", "admin", [], "chief@nmg.gov.cn")]
#: cluster -> (region, the day its incident is recorded, the day its warning is acknowledged or None)
PLAN = {"ESC-1": ("包头市", DAYS[1], None),         # never acknowledged: every step
        "ESC-2": ("包头市", DAYS[1], DAYS[4]),      # acknowledged after step 1
        "ESC-3": ("包头市", DAYS[2], DAYS[10]),     # acknowledged after step 2 (its day: DAYS[7]), before step 3
        "ESC-4": ("赤峰市", DAYS[3], None)}         # never acknowledged, in 赤峰市: step 3 reaches nobody
BUREAU = {"包头市": {"bureau@baotou.gov.cn", "desk@baotou.gov.cn", "leader@baotou.gov.cn"},
          "赤峰市": {"bureau@chifeng.gov.cn", "desk@chifeng.gov.cn"}}
STEP_TO = {1: BUREAU, 2: {"包头市": {ADMIN, "chief@nmg.gov.cn"}, "赤峰市": {ADMIN, "chief@nmg.gov.cn"}},
           3: {"包头市": {"leader@baotou.gov.cn"}, "赤峰市": set()}}
#: the steps each cluster must have sent (and none other)
OWED = {"ESC-1": {1, 2, 3}, "ESC-2": {1}, "ESC-3": {1, 2}, "ESC-4": {1, 2, 3}}
ESCALATED = re.compile(r"^- (\S+) .*\(escalation step (\d+)(?:: unacknowledged for (\d+) days)?\)", re.MULTILINE)


def roster(path: Path) -> Path:
    rows = [f"{cid},集群{cid},nmg-sme-draft,2026-06-01,{region},,op@{cid.lower()}.cn,"
            f"{'bureau@baotou.gov.cn' if region == '包头市' else 'bureau@chifeng.gov.cn'},,"
            for cid, (region, _, _) in PLAN.items()]
    return write_roster(path, *rows)


def accounts(app: App) -> None:
    with transaction(app.sessions) as session:
        for name, role, regions, email in ACCOUNTS:
            add_user(session, name, role, regions, "a long enough password 1", dt.datetime.now(dt.UTC))
            # none asks for the daily digest: an escalation step reaches them all the same
            save_profile(session, name, Profile(email=email, digest_email=False))


def escalations(server: MailServer) -> Counter[tuple[str, str, int]]:
    """(recipient, cluster, step) of every escalated item received, counted."""
    return Counter((recipient, cluster, int(step)) for mail in server.received
                   for cluster, step, _ in ESCALATED.findall(mail.text) for recipient in mail.recipients)


def run_days(app: App, clock: Clock, days: list[dt.date]) -> None:
    """The daemon's ticks (a scan at 00:30, the round at 08:30); each plan's incident recorded at 08:00 on its day,
    its ack at 10:00 on its day."""
    run = daemon(app, clock)
    for day in days:
        clock.value = at(day, 0, 30)
        run.scan_tick()
        for cid, (_, incident, _) in PLAN.items():
            if incident == day:
                record(app, day, lambda r, cid=cid, day=day: r.incident(cid, "violation", day, "违规使用资金", None))
        clock.value = at(day)
        run.scan_tick()
        run.digest_tick()
        for cid, (_, _, acked) in PLAN.items():
            if acked == day:
                with transaction(app.sessions) as session:
                    record_hold(session, "ack", cid, f"incident:{day_of(cid)}", day + dt.timedelta(days=3),
                                "已约谈", day, "wang", at(day, 10).astimezone(dt.UTC))


def day_of(cid: str) -> str:
    return f"violation:{PLAN[cid][1].isoformat()}"


def test_escalation_over_thirty_days(tmp_path: Path, database_url: str, server: MailServer,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path, database_url,
                   f'[general]\nlanguage = "en"\nadministrators = ["{ADMIN}"]\nmonitoring_from = {START}\n'
                   f'[digest]\nroles = ["administrator"]\n{server.config()}\n{CHAIN}', monkeypatch)
    load_roster(app, roster(tmp_path / "roster.csv"))
    accounts(app)
    clock = Clock(at(START))
    run_days(app, clock, DAYS)

    got = escalations(server)
    assert got, "no escalation was mailed"
    assert max(got.values()) == 1, [k for k, n in got.items() if n > 1]       # each step to each person once
    expected = {(address, cid, step) for cid, steps in OWED.items() for step in steps
                for address in STEP_TO[step][PLAN[cid][0]]}
    assert set(got) == expected, (sorted(set(got) - expected), sorted(expected - set(got)))

    # nobody outside the cluster's region: 赤峰市's desk never hears of 包头市's clusters, nor the reverse
    for recipient, cid, _ in got:
        region = PLAN[cid][0]
        assert not any(recipient in people for other, people in BUREAU.items() if other != region), recipient

    # the ledger: each step owed recorded once, its deliveries sent; none recorded after an ack
    with transaction(app.sessions) as session:
        rows = session.execute(select(ReminderRow.cluster_id, ReminderRow.stage, ReminderRow.crossed_on,
                                      DeliveryRow.state, ReminderRow.found_on)
                               .join(DeliveryRow, DeliveryRow.reminder_id == ReminderRow.id, isouter=True)
                               .where(ReminderRow.stage.startswith("escalate:"))).all()
    steps = {(cid, parse_stage(stage).number) for cid, stage, *_ in rows}     # type: ignore[union-attr]
    assert steps == {(cid, step) for cid, owed in OWED.items() for step in owed}
    assert {state for _, _, _, state, _ in rows if state is not None} == {DeliveryState.SENT}
    for cid, (_, incident, acked) in PLAN.items():
        assert acked is None or all(crossed < acked for c, _, crossed, *_ in rows if c == cid), cid
        for c, stage, crossed, _, found in rows:
            # each on its own day (the incremental scan came back for it), the chain counted from the incident
            step = parse_stage(stage)
            assert c != cid or (step is not None and found == crossed == incident + dt.timedelta(days=step.after_days))

    # history says each step, in words
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "config.toml"), "history", "ESC-1"],
                                env={"MONITOR_DATABASE_URL": database_url, "MONITOR_NOW": ""})
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "escalation incident:" in line]
    assert len(lines) == 3 and "step 2 (5 days unacknowledged" in lines[1] and "to administrators: sent" in lines[1]
    app.close()


@pytest.mark.parametrize(("language", "refusal"), [
    ("en", "escalation[0].steps[2].to: no account 'bt-leaderr'; did you mean bt-leader?"),
    ("zh", "escalation[0].steps[2].to：没有账号 'bt-leaderr'，是否为 bt-leader？"),
])
def test_an_account_nobody_has_is_refused_before_anything_is_sent(tmp_path: Path, language: str,
                                                                  refusal: str) -> None:
    path = own_config(tmp_path, text=f'[general]\nlanguage = "{language}"\n'
                                     f'{CHAIN.replace("account:bt-leader", "account:bt-leaderr")}')
    result = CliRunner().invoke(cli, ["--config", str(path), "user", "add", "bt-leader", "--role", "viewer"],
                                input="a long enough password 1\n")
    assert result.exit_code == 0, result.output
    for command in (["run"], ["digest", "--preview", str(tmp_path / "outbox")]):
        result = CliRunner().invoke(cli, ["--config", str(path), *command])
        assert result.exit_code != 0 and refusal in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    assert not (tmp_path / "outbox").exists()
    # a regime no pack defines is refused the same way
    path.write_text(path.read_text(encoding="utf-8").replace('"nmg-sme-draft"', '"nmg-sme-draf"'), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "digest", "--preview", str(tmp_path / "outbox")])
    assert result.exit_code != 0 and "escalation[0].regimes" in result.output and "nmg-sme-draft" in result.output
    # named rightly, the round is previewed
    path.write_text(path.read_text(encoding="utf-8").replace("bt-leaderr", "bt-leader")
                    .replace('"nmg-sme-draf"', '"nmg-sme-draft"'), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "digest", "--preview", str(tmp_path / "outbox")])
    assert result.exit_code == 0, result.output


def test_a_snooze_pauses_the_chain_and_the_scan_comes_back_the_day_after_it(tmp_path: Path, database_url: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Two reports overdue (each a revocation ground): one snoozed through step 2's day. Its step 2 is recorded the
    day after the snooze ends (the incremental scan comes back then by itself); the other's on its own day."""
    app = make_app(tmp_path, database_url,
                   f'[general]\nlanguage = "en"\nadministrators = ["{ADMIN}"]\n[digest]\nroles = ["administrator"]\n'
                   '[[escalation]]\nsteps = [{ after_days = 0, to = "bureau" }, { after_days = 7, '
                   'to = "administrators" }]\n', monkeypatch)
    load_roster(app, write_roster(tmp_path / "roster.csv",
                                  "SN-1,集群,nmg-sme-draft,2024-03-01,包头市,,op@sn.cn,bureau@baotou.gov.cn,,"))
    clock = Clock(at(START, 0, 30))
    run = daemon(app, clock)
    for n in range(15):
        clock.value = at(START + dt.timedelta(days=n), 0, 30)
        run.scan_tick()
        if n == 1:
            with transaction(app.sessions) as session:
                record_hold(session, "snooze", "SN-1", "annual_report:2025", DAYS[10], "材料在途", DAYS[1], "wang",
                            at(DAYS[1], 9).astimezone(dt.UTC))
    with transaction(app.sessions) as session:
        found = {(subject, stage): (crossed, on) for subject, stage, crossed, on in session.execute(
            select(ReminderRow.subject, ReminderRow.stage, ReminderRow.crossed_on, ReminderRow.found_on)
            .where(ReminderRow.stage.startswith("escalate:")))}
    assert found == {
        ("annual_report_overdue:2024", "escalate:1:0:bureau"): (START, START),
        ("annual_report_overdue:2025", "escalate:1:0:bureau"): (START, START),
        ("annual_report_overdue:2024", "escalate:2:7:administrators"): (DAYS[7], DAYS[7]),
        ("annual_report_overdue:2025", "escalate:2:7:administrators"): (DAYS[7], DAYS[11])}     # paused
    app.close()
