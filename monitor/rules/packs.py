"""Regime packs: one TOML file per policy, holding every parameter of docs/rules.md with its article.

The format is declared once, below, as msgspec structures: types, defaults and constraints. Loading a pack
validates it against that declaration (an unknown key, a missing basis, an impossible date or a wrong type
is refused with the file and the dotted key named), and ``pack_json_schema()`` gives the same declaration as
a JSON Schema. Packs ship in ``monitor/packs/``; config can add a directory of more. Code never branches on
a regime id: everything regime-specific is here.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Collection, Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from monitor import schema
from monitor.errors import PackError, Said, said_of
from monitor.rules.dates import month_day
from monitor.rules.indicators import load_vocabulary
from monitor.rules.standard_items import StandardItem, check_items, check_standards
from monitor.rules.states import Severity
from monitor.schema import Check

ROLES = ("operator", "bureau")
CHANGE_KINDS = ("leading_industry", "spatial_scope", "operator")
INCIDENT_GROUNDS = ("false_declaration", "violation", "major_accident", "non_cooperation")
#: what a revocation may be recorded as revoked for: an incident's ground, or a rule's (a report, a change filing,
#: the renewal review or the assessment failed), or another
REVOCATION_GROUNDS = (*INCIDENT_GROUNDS, "report_not_filed", "change_not_filed", "review_not_passed",
                      "assessment_failed", "other")
REPORTERS = ("cluster", "bureau")

Role = Literal["operator", "bureau"]
DEFAULT_NOTIFY: tuple[Role, ...] = ("operator", "bureau")
#: every count of a pack (years, months, working days, failures) is bounded: a value at the 64-bit edge is refused
#: naming its key, instead of a date arithmetic that overflows for every cluster of the regime
MOST = 100
Positive = Annotated[int, Meta(ge=1, le=MOST)]
MonthDay = Annotated[str, Meta(min_length=1)]


Article = Annotated[str, Meta(min_length=1)]
Text = Annotated[str, Meta(min_length=1)]
NOTIFY_DOC = "who is reminded of this section's obligations and warnings: \"operator\" and/or \"bureau\""


class _Section(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A table of a pack: unknown keys are refused."""


def _month_day(key: str, text: str) -> tuple[int, int]:
    try:
        return month_day(text)
    except ValueError as exc:
        raise Check(key, said_of(exc)) from None


class Validity(_Section, frozen=True, kw_only=True):
    """The certification's validity and its renewal review (docs/rules.md, "Validity and renewal review"). Without
    this table the certification is in force until revoked."""
    years: Annotated[Positive, Meta(description="years of validity from the certification (e.g. 3: 2023-07-10 gives 2026-07-09)")]
    basis: Annotated[Article, Meta(description="the article stating the validity")]
    extension_years: Annotated[Positive, Meta(description="years a passed review adds to the old last day")]
    extension_basis: Annotated[Article, Meta(description="the article stating the extension")]
    review_by_application: Annotated[bool, Meta(description="true where an application for review, recorded by the last day, "
                                      "completes the renewal review (第十七条（一） \"有效期满未申请复核\")")] = False
    application_basis: Annotated[Article | None, Meta(description="the article on applying; required with review_by_application")] = None
    review_basis: Annotated[Article | None, Meta(description="the article the renewal_review obligation cites (default: basis)")] = None
    application_window_months: Annotated[Positive | None, Meta(description="\"有效期满前N个月内申请复核\": an application counts only from (last day + 1) - N "
                                    "months to the last day, both included; one before raises review_applied_early")] = None
    review_failed_basis: Annotated[Article, Meta(description="the article cited when a review fails (a ground to revoke, "
                                                 "unless review_failed_severity says otherwise)")]
    review_failed_severity: Annotated[Severity, Meta(description="severity of review_failed (a measure that has a "
                                                     "failed review rectified first: risk)")] = Severity.REVOCATION
    expired_basis: Annotated[Article, Meta(description="the article cited once the validity has ended without a passed review")]
    expired_unapplied_severity: Annotated[Severity, Meta(description="with review_by_application: severity of validity_expired "
                                               "when no application was made in time (revocation, risk or notice); "
                                               "without it, an expired validity is risk")] = Severity.RISK
    notify: Annotated[tuple[Role, ...], Meta(description=NOTIFY_DOC)] = DEFAULT_NOTIFY

    def __post_init__(self) -> None:
        if self.review_by_application and self.application_basis is None:
            raise Check("application_basis", Said("is missing (review_by_application needs its article)"))


class AnnualReport(_Section, frozen=True, kw_only=True):
    """The yearly report (docs/rules.md, "Annual reports"): the report on year Y is due in Y+1."""
    due: Annotated[MonthDay, Meta(description="the yearly due day, MM-DD (e.g. \"04-30\"); a day every year has")]
    reporter: Annotated[Literal["cluster", "bureau"], Meta(description="who files it: \"cluster\" or \"bureau\" (said in "
                                                         "`monitor regimes`; who is reminded is notify)")]
    reporter_label: Annotated[Text | None, Meta(description="the reporting body as the measure names it (e.g. "
                                                "\"盟市工信局\"), shown for reporter; unset: a neutral word")] = None
    basis: Annotated[Article, Meta(description="the article requiring the report")]
    overdue_severity: Annotated[Severity, Meta(description="severity of annual_report_overdue (and, with consecutive_failures, of "
                                     "annual_report_late)")]
    overdue_basis: Annotated[Article, Meta(description="the article cited when a report is overdue or late")]
    consecutive_failures: Annotated[Positive | None, Meta(description="\"连续N年未按时报送\": N consecutive years whose report is overdue or was filed late "
                               "raise annual_report_failed_consecutive (revocation); a year not required breaks a run")] = None
    notify: Annotated[tuple[Role, ...], Meta(description=NOTIFY_DOC)] = DEFAULT_NOTIFY

    def __post_init__(self) -> None:
        _month_day("due", self.due)

    @property
    def due_day(self) -> tuple[int, int]:
        """(month, day) of the yearly due day."""
        return month_day(self.due)


class ChangeFiling(_Section, frozen=True, kw_only=True):
    """Filing a major change (docs/rules.md, "Major-change filings")."""
    window_months: Annotated[Positive | None, Meta(description="months after the change to file it, a Civil Code period; unset: no "
                                         "window, the change stays pending until filed")] = None
    basis: Annotated[Article, Meta(description="the article requiring the filing")]
    pending_severity: Annotated[Severity, Meta(description="severity of change_filing_pending (no window)")] = Severity.RISK
    overdue_severity: Annotated[Severity, Meta(description="severity of change_filing_overdue")]
    overdue_basis: Annotated[Article, Meta(description="the article cited when a filing is overdue or late")]
    notify: Annotated[tuple[Role, ...], Meta(description=NOTIFY_DOC)] = DEFAULT_NOTIFY


class Assessment(_Section, frozen=True, kw_only=True):
    """Yearly assessment results (docs/rules.md, "Assessments")."""
    consecutive_failures: Annotated[Positive, Meta(description="failures in this many consecutive years revoke")]
    basis: Annotated[Article, Meta(description="the article stating it")]
    notify: Annotated[tuple[Role, ...], Meta(description=NOTIFY_DOC)] = DEFAULT_NOTIFY


class Evaluation(_Section, frozen=True, kw_only=True):
    """An evaluation every N years from the certification (docs/rules.md, "Evaluation cycles"): cycle k runs from
    the (k-1)·N-th anniversary of the certification to the day before the k·N-th, and its evaluation is due on
    its last day, or ``due_after_months`` after it (a Civil Code period). Recorded with `monitor record evaluation`."""
    every_years: Annotated[Positive, Meta(description="years of a cycle, counted from the certification (e.g. 2: "
                                          "certified 2024-06-01, the first cycle ends 2026-05-31)")]
    basis: Annotated[Article, Meta(description="the article requiring the evaluation")]
    due_after_months: Annotated[Annotated[int, Meta(ge=0, le=MOST)], Meta(description="months after the cycle's last day "
                                "the evaluation is due by (\"周期届满后N个月内\"); 0: by the cycle's last day")] = 0
    overdue_severity: Annotated[Severity, Meta(description="severity of evaluation_overdue")] = Severity.RISK
    overdue_basis: Annotated[Article | None, Meta(description="the article cited when an evaluation is overdue "
                                                 "(default: basis)")] = None
    failed_severity: Annotated[Severity, Meta(description="severity of evaluation_not_passed")] = Severity.RISK
    failed_basis: Annotated[Article | None, Meta(description="the article cited for a failed evaluation "
                                                "(default: basis)")] = None
    notify: Annotated[tuple[Role, ...], Meta(description=NOTIFY_DOC)] = DEFAULT_NOTIFY


RECTIFIED_SECTION = {"assessment": "assessment", "evaluation": "evaluation", "review": "validity"}


class Rectification(_Section, frozen=True, kw_only=True):
    """限期整改 (docs/rules.md, "Rectification"): after a failed result of the kinds in ``after``, the cluster must
    rectify within ``months`` (a Civil Code period from the failure's day); a lapsed rectification is a warning of
    ``lapse_severity``, and a failure after a completed rectification one of ``repeat_severity``. Recorded with
    `monitor record rectification`."""
    after: Annotated[tuple[Literal["assessment", "evaluation", "review"], ...],
                     Meta(min_length=1, description="which failed results must be rectified: \"assessment\", "
                          "\"evaluation\" and/or \"review\"")]
    months: Annotated[Positive, Meta(description="months to rectify in, counted from the failure's day")]
    months_by_kind: Annotated[dict[str, Positive], Meta(description="months for a kind of failure instead of months, "
                                                       "e.g. { review = 3, evaluation = 6 }")] = {}
    basis: Annotated[Article, Meta(description="the article requiring the rectification")]
    lapse_severity: Annotated[Severity, Meta(description="severity of rectification_overdue")] = Severity.REVOCATION
    lapse_basis: Annotated[Article, Meta(description="the article cited when a rectification has lapsed")]
    repeat_severity: Annotated[Severity, Meta(description="severity of failed_after_rectification: a failure after a "
                                                "completed rectification")] = Severity.REVOCATION
    repeat_basis: Annotated[Article, Meta(description="the article cited for a failure after a rectification")]
    notify: Annotated[tuple[Role, ...], Meta(description=NOTIFY_DOC)] = DEFAULT_NOTIFY

    def __post_init__(self) -> None:
        for kind in self.months_by_kind:
            if kind not in self.after:
                raise Check(f"months_by_kind.{kind}", Said("not one of after ({after})", after=", ".join(self.after)))

    def months_after(self, kind: str) -> int:
        """The months to rectify a failed result of ``kind`` in."""
        return self.months_by_kind.get(kind, self.months)


class Incidents(_Section, frozen=True, kw_only=True):
    """Incidents an administrator records (docs/rules.md, "Incidents"). Required: every regime can record them."""
    notice_basis: Annotated[Article, Meta(description="the article cited for an incident that is not a ground to revoke")]
    revocation_grounds: Annotated[dict[str, Article], Meta(description="the grounds that revoke, each with its article: "
                                                 + ", ".join(INCIDENT_GROUNDS))] = {}
    notify: Annotated[tuple[Role, ...], Meta(description=NOTIFY_DOC)] = DEFAULT_NOTIFY

    def __post_init__(self) -> None:
        for ground in self.revocation_grounds:
            if ground not in INCIDENT_GROUNDS:
                raise Check(f"revocation_grounds.{ground}", Said("unknown ground (known: {known})",
                                                                 known=", ".join(INCIDENT_GROUNDS)))


class Revocation(_Section, frozen=True, kw_only=True):
    """A bar after revocation, "撤销认定的，N年内不得再次申报" (docs/rules.md, "Revocation and the cluster's state"): a
    revoked cluster may not apply again for N years from the revocation, a Civil Code period (revoked 2025-01-05,
    3 years: barred through 2028-01-05). Without this table a revocation bars nothing."""
    reapply_after_years: Annotated[Positive | None, Meta(description=(
        "years barred after a revocation on a ground not listed in grounds, or recorded without its ground; unset: "
        "only the grounds listed bar"))] = None
    basis: Annotated[Article, Meta(description="the article stating the bar")]
    grounds: Annotated[dict[str, Annotated[int, Meta(ge=0)]], Meta(description=(
        "years barred after a revocation on this ground instead of reapply_after_years, 0 where it bars nothing: "
        + ", ".join(REVOCATION_GROUNDS)))] = {}

    def __post_init__(self) -> None:
        for ground in self.grounds:
            if ground not in REVOCATION_GROUNDS:
                raise Check(f"grounds.{ground}", Said("unknown ground (known: {known})",
                                                      known=", ".join(REVOCATION_GROUNDS)))
        if self.reapply_after_years is None and not any(self.grounds.values()):
            raise Check("reapply_after_years", Said("is missing (give it, or a ground barred for a year or more)"))

    def years(self, ground: str | None) -> int:
        """The years a revocation on ``ground`` (None: not recorded) bars; 0: none."""
        found = self.grounds.get(ground) if ground is not None else None
        return found if found is not None else self.reapply_after_years or 0


class Publicity(_Section, frozen=True, kw_only=True):
    """The publicity period before certification (公示N个工作日)."""
    working_days: Annotated[Positive, Meta(description="working days of the period; its first day counts")]
    basis: Annotated[Article, Meta(description="the article stating it")]


class Batch(_Section, frozen=True, kw_only=True):
    """A list notice's own terms for the clusters of its batch ([[batches]], one table each)."""
    id: Annotated[Annotated[str, Meta(min_length=1, max_length=64)], Meta(description="the batch, as a roster's batch column names it (e.g. \"2023\"; at most 64 characters)")]
    notice: Annotated[Annotated[str, Meta(min_length=1)], Meta(description="the notice that set the terms")]
    valid_until: Annotated[dt.date | None, Meta(description="the last day in force for the whole batch (a TOML date, 2025-12-31)")] = None
    validity_years: Annotated[Positive | None, Meta(description="years of validity for the batch instead of [validity] years")] = None
    report_due: Annotated[MonthDay | None, Meta(description="the batch's yearly report due day, MM-DD")] = None

    def __post_init__(self) -> None:
        if self.valid_until and self.validity_years:
            raise Check("valid_until", Said("give valid_until or validity_years, not both"))
        if self.report_due is not None:
            _month_day("report_due", self.report_due)

    @property
    def report_due_day(self) -> tuple[int, int] | None:
        return None if self.report_due is None else month_day(self.report_due)


class PackFile(_Section, frozen=True, kw_only=True):
    """A regime pack: one policy's rules, each with its article. The file is named after its id."""
    id: Annotated[Annotated[str, Meta(min_length=1, max_length=64)], Meta(description="the regime id, as the roster's regime "
                                                 "column names it (at most 64 characters); the file is ID.toml")]
    title: Annotated[Annotated[str, Meta(min_length=1)], Meta(description="the policy's title (《…》 is added where it is cited)")]
    document: Annotated[Annotated[str, Meta(min_length=1)], Meta(description="the document number, e.g. 工信部企业〔2022〕119号")]
    validity: Validity | None = None
    annual_report: AnnualReport | None = None
    change_filing: ChangeFiling | None = None
    assessment: Assessment | None = None
    evaluation: Evaluation | None = None
    rectification: Rectification | None = None
    incidents: Incidents
    publicity: Publicity | None = None
    revocation: Revocation | None = None
    batches: tuple[Batch, ...] = ()
    standard: Annotated[tuple[StandardItem, ...], Meta(description=(
        "the certification standard's items ([[standard]], pack language v3), each with its article"))] = ()
    replaces: Annotated[bool, Meta(description="true in a pack of packs_dir that replaces the bundled pack of the same id; "
                                   "without it such a pack is refused, so that no bundled policy is replaced unawares "
                                   "(`monitor regimes` says which packs replace one)")] = False

    def __post_init__(self) -> None:
        for kind in self.rectification.after if self.rectification is not None else ():
            if getattr(self, RECTIFIED_SECTION[kind]) is None:
                raise Check("rectification.after", Said("{value} but the pack has no [{section}]",
                                                        value=schema.show(kind), section=RECTIFIED_SECTION[kind]))
        seen: set[str] = set()
        for index, batch in enumerate(self.batches):
            if batch.id in seen:
                raise Check(f"batches[{index}].id", Said("{value} is listed twice", value=schema.show(batch.id)))
            seen.add(batch.id)
            if batch.report_due and self.annual_report is None:
                raise Check(f"batches[{index}].report_due", Said("the pack has no [annual_report]"))
            if (batch.valid_until or batch.validity_years) and self.validity is None:
                raise Check(f"batches[{index}]", Said("sets validity but the pack has no [validity]"))
        check_items(self.standard)


class Pack(PackFile, frozen=True, kw_only=True):
    """A loaded pack: the file's content and where it came from."""
    source: str = ""

    def batch(self, batch_id: str | None) -> Batch | None:
        return next((b for b in self.batches if b.id == batch_id), None) if batch_id else None

    @property
    def batch_ids(self) -> tuple[str, ...]:
        return tuple(b.id for b in self.batches)

    def notify(self, section: str) -> tuple[str, ...]:
        """Who is reminded of a section's obligations and warnings (``notify`` in the pack)."""
        rule = getattr(self, section, None)
        return rule.notify if rule is not None else DEFAULT_NOTIFY


def parse_pack(data: Mapping[str, Any], source: str, expected_id: str | None = None) -> Pack:
    if "incidents" not in data:
        raise PackError("{source}: incidents: is missing (every regime can record incidents: give notice_basis)",
                        source=source)
    try:
        content = schema.convert(data, PackFile, source)
    except schema.SchemaError as exc:
        raise PackError(exc.said) from None
    except RecursionError:
        raise _too_deep(source) from None
    if expected_id is not None and content.id != expected_id:
        raise PackError("{source}: id: '{id}' does not match the file name '{expected}'", source=source, id=content.id,
                        expected=expected_id)
    return Pack(**{name: getattr(content, name) for name in PackFile.__struct_fields__}, source=source)


def pack_json_schema() -> dict[str, Any]:
    return schema.json_schema(PackFile, "monitor regime pack")


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path | resources.abc.Traversable, source: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PackError("{source}: not valid TOML: {exc}", source=source, exc=schema.toml_problem(exc)) from None
    except RecursionError:
        raise _too_deep(source) from None
    except UnicodeDecodeError as exc:
        raise PackError("{source}: cannot read it: {exc}", source=source,
                        exc=Said("not UTF-8 text (byte {position})", position=exc.start)) from None
    except OSError as exc:
        raise PackError("{source}: cannot read it: {exc}", source=source, exc=exc.strerror or str(exc)) from None
    if not {"id", "title", "document", "incidents"} & set(data):
        raise PackError("{source}: not a regime pack (a pack has id, title, document and [incidents]: see "
                        "docs/packs.md)", source=source)
    return data


def _too_deep(source: str) -> PackError:
    """A file (or an override) nested deeper than tomllib or the conversion can follow."""
    return PackError("{source}: not valid TOML: {exc}", source=source, exc=Said("nested too deep"))


def _bundled() -> dict[str, resources.abc.Traversable]:
    """The packs that ship in ``monitor/packs/``, by id."""
    return {entry.name.removesuffix(".toml"): entry for entry in resources.files("monitor").joinpath("packs").iterdir()
            if entry.name.endswith(".toml")}


def _check_replaces(pack: Pack, bundled: Collection[str]) -> None:
    """A pack of packs_dir replaces a bundled one only when it says so (``replaces = true``), and only then."""
    if pack.id in bundled and not pack.replaces:
        raise PackError("{source}: id: '{id}' is a bundled pack's: set replaces = true to replace the bundled policy, "
                        "or give this pack an id of its own", source=pack.source, id=pack.id)
    if pack.replaces and pack.id not in bundled:
        raise PackError("{source}: replaces: no bundled pack has the id '{id}'", source=pack.source, id=pack.id)


def check_packs(directory: Path) -> list[Said]:
    """One line per problem in a directory of packs (each file checked on its own); none when all are sound."""
    if not directory.is_dir():
        return [Said("{directory}: not a directory", directory=directory)]
    problems = []
    vocabulary = load_vocabulary()
    files = sorted(directory.glob("*.toml"))
    bundled = _bundled()
    for path in files:
        try:
            pack = parse_pack(_read_toml(path, str(path)), str(path), expected_id=path.stem)
            _check_replaces(pack, bundled)
            check_standards((pack,), vocabulary)
        except PackError as exc:
            problems.append(exc.said)
    return problems if files else [Said("{directory}: no *.toml files", directory=directory)]


def load_packs(
    extra_dir: Path | None = None, overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Pack]:
    """The bundled packs, then those in ``extra_dir`` (a pack there replaces a bundled one only with
    ``replaces = true``).

    ``overrides`` (from config ``[pack_overrides.ID]``) is merged into a pack's data before validation.
    """
    bundled = _bundled()
    files: dict[str, tuple[Path | resources.abc.Traversable, str]] = {
        stem: (entry, f"monitor/packs/{entry.name}") for stem, entry in bundled.items()}
    extras: set[str] = set()
    if extra_dir is not None:
        if not extra_dir.is_dir():
            raise PackError("{extra_dir}: the packs directory does not exist", extra_dir=extra_dir)
        for extra in sorted(extra_dir.glob("*.toml")):
            files[extra.stem] = (extra, str(extra))
            extras.add(extra.stem)
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(files))
    if unknown:
        raise PackError("pack_overrides.{value}: no regime pack has that id", value=unknown[0])
    packs = {}
    for stem, (location, source) in sorted(files.items()):
        data = _read_toml(location, source)
        try:
            packs[stem] = parse_pack(_merge(data, overrides.get(stem, {})), source, expected_id=stem)
        except RecursionError:      # an override nested too deep to merge or convert
            raise _too_deep(source) from None
        if stem in extras:
            _check_replaces(packs[stem], bundled)
    return packs
