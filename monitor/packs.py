"""Regime packs: one TOML file per policy, holding every parameter of RULES.md with its article.

Packs ship in ``monitor/packs/``; config can add a directory of more. A pack is validated when it is
loaded: an unknown key, a missing basis, an impossible date or a wrong type is refused with the file
and the key named. Code never branches on a regime id: everything regime-specific is here.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from monitor.dates import month_day
from monitor.errors import PackError

SEVERITIES = ("revocation", "risk", "notice")
ROLES = ("operator", "bureau")
CHANGE_KINDS = ("leading_industry", "spatial_scope", "operator")
INCIDENT_GROUNDS = ("false_declaration", "violation", "major_accident", "non_cooperation")
REPORTERS = ("cluster", "bureau")
DEFAULT_NOTIFY = ("operator", "bureau")


@dataclass(frozen=True, slots=True)
class Validity:
    years: int
    basis: str
    extension_years: int
    extension_basis: str
    review_by_application: bool
    application_basis: str | None
    review_failed_basis: str
    expired_basis: str
    expired_unapplied_severity: str
    notify: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AnnualReport:
    due: tuple[int, int]
    reporter: str
    basis: str
    overdue_severity: str
    overdue_basis: str
    notify: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChangeFiling:
    window_months: int | None
    basis: str
    pending_severity: str
    overdue_severity: str
    overdue_basis: str
    notify: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Assessment:
    consecutive_failures: int
    basis: str
    notify: tuple[str, ...] = DEFAULT_NOTIFY


@dataclass(frozen=True, slots=True)
class Incidents:
    notice_basis: str
    revocation_grounds: Mapping[str, str]
    notify: tuple[str, ...] = DEFAULT_NOTIFY


@dataclass(frozen=True, slots=True)
class Publicity:
    working_days: int
    basis: str


@dataclass(frozen=True, slots=True)
class Batch:
    id: str
    notice: str
    valid_until: dt.date | None
    validity_years: int | None
    report_due: tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class Pack:
    id: str
    title: str
    document: str
    source: str
    validity: Validity | None
    annual_report: AnnualReport | None
    change_filing: ChangeFiling | None
    assessment: Assessment | None
    incidents: Incidents
    publicity: Publicity | None
    batches: Mapping[str, Batch]

    def notify(self, section: str) -> tuple[str, ...]:
        """Who is reminded of a section's obligations and warnings (``notify`` in the pack)."""
        rule = getattr(self, section, None)
        return rule.notify if rule is not None else DEFAULT_NOTIFY


T = TypeVar("T")


class _Reader:
    """Reads one table of a pack, naming the file and the dotted key in every error."""

    def __init__(self, source: str, table: Mapping[str, Any], prefix: str = "") -> None:
        self.source, self.table, self.prefix, self.used = source, table, prefix, set[str]()

    def fail(self, key: str, problem: str) -> PackError:
        return PackError(f"{self.source}: {self.prefix}{key}: {problem}")

    def get(self, key: str, kind: type[T], default: T | None = None, required: bool = True) -> T:
        self.used.add(key)
        if key not in self.table:
            if default is not None or not required:
                return default  # type: ignore[return-value]
            raise self.fail(key, "is missing")
        value = self.table[key]
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            raise self.fail(key, f"{value!r} is not a {kind.__name__}")
        if isinstance(value, str) and not value.strip():
            raise self.fail(key, "is empty")
        return value

    def choice(self, key: str, choices: Iterable[str], default: str | None = None) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            raise self.fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def positive(self, key: str, required: bool = True) -> int:
        value = self.get(key, int, required=required)
        if value is not None and value < 1:
            raise self.fail(key, f"{value!r} must be at least 1")
        return value

    def convert(self, key: str, parse: Callable[[str], T], required: bool = True) -> T | None:
        text = self.get(key, str, required=required)
        if text is None:
            return None
        try:
            return parse(text)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def roles(self, key: str) -> tuple[str, ...]:
        roles = self.get(key, list, list(DEFAULT_NOTIFY))
        for role in roles:
            if role not in ROLES:
                raise self.fail(key, f"{role!r} is not one of {', '.join(ROLES)}")
        return tuple(roles)

    def sub(self, key: str) -> _Reader | None:
        table = self.get(key, dict, required=False)
        return None if table is None else _Reader(self.source, table, f"{self.prefix}{key}.")

    def done(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.fail(unknown[0], "unknown key")


def parse_pack(data: Mapping[str, Any], source: str, expected_id: str | None = None) -> Pack:
    top = _Reader(source, data)
    pack_id = top.get("id", str)
    if expected_id is not None and pack_id != expected_id:
        raise top.fail("id", f"{pack_id!r} does not match the file name {expected_id!r}")
    pack = Pack(
        id=pack_id,
        title=top.get("title", str),
        document=top.get("document", str),
        source=source,
        validity=_validity(top.sub("validity")),
        annual_report=_annual_report(top.sub("annual_report")),
        change_filing=_change_filing(top.sub("change_filing")),
        assessment=_assessment(top.sub("assessment")),
        incidents=_incidents(top.sub("incidents"), top),
        publicity=_publicity(top.sub("publicity")),
        batches=_batches(top, source),
    )
    top.done()
    for batch in pack.batches.values():
        if batch.report_due and pack.annual_report is None:
            raise PackError(f"{source}: batches.{batch.id}.report_due: the pack has no [annual_report]")
        if (batch.valid_until or batch.validity_years) and pack.validity is None:
            raise PackError(f"{source}: batches.{batch.id}: sets validity but the pack has no [validity]")
    return pack


def _validity(r: _Reader | None) -> Validity | None:
    if r is None:
        return None
    by_application = r.get("review_by_application", bool, required=False) or False
    validity = Validity(
        years=r.positive("years"),
        basis=r.get("basis", str),
        extension_years=r.positive("extension_years"),
        extension_basis=r.get("extension_basis", str),
        review_by_application=by_application,
        application_basis=r.get("application_basis", str, required=by_application),
        review_failed_basis=r.get("review_failed_basis", str),
        expired_basis=r.get("expired_basis", str),
        expired_unapplied_severity=r.choice("expired_unapplied_severity", SEVERITIES, "risk"),
        notify=r.roles("notify"),
    )
    r.done()
    return validity


def _annual_report(r: _Reader | None) -> AnnualReport | None:
    if r is None:
        return None
    report = AnnualReport(
        due=r.convert("due", month_day),  # type: ignore[arg-type]
        reporter=r.choice("reporter", REPORTERS),
        basis=r.get("basis", str),
        overdue_severity=r.choice("overdue_severity", SEVERITIES),
        overdue_basis=r.get("overdue_basis", str),
        notify=r.roles("notify"),
    )
    r.done()
    return report


def _change_filing(r: _Reader | None) -> ChangeFiling | None:
    if r is None:
        return None
    filing = ChangeFiling(
        window_months=r.positive("window_months", required=False),
        basis=r.get("basis", str),
        pending_severity=r.choice("pending_severity", SEVERITIES, "risk"),
        overdue_severity=r.choice("overdue_severity", SEVERITIES),
        overdue_basis=r.get("overdue_basis", str),
        notify=r.roles("notify"),
    )
    r.done()
    return filing


def _assessment(r: _Reader | None) -> Assessment | None:
    if r is None:
        return None
    assessment = Assessment(consecutive_failures=r.positive("consecutive_failures"), basis=r.get("basis", str),
                            notify=r.roles("notify"))
    r.done()
    return assessment


def _incidents(r: _Reader | None, top: _Reader) -> Incidents:
    if r is None:
        raise top.fail("incidents", "is missing (every regime can record incidents: give notice_basis)")
    grounds = r.get("revocation_grounds", dict, required=False) or {}
    for ground, basis in grounds.items():
        if ground not in INCIDENT_GROUNDS:
            raise r.fail(f"revocation_grounds.{ground}", f"unknown ground (known: {', '.join(INCIDENT_GROUNDS)})")
        if not isinstance(basis, str) or not basis.strip():
            raise r.fail(f"revocation_grounds.{ground}", "needs the article as a string")
    incidents = Incidents(notice_basis=r.get("notice_basis", str), revocation_grounds=dict(grounds),
                          notify=r.roles("notify"))
    r.done()
    return incidents


def _publicity(r: _Reader | None) -> Publicity | None:
    if r is None:
        return None
    publicity = Publicity(working_days=r.positive("working_days"), basis=r.get("basis", str))
    r.done()
    return publicity


def _batches(top: _Reader, source: str) -> dict[str, Batch]:
    batches: dict[str, Batch] = {}
    for index, table in enumerate(top.get("batches", list, required=False) or []):
        if not isinstance(table, dict):
            raise top.fail(f"batches[{index}]", "is not a table")
        r = _Reader(source, table, f"batches[{index}].")
        batch = Batch(
            id=r.get("id", str),
            notice=r.get("notice", str),
            valid_until=r.convert("valid_until", dt.date.fromisoformat, required=False),
            validity_years=r.positive("validity_years", required=False),
            report_due=r.convert("report_due", month_day, required=False),
        )
        r.done()
        if batch.valid_until and batch.validity_years:
            raise r.fail("valid_until", "give valid_until or validity_years, not both")
        if batch.id in batches:
            raise r.fail("id", f"{batch.id!r} is listed twice")
        batches[batch.id] = batch
    return batches


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
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"{source}: not valid TOML: {exc}") from None


def load_packs(
    extra_dir: Path | None = None, overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Pack]:
    """The bundled packs, then those in ``extra_dir`` (a pack there may replace a bundled one).

    ``overrides`` (from config ``[pack_overrides.ID]``) is merged into a pack's data before validation.
    """
    files: dict[str, tuple[Path | resources.abc.Traversable, str]] = {}
    for entry in resources.files("monitor").joinpath("packs").iterdir():
        if entry.name.endswith(".toml"):
            files[entry.name.removesuffix(".toml")] = (entry, f"monitor/packs/{entry.name}")
    if extra_dir is not None:
        if not extra_dir.is_dir():
            raise PackError(f"{extra_dir}: the packs directory does not exist")
        for extra in sorted(extra_dir.glob("*.toml")):
            files[extra.stem] = (extra, str(extra))
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(files))
    if unknown:
        raise PackError(f"pack_overrides.{unknown[0]}: no regime pack has that id")
    packs = {}
    for stem, (location, source) in sorted(files.items()):
        data = _merge(_read_toml(location, source), overrides.get(stem, {}))
        packs[stem] = parse_pack(data, source, expected_id=stem)
    return packs
