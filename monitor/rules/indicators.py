"""The vocabulary of annual monitoring (docs/rules.md, "Annual monitoring"): each indicator's code, the form's
Chinese label, its unit and the values it allows, as data (``monitor/indicators/*.toml``, and a province's own in
``general.indicators_dir``). Pure: reading the files is ``load_vocabulary``'s only I/O, done once at start."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from msgspec import Meta, Struct

from monitor import schema
from monitor.errors import PackError, Said

Kind = Literal["share", "growth", "count", "amount"]

#: the values each kind allows: (lowest, highest, whether the lowest is allowed, whole numbers only)
_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "share": (0.0, 100.0, True, False),
    "growth": (-100.0, math.inf, False, False),
    "count": (0.0, math.inf, True, True),
    "amount": (0.0, math.inf, True, False),
}


class Indicator(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One indicator of the declaration form."""
    code: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="the code a sheet or a pack names it by")]
    label: Annotated[str, Meta(min_length=1, description="the form's Chinese label, as a sheet's header may name it")]
    unit: Annotated[str, Meta(min_length=1, description="its unit (亿元, %, 家, 件, 人 …)")]
    kind: Annotated[Kind, Meta(description="share (0–100), growth (above −100), count (whole, ≥ 0), amount (≥ 0)")]

    def problem(self, value: float) -> str | None:
        """Why ``value`` cannot be this indicator's (in English; the caller words it), or None when it can."""
        low, high, low_included, whole = _RANGES[self.kind]
        if not math.isfinite(value):
            return "not a number"
        if value < low or (value == low and not low_included) or value > high:
            return f"outside {self.allowed}"
        if whole and value != int(value):
            return "not a whole number"
        return None

    @property
    def allowed(self) -> str:
        """The allowed range as people read it: "0–100", "> -100", "≥ 0 (whole)"."""
        low, high, low_included, whole = _RANGES[self.kind]
        if high != math.inf:
            return f"{low:g}–{high:g}"
        return f"{'≥' if low_included else '>'} {low:g}" + (" (whole)" if whole else "")


class _File(Struct, frozen=True, forbid_unknown_fields=True):
    indicator: tuple[Indicator, ...]


class Vocabulary:
    """The indicators known, by code and by label (a sheet's header may be either)."""

    def __init__(self, indicators: Iterable[Indicator]) -> None:
        self.by_code: dict[str, Indicator] = {}
        self.by_label: dict[str, Indicator] = {}
        for indicator in indicators:
            self.by_code[indicator.code] = indicator
            self.by_label[indicator.label] = indicator

    def __contains__(self, code: object) -> bool:
        return code in self.by_code

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self.by_code.values())

    def __len__(self) -> int:
        return len(self.by_code)

    def find(self, header: str) -> Indicator | None:
        """The indicator a sheet's column names, by code or by label (blanks around it ignored)."""
        header = header.strip()
        return self.by_code.get(header) or self.by_label.get(header)


def _read(text: str, source: str) -> tuple[Indicator, ...]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackError("{source}: not valid TOML: {exc}", source=source, exc=schema.toml_problem(exc)) from None
    try:
        return schema.convert(data, _File, source).indicator
    except schema.SchemaError as exc:
        raise PackError(exc.said) from None


def load_vocabulary(extra_dir: Path | None = None) -> Vocabulary:
    """The bundled indicators, then those of ``extra_dir`` (``*.toml``): a code or a label already known is
    refused, naming the file."""
    files: list[tuple[str, str]] = [
        (f"monitor/indicators/{entry.name}", entry.read_text(encoding="utf-8"))
        for entry in sorted(resources.files("monitor").joinpath("indicators").iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml")]
    if extra_dir is not None:
        if not extra_dir.is_dir():
            raise PackError("{extra_dir}: the indicators directory does not exist", extra_dir=extra_dir)
        files += [(str(path), path.read_text(encoding="utf-8")) for path in sorted(extra_dir.glob("*.toml"))]
    known: dict[str, str] = {}
    indicators: list[Indicator] = []
    for source, text in files:
        for indicator in _read(text, source):
            for key in (indicator.code, indicator.label):
                if key in known:
                    raise PackError("{source}: indicator '{key}' is already defined in {other}",
                                    source=source, key=key, other=known[key])
                known[key] = source
            indicators.append(indicator)
    return Vocabulary(indicators)


def described(vocabulary: Mapping[str, Indicator] | Vocabulary) -> list[Said]:
    """One line per indicator: code, label, unit and range (for `monitor regimes` and the docs)."""
    items = vocabulary.values() if isinstance(vocabulary, Mapping) else vocabulary
    return [Said("{code}  {label} ({unit}; {allowed})", code=i.code, label=i.label, unit=i.unit,
                 allowed=Said(i.allowed))     # the four ranges are words of their own (checks.ALLOWED_WORDS)
            for i in items]


#: the data sheet's columns before its indicators (`monitor template --indicators` writes them, `monitor
#: import-indicators` reads them): (name, the headers that name it, the Chinese one last, required)
SHEET_KEYS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("cluster", ("cluster", "cluster_id", "id", "集群编号"), True),
    ("name", ("name", "集群名称"), False),
    ("year", ("year", "年度"), True),
)

#: the columns of a sheet of plan targets (`monitor template --targets`, `monitor import-indicators --targets`)
TARGET_COLUMNS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("cluster", ("cluster", "cluster_id", "id", "集群编号"), True),
    ("name", ("name", "集群名称"), False),
    ("indicator", ("indicator", "指标"), True),
    ("base_year", ("base_year", "基期年度"), True),
    ("target_year", ("target_year", "目标年度"), True),
    ("target", ("target", "目标值"), True),
)
