"""docs/rules.md stays true: every line of its ```example blocks is evaluated through the real packs and the real
engine and must come out as written; and the product owner's two files outside the repository are cited by
docs/rules.md and docs/interface.md only, which say where they came from (the code points at those two docs).

The examples' notation is the one docs/rules.md explains under "Reading the examples". A line this parser does not
understand fails the test: an example is never skipped.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from monitor.config import DEFAULT_LEAD_DAYS
from monitor.rules.checks import with_default_day
from monitor.rules.engine import evaluate
from monitor.rules.facts import (
    AssessmentResult,
    Change,
    Cluster,
    EvaluationResult,
    Facts,
    Incident,
    Recorded,
    Report,
    Review,
)
from monitor.rules.listing import shown
from monitor.rules.packs import Pack, load_packs, parse_pack
from monitor.rules.stages import obligation_stage
from monitor.rules.verdict import Alert, Obligation, Verdict
from monitor.rules.workdays import WorkCalendar
from monitor.views.packref import WORKED

ROOT = Path(__file__).resolve().parent.parent
RULES_DOC = ROOT / "docs" / "rules.md"
#: the weekly overdue interval of the default config, which the stage examples assume
OVERDUE_EVERY_DAYS = 7
#: the product owner's files, spelled so that this file does not cite them itself
OWNER_FILES = ("RULES" + ".md", "INTERFACE" + ".md")
#: the docs that explain where those files came from, and so may name them
EXPLAINING_DOCS = {"docs/rules.md", "docs/interface.md"}


def examples(text: str) -> list[tuple[int, str]]:
    """The lines of the ```example blocks, with their line numbers in the file."""
    found, inside = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("```"):
            inside = line.strip() == "```example"
        elif inside and line.strip():
            found.append((number, line.strip()))
    return found


EXAMPLES = examples(RULES_DOC.read_text(encoding="utf-8"))
#: docs/packs.md's worked example: its pack (WORKED) and the cases below it
WORKED_EXAMPLES = examples((ROOT / "docs" / "packs.md").read_text(encoding="utf-8"))
WORKED_PACK = parse_pack(tomllib.loads(WORKED), "docs/packs.md", expected_id="prov-rect")


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def optional_day(text: str) -> dt.date | None:
    return None if text == "none" else day(text)


@dataclass
class Case:
    """The left side of an example: a cluster, its facts, the pack values changed, and the evaluation date."""
    regime: str
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    roster: dict[str, Any] = field(default_factory=dict)
    reports: list[Report] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    assessments: list[AssessmentResult] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    revoked_on: dt.date | None = None
    evaluations: list[EvaluationResult] = field(default_factory=list)
    rectifications: list[dt.date] = field(default_factory=list)
    revocation_ground: str | None = None
    as_of: dt.date | None = None
    baseline: dt.date | None = None     # general.monitoring_from

    def facts(self) -> Facts:
        cluster = Cluster("EX-1", "示例集群", self.regime, **self.roster)
        return Facts(cluster, tuple(self.reports), tuple(self.changes), tuple(self.reviews),
                     tuple(self.assessments), tuple(self.incidents), self.revoked_on, self.revocation_ground,
                     tuple(self.evaluations), tuple(self.rectifications))


def _regime(text: str) -> tuple[str, dict[str, dict[str, Any]]]:
    regime, _, changes = text.partition(" with ")
    overrides: dict[str, dict[str, Any]] = {}
    for change in filter(None, changes.split(" and ")):
        dotted, _, value = change.partition("=")
        section, _, key = dotted.strip().partition(".")
        assert section and key and value, f"not SECTION.KEY=VALUE: {change!r}"
        overrides.setdefault(section, {})[key] = tomllib.loads(f"v = {value.strip()}")["v"]
    return regime.strip(), overrides


def parse_case(left: str) -> Case:
    first, *items = [item.strip() for item in left.split(", ")]
    regime, overrides = _regime(first)
    case = Case(regime, overrides)
    for item in items:
        words = item.split()
        match words:
            case ["certified", on]:
                case.roster["certified_on"] = day(on)
            case ["batch", batch]:
                case.roster["batch"] = batch
            case ["valid_until", on]:
                case.roster["valid_until"] = day(on)
            case ["publicity", on]:
                case.roster["publicity_start"] = day(on)
            case ["report", year, "filed", on]:
                case.reports.append(Report(int(year), day(on)))
            case ["change", kind, on]:
                case.changes.append(Change(kind, day(on)))
            case ["change", kind, on, "filed", filed]:
                case.changes.append(Change(kind, day(on), day(filed)))
            case ["review", result, on]:
                case.reviews.append(Review(result, day(on)))
            case ["assessment", year, result, *rest]:
                given = day(rest[1]) if rest[:1] == ["on"] and len(rest) == 2 else None
                assert not rest or given, f"not `assessment YEAR RESULT [on DATE]`: {item!r}"
                recorded = with_default_day(Recorded("assessment", year=int(year), on=given, detail=result))
                assert recorded.on is not None
                case.assessments.append(AssessmentResult(int(year), result, recorded.on))
            case ["incident", ground, on]:
                case.incidents.append(Incident(ground, day(on)))
            case ["incident", ground, on, "dismissed", dismissed]:
                case.incidents.append(Incident(ground, day(on), dismissed_on=day(dismissed)))
            case ["revoked", on]:
                case.revoked_on = day(on)
            case ["evaluation", result, on]:
                case.evaluations.append(EvaluationResult(result, day(on)))
            case ["rectified", on]:
                case.rectifications.append(day(on))
            case ["revoked", on, "ground", ground]:
                case.revoked_on, case.revocation_ground = day(on), ground
            case ["as", "of", on]:
                case.as_of = day(on)
            case ["baseline", on]:
                case.baseline = day(on)
            case _:
                pytest.fail(f"an example's fact this test does not understand: {item!r}")
    assert "certified_on" in case.roster, f"an example without `certified DATE`: {left!r}"
    return case


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    listed: frozenset[str]          # the keys of the obligations `monitor status` shows

    def obligation(self, key: str) -> Obligation:
        matches = [o for o in self.verdict.obligations if o.key == key]
        assert matches, f"no obligation {key}; there are {[o.key for o in self.verdict.obligations]}"
        return matches[0]

    def warning(self, key_or_code: str) -> Alert:
        matches = [w for w in self.verdict.warnings if key_or_code in (w.key, w.code)]
        assert len(matches) == 1, f"{len(matches)} warnings match {key_or_code}: {[w.key for w in self.verdict.warnings]}"
        return matches[0]

    def has(self, key_or_code: str) -> bool:
        return any(o.key == key_or_code for o in self.verdict.obligations) or any(
            key_or_code in (w.key, w.code) for w in self.verdict.warnings)


def _options(words: list[str]) -> dict[str, str]:
    """``done 2026-03-05 days_left 3 …`` as a mapping, each option once."""
    assert len(words) % 2 == 0, f"options come in pairs: {words}"
    options = dict(zip(words[::2], words[1::2], strict=True))
    unknown = set(options) - {"done", "days_left", "opens", "basis", "calendar"}
    assert not unknown, f"unknown options {sorted(unknown)}"
    return options


def check_result(outcome: Outcome, result: str) -> None:
    verdict = outcome.verdict
    match result.split():
        case ["valid_until", on]:
            assert verdict.valid_until == optional_day(on)
        case ["state", state]:
            assert verdict.state == state
        case ["no", "warnings"]:
            assert not verdict.warnings, [w.key for w in verdict.warnings]
        case ["no", key]:
            assert not outcome.has(key), f"{key} is there"
        case ["publicity", "ends", on]:
            assert verdict.publicity is not None and verdict.publicity.end == day(on)
        case ["barred", "until", on]:
            assert verdict.reapply_barred_until == day(on), verdict.reapply_barred_until
        case ["not", "barred"]:
            assert verdict.reapply_barred_until is None, verdict.reapply_barred_until
        case [key, "listed"]:
            outcome.obligation(key)
            assert key in outcome.listed, f"{key} is not listed"
        case [key, "not", "listed"]:
            outcome.obligation(key)
            assert key not in outcome.listed, f"{key} is listed"
        case [key, "due", due, state, *rest]:
            options = _options(rest)
            found = outcome.obligation(key)
            assert (found.due, found.state) == (optional_day(due), state), (found.due, found.state)
            assert found.calendar == options.get("calendar"), found.calendar
            if "done" in options:
                assert found.done_on == day(options["done"])
            if "days_left" in options:
                assert found.days_left == int(options["days_left"])
            if "opens" in options:
                assert found.opens == day(options["opens"])
            if "basis" in options:
                assert found.basis == options["basis"]
        case [key, ("revocation" | "risk" | "notice") as severity, *rest]:
            options = _options(rest)
            assert set(options) <= {"basis"}, options
            warning = outcome.warning(key)
            assert warning.severity == severity, warning
            if "basis" in options:
                assert warning.basis == options["basis"]
        case _:
            pytest.fail(f"a result this test does not understand: {result!r}")


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return WorkCalendar.load()


def pack_for(case: Case) -> Pack:
    if case.regime == WORKED_PACK.id:
        assert not case.overrides, "the worked example's pack is used as docs/packs.md gives it"
        return WORKED_PACK
    return load_packs(overrides={case.regime: case.overrides} if case.overrides else None)[case.regime]


def run_stage(left: str, right: str) -> None:
    due_part, as_of_part = left.split(", ")
    due, as_of = day(due_part.removeprefix("due ")), day(as_of_part.removeprefix("as of "))
    stage = obligation_stage(due, as_of, DEFAULT_LEAD_DAYS, OVERDUE_EVERY_DAYS)
    match right.split():
        case ["no", "stage"]:
            assert stage is None, stage
        case ["stage", name, "crossed", on]:
            assert stage == (name, day(on)), stage
        case _:
            pytest.fail(f"a stage result this test does not understand: {right!r}")


def run_escalation(left: str, right: str) -> None:
    """``escalation 0/7/14, first D[, acked D][, snoozed until D], as of D`` → ``steps 1 2`` or ``no step``."""
    from monitor.rules.escalation import Chain, Step, steps_due

    head, *items = [item.strip() for item in left.split(", ")]
    chain = Chain((), ("revocation",), tuple(Step(int(n), "bureau") for n in head.split()[1].split("/")))
    given = {name: day(value) for item in items for name, value in [item.rsplit(" ", 1)]}
    due = steps_due(chain, given["first"], given["as of"], given.get("acked"), given.get("snoozed until"))
    assert (f"steps {' '.join(map(str, due))}" if due else "no step") == right, due


def test_rules_md_has_its_examples() -> None:
    """Enough examples are found, and every section that computes something has some (a parser that finds none
    would make the test below pass for nothing)."""
    assert len(EXAMPLES) >= 80
    text = RULES_DOC.read_text(encoding="utf-8")
    for section in ("## 3.", "## 4.", "## 5.", "## 6.", "## 7.", "## 8.", "## 9.", "## 10.", "## 11.", "## 12.",
                    "## 14."):
        body = text.split(section, 1)[1].split("\n## ", 1)[0]
        assert "```example" in body, f"section {section} has no examples"


def test_the_worked_pack_in_packs_md_has_its_cases() -> None:
    """At least 20 cases worked by hand against docs/packs.md's rectification example, of every rule it adopts."""
    assert len(WORKED_EXAMPLES) >= 20
    text = " ".join(example for _, example in WORKED_EXAMPLES)
    for word in ("evaluation_overdue", "rectification_overdue", "failed_after_rectification", "review_failed",
                 "annual_report_failed_consecutive", "change_filing_overdue", "publicity ends", "revoked", "barred until",
                 "not barred"):
        assert word in text


@pytest.mark.parametrize(("doc", "line", "example"),
                         [("rules.md", n, e) for n, e in EXAMPLES] + [("packs.md", n, e) for n, e in WORKED_EXAMPLES],
                         ids=[f"line {n}" for n, _ in EXAMPLES] + [f"packs.md line {n}" for n, _ in WORKED_EXAMPLES])
def test_each_example_in_rules_md_is_what_the_code_computes(doc: str, line: int, example: str,
                                                            calendar: WorkCalendar) -> None:
    left, arrow, right = example.partition(" → ")
    assert arrow, f"docs/{doc} line {line}: no ' → ' in {example!r}"
    if left.startswith("due "):
        results = [right]
        check = functools.partial(run_stage, left)
    elif left.startswith("escalation "):
        results = [right]
        check = functools.partial(run_escalation, left)
    else:
        case = parse_case(left)
        facts = case.facts()
        as_of = case.as_of or facts.cluster.certified_on
        verdict = evaluate(pack_for(case), facts, as_of, calendar, case.baseline)
        listed = frozenset(o.key for o in shown(facts, verdict, as_of).verdict.obligations)
        results = right.split(", ")
        check = functools.partial(check_result, Outcome(verdict, listed))
    for result in results:
        try:
            check(result)
        except AssertionError as exc:
            raise AssertionError(f"docs/rules.md line {line}: {result!r} is not what the code computes: {exc}\n"
                                 f"  {example}") from None


def test_the_example_parser_refuses_what_it_does_not_understand(calendar: WorkCalendar) -> None:
    with pytest.raises(pytest.fail.Exception, match="does not understand"):
        parse_case("nmg-sme-draft, certified 2023-07-10, reprot 2024 filed 2025-03-01")
    verdict = evaluate(load_packs()["nmg-sme-draft"], parse_case("nmg-sme-draft, certified 2023-07-10").facts(),
                       day("2023-07-10"), calendar)
    with pytest.raises(pytest.fail.Exception, match="does not understand"):
        check_result(Outcome(verdict, frozenset()), "valid_untill 2026-07-09")
    with pytest.raises(AssertionError):
        check_result(Outcome(verdict, frozenset()), "valid_until 2026-07-10")


def _tracked_text_files() -> list[str]:
    """Every file of the repository, committed or not (what .gitignore leaves out aside)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout
    return [name for name in listed.decode().split("\0") if name and (ROOT / name).is_file()]


def test_only_the_docs_that_explain_them_cite_the_product_owners_files() -> None:
    citing = []
    pattern = re.compile("|".join(re.escape(name) for name in OWNER_FILES))
    for name in _tracked_text_files():
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue        # a binary file (docs/report.png)
        if name not in EXPLAINING_DOCS and pattern.search(text):
            citing.append(name)
    assert not citing, f"cite docs/rules.md or docs/interface.md instead: {citing}"
    for name in EXPLAINING_DOCS:
        assert pattern.search((ROOT / name).read_text(encoding="utf-8")), f"{name} no longer says where it came from"


#: ``docs/rules.md, "Annual reports"`` (a section), and ``docs/rules.md: "sent once, marked as late"`` (a quote);
#: in docs/pack.schema.json the quotes are escaped
SECTION = re.compile(r'docs/(rules|interface)\.md, \\?"([^"\\]+)\\?"')
QUOTE = re.compile(r'docs/(rules|interface)\.md: \\?"([^"\\]+)\\?"')


def _words(text: str) -> str:
    return " ".join(text.split())


def _headings(text: str) -> set[str]:
    """A doc's section names, without their numbers, each also without a trailing "(…)": "11. Rules a pack may
    adopt (pack language v2)" is cited as "Rules a pack may adopt"."""
    names = set()
    for line in text.splitlines():
        if line.startswith("#"):
            name = re.sub(r"^#+ (\d+\. )?", "", line).strip()
            names |= {name, re.sub(r" \([^)]*\)$", "", name)}
    return names


def test_what_the_code_cites_of_the_two_docs_is_in_them() -> None:
    """A section a reference names is a heading of that doc; a phrase it quotes is in it (``…`` leaves words out)."""
    docs = {name: (ROOT / "docs" / f"{name}.md").read_text(encoding="utf-8") for name in ("rules", "interface")}
    headings = {name: _headings(text) for name, text in docs.items()}
    cited, missing = 0, []
    for name in _tracked_text_files():
        if not name.endswith((".py", ".md", ".toml", ".json")) or name in EXPLAINING_DOCS:
            continue
        text = (ROOT / name).read_text(encoding="utf-8")
        for doc, section in SECTION.findall(text):
            cited += 1
            if section not in headings[doc]:
                missing.append(f"{name}: docs/{doc}.md has no section {section!r}")
        for doc, quote in QUOTE.findall(text):
            cited += 1
            pattern = r"[\s\S]{1,200}?".join(re.escape(_words(part)).replace(re.escape(" "), r"\s+")
                                            for part in quote.split("…"))
            if not re.search(pattern, docs[doc]):
                missing.append(f"{name}: docs/{doc}.md does not say {quote!r}")
    assert cited >= 15
    assert not missing, missing
