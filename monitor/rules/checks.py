"""Whether a fact can be true of a cluster: each refusal names the rule it breaks. Pure: the cluster's
certification, its regime pack and today's date are all it needs. Used by `monitor record`, `amend` and
`import-facts` alike, so a fact refused one way is refused every way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from monitor.errors import Said
from monitor.rules.facts import INDICATOR_KINDS, Recorded
from monitor.rules.indicators import Vocabulary
from monitor.rules.packs import Pack
from monitor.rules.vocabulary import choices, detail_values

#: how the command line names each field in its messages; a facts file passes its own column names
OPTIONS: Mapping[str, Mapping[str, str]] = {
    "report": {"year": "--year", "filed_on": "--filed-on"},
    "change": {"detail": "--kind", "on": "--changed-on", "filed_on": "--filed-on"},
    "review": {"detail": "--result", "on": "--on"},
    "assessment": {"year": "--year", "detail": "--result", "on": "--on"},
    "incident": {"detail": "--ground", "on": "--on", "note": "--note", "dismissed_on": "--dismissed-on"},
    "revocation": {"on": "--on", "detail": "--ground", "note": "--note"},
    "evaluation": {"detail": "--result", "on": "--on"},
    "rectification": {"on": "--on", "note": "--note"},
    "indicator": {"year": "--year", "detail": "--indicator", "value": "--value"},
    "target": {"detail": "--indicator", "base_year": "--base-year", "year": "--target-year", "value": "--target"},
}

#: the pack section a kind of fact needs, and how a refusal names it
RULE = {"report": ("annual_report", "annual report"), "change": ("change_filing", "change filing"),
        "review": ("validity", "validity or renewal review"), "assessment": ("assessment", "assessment"),
        "evaluation": ("evaluation", "evaluation"), "rectification": ("rectification", "rectification")}

#: a kind of fact with its article, as a refusal says it ("--year is required for a report")
A_KIND = {"report": "a report", "change": "a change", "review": "a review", "assessment": "an assessment",
          "incident": "an incident", "revocation": "a revocation", "evaluation": "an evaluation",
          "rectification": "a rectification", "indicator": "an indicator value", "target": "a plan target"}

#: which vocabulary a kind's ``detail`` takes its value from
DETAIL = {"change": "change", "review": "result", "assessment": "result", "incident": "ground", "revocation": "ground",
          "evaluation": "result"}

#: the fields a kind cannot be recorded without (an assessment's day defaults before it is checked)
REQUIRED = {"report": ("year", "filed_on"), "change": ("detail", "on"), "review": ("detail", "on"),
            "assessment": ("year", "detail", "on"), "incident": ("detail", "on"), "revocation": ("on",),
            "evaluation": ("detail", "on"), "rectification": ("on",), "indicator": ("year", "detail", "value"),
            "target": ("detail", "base_year", "year", "value")}


def with_default_day(fact: Recorded) -> Recorded:
    """An assessment given without its day is taken as announced January 1 of the next year."""
    if fact.kind == "assessment" and fact.on is None and fact.year is not None:
        return fact._replace(on=dt.date(fact.year + 1, 1, 1))
    return fact


def problem(fact: Recorded, cluster_id: str, certified_on: dt.date, pack: Pack, today: dt.date,
            labels: Mapping[str, str] | None = None, vocabulary: Vocabulary | None = None) -> Said | None:
    """Why ``fact`` cannot be recorded for this cluster, in one line; ``None`` when it can. The option or column
    a refusal is about is its ``field``. An indicator value or a plan target is checked against ``vocabulary``."""
    label = {**OPTIONS[fact.kind], **(labels or {})}
    if fact.kind in INDICATOR_KINDS:
        return indicator_problem(fact, today, label, vocabulary or Vocabulary(()))
    section = RULE.get(fact.kind)
    if section is not None and getattr(pack, section[0]) is None:
        return Said("cluster {id!r} is under {regime}, which has no {rule} rule (`monitor regimes` shows what each "
                    "regime has)", id=cluster_id, regime=pack.id, rule=section[1])
    for name in REQUIRED[fact.kind]:
        if getattr(fact, name) is None:
            return Said("{field} is required for {kind}", field=label[name], kind=Said(A_KIND[fact.kind]))
    if fact.kind in DETAIL and fact.detail is not None:
        allowed = detail_values(fact.kind, DETAIL[fact.kind])
        if fact.detail not in allowed:
            return Said("{field} {value!r} is not one of {choices}", field=label["detail"], value=fact.detail,
                        choices=choices(DETAIL[fact.kind], allowed))
    if fact.year is not None and not 1990 <= fact.year <= today.year:
        return Said("{field} {year} is not a year that has begun", field=label["year"], year=fact.year)
    for name in ("on", "filed_on", "dismissed_on"):
        day = getattr(fact, name)
        if day is not None and day > today:
            return Said("{field} {day} is in the future (today is {today})", field=label[name], day=day, today=today)
    return _kind_problem(fact, cluster_id, certified_on, label)


def indicator_problem(fact: Recorded, today: dt.date, label: Mapping[str, str], vocabulary: Vocabulary) -> Said | None:
    """An indicator value or a plan target (docs/rules.md, "Annual monitoring"): a known code, a value in its
    range, a year that has begun (a value's; years before the certification are accepted, as the form carries
    three), a target year after its base year."""
    for name in REQUIRED[fact.kind]:
        if getattr(fact, name) is None:
            return Said("{field} is required for {kind}", field=label[name], kind=Said(A_KIND[fact.kind]))
    assert fact.detail is not None and fact.value is not None and fact.year is not None
    indicator = vocabulary.by_code.get(fact.detail)
    if indicator is None:
        return Said("{field} {value!r} is not an indicator (`monitor indicators` lists them)",
                    field=label["detail"], value=fact.detail)
    found = indicator.problem(fact.value)
    if found is not None:
        return Said("{field} {value}: {label} ({code}) allows {allowed}", field=label["value"],
                    value=number(fact.value), label=indicator.label, code=indicator.code,
                    allowed=allowed(indicator.allowed))
    first = fact.base_year if fact.kind == "target" else fact.year
    if first is not None and not 1990 <= first <= today.year:
        name = "base_year" if fact.kind == "target" else "year"
        return Said("{field} {year} is not a year that has begun", field=label[name], year=first)
    if fact.kind == "target" and fact.base_year is not None and fact.year <= fact.base_year:
        return Said("{field} {year} is not after the base year {base_year}", field=label["year"], year=fact.year,
                    base_year=fact.base_year)
    return None


def number(value: float) -> str:
    """A value as people write it: 41.5, 120, 0.25 (no trailing .0, no exponent)."""
    text = f"{value:.15g}"
    if "e" in text:
        text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text


#: the allowed ranges Indicator.allowed says, one a kind of indicator (words.toml has their Chinese)
ALLOWED_WORDS = ("0–100", "> -100", "≥ 0 (whole)", "≥ 0")


def allowed(text: str) -> Said:
    """An indicator's allowed range (Indicator.allowed), said in the reader's language."""
    return Said(text) if text in ALLOWED_WORDS else Said("{problem}", problem=text)


def _kind_problem(fact: Recorded, cluster_id: str, certified_on: dt.date, label: Mapping[str, str]) -> Said | None:
    """The rules of one kind: no fact before the certification, no filing before what it files."""
    if fact.kind == "report":
        assert fact.year is not None and fact.filed_on is not None
        first = certified_on.year           # in force on December 31 of its first year (docs/rules.md)
        if fact.year < first:
            return Said("{field} {year}: the first report {id} owes is on {first} (certified {certified_on})",
                        field=label["year"], year=fact.year, id=cluster_id, first=first, certified_on=certified_on)
        if fact.filed_on.year <= fact.year:       # the report on a year is on the whole year: filed after it ends
            return Said("{field}: a report on {year} cannot be filed on {filed_on}, before that year ended",
                        field=label["filed_on"], year=fact.year, filed_on=fact.filed_on)
        return _not_before(fact.filed_on, certified_on, label["filed_on"])
    if fact.kind == "assessment":
        assert fact.year is not None and fact.on is not None
        if fact.year < certified_on.year:
            return Said("{field} {year}: {id} was not certified that year (certified {certified_on})",
                        field=label["year"], year=fact.year, id=cluster_id, certified_on=certified_on)
        if fact.on.year < fact.year:
            return Said("{field} {on} is before the assessed year {year} began", field=label["on"], on=fact.on,
                        year=fact.year)
        return None
    assert fact.on is not None
    if fact.filed_on is not None and fact.filed_on < fact.on:
        return Said("{field} {filed_on} is before the change on {on}", field=label["filed_on"],
                    filed_on=fact.filed_on, on=fact.on)
    if fact.dismissed_on is not None and fact.dismissed_on < fact.on:
        return Said("{field} {dismissed_on} is before the incident on {on}", field=label["dismissed_on"],
                    dismissed_on=fact.dismissed_on, on=fact.on)
    return _not_before(fact.on, certified_on, label["on"])


def _not_before(day: dt.date, certified_on: dt.date, label: str) -> Said | None:
    if day < certified_on:
        return Said("{field} {day} is before the certification on {certified_on}", field=label, day=day,
                    certified_on=certified_on)
    return None
