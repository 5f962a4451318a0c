"""The record of facts (``fact``) and of archiving (``archive``): read as versions, written only by appending;
and the clusters they are about, found by id whatever its case.

Nothing here updates or deletes a row of either table, and the database refuses it anyway (migration 0005's
triggers). A correction reopens what it may have closed: ``revive`` puts back in the queue the reminders that
were settled as obsolete and never sent, and the next round decides again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.orm import Session, aliased

from db.models import ArchiveRow, ClusterRow, DeliveryRow, FactRow, ReminderRow
from db.queries import aware
from db.session import rowcount
from monitor.rules.facts import Cluster, Facts, Recorded, Version
from monitor.rules.states import DeliveryState, delivery_sources


def as_version(row: FactRow) -> Version:
    fact = Recorded(row.kind, row.year, row.on_date, row.filed_on, row.detail, row.note, row.dismissed_on, row.value,
                    row.base_year)
    return Version(row.id, row.cluster_id, fact, row.replaces, row.retracts, row.reason, aware(row.recorded_at),
                   row.recorded_by)


def versions(session: Session, cluster_ids: Sequence[str], known_at: dt.datetime | None = None) -> list[Version]:
    """Every version of the facts of these clusters (recorded by ``known_at``, when given), in number order."""
    found: list[Version] = []
    for i in range(0, len(cluster_ids), 500):
        query = select(FactRow).where(FactRow.cluster_id.in_(cluster_ids[i:i + 500]))
        if known_at is not None:
            query = query.where(FactRow.recorded_at <= known_at)
        found.extend(as_version(row) for row in session.scalars(query.order_by(FactRow.id)))
    return sorted(found, key=lambda v: v.number)


def in_force_of_kind(session: Session, kind: str, cluster_ids: Sequence[str]) -> list[tuple[int, str, Recorded]]:
    """The facts of one kind in force for these clusters (an import of indicator values reads only those): number,
    cluster id and what it says."""
    later = aliased(FactRow)
    found: list[tuple[int, str, Recorded]] = []
    for i in range(0, len(cluster_ids), 500):
        query = (select(FactRow).where(FactRow.cluster_id.in_(cluster_ids[i:i + 500]), FactRow.kind == kind,
                                       ~FactRow.retracts, ~exists().where(later.replaces == FactRow.id))
                 .order_by(FactRow.id))
        found.extend((row.id, row.cluster_id, as_version(row).fact) for row in session.scalars(query))
    return found


#: the largest number a fact can have: fact.id is an INTEGER, 32 bits on PostgreSQL (64 on SQLite). A number past
#: it is no fact's, on either database, rather than an overflow in the driver (`retract 99999999999999999999`)
MAX_FACT_NUMBER = 2**31 - 1


def version(session: Session, number: int) -> tuple[Version, Version | None] | None:
    """Fact ``number`` and the version that replaced or retracted it (None: it is in force), or None (also for
    a number no fact can have, whoever asks: the command line, the console or the API)."""
    if not 1 <= number <= MAX_FACT_NUMBER:
        return None
    row = session.get(FactRow, number)
    if row is None:
        return None
    later = session.scalar(select(FactRow).where(FactRow.replaces == number))
    return as_version(row), as_version(later) if later is not None else None


def row_values(cluster_id: str, fact: Recorded, stamp: dict[str, Any], replaces: int | None = None,
               retracts: bool = False, reason: str | None = None) -> dict[str, Any]:
    """The column values of a new version."""
    return {"cluster_id": cluster_id, "kind": fact.kind, "year": fact.year, "on_date": fact.on,
            "filed_on": fact.filed_on, "detail": fact.detail, "note": fact.note, "dismissed_on": fact.dismissed_on,
            "value": fact.value, "base_year": fact.base_year, "replaces": replaces, "retracts": retracts, "reason": reason, **stamp}


def append(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Store new versions; their fact numbers, in order."""
    if not rows:
        return []
    return list(session.scalars(insert(FactRow).returning(FactRow.id, sort_by_parameter_order=True), list(rows)))


def cluster(session: Session, typed: str, lock: bool = False,
            regions: Sequence[str] | None = None) -> ClusterRow | None:
    """The cluster ``typed`` names, matched without regard to (ASCII) case; with ``lock``, its row is locked until
    the transaction ends, so two writers of one cluster take turns. With ``regions`` (an account's), a cluster
    of another region is not found."""
    query = select(ClusterRow).where(func.lower(ClusterRow.id) == typed.lower())
    if regions is not None:
        query = query.where(ClusterRow.region.in_(list(regions)))
    return session.scalar(query.with_for_update() if lock else query)


def clusters(session: Session, lowered: Iterable[str],
             regions: Sequence[str] | None = None) -> dict[str, ClusterRow]:
    """The clusters these lower-cased ids name, by lower-cased id (with ``regions``: those of these regions)."""
    keys = sorted(lowered)
    found: dict[str, ClusterRow] = {}
    for i in range(0, len(keys), 500):
        query = select(ClusterRow).where(func.lower(ClusterRow.id).in_(keys[i:i + 500]))
        if regions is not None:
            query = query.where(ClusterRow.region.in_(list(regions)))
        found.update((row.id.lower(), row) for row in session.scalars(query))
    return found


def revoked(session: Session) -> list[Facts]:
    """Every cluster with a revocation in force, archived ones too (a bar on applying again outlasts the roster),
    with the revocation's day and ground and none of its other facts."""
    later = aliased(FactRow)
    rows = session.execute(
        select(ClusterRow, FactRow.on_date, FactRow.detail).join(FactRow, FactRow.cluster_id == ClusterRow.id)
        .where(FactRow.kind == "revocation", ~FactRow.retracts, ~exists().where(later.replaces == FactRow.id))
        .order_by(ClusterRow.id))
    return [Facts(Cluster(row.id, row.name, row.regime, row.certified_on, row.valid_until, row.batch, row.region),
                  revoked_on=on, revocation_ground=ground) for row, on, ground in rows]


def archived(session: Session, cluster_id: str) -> ArchiveRow | None:
    """The row that archived a cluster, when it is archived (off the roster), else None."""
    return archived_among(session, [cluster_id]).get(cluster_id)


def archived_among(session: Session, cluster_ids: Iterable[str]) -> dict[str, ArchiveRow]:
    """Of these clusters, those archived, with the row that archived them."""
    ids = list(cluster_ids)
    found: dict[str, ArchiveRow] = {}
    for i in range(0, len(ids), 500):
        newest = (select(func.max(ArchiveRow.id)).where(ArchiveRow.cluster_id.in_(ids[i:i + 500]))
                  .group_by(ArchiveRow.cluster_id))
        for row in session.scalars(select(ArchiveRow).where(ArchiveRow.id.in_(newest), ArchiveRow.archived)):
            found[row.cluster_id] = row
    return found


def archive_history(session: Session, cluster_id: str) -> list[ArchiveRow]:
    return list(session.scalars(select(ArchiveRow).where(ArchiveRow.cluster_id == cluster_id).order_by(ArchiveRow.id)))


def revive(session: Session, cluster_ids: Iterable[str]) -> int:
    """A correction of these clusters' facts may reopen an obligation: each subject's newest reminder that was
    settled obsolete, and so never sent, is owed again. The next round sends it if it is open, or settles it
    obsolete again. Deliveries revived."""
    ids = list(cluster_ids)
    r = ReminderRow.__table__.alias("r")
    newest = (select(ReminderRow.id).where(ReminderRow.cluster_id.in_(ids), ReminderRow.crossed_on == (
        select(func.max(r.c.crossed_on)).where(r.c.cluster_id == ReminderRow.cluster_id,
                                               r.c.subject == ReminderRow.subject).scalar_subquery())))
    return rowcount(session.execute(
        update(DeliveryRow).where(DeliveryRow.reminder_id.in_(newest),
                                  DeliveryRow.state.in_(delivery_sources(DeliveryState.PENDING)))
        .values(state=DeliveryState.PENDING, settled_at=None).execution_options(synchronize_session=False)))
