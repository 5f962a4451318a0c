"""`monitor status`: the overview, as a table for people and as one JSON document for scripts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from monitor.facts import Facts
from monitor.messages import calendar_note, warning_message
from monitor.verdict import SEVERITY_RANK, Obligation, Verdict, Warning

#: done and late obligations stay listed while their due day (or their filing) lies within this many days
HISTORY_DAYS = 365


def listed(obligation: Obligation, as_of: dt.date) -> bool:
    """Every open obligation, and every one done or late whose due day lies within the last 365 days (or ahead)."""
    if obligation.is_open:
        return True
    day = obligation.due or obligation.done_on
    return day is not None and (as_of - day).days <= HISTORY_DAYS


def urgency(item: tuple[Facts, Verdict]) -> tuple[int, int, int, int, str]:
    """Sort key, most urgent first: live before revoked, then severity, overdue count, nearest due day."""
    facts, verdict = item
    open_due = [o.days_left for o in verdict.obligations if o.is_open and o.days_left is not None]
    overdue = sum(1 for o in verdict.obligations if o.state == "overdue")
    return (verdict.state == "revoked", -verdict.top_severity, -overdue, min(open_due, default=1 << 30),
            facts.cluster.id)


def sort_by_urgency(items: Iterable[tuple[Facts, Verdict]]) -> list[tuple[Facts, Verdict]]:
    return sorted(items, key=urgency)


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def obligation_json(o: Obligation, lang: str) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": o.kind}
    if o.year is not None:
        data["year"] = o.year
    if o.change_kind is not None:
        data["change_kind"] = o.change_kind
        data["changed_on"] = _iso(o.changed_on)
    data.update(due=_iso(o.due), state=o.state, days_left=o.days_left, basis=o.basis, done_on=_iso(o.done_on),
                key=o.key)
    note = calendar_note(o, lang)
    if note is not None:
        data["calendar"] = o.calendar
        data["calendar_note"] = note
    return data


def warnings_sorted(verdict: Verdict) -> list[Warning]:
    return sorted(verdict.warnings, key=lambda w: -SEVERITY_RANK[w.severity])


def cluster_json(facts: Facts, verdict: Verdict, as_of: dt.date, lang: str) -> dict[str, Any]:
    cluster = facts.cluster
    return {
        "id": cluster.id,
        "name": cluster.name,
        "regime": cluster.regime,
        "region": cluster.region,
        "batch": cluster.batch,
        "state": verdict.state,
        "valid_until": _iso(verdict.valid_until),
        "revoked_on": _iso(facts.revoked_on) if verdict.state == "revoked" else None,
        "obligations": [obligation_json(o, lang) for o in verdict.obligations if listed(o, as_of)],
        "warnings": [warning_json(w, lang) for w in warnings_sorted(verdict)],
        "publicity": None if verdict.publicity is None else {
            "start": _iso(verdict.publicity.start), "end": _iso(verdict.publicity.end),
            "basis": verdict.publicity.basis, "calendar": verdict.publicity.calendar},
    }


def warning_json(w: Warning, lang: str) -> dict[str, Any]:
    data: dict[str, Any] = {"code": w.code, "severity": w.severity, "basis": w.basis, "message": warning_message(w, lang),
            "key": w.key}
    note = calendar_note(w, lang)
    if note is not None:
        data["calendar"] = w.calendar
        data["calendar_note"] = note
    return data

