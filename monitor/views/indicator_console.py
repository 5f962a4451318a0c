"""The console's view of annual monitoring on a cluster's page: its indicator values (indicator × year, the form's
labels and units), its plan targets, and the fields of the form that records one year's values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from monitor.rules.checks import number
from monitor.rules.facts import Facts
from monitor.rules.indicators import Vocabulary


def section(facts: Facts, vocabulary: Vocabulary, this_year: int) -> dict[str, Any]:
    """What the page shows: the years recorded (oldest first), a row for each indicator with a value (in the
    vocabulary's order, codes no longer in it last), the targets, and the form's fields (every indicator)."""
    years = sorted({v.year for v in facts.indicators})
    values = {(v.code, v.year): v.value for v in facts.indicators}
    known = list(vocabulary.by_code)
    recorded = sorted({v.code for v in facts.indicators},
                      key=lambda code: (known.index(code) if code in known else len(known), code))

    def described(code: str) -> tuple[str, str]:
        found = vocabulary.by_code.get(code)
        return (found.label, found.unit) if found is not None else (code, "")

    rows = [{"code": code, "label": described(code)[0], "unit": described(code)[1],
             "cells": [number(values[(code, year)]) if (code, year) in values else "" for year in years]}
            for code in recorded]
    targets = [{"code": t.code, "label": described(t.code)[0], "unit": described(t.code)[1],
                "base_year": t.base_year, "target_year": t.target_year, "target": number(t.target)}
               for t in facts.targets]
    fields = [{"code": i.code, "label": i.label, "unit": i.unit, "step": "1" if i.kind == "count" else "any",
               "min": "" if i.kind == "growth" else "0", "max": "100" if i.kind == "share" else ""}
              for i in vocabulary]
    return {"years": years, "rows": rows, "targets": targets, "fields": fields, "default_year": this_year - 1,
            "latest_year": this_year}


def planned(plan: Any, said: Callable[[Any], str], vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """An uploaded data sheet's plan (monitor.actions.indicators_import.Plan) as the upload page shows it: a row
    for each line of the sheet (its values to add, or all recorded already), the problems and the flags, each
    worded by ``said``."""
    lines: dict[int, dict[str, Any]] = {}
    for p in plan.planned:
        row = lines.setdefault(p.line, {"line": p.line, "action": "same", "replaces": None, "joins": None,
                                        "cluster": p.cluster_id, "values": []})
        if p.action == "add":
            row["action"] = "add"
        fact = p.fact
        label = vocabulary.by_code[fact.detail].label if vocabulary and fact.detail in vocabulary else fact.detail
        year = f"{fact.base_year}→{fact.year}" if fact.kind == "target" else str(fact.year)
        row["values"].append(f"{year} {label} {number(fact.value)}")
    rows = [{**row, "what": "; ".join(row.pop("values"))} for row in lines.values()]
    return {"rows": rows, "problems": [said(problem) for problem in plan.problems],
            "flags": [said(flag) for flag in plan.flags], "blank": 0, "ignored": None,
            "counts": {"add": plan.count("add"), "fill": 0, "same": plan.count("same"), "join": 0}}
