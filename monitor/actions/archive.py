"""Taking a cluster off the roster (archiving it) and putting it back, on the record: each is a row saying who,
when and why; nothing is deleted. An archived cluster is left out of status, digests, the calendar, exports and
the scan unless a command is asked to include it; its facts and reminders stay in its history."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db import fact_queries as record_db
from db.models import ArchiveRow
from db.watch import touch
from monitor.actions.record import text_value
from monitor.errors import InputError, Said, UnknownClusterError
from monitor.rules.near import ID_CUTOFF, nearest


def set_archived(session: Session, cluster_id: str, archived: bool, reason: str | None, who: str,
                 now: dt.datetime) -> Said:
    """Archive (or unarchive) a cluster, with a reason."""
    why = text_value("--reason", reason, required=True)
    row = record_db.cluster(session, cluster_id, lock=True)
    if row is None:
        raise UnknownClusterError(cluster_id, nearest(cluster_id, record_db.cluster_ids(session), ID_CUTOFF))
    current = record_db.archived(session, row.id)
    if archived and current is not None:
        raise InputError("cluster {id!r} is already {archived}", id=row.id, archived=archive_note(current))
    if not archived and current is None:
        raise InputError("cluster {id!r} is not archived", id=row.id)
    session.add(ArchiveRow(cluster_id=row.id, archived=archived, reason=why, recorded_at=now, recorded_by=who))
    touch(session, [row.id])
    if archived:
        return Said("{id}: archived ({reason})", id=row.id, reason=why)
    return Said("{id}: back on the roster ({reason})", id=row.id, reason=why)


def archive_note(row: ArchiveRow) -> Said:
    """``archived 2026-11-23 by wang: 重复录入``."""
    return Said("archived {day} by {who}: {reason}", day=f"{row.recorded_at:%Y-%m-%d}", who=row.recorded_by,
                reason=row.reason)
