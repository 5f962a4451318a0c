"""`monitor status --format json`: one document, streamed a cluster at a time in the overview's order.

The indent is chosen up front (indented for a person at a terminal, compact for scripts and pipes), each
cluster is encoded as soon as it is rendered, and the document is written piece by piece: nothing is parsed
back or held whole.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import IO, Any

import msgspec

from monitor.rules.holds import Hold
from monitor.rules.listing import Evaluated, unrecorded
from monitor.rules.verdict import Alert, Measured, Obligation, StandardVerdict
from monitor.views.words import calendar_note, warning_message

_encoder = msgspec.json.Encoder()


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
    if o.opens is not None:
        data["opens"] = _iso(o.opens)
    return _with_calendar(data, o, lang)


def warning_json(w: Alert, lang: str) -> dict[str, Any]:
    return _with_calendar({"code": w.code, "severity": w.severity, "basis": w.basis,
                           "message": warning_message(w, lang), "key": w.key}, w, lang)


def _with_calendar(data: dict[str, Any], item: Obligation | Alert, lang: str) -> dict[str, Any]:
    """Where a due day rests on a calendar other than the official one: which, and the note saying so."""
    note = calendar_note(item, lang)
    if note is not None:
        data["calendar"] = item.calendar
        data["calendar_note"] = note
    return data


def _measured_json(m: Measured) -> dict[str, Any]:
    """One comparison; a whole number as one (40, not 40.0)."""
    indicator, comparison, threshold, window, state, values, missing, growth = m
    data: dict[str, Any] = {"indicator": indicator, "comparison": comparison,
                            "threshold": int(threshold) if threshold.is_integer() else threshold,
                            "window": window, "state": state,
                            "values": {key: int(value) if value.is_integer() else value for key, value in values}}
    if missing:
        data["missing"] = list(missing)
    if growth is not None:
        data["growth"] = growth
    return data


def standard_json(s: StandardVerdict) -> dict[str, Any]:
    """One item of the standard (docs/interface.md, "The overview"): the comparison that decides it (the first
    met, else the first without data, else the first) at the top, every alternative (或) in ``alternatives``.
    (This runs for every item of every cluster with a standard: _measured_json's fields are written out here.)"""
    item, label, basis, state, alternatives = s
    if len(alternatives) == 1:
        deciding = alternatives[0]
    else:
        deciding = next((m for m in alternatives if m.state == state), alternatives[0])
    indicator, comparison, threshold, window, _, values, missing, growth = deciding
    data: dict[str, Any] = {
        "item": item, "label": label, "indicator": indicator, "comparison": comparison,
        "threshold": int(threshold) if threshold.is_integer() else threshold, "window": window, "state": state,
        "values": {key: int(value) if value.is_integer() else value for key, value in values}}
    if missing:
        data["missing"] = list(missing)
    if growth is not None:
        data["growth"] = growth
    data["basis"] = basis
    if len(alternatives) > 1:
        data["alternatives"] = [_measured_json(m) for m in alternatives]
    return data


def cluster_json(item: Evaluated, lang: str) -> dict[str, Any]:
    """One cluster of the document, as the overview shows it (listed obligations, warnings most severe first; a
    cluster whose pack has a standard, its ``standards``)."""
    cluster, verdict = item.facts.cluster, item.verdict
    data = {
        "id": cluster.id,
        "name": cluster.name,
        "regime": cluster.regime,
        "region": cluster.region,
        "batch": cluster.batch,
        "state": verdict.state,
        "valid_until": _iso(verdict.valid_until),
        "revoked_on": _iso(item.facts.revoked_on) if verdict.state == "revoked" else None,
        "reapply_barred_until": _iso(verdict.reapply_barred_until),
        "obligations": [obligation_json(o, lang) for o in verdict.obligations],
        "unrecorded": unrecorded(verdict),
        "warnings": [warning_json(w, lang) for w in verdict.warnings],
        "publicity": None if verdict.publicity is None else {
            "start": _iso(verdict.publicity.start), "end": _iso(verdict.publicity.end),
            "basis": verdict.publicity.basis, "calendar": verdict.publicity.calendar},
    }
    if verdict.standards:
        data["standards"] = [standard_json(s) for s in verdict.standards]
    return data


def rendered(item: Evaluated, lang: str, indent: bool) -> tuple[bytes, int]:
    """One cluster of the document, encoded, for the overview's ``ranked``; its summary is how many of its
    obligations are unrecorded (the document's total)."""
    return encode(cluster_json(item, lang), indent, 2), unrecorded(item.verdict)


def holds_json(holds: Iterable[Hold]) -> list[dict[str, str]]:
    """The acks and snoozes in force, as the document's ``holds``."""
    return [{"kind": h.kind, "cluster": h.cluster_id, "subject": h.subject, "until": h.until.isoformat(),
             "note": h.note, "by": h.recorded_by, "at": h.recorded_at.isoformat(timespec="seconds")} for h in holds]


def encode(value: Any, indent: bool, depth: int = 0) -> bytes:
    """JSON bytes: compact through msgspec's C encoder, or indented one space a level at ``depth``."""
    if not indent:
        return _encoder.encode(value)
    text = json.dumps(msgspec.to_builtins(value), ensure_ascii=False, indent=1)
    return text.replace("\n", "\n" + " " * depth).encode("utf-8")


def write_document(out: IO[bytes], as_of: dt.date, clusters: Iterable[bytes], tail: Mapping[str, Any],
                   indent: bool) -> None:
    """``{"as_of": …, "clusters": [...], **tail}``, the clusters already encoded (``encode(…, indent, 2)``)."""
    gap, sep, colon = (b"\n ", b"\n  ", b": ") if indent else (b"", b"", b":")
    out.write(b"{" + gap + b'"as_of"' + colon + b'"' + as_of.isoformat().encode() + b'",' + gap + b'"clusters"'
              + colon + b"[")
    first = True
    for data in clusters:
        out.write((b"" if first else b",") + sep + data)
        first = False
    out.write((gap if not first else b"") + b"]")
    for key, value in tail.items():
        out.write(b"," + gap + json.dumps(key).encode() + colon + encode(value, indent, 1))
    out.write((b"\n" if indent else b"") + b"}\n")
