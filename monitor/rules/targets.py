"""Plan targets (三年发展规划目标; docs/rules.md, "Annual monitoring"): a cluster's target value of an indicator in a
target year, on a straight line from its recorded value in the base year. Pure.

- ``plan_target_behind`` (risk): the latest value recorded before the target year (and before the evaluation's
  year) falls short of the straight line from the base year's value to the target by more than the margin
  (``monitoring.plan_target_margin``, default 10, a percent of the line's value there). Without the base year's
  value there is no line, and nothing is said.
- ``plan_target_missed`` (risk): the target year's value is recorded (it is before the evaluation's year) and falls
  short of the target.

"Short" is below for a target above the base value (growth, the usual case) and above for a target below it (a
share of energy use to bring down): a target that reduces is behind when the value stays above its line.
"""

from __future__ import annotations

from collections.abc import Iterable

from monitor.rules.facts import PlanTarget
from monitor.rules.standards import Series
from monitor.rules.states import Severity
from monitor.rules.verdict import Alert

#: the default margin, percent of the line's value (config monitoring.plan_target_margin)
DEFAULT_MARGIN = 10.0


def number(value: float) -> str:
    """A figure as people write it: at most four decimals (a computed growth has four), no trailing zeros (110, 10.5,
    14.9968)."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _short(value: float, aim: float, rising: bool, margin: float = 0.0) -> bool:
    """``value`` falls short of ``aim`` by more than ``margin`` percent of it."""
    slack = abs(aim) * margin / 100
    return value < aim - slack if rising else value > aim + slack


def plan_alerts(targets: Iterable[PlanTarget], data: Series, margin: float, basis: str) -> list[Alert]:
    """The plan-target warnings of the values an evaluation reads (``data``: only years before its year)."""
    alerts: list[Alert] = []
    for target in sorted(targets, key=lambda t: (t.code, t.target_year)):
        values = data.get(target.code, {})
        base = values.get(target.base_year)
        rising = base is None or target.target >= base
        reached = values.get(target.target_year)
        if reached is not None:
            if _short(reached, target.target, rising):
                alerts.append(Alert("plan_target_missed", Severity.RISK, basis,
                                    f"plan_target_missed:{target.code}:{target.target_year}",
                                    (("indicator", target.code), ("target", number(target.target)),
                                     ("target_year", target.target_year), ("value", number(reached)))))
            continue
        if base is None or target.target_year <= target.base_year:
            continue
        latest = max((year for year in values if target.base_year < year < target.target_year), default=None)
        if latest is None:
            continue
        share = (latest - target.base_year) / (target.target_year - target.base_year)
        line = base + (target.target - base) * share
        value = values[latest]
        if _short(value, line, rising, margin):
            alerts.append(Alert("plan_target_behind", Severity.RISK, basis,
                                f"plan_target_behind:{target.code}:{target.target_year}",
                                (("indicator", target.code), ("year", latest), ("value", number(value)),
                                 ("expected", number(line)), ("target", number(target.target)),
                                 ("target_year", target.target_year), ("margin", number(margin)))))
    return alerts
