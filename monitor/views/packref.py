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

# the certification standard (pack language v3): one [[standard]] an item, its comparisons alternatives (或)
[[standard]]
id = "output"
label = "近三年产值均在20亿元以上"        # the text's own words
basis = "第五条（一）"
[[standard.compare]]
indicator = "output"                     # a code of the vocabulary (`monitor regimes` lists them)
word = "以上"                            # 民法典 第一千二百五十九条: 以上 includes the number
threshold = 20
window = "each_year"                     # each of the three years before the evaluation's year

[[standard]]
id = "enterprises"
label = "拥有不少于1家单项冠军企业或小巨人企业，或者5家以上专精特新中小企业"
basis = "第五条（二）"
reading = "两类企业数相加比较"             # how the pack reads an ambiguous text
[[standard.compare]]
indicator = "champions+little_giants"    # a sum
word = "不少于"
threshold = 1
window = "latest"
[[standard.compare]]                     # 或: met when either is
indicator = "specialised_smes"
word = "以上"
threshold = 5
window = "latest"

[[standard]]
id = "growth"
label = "主导产业产值近三年年均增速高于8%"
basis = "第五条（三）"
[[standard.compare]]
indicator = "leading_output"             # (V of the last year / V of the year before the three)^(1/3) - 1
word = "高于"                            # 8 is not met
threshold = 8
window = "average_growth"
reported = "leading_growth_3y"           # the report's own figure where the values are missing
'''


WORKED = '''\
# 某省《中小企业特色产业集群认定管理办法》: rectification (限期整改), a two-year evaluation cycle and a bar
id = "prov-rect"
title = "中小企业特色产业集群认定管理办法"
document = "某经信规〔2026〕2号"

[validity]
years = 3
basis = "第十条"
extension_years = 3
extension_basis = "第十条"
review_by_application = false           # only a result completes the review (not applying is no ground here)
application_window_months = 3           # "有效期满前3个月内申请复核"
review_failed_basis = "第二十条（一）"
review_failed_severity = "risk"         # a failed review is rectified first (第十五条): risk, not yet a ground
expired_basis = "第十条"

[annual_report]
due = "04-01"                           # "每年4月1日前"
reporter = "bureau"
reporter_label = "市（州）经济和信息化局"   # the reporting body as the measure names it
basis = "第十二条"
overdue_severity = "risk"
overdue_basis = "第二十条（二）"
consecutive_failures = 2                # "连续两年未按时报送" revokes

[change_filing]
window_months = 3                       # "变更之日起3个月内"
basis = "第十三条"
overdue_severity = "risk"
overdue_basis = "第二十条（三）"

[evaluation]
every_years = 2                         # "认定后每两年开展一次评估"
basis = "第十四条"
due_after_months = 3                    # "评估周期届满后3个月内完成"
overdue_basis = "第二十条（四）"

[rectification]
after = ["evaluation", "review"]        # "评估或复核不合格的，限期6个月整改"
months = 6
months_by_kind = { review = 3 }         # "复核不合格的，限期3个月整改"
basis = "第十五条"
lapse_basis = "第二十条（五）"            # "逾期未完成整改的" revokes
repeat_basis = "第二十条（五）"           # "整改后再次不合格的" revokes

[revocation]
reapply_after_years = 3                 # "撤销认定的，3年内不得再次申报"
basis = "第二十一条"
grounds = { false_declaration = 5 }     # "弄虚作假的，5年内不得再次申报"

[incidents]
notice_basis = "第二十条"
[incidents.revocation_grounds]
false_declaration = "第二十条（六）"

[publicity]
working_days = 7                        # "公示7个工作日"
basis = "第九条"
'''

WORKED_INTRO = """\
A measure of the kind many provinces have: reports by April 1, two missed in a row revoking; a review window; a
three-month change window; seven working days of publicity; an evaluation every two years from the certification;
a six-month rectification after a failed evaluation or review, a lapse or a second failure revoking; and a bar
of three years on applying again after a revocation, five after a false declaration. Below it,
cases worked by hand from docs/rules.md, one a line in the form of docs/rules.md's examples ("Reading the
examples"); `tests/test_contract_docs.py` runs each of them through this pack and the engine."""

#: the worked example's cases, worked by hand from docs/rules.md (tests/test_contract_docs.py runs them)
WORKED_CASES = '''\
prov-rect, certified 2024-03-20 → valid_until 2027-03-19, evaluation:2026-03-19 due 2026-06-22 pending basis 第十四条
prov-rect, certified 2024-03-20, as of 2026-06-22 → evaluation:2026-03-19 due 2026-06-22 pending days_left 0, no evaluation_overdue
prov-rect, certified 2024-03-20, as of 2026-06-23 → evaluation:2026-03-19 due 2026-06-22 overdue, evaluation_overdue risk basis 第二十条（四）
prov-rect, certified 2024-03-20, evaluation pass 2026-05-10, as of 2026-06-23 → evaluation:2026-03-19 due 2026-06-22 done done 2026-05-10, no evaluation_overdue, no evaluation_not_passed
prov-rect, certified 2024-03-20, evaluation pass 2026-07-01, as of 2026-07-02 → evaluation:2026-03-19 due 2026-06-22 late done 2026-07-01, no evaluation_overdue
prov-rect, certified 2024-03-20, as of 2026-07-01 → no evaluation:2028-03-19
prov-rect, certified 2024-03-20, evaluation fail 2026-05-10, as of 2026-05-10 → evaluation_not_passed risk basis 第十四条, rectification:evaluation:2026-05-10 due 2026-11-10 pending basis 第十五条
prov-rect, certified 2024-03-20, evaluation fail 2026-05-10, as of 2026-11-10 → rectification:evaluation:2026-05-10 due 2026-11-10 pending days_left 0, no rectification_overdue
prov-rect, certified 2024-03-20, evaluation fail 2026-05-10, as of 2026-11-11 → rectification:evaluation:2026-05-10 due 2026-11-10 overdue, rectification_overdue revocation basis 第二十条（五）
prov-rect, certified 2024-03-20, evaluation fail 2026-05-10, rectified 2026-09-01, as of 2026-11-11 → rectification:evaluation:2026-05-10 due 2026-11-10 done done 2026-09-01, no rectification_overdue
prov-rect, certified 2024-03-20, evaluation fail 2026-05-10, rectified 2026-11-20, as of 2026-11-21 → rectification:evaluation:2026-05-10 due 2026-11-10 late, no rectification_overdue
prov-rect, certified 2024-03-20, evaluation fail 2026-05-10, rectified 2026-09-01, evaluation fail 2026-10-01, as of 2026-10-01 → failed_after_rectification revocation basis 第二十条（五）, no rectification:evaluation:2026-10-01, evaluation_not_passed risk
prov-rect, certified 2024-03-20, evaluation fail 2026-05-10, rectified 2026-09-01, evaluation pass 2026-10-01, as of 2026-10-01 → no failed_after_rectification, no evaluation_not_passed
prov-rect, certified 2024-03-20, evaluation fail 2026-05-10, evaluation fail 2026-06-01, as of 2026-06-01 → rectification:evaluation:2026-06-01 due 2026-12-01 pending, no failed_after_rectification
prov-rect, certified 2023-03-20, review applied 2025-12-22, review fail 2026-01-15, as of 2026-01-15 → review_failed risk basis 第二十条（一）, rectification:review:2026-01-15 due 2026-04-15 pending basis 第十五条
prov-rect, certified 2023-03-20, review applied 2025-12-22, review fail 2026-01-15, rectified 2026-04-01, review pass 2026-06-01, as of 2026-06-01 → valid_until 2029-03-19, no review_failed, rectification:review:2026-01-15 due 2026-04-15 done
prov-rect, certified 2023-03-20, review applied 2025-12-22, review fail 2026-01-15, rectified 2026-04-01, review fail 2026-06-01, as of 2026-06-01 → failed_after_rectification revocation, valid_until 2026-03-19, state expired
prov-rect, certified 2023-03-20, review applied 2025-12-19, as of 2026-01-01 → review_applied_early notice
prov-rect, certified 2023-03-20, as of 2025-06-20 → evaluation:2025-03-19 due 2025-06-19 overdue, evaluation_overdue risk
prov-rect, certified 2024-03-20, as of 2025-04-02 → annual_report:2024 due 2025-04-01 overdue, annual_report_overdue:2024 risk basis 第二十条（二）
prov-rect, certified 2024-03-20, as of 2026-04-02 → annual_report_failed_consecutive revocation basis 第二十条（二）
prov-rect, certified 2024-03-20, report 2024 filed 2025-03-01, as of 2026-04-02 → no annual_report_failed_consecutive, annual_report_overdue:2025 risk
prov-rect, certified 2024-03-20, change operator 2025-07-01, as of 2025-10-10 → change_filing:operator:2025-07-01 due 2025-10-09 overdue, change_filing_overdue risk basis 第二十条（三）
prov-rect, certified 2026-10-20, publicity 2026-09-28 → publicity ends 2026-10-12
prov-rect, certified 2024-03-20, evaluation fail 2026-05-10, revoked 2026-06-01, as of 2026-12-01 → state revoked, no rectification:evaluation:2026-05-10, no rectification_overdue, barred until 2029-06-01
prov-rect, certified 2024-03-20, revoked 2026-06-01, as of 2029-06-01 → barred until 2029-06-01
prov-rect, certified 2024-03-20, revoked 2026-06-01, as of 2029-06-02 → state revoked, not barred
prov-rect, certified 2024-03-20, revoked 2026-06-01 ground false_declaration, as of 2031-06-01 → barred until 2031-06-01
prov-rect, certified 2024-03-20, revoked 2026-06-01 ground report_not_filed, as of 2029-06-02 → not barred
'''


def _words(kind: mi.Type) -> str:
    """A declared type in words."""
    if isinstance(kind, mi.Metadata):
        return _words(kind.type)
    if isinstance(kind, mi.UnionType):
        return " or ".join(_words(t) for t in kind.types if not isinstance(t, mi.NoneType))
    if isinstance(kind, mi.IntType):
        if kind.ge is not None and kind.le is not None:
            return f"whole number {kind.ge} to {kind.le}"
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
        "config.toml adds a directory of more (a pack there with a bundled id replaces it only with `replaces =",
        "true`, and `monitor regimes` says so). Check a directory with `monitor regimes --check DIR`;",
        "`docs/pack.schema.json` is the same declaration as a JSON Schema, for an editor that validates TOML as you",
        "type. A table that is left out is a rule the policy does not have. Dates may be TOML dates (`2028-06-29`)",
        "or quoted (`\"2028-06-29\"`); an error names the file and the key. Every count (years, months, working",
        "days, failures) is a whole number from 1 to 100.",
        "",
        *_section("The file", top),
    ]
    for field in top.fields:
        kind = unwrap(field.type)
        if isinstance(kind, mi.VarTupleType):
            item = unwrap(kind.item_type)
            assert isinstance(item, mi.StructType)
            lines += _section(f"[[{field.encode_name}]]", item)
            for inner in item.fields:          # a list of tables within each item: [[standard.compare]]
                nested = unwrap(inner.type)
                if isinstance(nested, mi.VarTupleType) and isinstance(unwrap(nested.item_type), mi.StructType):
                    lines += _section(f"[[{field.encode_name}.{inner.encode_name}]]",
                                      unwrap(nested.item_type))  # type: ignore[arg-type]
        elif isinstance(kind, mi.StructType):
            lines += _section(f"[{field.encode_name}]", kind)
    lines += ["## An annotated example", "", "```toml", EXAMPLE.rstrip(), "```", "",
              "## A worked example: rectification and an evaluation cycle", "", WORKED_INTRO, "",
              "```toml", WORKED.rstrip(), "```", "", "```example", WORKED_CASES.rstrip(), "```", ""]
    return "\n".join(lines)
