"""The profile counts (issue 27, item 1): an enabled account with an e-mail address and the digest ticked on its
profile receives the digest, about the clusters it sees (an admin or a viewer: all; a bureau account: its
regions'); unticked, disabled or without an address, it receives nothing because of the account. Its address
joins the recipient set, so the first round that mails it is held until an administrator approves it; each
message arrives once. Against a real SMTP server on loopback, on SQLite and PostgreSQL, through the daemon's ticks
and, for the preference itself, the console's Profile page (a real `monitor serve`).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from db import round_log
from db.models import DeliveryRow
from db.session import in_transaction, transaction
from monitor.actions.account_admin import Profile, save_profile
from monitor.actions.accounts import add_user, disable
from monitor.app import App
from monitor.config import load_settings
from monitor.rules.access import Account, Role
from monitor.rules.audience import Addresses, Choice, Mailable, audience, subscriber
from monitor.rules.states import DeliveryState
from tests.conftest import d
from tests.helpers import EXAMPLE_ROSTER
from tests.mailserver import MailServer
from tests.reminder_helpers import Clock, approve_recipients, at, daemon, items, load_roster, make_app
from tests.web_helpers import PASSWORD, console, csrf_of, seeded
from tests.web_helpers import add_user as add_user_cli

ADMIN = "admin@example.gov.cn"
DAY = d("2026-12-07")       # a Monday: a working day, and the real day the tests pin
NOW = dt.datetime(2026, 12, 7, 0, tzinfo=dt.UTC)


def config(server: MailServer) -> str:
    """Administrators only by role: whoever else is mailed is mailed because of an account."""
    return (f'[general]\nlanguage = "en"\nadministrators = ["{ADMIN}"]\n{server.config()}\n'
            '[digest]\nroles = ["administrator"]\n')


def mailed(server: MailServer, since: int = 0) -> Counter[str]:
    """Who received a message (the ``since``-th received and after), how many each."""
    return Counter(r for mail in server.received[since:] for r in mail.recipients)


def regions_of(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as f:
        return {row["id"]: row["region"] for row in csv.DictReader(f)}


def clusters_mailed(server: MailServer, recipient: str, since: int = 0) -> set[str]:
    return {cluster for to, _, cluster, _ in items(server.received[since:]) if to == recipient}


def person(app: App, name: str, role: str, regions: list[str], email: str, wants: bool = True) -> None:
    in_transaction(app.sessions, lambda s: add_user(s, name, role, regions, PASSWORD, NOW))
    in_transaction(app.sessions, lambda s: save_profile(s, name, Profile(name, email, "", wants)))


def wants(app: App, name: str, email: str, on: bool) -> None:
    in_transaction(app.sessions, lambda s: save_profile(s, name, Profile(name, email, "", on)))


def deliveries_to(app: App, recipient: str) -> Counter[str]:
    with transaction(app.sessions) as session:
        rows = session.execute(select(DeliveryRow.state, func.count()).where(DeliveryRow.recipient == recipient)
                               .group_by(DeliveryRow.state)).all()
    return Counter(dict(rows))


# --- pure ----------------------------------------------------------------------------------------------------------

def test_an_account_is_mailed_about_what_it_sees_and_only_while_it_asks() -> None:
    admin = subscriber(Account(1, "zhang", Role.ADMIN), " Zhang@Dept.cn ", False, True)
    bureau = subscriber(Account(2, "bt", Role.BUREAU, ("包头市",)), "bt@dept.cn", False, True)
    viewer = subscriber(Account(3, "leader", Role.VIEWER), "leader@dept.cn", False, True)
    assert admin is not None and bureau is not None and viewer is not None
    assert admin.address == "zhang@dept.cn"
    assert bureau.covers("包头市") and not bureau.covers("赤峰市") and viewer.covers("赤峰市")
    assert subscriber(Account(4, "off", Role.ADMIN), "off@dept.cn", False, False) is None     # unticked
    assert subscriber(Account(5, "gone", Role.ADMIN), "gone@dept.cn", True, True) is None     # disabled
    assert subscriber(Account(6, "none", Role.ADMIN), "  ", False, True) is None              # no address

    mailable = Mailable.of([ADMIN], [admin, bureau, viewer])
    assert mailable.accounts("赤峰市") == ["zhang@dept.cn", "leader@dept.cn"]
    assert mailable.accounts("包头市") == ["zhang@dept.cn", "bt@dept.cn", "leader@dept.cn"]
    assert mailable.keeps("bt@dept.cn", "包头市", []) and not mailable.keeps("bt@dept.cn", "赤峰市", [])
    # the preference off: the account's mail stops; a roster's or an administrator's duty does not
    nobody = Mailable.of([ADMIN])
    assert not nobody.keeps("bt@dept.cn", "包头市", [])
    assert nobody.keeps("BT@dept.cn", "包头市", ["bt@dept.cn"]) and nobody.keeps(ADMIN, "赤峰市", [])

    rows = [Addresses("包头市", "bureau@x.cn", "op@x.cn")]
    before = audience(rows, Choice(("administrator",), {}), [ADMIN])
    assert before.pairs == frozenset() and before.addresses == 0
    after = audience(rows, Choice(("administrator",), {}), [ADMIN], [admin, bureau])
    assert after.pairs == {("account zhang <zhang@dept.cn>", "*"), ("account bt <bt@dept.cn>", "包头市")}
    assert after.addresses == 2
    assert after.grown_from(before, 0.2) == ("newly mailed: account bt <bt@dept.cn> 包头市, "
                                             "account zhang <zhang@dept.cn> *")
    moved = subscriber(Account(2, "bt", Role.BUREAU, ("包头市",)), "bt2@dept.cn", False, True)
    assert audience(rows, Choice(("administrator",), {}), [ADMIN], [admin, moved]).grown_from(after, 0.2)
    admin_too = subscriber(Account(7, "chief", Role.ADMIN), ADMIN, False, True)
    assert admin_too is not None                                        # an administrator's address: always mailed
    assert audience(rows, Choice(("administrator",), {}), [ADMIN], [admin_too]) == before


# --- the daemon, against a real SMTP server ------------------------------------------------------------------------

def test_accounts_get_their_clusters_once_after_approval_and_nothing_when_off_or_disabled(
        tmp_path: Path, database_url: str, server: MailServer, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path, database_url, config(server), monkeypatch)
    load_roster(app, EXAMPLE_ROSTER)                   # the roster's set approved: administrators only
    person(app, "zhang", "admin", [], "Zhang@Dept.cn")
    person(app, "bt", "bureau", ["包头市"], "bt-person@dept.cn")
    person(app, "leader", "viewer", [], "leader@dept.cn", wants=False)
    person(app, "gone", "viewer", [], "gone@dept.cn")
    person(app, "late", "viewer", [], "late@dept.cn")
    in_transaction(app.sessions, lambda s: disable(s, "gone"))
    clock = Clock(at(DAY))
    run = daemon(app, clock)

    run.digest_tick()
    assert set(mailed(server)) == {ADMIN}               # accounts are new recipients: held, seen first
    with transaction(app.sessions) as session:
        waiting = round_log.open_held(session)
        assert waiting is not None and waiting.grown is not None
        assert "account bt <bt-person@dept.cn> 包头市" in waiting.grown and "account zhang" in waiting.grown
        assert "leader" not in waiting.grown and "gone" not in waiting.grown
        kinds = round_log.held_by_kind(session, waiting.id)
    assert set(kinds) == {"account"} and kinds["account"][0] == 3       # zhang, bt, late

    wants(app, "late", "late@dept.cn", False)           # unticked while held: not sent when released
    clock.value = at(DAY, 10)
    released, counts = run.approve(None, "chief")
    assert counts["sent"] == len(released.messages) == 2
    assert mailed(server) == Counter({ADMIN: 1, "zhang@dept.cn": 1, "bt-person@dept.cn": 1})
    assert deliveries_to(app, "late@dept.cn")[DeliveryState.OBSOLETE] > 0
    assert not deliveries_to(app, "leader@dept.cn") and not deliveries_to(app, "gone@dept.cn")

    regions = regions_of(EXAMPLE_ROSTER)
    everything = clusters_mailed(server, ADMIN)
    assert clusters_mailed(server, "zhang@dept.cn") == everything       # an admin account: every cluster
    own = clusters_mailed(server, "bt-person@dept.cn")
    assert own and own == {c for c in everything if regions[c] == "包头市"} != everything
    assert len({str(m.message["Message-ID"]) for m in server.received}) == len(server.received)

    clock.value = at(DAY, 11)                           # the same day again: nothing twice
    run.digest_tick(day=DAY)
    assert mailed(server) == Counter({ADMIN: 1, "zhang@dept.cn": 1, "bt-person@dept.cn": 1})
    app.close()


# --- the console's Profile page changes who is mailed ------------------------------------------------------------

def save_on_page(client: httpx.Client, email: str, on: bool) -> None:
    page = client.get("/profile")
    assert page.status_code == 200 and 'id="digest-hint"' in page.text
    form = {"csrf": csrf_of(page.text), "full_name": "", "email": email, "phone": ""}
    response = client.post("/profile", data={**form, "digest_email": "yes"} if on else form)
    assert response.status_code == 200 and 'id="said"' in response.text, response.text[:500]


def test_the_profile_page_switches_an_account_on_and_off(tmp_path: Path, database_url: str,
                                                         server: MailServer) -> None:
    path = seeded(tmp_path, database_url, config(server))       # BT-001, BT-002 in 包头市, ORD-001 in 鄂尔多斯市
    add_user_cli(path, database_url, "bt", "bureau", "包头市")
    add_user_cli(path, database_url, "zhang", "admin")
    app = App(_settings=load_settings(path, {"MONITOR_DATABASE_URL": database_url}))
    approve_recipients(app)
    first = d("2026-11-23")                             # the console's clock (tests/web_helpers.NOW)
    clock = Clock(at(first))
    run = daemon(app, clock)
    with console(tmp_path, database_url, path) as site, site.signed_in("bt") as bt, \
            site.signed_in("zhang") as zhang:
        save_on_page(bt, "bt-person@dept.cn", True)
        save_on_page(zhang, "zhang@dept.cn", False)
        run.digest_tick()
        held = zhang.get("/daemon").text                     # the held round names who it holds for
        assert "users who asked for the digest: 1 addresses" in held, held
        clock.value = at(first, 10)
        run.approve(None, "chief")
        assert set(mailed(server)) == {ADMIN, "bt-person@dept.cn"}
        assert clusters_mailed(server, "bt-person@dept.cn") == {"BT-001", "BT-002"}

        save_on_page(bt, "bt-person@dept.cn", False)        # and the other way round, a week later
        save_on_page(zhang, "zhang@dept.cn", True)
    since = len(server.received)
    later = first + dt.timedelta(days=7)                # the overdue items are reminded again
    clock.value = at(later)
    run.digest_tick()
    clock.value = at(later, 10)
    run.approve(None, "chief")
    assert set(mailed(server, since)) == {ADMIN, "zhang@dept.cn"}
    assert clusters_mailed(server, "zhang@dept.cn", since) == clusters_mailed(server, ADMIN, since)
    assert clusters_mailed(server, ADMIN, since) == {"BT-001", "BT-002", "ORD-001"}
    app.close()
