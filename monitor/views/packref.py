"""The pack format's reference page (docs/packs.md), made from its declaration (monitor/rules/packs.py): every
table and key with its type, default, whether it is required and what it means, then an annotated example.

`monitor regimes --reference` prints it; a test fails when docs/packs.md is not what it prints.
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect

import msgspec
from msgspec import inspect as mi

from monitor.rules.packs import PackFile
from monitor.schema import unwrap

EXAMPLE = '''\
# 某省《先进制造业集群培育管理办法》: an example using every table (check it with `monitor regimes --check DIR`)
id = "prov-amc"                         # the file is prov-amc.toml; the roster's regime column says prov-amc
title = "先进制造业集群培育管理办法"
document = "某工信规〔2026〕1号"

[validity]
years = 3                               # valid_until = the day before the 3rd anniversary
basis = "第十条"
extension_years = 3                     # a passed review extends from the old last day
extension_basis = "第十条"
review_by_application = true            # an application in time completes the renewal review
application_basis = "第十一条"
review_basis = "第十一条"                # what renewal_review cites (default: basis)
application_window_months = 3           # "有效期满前三个月内申请复核"
review_failed_basis = "第十五条（一）"
expired_basis = "第十五条（一）"
expired_unapplied_severity = "revocation"
notify = ["operator", "bureau"]

[annual_report]
due = "03-31"                           # the report on year Y is due on 03-31 of Y+1
reporter = "bureau"
reporter_label = "市工业和信息化局"          # the reporter as 第十二条 names it (`monitor regimes` shows it)
basis = "第十二条"
overdue_severity = "risk"               # one failure short of the limit
overdue_basis = "第十五条（二）"
consecutive_failures = 2                # "连续两年未按时报送" revokes
notify = ["bureau"]

[change_filing]
window_months = 1                       # a Civil Code period: 2026-09-01 gives 2026-10-08 (National Day)
basis = "第十四条"
overdue_severity = "revocation"
overdue_basis = "第十五条（三）"

[assessment]
consecutive_failures = 2
basis = "第十六条"

[incidents]
notice_basis = "第十五条"
[incidents.revocation_grounds]
false_declaration = "第十五条（四）"
major_accident = "第十五条（五）"

[publicity]
working_days = 5                        # 公示5个工作日, the first day counts
basis = "第九条"

[revocation]
reapply_after_years = 3                 # "撤销认定的，3年内不得再次申报": revoked 2027-01-05, barred through 2030-01-05
basis = "第十七条"
[revocation.grounds]
false_declaration = 5                   # a ground barred longer
report_not_filed = 0                    # a ground that bars nothing

[[batches]]
id = "2026"
notice = "某工信函〔2026〕9号"
valid_until = 2028-06-29                 # a TOML date (or "2028-06-29")
report_due = "04-30"
'''


def _words(kind: mi.Type) -> str:
    """A declared type in words."""
    if isinstance(kind, mi.Metadata):
        return _words(kind.type)
    if isinstance(kind, mi.UnionType):
        return " or ".join(_words(t) for t in kind.types if not isinstance(t, mi.NoneType))
    if isinstance(kind, mi.IntType):
        return f"whole number ≥ {kind.ge}" if kind.ge is not None else "whole number"
    if isinstance(kind, mi.StrType):
        return "text"
    if isinstance(kind, mi.BoolType):
        return "true or false"
    if isinstance(kind, mi.DateType):
        return "date (2028-06-29)"
    if isinstance(kind, mi.EnumType):
        return "one of " + ", ".join(f'"{m.value}"' for m in kind.cls)
    if isinstance(kind, mi.LiteralType):
        return "one of " + ", ".join(f'"{v}"' for v in sorted(map(str, kind.values)))
    if isinstance(kind, mi.VarTupleType | mi.ListType):
        return f"list of {_words(kind.item_type)}"
    if isinstance(kind, mi.DictType):
        return f"table of {_words(kind.value_type)}"
    if isinstance(kind, mi.StructType):
        return "table"
    return type(kind).__name__


def _description(kind: mi.Type) -> str:
    """The ``Meta(description=…)`` of a declared key."""
    if isinstance(kind, mi.Metadata):
        return str((kind.extra_json_schema or {}).get("description", "")) or _description(kind.type)
    return ""


def _default(field: mi.Field) -> str:
    if field.required:
        return "—"
    value = field.default_factory() if field.default_factory is not msgspec.NODEFAULT else field.default
    if value is None:
        return "unset"
    if isinstance(value, enum.Enum):
        return f'"{value.value}"'
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]" if value else "[]"
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _section(title: str, struct: mi.StructType) -> list[str]:
    lines = [f"## {title}", "", inspect.cleandoc(struct.cls.__doc__ or ""), "",
             "| key | type | default | required | meaning |", "|---|---|---|---|---|"]
    for field in struct.fields:
        kind = field.type
        inner = unwrap(kind)
        if isinstance(inner, mi.StructType) or (
                isinstance(inner, mi.VarTupleType) and isinstance(unwrap(inner.item_type), mi.StructType)):
            continue      # a table of its own: it has a section
        meaning = _description(kind).replace("|", "\\|")
        lines.append(f"| `{field.encode_name}` | {_words(kind)} | {_default(field)} | "
                     f"{'yes' if field.required else 'no'} | {meaning} |")
    return [*lines, ""]


def reference() -> str:
    """The Markdown page."""
    top = mi.type_info(PackFile)
    assert isinstance(top, mi.StructType)
    lines = [
        "# Regime packs: the reference",
        "",
        "<!-- Made by `monitor regimes --reference` from monitor/rules/packs.py; do not edit by hand. -->",
        "",
        "A regime pack is one TOML file per policy, named after its `id`, holding every rule of docs/rules.md that the",
        "policy adopts, each with its article. The bundled packs are in `monitor/packs/`; `general.packs_dir` in",
        "config.toml adds a directory of more (a pack there with a bundled id replaces it). Check a directory with",
        "`monitor regimes --check DIR`; `docs/pack.schema.json` is the same declaration as a JSON Schema, for an",
        "editor that validates TOML as you type. A table that is left out is a rule the policy does not have.",
        "Dates may be TOML dates (`2028-06-29`) or quoted (`\"2028-06-29\"`); an error names the file and the key.",
        "",
        *_section("The file", top),
    ]
    for field in top.fields:
        kind = unwrap(field.type)
        if isinstance(kind, mi.VarTupleType):
            lines += _section(f"[[{field.encode_name}]]", unwrap(kind.item_type))  # type: ignore[arg-type]
        elif isinstance(kind, mi.StructType):
            lines += _section(f"[{field.encode_name}]", kind)
    lines += ["## An annotated example", "", "```toml", EXAMPLE.rstrip(), "```", ""]
    return "\n".join(lines)
