"""`monitor ack` and `monitor snooze`: a warning acknowledged or an obligation snoozed until a date, with why; one
at a time, or many at once (by region and code, or several clusters), in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from db.models import AckRow, SnoozeRow
from monitor.actions.record import text_value
from monitor.errors import InputError, Said

TABLES: dict[str, type[AckRow | SnoozeRow]] = {"ack": AckRow, "snooze": SnoozeRow}


def _said(kind: str, cluster_id: str, subject: str, until: dt.date) -> Said:
    return Said("{id} {subject}: acknowledged until {until}" if kind == "ack" else
                "{id} {subject}: snoozed until {until}", id=cluster_id, subject=subject, until=until)


def record_holds(session: Session, kind: str, targets: Sequence[tuple[str, str]], until: dt.date, note: str,
                 today: dt.date, who: str, now: dt.datetime) -> list[Said]:
    """Store a hold of each (cluster id, subject) of ``targets`` in the caller's transaction (all or, when a value
    is refused, none); what each did, to say."""
    if until < today:
        raise InputError("--until {until}: is before today ({today})", until=until, today=today)
    if not note.strip():
        raise InputError("--note: say why (it is recorded with who and when)")
    why = text_value("--note", note, required=True)
    table = TABLES[kind]
    said = []
    for cluster_id, subject in dict.fromkeys(targets):
        session.add(table(cluster_id=cluster_id, subject=subject, until=until, note=why, recorded_at=now,
                          recorded_by=who))
        said.append(_said(kind, cluster_id, subject, until))
    return said


def record_hold(session: Session, kind: str, cluster_id: str, subject: str, until: dt.date, note: str,
                today: dt.date, who: str, now: dt.datetime) -> Said:
    """Store the hold in the caller's transaction; what it did, to say."""
    [said] = record_holds(session, kind, [(cluster_id, subject)], until, note, today, who, now)
    return said


def bulk_summary(kind: str, said: Sequence[Said], clusters: int, until: dt.date) -> Said:
    """The line after a bulk hold's: how many, of how many clusters."""
    return Said("acknowledged {count} warnings of {clusters} clusters until {until}" if kind == "ack" else
                "snoozed {count} obligations of {clusters} clusters until {until}", count=len(said),
                clusters=clusters, until=until)


def nothing_to_hold(kind: str, code: str, region: str | None, clusters: Sequence[str],
                    known: Sequence[str]) -> InputError:
    """The refusal of a bulk hold that selects nothing: where it looked, and the codes (ack) or kinds (snooze)
    the clusters there have."""
    where = Said("region {region}", region=region) if region else Said("{clusters}", clusters=", ".join(clusters))
    return InputError("no cluster of {where} has a warning {code!r} (they have: {known})" if kind == "ack" else
                      "no cluster of {where} has an open obligation {code!r} (they have: {known})",
                      where=where, code=code, known=", ".join(known) or "-")
