"""The scan: record in the ledger every reminder stage crossed and not yet recorded, with its recipients: the
e-mail addresses (the administrators, and the bureaus and operators `[digest] roles` enables: monitor/rules/audience.py),
the group chats (``channel:NAME``) whose routes carry it, and the people personal channels reach about it
(``channel:NAME:ACCOUNT``: monitor/rules/personal.py).

Runs in the caller's transaction (the daemon commits it; a preview rolls it back). Safe to run twice or in
two daemons at once: a reminder is unique by (cluster, subject, stage) and a delivery by (reminder,
recipient), and both are inserted with ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from db import reminder_queries, watch
from db.daemon_marks import last_day, mark
from db.queries import CHUNK
from jobs.people import scan_people, split
from monitor.app import App
from monitor.overview import Selection, Slice, slices
from monitor.rules.audience import Choice, addressed_roles
from monitor.rules.personal import personal_recipients
from monitor.rules.routes import routed
from monitor.rules.stages import OBLIGATION_SECTION, candidates, next_change, recipients, warning_stage

log = logging.getLogger("monitor.scan")

class ScanResult(NamedTuple):
    day: dt.date
    reminders: int          # new reminders recorded
    deliveries: int         # new deliveries (reminder x recipient) queued
    late: int               # new reminders crossed on a day no scan ran
    clusters: int           # clusters evaluated


def scan(app: App, session: Session, day: dt.date, now: dt.datetime, incremental: bool = False,
         watching: bool | None = None, durable: bool = False) -> ScanResult:
    """Record the reminders owed as of ``day``. A stage crossed after the previous scan's day and before
    ``day`` was crossed while no scan ran: it is marked late (docs/rules.md: "sent once, marked as late").

    ``incremental`` (the daemon's ticks after its first): evaluate only the clusters whose next threshold day
    has come or whose facts changed (db/watch.py); otherwise every cluster. ``watching`` (default: as
    ``incremental``; the daemon's first scan too): store each evaluated cluster's next day. A scan by hand for
    a day of its own choosing stores none, so it cannot move the daemon's watch. ``durable`` (the daemon): commit
    each slice as it is done, so no write lock is held for the whole scan; what a killed scan recorded stays, and
    the next scan records the rest (every insert ignores what is there)."""
    watching = incremental if watching is None else watching
    settings = app.settings
    previous = last_day(session, "scan")
    lead = {kind: settings.lead_days_for(kind) for kind in OBLIGATION_SECTION}
    every = settings.overdue_every_days
    counts = [0, 0, 0, 0]
    choice = Choice(settings.digest_roles, settings.digest_regions)
    ids = watch.due(session, day) if incremental else None
    groups, personal = split(settings)
    people = scan_people(session, personal)
    for _, items in (_chunks(app, day, ids) if ids is not None else slices(app, Selection(day))):
        seen = _ledger_summary(session, [facts.cluster.id for facts, _ in items])
        first_seen: dict[str, dict[str, dt.date]] = defaultdict(dict)     # by cluster: subject -> first day
        for (cid, subject), (crossed_first, _) in seen.items():
            first_seen[cid][subject] = crossed_first
        new: list[dict[str, Any]] = []
        addresses: dict[tuple[str, str, str], list[str]] = {}
        next_scan: dict[str, dt.date] = {}
        for facts, verdict in items:
            pack = app.pack(facts.cluster.regime)
            counts[3] += 1
            if watching:
                next_scan[facts.cluster.id] = next_change(verdict, day, lead, every, first_seen[facts.cluster.id])
            for c in candidates(pack, verdict, day, lead, every):
                first, newest = seen.get((facts.cluster.id, c.subject), (None, None))
                if c.stage is not None and c.crossed_on is not None:
                    stage, crossed_on = c.stage, c.crossed_on
                else:
                    stage, crossed_on = warning_stage(first, day, c.repeats, every)
                if newest is not None and crossed_on <= newest:
                    continue
                late = previous is not None and previous < crossed_on < day
                new.append({"cluster_id": facts.cluster.id, "subject": c.subject, "stage": stage,
                            "crossed_on": crossed_on, "found_on": day, "late": late, "created_at": now})
                addresses[(facts.cluster.id, c.subject, stage)] = [
                    *recipients(facts.cluster, addressed_roles(c.roles, facts.cluster.region, choice),
                                settings.administrators),
                    *routed(facts.cluster, c.roles, groups),
                    *personal_recipients(facts.cluster, c.roles, personal, people)]
        watch.watch(session, next_scan)
        if new:
            reminders, deliveries, late_ones = _insert(session, new, addresses)
            counts[0] += reminders
            counts[1] += deliveries
            counts[2] += late_ones
        if durable:
            session.commit()
    mark(session, "scan", now, day)
    result = ScanResult(day, *counts)
    log.info("scan day=%s reminders=%d deliveries=%d late=%d clusters=%d incremental=%s", day, *counts,
             incremental)
    return result


def _insert(session: Session, new: list[dict[str, Any]],
            addresses: dict[tuple[str, str, str], list[str]]) -> tuple[int, int, int]:
    """Insert the reminders not recorded yet and a delivery for each of their recipients; how many reminders,
    deliveries and late reminders were new."""
    inserted = reminder_queries.add_reminders(session, new)
    deliveries = [(reminder.id, address) for reminder in inserted
                  for address in addresses[(reminder.cluster_id, reminder.subject, reminder.stage)]]
    reminder_queries.add_deliveries(session, deliveries)
    return len(inserted), len(deliveries), sum(1 for reminder in inserted if reminder.late)


def _chunks(app: App, day: dt.date, ids: list[str]) -> Iterator[Slice]:
    """The clusters a watch list names, evaluated CHUNK at a time."""
    for start in range(0, len(ids), CHUNK):
        yield from slices(app, Selection(day, tuple(ids[start:start + CHUNK])))


def _ledger_summary(session: Session, cluster_ids: list[str]) -> dict[tuple[str, str], tuple[dt.date, dt.date]]:
    """For each (cluster, subject) of these clusters: the first and the newest day a stage was crossed (read at the
    start of each slice)."""
    return reminder_queries.crossed_days(session, cluster_ids)
