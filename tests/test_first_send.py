"""Who is mailed is chosen, and the first send is seen first (issue 26, item 3; docs/rules.md, "Who is mailed").

Against a real SMTP server on loopback, on SQLite and PostgreSQL: bureaus and operators get nothing until
``[digest] roles`` enables them; a round whose recipient set grew sends to the administrators and holds the
rest; an approval releases each held message exactly once, and a second approval is refused.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db import round_log
from db.models import DeliveryRow, DigestRoundRow
from db.session import transaction
from monitor.app import App
from monitor.errors import InputError
from monitor.rules.audience import Addresses, Audience, Choice, addressed_roles, audience
from monitor.rules.states import DeliveryState, RoundState
from tests.conftest import d
from tests.helpers import EXAMPLE_ROSTER
from tests.mailserver import MailServer
from tests.reminder_helpers import Clock, at, daemon, load_roster, make_app

ADMIN = "admin@example.gov.cn"
DAY = d("2026-12-07")       # a Monday: a working day, and the real day the tests pin


CONSOLE = "https://monitor.example.gov.cn"


def config(server: MailServer, digest: str = 'roles = ["administrator"]') -> str:
    return (f'[general]\nlanguage = "en"\nadministrators = ["{ADMIN}"]\n[web]\nbase_url = "{CONSOLE}"\n'
            f'{server.config()}\n[digest]\n{digest}\n')


@pytest.fixture
def roster_app(tmp_path: Path, database_url: str, server: MailServer,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    app = make_app(tmp_path, database_url, config(server, 'roles = ["administrator", "bureau", "operator"]'),
                   monkeypatch)
    load_roster(app, EXAMPLE_ROSTER, approve=False)
    yield app
    app.close()


def recipients(server: MailServer) -> Counter[str]:
    return Counter(r for mail in server.received for r in mail.recipients)


def deliveries(app: App, state: DeliveryState) -> int:
    with transaction(app.sessions) as session:
        return session.execute(select(func.count()).where(DeliveryRow.state == state)).scalar() or 0


# --- pure: roles and the recipient set -------------------------------------------------------------------------

def test_roles_are_opt_in_and_may_be_limited_to_regions() -> None:
    nobody = Choice(("administrator",), {})
    assert addressed_roles(("bureau", "operator"), "包头市", nobody) == ()
    bureaus = Choice(("administrator", "bureau", "operator"), {"operator": ("包头市",)})
    assert addressed_roles(("bureau", "operator"), "包头市", bureaus) == ("bureau", "operator")
    assert addressed_roles(("bureau", "operator"), "赤峰市", bureaus) == ("bureau",)


def test_a_recipient_set_grows_with_a_role_a_region_or_a_fifth_more_addresses() -> None:
    rows = [Addresses("A", "a-b@x.cn", "a-o@x.cn"), Addresses("B", "b-b@x.cn", "b-o@x.cn; ADMIN@x.cn")]
    admins_only = audience(rows, Choice(("administrator",), {}), ["admin@x.cn"])
    assert admins_only == Audience(frozenset(), 0)
    assert admins_only.grown_from(None, 0.2) is None                 # administrators only: nothing to hold
    bureaus = audience(rows, Choice(("bureau",), {}), ["admin@x.cn"])
    assert bureaus.grown_from(None, 0.2) == "newly mailed: bureau A, bureau B"      # the first send
    assert bureaus.grown_from(bureaus, 0.2) is None
    both = audience(rows, Choice(("bureau", "operator"), {}), ["admin@x.cn"])
    assert both.addresses == 4                                        # the administrator is not counted
    assert both.grown_from(bureaus, 0.2) == "newly mailed: operator A, operator B"
    region_c = audience([*rows, Addresses("C", "c-b@x.cn", None)], Choice(("bureau",), {}), [])
    assert region_c.grown_from(bureaus, 0.2) == "newly mailed: bureau C"
    more = Audience(bureaus.pairs, 10)
    assert more.grown_from(Audience(bureaus.pairs, 9), 0.2) is None   # 11% more
    assert more.grown_from(Audience(bureaus.pairs, 8), 0.2) == "addresses: 8 -> 10"    # 25% more
    assert Audience.from_json(both.to_json()) == both


# --- the ledger, against a real SMTP server ---------------------------------------------------------------------

def test_operators_and_bureaus_get_nothing_until_enabled(tmp_path: Path, database_url: str, server: MailServer,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path, database_url, config(server), monkeypatch)
    load_roster(app, EXAMPLE_ROSTER, approve=False)
    daemon(app, Clock(at(DAY))).digest_tick()
    assert set(recipients(server)) == {ADMIN}
    assert deliveries(app, DeliveryState.HELD) == 0
    with transaction(app.sessions) as session:         # administrators only: a round sent whole
        assert session.execute(select(DigestRoundRow.state)).scalars().all() == [RoundState.SENT]
    app.close()


def test_a_grown_recipient_set_is_held_until_approved_then_sent_exactly_once(roster_app: App,
                                                                            server: MailServer) -> None:
    app = roster_app
    clock = Clock(at(DAY))
    run = daemon(app, clock)
    run.digest_tick()
    assert set(recipients(server)) == {ADMIN}            # the first send is seen first: by the administrator
    held = deliveries(app, DeliveryState.HELD)
    assert held > 0 and deliveries(app, DeliveryState.PENDING) == 0
    with transaction(app.sessions) as session:
        waiting = round_log.open_held(session)
        assert waiting is not None and waiting.grown is not None and "operator" in waiting.grown
        kinds = round_log.held_by_kind(session, waiting.id)
    assert set(kinds) == {"bureau", "operator"}
    assert sum(deliveries for _, deliveries in kinds.values()) == held

    clock.value = at(DAY, 10)
    run.digest_tick(day=DAY)                             # another round the same day: still held, nothing sent
    assert set(recipients(server)) == {ADMIN}
    with transaction(app.sessions) as session:
        assert len(round_log.awaiting(session)) == 1     # what a later round holds joins the round waiting

    clock.value = at(DAY, 11)
    released, counts = run.approve(None, "chief")
    assert released.round.state == RoundState.APPROVED and released.round.decided_by == "chief"
    assert counts["sent"] == len(released.messages) > 0
    after = recipients(server)
    others = {r: n for r, n in after.items() if r != ADMIN}
    assert set(others) == {r for r, _ in _held_addresses(app)}
    assert all(n == 1 for n in others.values()), others           # each recipient: one message
    assert deliveries(app, DeliveryState.HELD) == 0
    assert len({str(m.message["Message-ID"]) for m in server.received}) == len(server.received)
    # an operator (no console account) is told what to do, and linked nowhere; a bureau is linked to the console
    by_kind = {kind: [m for m in server.received if m.recipients[0].endswith(suffix)]
               for kind, suffix in (("operator", "@example.cn"), ("bureau", "@example.gov.cn"))}
    assert by_kind["operator"] and by_kind["bureau"]
    for mail in by_kind["operator"]:
        assert "What your cluster needs to do" in mail.text and CONSOLE not in mail.text
        assert CONSOLE not in mail.message.get_body(("html",)).get_content()
    assert all(f"See and report online: {CONSOLE}" in m.text for m in by_kind["bureau"])

    with pytest.raises(InputError, match="not held"):    # a second approval sends nothing
        run.approve(released.round.id, "deputy")
    assert recipients(server) == after

    clock.value = at(DAY + dt.timedelta(days=1))         # the set is approved: the next round is sent whole
    run.digest_tick()
    assert deliveries(app, DeliveryState.HELD) == 0
    with transaction(app.sessions) as session:
        assert round_log.open_held(session) is None


def _held_addresses(app: App) -> set[tuple[str, str]]:
    with transaction(app.sessions) as session:
        return {(r, s) for r, s in session.execute(
            select(DeliveryRow.recipient, DeliveryRow.state).where(DeliveryRow.held_round.is_not(None)))}


def test_a_refused_round_stays_held_with_who_and_why(roster_app: App, server: MailServer) -> None:
    from jobs.approve import refuse

    app = roster_app
    run = daemon(app, Clock(at(DAY)))
    run.digest_tick()
    held = deliveries(app, DeliveryState.HELD)
    with pytest.raises(InputError, match="--reason"):
        refuse(app, None, "chief", " ", at(DAY, 9))
    decided = refuse(app, None, "chief", "operators' addresses not checked yet", at(DAY, 9))
    assert (decided.state, decided.decided_by, decided.reason) == (
        RoundState.REFUSED, "chief", "operators' addresses not checked yet")
    assert deliveries(app, DeliveryState.HELD) == held
    assert set(recipients(server)) == {ADMIN}
    with pytest.raises(InputError, match="not held"):
        refuse(app, decided.id, "chief", "again", at(DAY, 9))
    released, _ = run.approve(decided.id, "chief")      # a refused round may still be approved, once
    assert released.messages and deliveries(app, DeliveryState.HELD) == 0


def test_two_approvals_at_once_release_the_round_once(roster_app: App, server: MailServer) -> None:
    """Two administrators press approve at the same moment (two threads, each its own transaction): one wins, the
    other is refused, and each held message is sent once."""
    import threading

    app = roster_app
    run = daemon(app, Clock(at(DAY)))
    run.digest_tick()
    held = deliveries(app, DeliveryState.HELD)
    assert held
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def press(who: str) -> None:
        barrier.wait()
        try:
            daemon(app, Clock(at(DAY, 11)), owner=who).approve(None, who)
            outcomes.append("approved")
        except InputError:
            outcomes.append("refused")

    threads = [threading.Thread(target=press, args=(who,)) for who in ("chief", "deputy")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["approved", "refused"]
    others = {r: n for r, n in recipients(server).items() if r != ADMIN}
    assert others and all(n == 1 for n in others.values()), others
    assert deliveries(app, DeliveryState.HELD) == 0
