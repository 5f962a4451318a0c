"""The scan's watch list (``scan_watch``): which clusters the next scan must evaluate, and from when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.models import ClusterRow, ScanWatchRow
from db.session import dialect_insert

#: ids a statement, under SQLite's bound-parameter limit
IDS_PER_QUERY = 500


def due(session: Session, day: dt.date) -> list[str]:
    """The clusters a scan of ``day`` must evaluate: never watched, facts changed since, or their day has come."""
    query = (select(ClusterRow.id).outerjoin(ScanWatchRow, ScanWatchRow.cluster_id == ClusterRow.id)
             .where((ScanWatchRow.next_scan.is_(None)) | (ScanWatchRow.next_scan <= day)).order_by(ClusterRow.id))
    return list(session.execute(query).scalars())


def watch(session: Session, next_scan: Mapping[str, dt.date]) -> None:
    """Record when each cluster must be evaluated again."""
    if not next_scan:
        return
    table = ScanWatchRow.__table__
    rows = [{"cluster_id": cid, "next_scan": day} for cid, day in next_scan.items()]
    for i in range(0, len(rows), IDS_PER_QUERY):
        stmt = dialect_insert(session.connection(), table).values(rows[i:i + IDS_PER_QUERY])
        session.execute(stmt.on_conflict_do_update(index_elements=["cluster_id"],
                                                   set_={"next_scan": stmt.excluded.next_scan}))


def touch(session: Session, cluster_ids: Iterable[str]) -> None:
    """Facts of these clusters changed: the next scan evaluates them whatever their day."""
    ids = list(cluster_ids)
    for i in range(0, len(ids), IDS_PER_QUERY):
        session.execute(delete(ScanWatchRow).where(ScanWatchRow.cluster_id.in_(ids[i:i + IDS_PER_QUERY]))
                        .execution_options(synchronize_session=False))
