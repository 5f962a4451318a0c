"""The web console's pages (`monitor serve`): rendered on the server with Jinja2, from evaluated clusters, a
cluster's history entries and the daemon's summary; never from a database session. Every article is cited with
its policy's title. No script runs on these pages (the console's CSP forbids it): sorting, filtering and paging
are links and forms.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.rules.checks import REQUIRED
from monitor.rules.collation import pinyin_key
from monitor.rules.facts import FACT_KINDS, NAMES
from monitor.rules.history import Entry
from monitor.rules.holds import Hold
from monitor.rules.listing import Evaluated, urgency
from monitor.rules.monitoring import figures
from monitor.rules.packs import Pack
from monitor.rules.principal import grounds
from monitor.rules.states import Severity
from monitor.rules.verdict import Alert
from monitor.rules.vocabulary import COLUMN_VOCABULARY, DATE_COLUMNS, detail_values, spelled
from monitor.views.history_lines import collapsed, said
from monitor.views.times import person_time
from monitor.views.words import cited, obligation_label, term, warning_message, words

PAGE_SIZE = 50                    # the overview pages by 50 at every width (a phone scrolls 50 cards, not 500)
SORTS = ("urgency", "id", "name", "region", "due", "warnings")


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("monitor.views", "templates/console"), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=("html",), default=True), trim_blocks=True,
                       lstrip_blocks=True)


def render(template: str, lang: str, **context: Any) -> str:
    """A page: the template, the console's words in the language, and the context."""
    return _environment().get_template(template).render(lang=lang, w=words("console", lang), **context)


def cite(packs: Mapping[str, Pack], regime: str, basis: str | None) -> str:
    """An article with its policy: 《促进中小企业特色产业集群发展暂行办法》第十七条（三）."""
    pack = packs.get(regime)
    return cited(pack.title if pack is not None else None, basis)


# --- the overview -------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Row:
    """One cluster as the overview lists it."""
    id: str
    name: str
    region: str
    regime: str
    state: str
    state_label: str
    top: dict[str, str] | None       # the principal ground, else the most severe warning: severity, label, message, basis
    warnings: int
    severities: frozenset[str]
    overdue: int
    next_due: dt.date | None
    days_left: int | None
    urgency: tuple[Any, ...]
    text: str                        # what the search looks in, case-folded
    unrecorded: tuple[str, ...] = ()     # its unrecorded obligations (due before the baseline), by label
    under: int = 0                   # the overdue items counted under the principal ground (rules.principal)


def _warning(w: Alert, regime: str, packs: Mapping[str, Pack], lang: str,
             message: str | None = None) -> dict[str, str]:
    """A warning as a page shows it (``message``: its text, when already made)."""
    return {"severity": w.severity, "label": term(w.severity, lang), "message": message or warning_message(w, lang),
            "basis": cite(packs, regime, w.basis), "key": w.key}


def row(item: Evaluated, packs: Mapping[str, Pack], lang: str) -> Row:
    cluster, verdict = item.facts.cluster, item.verdict
    open_due = [o for o in verdict.obligations if o.is_open and o.due is not None]
    nearest = min(open_due, key=lambda o: o.due or dt.date.max, default=None)
    messages = [warning_message(w, lang) for w in verdict.warnings]
    shown = grounds(verdict.warnings, verdict.obligations)
    return Row(
        cluster.id, cluster.name, cluster.region or "", cluster.regime, verdict.state, term(verdict.state, lang),
        _warning(shown.listed[0], cluster.regime, packs, lang) if shown.listed else None,
        len(verdict.warnings), frozenset(w.severity for w in verdict.warnings),
        sum(1 for o in verdict.obligations if o.state == "overdue"),
        nearest.due if nearest else None, nearest.days_left if nearest else None, urgency(item),
        " ".join([cluster.id, cluster.name, *messages]).casefold(),
        tuple(obligation_label(o, lang) for o in verdict.obligations if o.state == "unrecorded"),
        len(shown.under))


#: the clusters the overview's back-fill checklist lists; the sheet has them all
CHECKLIST_CLUSTERS = 50


@dataclass(frozen=True)
class Checklist:
    """What remains unrecorded (docs/rules.md, "Baseline"): the overview's checklist above its tables."""
    count: int                        # unrecorded obligations of all the clusters listed
    rows: list[Row]                   # the first CHECKLIST_CLUSTERS clusters with any, in urgency order
    more: int                         # clusters with any that are not listed


def checklist(listed: Sequence[Row]) -> Checklist:
    having = [r for r in listed if r.unrecorded]
    return Checklist(sum(len(r.unrecorded) for r in having), having[:CHECKLIST_CLUSTERS],
                     max(0, len(having) - CHECKLIST_CLUSTERS))


def _sort_key(sort: str) -> Any:
    if sort == "id":
        return lambda r: r.id
    if sort == "name":
        return lambda r: (r.name, r.id)
    if sort == "region":
        return lambda r: (r.region, r.urgency)
    if sort == "due":
        return lambda r: (r.next_due is None, r.next_due or dt.date.max, r.id)
    if sort == "warnings":
        return lambda r: (-r.warnings, r.urgency)
    return lambda r: r.urgency


@dataclass(frozen=True)
class Overview:
    rows: list[Row]                   # this page's
    count: int                        # clusters matching the filters
    page: int
    pages: int
    per_region: list[tuple[str, int, Counter[str]]]   # region, clusters, warnings by severity


def rows(items: Iterable[Evaluated], packs: Mapping[str, Pack], lang: str) -> list[Row]:
    """Every cluster as the overview lists it, in urgency order."""
    return sorted((row(item, packs, lang) for item in items), key=_sort_key("urgency"))


def overview(listed: Sequence[Row], severity: str | None = None, search: str | None = None, sort: str = "urgency",
             page: int = 1) -> Overview:
    """Of the ``listed`` clusters, those that match (a warning of ``severity``; ``search`` in the id, name or a
    warning), sorted, one page of them, and the counts per region of all that match."""
    needle = (search or "").strip().casefold()
    rows = [r for r in listed
            if (severity is None or severity in r.severities) and (not needle or needle in r.text)]
    rows.sort(key=_sort_key(sort if sort in SORTS else "urgency"))
    regions: dict[str, tuple[int, Counter[str]]] = {}
    for r in rows:
        count, severities = regions.get(r.region, (0, Counter[str]()))
        severities.update(r.severities)
        regions[r.region] = (count + 1, severities)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return Overview(rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], len(rows), page, pages,
                    [(region, *regions[region]) for region in sorted(regions, key=pinyin_key)])


# --- one cluster ------------------------------------------------------------------------------------------------

def obligations(item: Evaluated, packs: Mapping[str, Pack], lang: str) -> list[dict[str, Any]]:
    regime = item.facts.cluster.regime
    return [{"label": obligation_label(o, lang), "due": o.due, "days_left": o.days_left, "state": o.state,
             "state_label": term(o.state, lang), "basis": cite(packs, regime, o.basis), "done_on": o.done_on,
             "key": o.key, "open": o.is_open} for o in item.verdict.obligations]


def warnings_of(item: Evaluated, packs: Mapping[str, Pack], lang: str) -> list[dict[str, str]]:
    """The warnings listed (the principal ground first), then those counted under it, each ``under`` "1"."""
    shown = grounds(item.verdict.warnings, item.verdict.obligations)
    regime = item.facts.cluster.regime
    return ([{**_warning(w, regime, packs, lang), "under": ""} for w in shown.listed]
            + [{**_warning(w, regime, packs, lang), "under": "1"} for w in shown.under])


def acked_by_cluster(holds: Iterable[Hold], kind: str = "ack") -> dict[str, dict[str, dt.date]]:
    """The acknowledgements in force, by cluster and warning key: the last day each is acknowledged through
    (``kind="snooze"``: the snoozes, by cluster and obligation key)."""
    found: dict[str, dict[str, dt.date]] = {}
    for h in holds:
        if h.kind == kind:
            found.setdefault(h.cluster_id, {})[h.subject] = h.until
    return found


def standards_of(item: Evaluated, packs: Mapping[str, Pack], lang: str) -> list[dict[str, Any]]:
    """Each item of the regime's standard: its words, article, verdict, the figures compared and the missing years."""
    regime = item.facts.cluster.regime
    return [{"id": s.item, "label": s.label, "basis": cite(packs, regime, s.basis), "state": s.state,
             "state_label": term(s.state, lang),
             "figures": " | ".join(figures(m).replace("growth", term("growth", lang)) for m in s.alternatives
                                   if m.values) or "—",
             "missing": "、".join(str(y) for y in sorted({y for m in s.alternatives for y in m.missing})) or ""}
            for s in item.verdict.standards]


def timeline(entries: Sequence[Entry], zone: dt.tzinfo, lang: str = "en") -> list[dict[str, Any]]:
    """The history, newest first, each fact version with its number and state (current ones can be corrected);
    the reminders of a subject as one entry whose ``deliveries`` list them."""
    daemon = "守护进程" if lang == "zh" else "daemon"
    return [{"at": person_time(e.at, zone), "type": e.type, "by": e.by or daemon,
             "text": said(e, zone, lang),
             "deliveries": [{"at": person_time(d.at, zone), "text": said(d, zone, lang)}
                            for d in _deliveries(e)],
             "number": e.fields.get("number") if e.type == "fact" else None,
             "kind": e.fields.get("kind"), "state": e.fields.get("state"),
             "fields": {k: e.fields[k] for k in NAMES.get(str(e.fields.get("kind")), {}).values()}
             if e.type == "fact" else {}} for e in reversed(collapsed(entries))]


def _deliveries(entry: Entry) -> list[Entry]:
    """The reminder deliveries a collapsed entry stands for (none for any other entry)."""
    found = entry.fields.get("deliveries") if entry.type in ("reminders", "escalation") else None
    return list(found) if isinstance(found, list) else []


# --- forms --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Field:
    name: str                                  # the facts file's column, as the form and the API name it
    type: str                                  # number | decimal | date | choice | text
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    required: bool = False


def fact_fields(lang: str) -> dict[str, list[Field]]:
    """For each kind of fact, the fields of its form."""
    found: dict[str, list[Field]] = {}
    for kind in FACT_KINDS:
        fields = []
        for field, name in NAMES[kind].items():
            # what the checker requires, but the day an assessment defaults to (checks.with_default_day)
            required = field in REQUIRED[kind] and (kind, field) != ("assessment", "on")
            if name == "year":
                fields.append(Field(name, "number", required=required))
            elif name in DATE_COLUMNS:
                fields.append(Field(name, "date", required=required))
            elif name in COLUMN_VOCABULARY:
                vocabulary = COLUMN_VOCABULARY[name]
                values = detail_values(kind, vocabulary)
                fields.append(Field(name, "choice", tuple(
                    (v, spelled(vocabulary, v) if lang == "zh" else term(v, lang)) for v in values), required))
            else:
                fields.append(Field(name, "text", required=required))
        found[kind] = fields
    return found


def correction_fields(lang: str) -> dict[str, list[Field]]:
    """For each kind of fact, the fields its correction (amend) form offers: a fact's form, and for an indicator
    value its value, for a plan target its years and target (what identifies them is corrected from the command
    line, `monitor amend N --indicator … --year …`)."""
    return {**fact_fields(lang), "indicator": [Field("value", "decimal", required=True)],
            "target": [Field("base_year", "number"), Field("target_year", "number"), Field("target", "decimal")]}


SEVERITIES = tuple(s.value for s in sorted(Severity, key=lambda s: -s.rank))
