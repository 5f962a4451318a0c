"""An administrator's decision on a held round (``monitor digest --approve | --refuse``, the console's daemon page).

Approving releases what the round holds into that round, once: in one transaction the round moves from held (or
refused) to approved, a conditional UPDATE that only one caller can make, and each held delivery is claimed
into its recipient's message (held to queued, again conditional) or settled obsolete or suppressed as of today.
A second approval, from anywhere, finds the round approved and is refused; nothing is sent twice. The messages
are then sent as a round's are (jobs/deliver.py). Refusing records who and why; the deliveries stay held.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy.orm import Session

from db import ledger, round_log, round_queries
from db.queries import active_holds
from db.read import SessionReads
from db.round_log import Round
from db.session import transaction
from jobs.compose import (
    IDS_PER_QUERY,
    ConcurrentRound,
    Outgoing,
    Transports,
    _compose,
    mailable_now,
    round_name,
    sort_rows,
)
from monitor.app import App
from monitor.errors import InputError
from monitor.overview import Selection, evaluated
from monitor.rules.states import DeliveryState, RoundState


class Released(NamedTuple):
    round: Round
    messages: list[Outgoing]
    obsolete: int
    suppressed: int


def chosen(session: Session, round_id: str | None) -> Round:
    """The round named, or else the newest one held (an undecided one first, then a refused one)."""
    if round_id is not None:
        found = round_log.get(session, round_id)
        if found is None:
            raise InputError("--round {round}: no such round", round=round_id)
        return found
    waiting = round_log.awaiting(session)
    held = [r for r in waiting if r.state == RoundState.HELD] or waiting
    if not held:
        raise InputError("no round is held: nothing to approve or refuse")
    return held[0]


def approve(app: App, round_id: str | None, who: str, day: dt.date, now: dt.datetime, owner: str,
            transports: Transports) -> Released:
    """Approve a held (or refused) round and release its deliveries into messages, once: all of it or nothing."""
    with transaction(app.sessions) as session:
        found = chosen(session, round_id)
        if not round_log.decide(session, found.id, RoundState.APPROVED, who, now, None):
            raise InputError("round {round} is {state}, not held: it was decided already (by {who})",
                             round=found.id, state=found.state, who=found.decided_by or "-")
        return _release(app, session, found.id, day, now, owner, transports)     # committed as it returns


def release_approved(app: App, day: dt.date, now: dt.datetime, owner: str, transports: Transports) -> list[Released]:
    """Release the rounds approved in the console (which decides, and leaves the sending to the daemon): each whose
    deliveries are still held, in a transaction of its own. A round another process is releasing is left to it."""
    with transaction(app.sessions) as session:
        pending = round_log.approved_with_held(session)
    done = []
    for round_id in pending:
        try:
            with transaction(app.sessions) as session:
                done.append(_release(app, session, round_id, day, now, owner, transports))
        except InputError:      # released by another process meanwhile: nothing of it was stored here
            continue
    return done


def _release(app: App, session: Session, round_id: str, day: dt.date, now: dt.datetime, owner: str,
             transports: Transports) -> Released:
    """An approved round's held deliveries, claimed into messages (held to queued: only while held) or settled as
    of ``day``; in the caller's transaction, which a clash with another releaser rolls back whole."""
    rows = round_log.held_deliveries(session, round_id)
    scratch_id = round_name(now, f"approve-{owner}")
    holds = {(h.cluster_id, h.subject) for h in active_holds(SessionReads(session.connection()), day)}
    mailable = mailable_now(app, session)
    obsolete = suppressed = 0
    for start in range(0, len(rows), IDS_PER_QUERY):
        part = rows[start:start + IDS_PER_QUERY]
        ids = tuple(sorted({row.cluster_id for row in part}))
        found_now = {e.facts.cluster.id: e for e in evaluated(app, Selection(day, ids))}
        done = sort_rows(app, part, found_now, holds, False, scratch_id, mailable)
        if done.scratch:
            round_queries.add_items(session, done.scratch)
        obsolete += ledger.settle_pending(session, done.settled[DeliveryState.OBSOLETE],
                                          DeliveryState.OBSOLETE, now, DeliveryState.HELD)
        suppressed += ledger.settle_pending(session, done.settled[DeliveryState.SUPPRESSED],
                                            DeliveryState.SUPPRESSED, now, DeliveryState.HELD)
    try:
        messages = _compose(app, session, day, now, owner, transports, scratch_id, False, DeliveryState.HELD)
    except ConcurrentRound as exc:
        raise InputError("round {round}: {problem}", round=round_id, problem=str(exc)) from None
    round_queries.drop(session, scratch_id)
    decided = round_log.get(session, round_id)
    if decided is None:
        raise InputError("--round {round}: no such round", round=round_id)
    return Released(decided, messages, obsolete, suppressed)


def refuse(app: App, round_id: str | None, who: str, reason: str, now: dt.datetime) -> Round:
    """Refuse a held round: it keeps what it holds, with who refused and why."""
    if not reason.strip():
        raise InputError("--refuse needs --reason: why the round is refused")
    with transaction(app.sessions) as session:
        found = chosen(session, round_id)
        if not round_log.decide(session, found.id, RoundState.REFUSED, who, now, reason.strip()):
            raise InputError("round {round} is {state}, not held: it was decided already (by {who})",
                             round=found.id, state=found.state, who=found.decided_by or "-")
        decided = round_log.get(session, found.id)
    assert decided is not None
    return decided
