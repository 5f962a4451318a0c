"""The pack format's reference (docs/packs.md, made from the declaration), `monitor regimes --check`, errors that
point to the fix, and a sixth pack written from the reference alone, checked against cases worked by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import PackError
from monitor.rules.engine import evaluate
from monitor.rules.facts import Change, Cluster, Facts, Report, Review
from monitor.rules.packs import load_packs
from monitor.rules.workdays import WorkCalendar
from monitor.views.packref import EXAMPLE, reference
from tests.conftest import d
from tests.helpers import monitor

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = 'id = "{id}"\ntitle = "t"\ndocument = "d"\n[incidents]\nnotice_basis = "第一条"\n'


def test_docs_packs_md_is_what_the_declaration_makes() -> None:
    """Regenerate with: monitor regimes --reference > docs/packs.md"""
    assert (ROOT / "docs" / "packs.md").read_text(encoding="utf-8") == reference()
    result = monitor("regimes", "--reference")
    assert result.exit_code == 0 and result.output == reference()


def test_the_reference_lists_every_key_of_every_table() -> None:
    page = reference()
    for key in ("application_window_months", "review_basis", "consecutive_failures", "window_months",
                "revocation_grounds", "working_days", "valid_until", "report_due", "notify"):
        assert f"| `{key}` |" in page
    for table in ("## [validity]", "## [annual_report]", "## [change_filing]", "## [assessment]", "## [incidents]",
                  "## [publicity]", "## [[batches]]", "## An annotated example"):
        assert table in page


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    directory = tmp_path / "packs"
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def test_the_annotated_example_is_a_sound_pack(tmp_path: Path) -> None:
    directory = write(tmp_path, {"prov-amc.toml": EXAMPLE})
    result = monitor("regimes", "--check", str(directory))
    assert result.exit_code == 0 and "1 个规则包，没有问题" in result.output


def test_check_names_each_problem_on_a_line_and_exits_2(tmp_path: Path) -> None:
    directory = write(tmp_path, {
        "good.toml": MINIMAL.format(id="good"),
        "typo.toml": MINIMAL.format(id="typo") + "[validity]\nyears = 3\nextention_years = 3\n",
        "words.toml": MINIMAL.format(id="words") + "[change_filing]\nwindow_months = \"2个月\"\nbasis = \"b\"\n"
                                                  "overdue_severity = \"risk\"\noverdue_basis = \"b\"\n",
        "date.toml": MINIMAL.format(id="date") + "[validity]\nyears = 3\nbasis = \"b\"\nextension_years = 3\n"
                     "extension_basis = \"b\"\nreview_failed_basis = \"b\"\nexpired_basis = \"b\"\n"
                     "[[batches]]\nid = \"1\"\nnotice = \"n\"\nvalid_until = \"2025-02-30\"\n",
        "notes.toml": "[editor]\nfont = \"mono\"\n",
    })
    result = monitor("regimes", "--check", str(directory))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 4, lines
    assert any("typo.toml：validity.extention_years：未知的键（是否想写 extension_years？）" in x for x in lines)
    assert any("words.toml：change_filing.window_months：应为整数，实际为 '2个月'" in x for x in lines)
    assert any("date.toml：batches[0].valid_until：'2025-02-30' 不是日期" in x for x in lines)
    assert any("notes.toml：不是办法规则包" in x for x in lines)
    assert not any("datetime" in x or "good.toml" in x for x in lines)


def test_a_file_in_packs_dir_that_is_not_a_pack_stops_the_command_and_the_daemon(tmp_path: Path) -> None:
    directory = write(tmp_path, {"notes.toml": "[editor]\nfont = \"mono\"\n"})
    with pytest.raises(PackError, match=r"notes\.toml: not a regime pack"):
        load_packs(directory)
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "m.db"}"\n[general]\npacks_dir = "packs"\n',
                      encoding="utf-8")
    for args in (["regimes"], ["run"]):
        result = monitor(*args, config=config)
        assert result.exit_code == 2 and "notes.toml：不是办法规则包" in result.stderr, result.output


def test_regimes_names_a_title_once() -> None:
    result = monitor("regimes")
    assert "（征求意见稿）（征求意见稿）" not in result.output
    assert "征求意见稿" in result.output


# --- a sixth pack, written from docs/packs.md alone, and cases worked by hand from docs/rules.md ------------------

SIXTH = """
id = "gd-amc"
title = "广东省先进制造业集群管理办法"
document = "粤工信规〔2026〕3号"

[validity]
years = 3
basis = "第八条"
extension_years = 3
extension_basis = "第八条"
review_by_application = true
application_basis = "第九条"
review_basis = "第九条"
application_window_months = 2
review_failed_basis = "第十六条（一）"
expired_basis = "第十六条（一）"
expired_unapplied_severity = "revocation"
notify = ["bureau"]

[annual_report]
due = "04-15"
reporter = "cluster"
basis = "第十条"
overdue_severity = "risk"
overdue_basis = "第十六条（二）"
consecutive_failures = 2

[change_filing]
window_months = 2
basis = "第十一条"
overdue_severity = "risk"
overdue_basis = "第十六条（三）"

[incidents]
notice_basis = "第十六条"
[incidents.revocation_grounds]
false_declaration = "第十六条（四）"
"""

CASES = [
    # (facts, as_of, what the rules say, worked by hand)
    ("certified 2025-03-10: valid until 2028-03-09, window from 2028-01-10", "2027-12-01",
     lambda v: next(o for o in v.obligations if o.kind == "renewal_review").opens == d("2028-01-10")),
    ("applied 2028-01-09, a day early: not done, a notice", "2028-02-01",
     lambda v: ("review_applied_early", "notice") in [(w.code, w.severity) for w in v.warnings]
     and next(o for o in v.obligations if o.kind == "renewal_review").state == "pending"),
    ("the report on 2025 is due 2026-04-15; on 2026-04-16 it is overdue (risk)", "2026-04-16",
     lambda v: [(w.code, w.severity) for w in v.warnings] == [("annual_report_overdue", "risk")]),
    ("2025 late (2026-04-20), 2026 missing: on 2027-04-16 two running revoke", "2027-04-16",
     lambda v: "annual_report_failed_consecutive" in [w.code for w in v.warnings]),
    ("a change on 2026-08-31, two months: 2026-10-31 is a Saturday, due Monday 2026-11-02", "2026-11-03",
     lambda v: next(o for o in v.obligations if o.kind == "change_filing").due == d("2026-11-02")),
]


@pytest.mark.parametrize(("case", "as_of", "check"), CASES, ids=[c[0][:40] for c in CASES])
def test_a_sixth_pack_from_the_reference_alone(tmp_path: Path, case: str, as_of: str, check: object) -> None:
    packs = load_packs(write(tmp_path, {"gd-amc.toml": SIXTH}))
    facts = Facts(Cluster("GD-1", "集群", "gd-amc", d("2025-03-10")),
                  reports=(Report(2025, d("2026-04-20")),) if "2025 late" in case else (),
                  reviews=(Review("applied", d("2028-01-09")),) if "a day early" in case else (),
                  changes=(Change("operator", d("2026-08-31")),) if "a change" in case else ())
    verdict = evaluate(packs["gd-amc"], facts, d(as_of), WorkCalendar.load())
    assert check(verdict), (case, verdict)  # type: ignore[operator]
