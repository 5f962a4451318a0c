"""A held round decided in the console (docs/rules.md, "Who is mailed"): the console approves, and the daemon sends
what the round holds at its next tick (jobs/approve.py, ``release_approved``), once. The command line's
``monitor digest --approve`` decides and sends at once."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy.orm import Session

from db import round_log
from db.daemon_marks import detail
from monitor.errors import InputError
from monitor.rules.states import RoundState


class HeldRound(NamedTuple):
    """A round waiting for a decision, as the console shows it."""
    id: str
    day: dt.date
    state: str
    grown: str
    decided_by: str | None
    reason: str | None
    kinds: dict[str, tuple[int, int]]     # by role: (recipients, reminders)


def held_rounds(session: Session) -> list[HeldRound]:
    """The rounds held or refused, newest first, with what each holds by role."""
    return [HeldRound(r.id, r.day, r.state, r.grown or "", r.decided_by, r.reason, round_log.held_by_kind(session, r.id))
            for r in round_log.awaiting(session)]


def approve_held(session: Session, round_id: str, who: str, now: dt.datetime, ahead: bool) -> None:
    """Approve a held (or refused) round; its deliveries are sent by the daemon. Refused while the clock is ahead
    of the real time (``ahead``), unless this is a drill database (docs/rules.md, "Drills")."""
    if ahead and detail(session, "drill") is None:
        raise InputError("refused: MONITOR_NOW puts the clock ahead of the real time, and this database would send "
                         "to real recipients (monitor drill DIR makes a copy that cannot)")
    found = round_log.get(session, round_id)
    if found is None:
        raise InputError("--round {round}: no such round", round=round_id)
    if not round_log.decide(session, round_id, RoundState.APPROVED, who, now, None):
        raise InputError("round {round} is {state}, not held: it was decided already (by {who})",
                         round=round_id, state=found.state, who=found.decided_by or "-")
