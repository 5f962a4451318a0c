"""The scan: record in the ledger every reminder stage crossed and not yet recorded, with its recipients: the
e-mail addresses (the administrators, the bureaus and operators `[digest] roles` enables, and the accounts whose
profile asks for the digest and that see the cluster: monitor/rules/audience.py), the group chats (``channel:NAME``)
whose routes carry it, and the people personal channels reach about it (``channel:NAME:ACCOUNT``:
monitor/rules/personal.py).

Runs in the caller's transaction (the daemon commits it; a preview rolls it back). Safe to run twice or in
two daemons at once: a reminder is unique by (cluster, subject, stage) and a delivery by (reminder,
recipient), and both are inserted with ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from db import reminder_queries, round_log, watch
from db.daemon_marks import last_day, mark
from db.queries import CHUNK
from jobs.people import scan_people, split
from monitor.app import App
from monitor.config import Settings
from monitor.overview import Selection, Slice, slices
from monitor.rules.audience import Choice, Mailable, addressed_roles
from monitor.rules.escalation import (
    Chain,
    Person,
    Step,
    chain_for,
    next_step_day,
    stage_name,
    step_day,
    step_recipients,
    steps_due,
)
from monitor.rules.facts import Cluster
from monitor.rules.personal import Person as Reached
from monitor.rules.personal import PersonalChannel, personal_recipients, step_people
from monitor.rules.routes import routed
from monitor.rules.stages import (
    OBLIGATION_SECTION,
    candidates,
    next_change,
    open_item,
    recipients,
    warning_stage,
)
from monitor.rules.verdict import Verdict

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
    mailable = Mailable.of(settings.administrators, round_log.subscribers(session))
    ids = watch.due(session, day) if incremental else None
    chains = escalation_chains(settings)
    persons = reminder_queries.people(session) if chains else []
    groups, personal = split(settings)
    people = scan_people(session, personal)
    for _, items in (_chunks(app, day, ids) if ids is not None else slices(app, Selection(day))):
        seen = _ledger_summary(session, [facts.cluster.id for facts, _ in items])
        facts_of = (reminder_queries.escalation_facts(session, [facts.cluster.id for facts, _ in items], day)
                    if chains else None)
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
                addresses[(facts.cluster.id, c.subject, stage)] = list(dict.fromkeys([
                    *recipients(facts.cluster, addressed_roles(c.roles, facts.cluster.region, choice),
                                settings.administrators),
                    *mailable.accounts(facts.cluster.region),
                    *routed(facts.cluster, c.roles, groups),
                    *personal_recipients(facts.cluster, c.roles, personal, people)]))
            if facts_of is not None:
                escalation = _escalate(settings, chains, persons, facts_of, facts.cluster, verdict, day, previous,
                                       now, personal, people)
                new.extend(escalation.new)
                addresses.update(escalation.addresses)
                if watching and escalation.next_day is not None:
                    next_scan[facts.cluster.id] = min(next_scan[facts.cluster.id], escalation.next_day)
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


def escalation_chains(settings: Settings) -> tuple[Chain, ...]:
    """config.toml's [[escalation]] as the rules' chains."""
    return tuple(Chain(e.regimes, tuple(e.severities), tuple(Step(s.after_days, s.to) for s in e.steps))
                 for e in settings.escalation)


class Escalated(NamedTuple):
    new: list[dict[str, Any]]                               # the steps' reminders to record
    addresses: dict[tuple[str, str, str], list[str]]        # their recipients
    next_day: dt.date | None                                # the next day a step can come due


def _escalate(settings: Settings, chains: Sequence[Chain], persons: Sequence[Person],
              facts_of: reminder_queries.Escalation, cluster: Cluster, verdict: Verdict, day: dt.date,
              previous: dt.date | None, now: dt.datetime, personal: Sequence[PersonalChannel] = (),
              people: Sequence[Reached] = ()) -> Escalated:
    """The escalation steps a cluster's warnings owe as of ``day`` and are not recorded yet (docs/rules.md,
    "Escalation"): each a reminder of its own stage, to its step's recipients."""
    found = Escalated([], {}, None)
    if verdict.state == "revoked":          # nothing is owed once revoked (as for every reminder)
        return found
    zone, cid, days = ZoneInfo(settings.timezone), cluster.id, []
    for w in verdict.warnings:
        chain = chain_for(chains, cluster.regime, w.severity, w.code)
        if chain is None:
            continue
        # its own warning:k stages, or those of the open obligation that carries it (overdue:k); not a done one's
        carrier = open_item(verdict, w.obligation) if w.obligation else None
        keys = (w.key, carrier.key) if carrier is not None and carrier.due is not None else (w.key,)
        told = [d for key in keys if (d := facts_of.told.get((cid, key))) is not None]
        first = min(told, default=day)      # not reminded yet: this scan records its first reminder today
        acked_at = facts_of.acked.get((cid, w.key))
        acked = acked_at.astimezone(zone).date() if acked_at is not None else None
        snoozed = facts_of.snoozed.get((cid, w.obligation)) if w.obligation else None
        recorded = facts_of.steps.get((cid, w.key), set())
        for number in steps_due(chain, first, day, acked, snoozed):
            if number in recorded:
                continue
            step = chain.steps[number - 1]
            stage, crossed_on = stage_name(number, step), step_day(first, step)
            found.new.append({"cluster_id": cid, "subject": w.key, "stage": stage, "crossed_on": crossed_on,
                              "found_on": day, "late": previous is not None and previous < crossed_on < day,
                              "created_at": now})
            found.addresses[(cid, w.key, stage)] = [
                *step_recipients(step, cluster, settings.administrators, persons),
                *step_people(step.to, step.account, cluster, personal, people)]     # on their personal channels
            if not found.addresses[(cid, w.key, stage)]:
                log.warning("escalation %s %s %s reaches nobody (%s: no address in the cluster's region)", cid,
                            w.key, stage, step.to)
        upcoming = next_step_day(chain, first, day, acked, snoozed)
        if upcoming is not None:
            days.append(upcoming)
    return found._replace(next_day=min(days, default=None))


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
