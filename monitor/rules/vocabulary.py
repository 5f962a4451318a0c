"""The values a fact may take, and the Chinese (and other) words accepted for them wherever a value is typed:
on the command line, in a facts file, in its drop-downs. Matching ignores case and surrounding blanks."""

from __future__ import annotations

from monitor.rules.facts import FACT_KINDS
from monitor.rules.packs import CHANGE_KINDS, INCIDENT_GROUNDS, REVOCATION_GROUNDS

REVIEW_RESULTS = ("applied", "pass", "fail")
ASSESSMENT_RESULTS = ("pass", "fail")

#: for each vocabulary, each value and the words that mean it; the first word is the one a template offers
WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "fact": {
        "report": ("年度报告", "年报", "报告", "annual_report"),
        "change": ("重大变动", "变更", "重大变更", "变动"),
        "review": ("复核", "复核评价", "到期复核"),
        "assessment": ("考核", "年度考核", "考核评价", "评价"),
        "incident": ("事件", "违规事件", "问题"),
        "revocation": ("撤销", "撤销认定", "撤销称号"),
        "evaluation": ("评估", "周期评估", "定期评估"),
        "rectification": ("整改", "限期整改", "整改完成"),
    },
    "change": {
        "leading_industry": ("主导产业",),
        "spatial_scope": ("空间范围",),
        "operator": ("运营管理机构", "运营机构", "运营主体"),
    },
    "result": {
        "applied": ("已申请", "申请"),
        "pass": ("通过", "合格"),
        "fail": ("未通过", "不通过", "不合格"),
    },
    "ground": {
        "false_declaration": ("虚假申报", "弄虚作假"),
        "violation": ("违法违规",),
        "major_accident": ("较大及以上事故", "重大事故", "安全事故"),
        "non_cooperation": ("不配合监测监督", "不配合"),
        "report_not_filed": ("未按时报送年度报告", "未报送年度报告", "未按时报送"),
        "change_not_filed": ("重大变动未按时备案", "未及时更新报备", "变动未备案"),
        "review_not_passed": ("复核未通过", "未申请复核"),
        "assessment_failed": ("考核未通过",),
        "other": ("其他情形", "其他"),
    },
}

VALUES: dict[str, tuple[str, ...]] = {
    "fact": FACT_KINDS, "change": CHANGE_KINDS, "result": REVIEW_RESULTS, "ground": REVOCATION_GROUNDS}

#: the kinds whose detail takes part of its vocabulary only: an assessment has no application, an incident only an
#: incident's ground (a revocation takes every ground)
NARROWED: dict[str, tuple[str, ...]] = {"assessment": ASSESSMENT_RESULTS, "evaluation": ASSESSMENT_RESULTS,
                                         "incident": INCIDENT_GROUNDS}


def detail_values(kind: str, vocabulary: str) -> tuple[str, ...]:
    """The values a kind of fact's detail may take from ``vocabulary``."""
    return NARROWED.get(kind, VALUES[vocabulary])


_LOOKUP: dict[str, dict[str, str]] = {
    name: {word.casefold(): value for value in VALUES[name] for word in (value, *WORDS[name].get(value, ()))}
    for name in VALUES
}


def canonical(vocabulary: str, text: str) -> str | None:
    """The value ``text`` names in ``vocabulary`` (``fact``, ``change``, ``result``, ``ground``), or None."""
    return _LOOKUP[vocabulary].get(text.strip().casefold())


def spelled(vocabulary: str, value: str) -> str:
    """The Chinese word offered for a value (the value itself when it has none)."""
    words = WORDS[vocabulary].get(value, ())
    return words[0] if words else value


def choices(vocabulary: str, values: tuple[str, ...] | None = None) -> str:
    """The accepted values (all of the vocabulary's unless given), each with its first Chinese word, for an
    error message: ``pass (通过), fail (未通过)``."""
    return ", ".join(f"{v} ({spelled(vocabulary, v)})" for v in (values or VALUES[vocabulary]))


#: the columns of a facts file: (name, the headers that name it, the Chinese one last, required);
#: `monitor import-facts` reads them, `monitor template --facts` writes them
FACT_COLUMNS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("cluster", ("cluster", "cluster_id", "id", "集群编号"), True),
    ("fact", ("fact", "事项"), True),
    ("year", ("year", "年度"), False),
    ("filed_on", ("filed_on", "报送日期"), False),
    ("change_kind", ("change_kind", "变更类型"), False),
    ("changed_on", ("changed_on", "变更日期"), False),
    ("result", ("result", "结果"), False),
    ("ground", ("ground", "情形"), False),
    ("on", ("on", "日期"), False),
    ("dismissed_on", ("dismissed_on", "解除日期"), False),
    ("note", ("note", "备注"), False),
)

#: the columns `monitor template --backfill` adds after the facts file's, for reference (which obligation a row is,
#: when it was due), by language; `monitor import-facts` skips them
BACKFILL_COLUMNS = {"zh": ("应办事项", "原到期日"), "en": ("obligation", "was due")}

#: the facts-file columns whose values come from a vocabulary (which one), and those that hold a day; a form or
#: an API body names its fields by the same columns
COLUMN_VOCABULARY = {"change_kind": "change", "result": "result", "ground": "ground"}
DATE_COLUMNS = ("filed_on", "changed_on", "on", "dismissed_on")
