"""Which reminders the rules owe, as a pure function of a verdict and a date (docs/rules.md, "Reminders and digests").

An obligation with a due day crosses its lead stages (``lead:60`` … ``lead:0``, the due day itself) and then
``overdue:1`` the day after its due day and ``overdue:k`` every ``overdue_every_days`` after that. A warning that
is not already reminded through an open obligation is a stage ``warning:0`` the first time it is seen; a
revocation warning repeats as ``warning:k`` every ``overdue_every_days`` after that. Only the *newest* stage
crossed is returned: when the daemon was down across several stages, one reminder stands for all of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from monitor.rules.dates import add_months
from monitor.rules.facts import Cluster
from monitor.rules.monitoring import RUN_UP_MONTHS
from monitor.rules.packs import Pack
from monitor.rules.verdict import Obligation, Verdict

#: the pack section whose ``notify`` roles receive an obligation's or a warning's reminders
OBLIGATION_SECTION = {"renewal_review": "validity", "annual_report": "annual_report", "change_filing": "change_filing",
                      "evaluation": "evaluation", "rectification": "rectification"}
WARNING_SECTION = {
    "review_failed": "validity", "validity_expired": "validity", "review_applied_early": "validity",
    "annual_report_overdue": "annual_report", "annual_report_late": "annual_report",
    "annual_report_failed_consecutive": "annual_report",
    "change_filing_overdue": "change_filing", "change_filing_pending": "change_filing",
    "change_filing_late": "change_filing",
    "assessment_failed_consecutive": "assessment", "assessment_failed": "assessment",
    "incident": "incidents",
    "evaluation_overdue": "evaluation", "evaluation_not_passed": "evaluation",
    "rectification_overdue": "rectification", "failed_after_rectification": "rectification",
    # annual monitoring: the run-up to the review (validity) and the report's figures (annual_report)
    "standard_unmet": "validity", "standard_no_data": "validity", "plan_target_behind": "validity",
    "plan_target_missed": "validity", "indicator_inconsistent": "annual_report",
}


class Candidate(NamedTuple):
    """A subject that may owe a reminder. For warnings the stage is settled against the ledger (first seen)."""
    subject: str                 # the obligation's or the warning's key
    stage: str | None            # obligations: the newest stage crossed; warnings: None
    crossed_on: dt.date | None   # obligations: the day that stage was crossed
    repeats: bool                # warnings: repeat every overdue_every_days (revocation severity)
    roles: tuple[str, ...]


def obligation_stage(due: dt.date, as_of: dt.date, lead_days: tuple[int, ...], every: int,
                     opens: dt.date | None = None) -> tuple[str, dt.date] | None:
    """The newest stage crossed by ``as_of`` and the day it was crossed; ``None`` before the first one. With
    ``opens`` (an application window's first day), the window opening is a stage too (``opens``)."""
    if as_of > due:
        k = ((as_of - due).days - 1) // every + 1
        return f"overdue:{k}", due + dt.timedelta(days=1 + (k - 1) * every)
    crossed = [(due - dt.timedelta(days=n), f"lead:{n}") for n in lead_days if due - dt.timedelta(days=n) <= as_of]
    if opens is not None and opens <= as_of:
        crossed.append((opens, "opens"))
    if not crossed:
        return None
    day, stage = max(crossed)
    return stage, day


def warning_stage(first_seen: dt.date | None, as_of: dt.date, repeats: bool, every: int) -> tuple[str, dt.date]:
    """``warning:0`` when first seen; for a repeating warning, ``warning:k`` every ``every`` days after."""
    if first_seen is None:
        return "warning:0", as_of
    k = (as_of - first_seen).days // every if repeats else 0
    return f"warning:{k}", first_seen + dt.timedelta(days=k * every)


def candidates(pack: Pack, verdict: Verdict, as_of: dt.date, lead_days: dict[str, tuple[int, ...]],
               every: int) -> Iterator[Candidate]:
    """What may owe a reminder. Nothing once the cluster is revoked (docs/rules.md: "until … revoked")."""
    if verdict.state == "revoked":
        return
    reminded: set[str] = set()
    for o in verdict.obligations:
        if not o.is_open or o.due is None:
            continue
        reminded.add(o.key)
        stage = obligation_stage(o.due, as_of, lead_days[o.kind], every, o.opens)
        if stage is not None:
            yield Candidate(o.key, stage[0], stage[1], False, pack.notify(OBLIGATION_SECTION[o.kind]))
    for w in verdict.warnings:
        if w.obligation in reminded:
            continue        # an overdue obligation's reminders carry its warning
        section = WARNING_SECTION.get(w.code)    # none (evaluation_failed): the administrators only
        yield Candidate(w.key, None, None, w.severity == "revocation", pack.notify(section) if section else ())


#: the day a scan need never come back for a cluster (revoked: nothing is owed until its facts change)
NEVER = dt.date(9999, 12, 31)


def next_change(verdict: Verdict, as_of: dt.date, lead_days: dict[str, tuple[int, ...]], every: int,
                first_seen: Mapping[str, dt.date]) -> dt.date:
    """The first day after ``as_of`` on which ``candidates`` could owe a reminder it does not owe on ``as_of``,
    the facts staying as they are: the daemon's scan comes back to the cluster then (or when its facts change).

    Reminders move only at these days: an open obligation's next lead day (or its application window's first
    day), the day after it falls due (it turns
    overdue, and its warning appears) and each overdue step after; a repeating warning's next repeat from the
    day it was first seen (``first_seen``, by key); the day after the validity ends (validity_expired); and
    January 1, when next year's annual reports become known (and 近三年 moves on); with a standard, the day the
    run-up to the review opens (12 months before the last day; an application window's opening is a day already).
    """
    if verdict.state == "revoked":
        return NEVER
    days = [dt.date(as_of.year + 1, 1, 1)]
    if verdict.valid_until is not None and verdict.valid_until >= as_of:
        days.append(verdict.valid_until + dt.timedelta(days=1))
        # annual monitoring: the run-up to the review opens (standard_unmet and standard_no_data appear)
        run_up = add_months(verdict.valid_until + dt.timedelta(days=1), -RUN_UP_MONTHS)
        if verdict.standards and run_up > as_of:
            days.append(run_up)
    reminded: set[str] = set()
    for o in verdict.obligations:
        if not o.is_open or o.due is None:
            continue
        reminded.add(o.key)
        if o.due >= as_of:
            days.extend(d for n in lead_days[o.kind] if (d := o.due - dt.timedelta(days=n)) > as_of)
            if o.opens is not None and o.opens > as_of:
                days.append(o.opens)
            days.append(o.due + dt.timedelta(days=1))
        else:
            days.append(o.due + dt.timedelta(days=1 + ((as_of - o.due).days - 1) // every * every + every))
    for w in verdict.warnings:
        if w.obligation not in reminded and w.severity == "revocation":
            first = first_seen.get(w.key, as_of)
            days.append(first + dt.timedelta(days=((as_of - first).days // every + 1) * every))
    return min(days)


def recipients(cluster: Cluster, roles: tuple[str, ...], administrators: tuple[str, ...]) -> list[str]:
    """The addresses for these roles plus the administrators, lower-cased, each once, in a stable order."""
    addresses: list[str] = []
    for role in roles:
        addresses.extend(cluster.operator_email if role == "operator" else cluster.bureau_email)
    addresses.extend(administrators)
    return list(dict.fromkeys(a.strip().lower() for a in addresses if a.strip()))


def open_item(verdict: Verdict, subject: str) -> Obligation | None:
    """The open obligation with this key, if any."""
    return next((o for o in verdict.obligations if o.key == subject and o.is_open), None)
