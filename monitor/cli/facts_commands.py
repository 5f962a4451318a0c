"""`monitor import` and `monitor record …`: the roster and the facts, validated and stored whole or not at all."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monitor.app import App, who
from monitor.cli.base import (
    DATE,
    MOMENT,
    VocabularyType,
    cluster_argument,
    config_option,
    echo,
    moment,
    pass_app,
)
from monitor.errors import Said

if TYPE_CHECKING:
    from monitor.actions.record import Outcome, Recorder


@click.command("import")
@config_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--from", "monitoring_from", type=DATE, default=None,
              help="The baseline (监测起始日): an obligation due before it with no fact recorded is unrecorded, "
                   "not overdue.")
@click.option("--sheet", "sheet", metavar="NAME", help="The workbook's sheet to read (else the first headed by the "
              "roster's columns).")
@click.option("--strict", is_flag=True, help="Refuse columns the roster does not know instead of keeping them.")
@pass_app
def import_(app: App, file: Path, monitoring_from: dt.date | None, sheet: str | None, strict: bool) -> None:
    """Import a roster (.csv or .xlsx, one cluster a row); a known id updates that cluster. Title rows above the
    header are skipped; columns the roster does not know are kept with each cluster (said which) unless --strict."""
    from db.session import transaction
    from monitor import clock
    from monitor.actions.baseline import set_baseline
    from monitor.actions.roster_import import import_roster

    with transaction(app.sessions) as session:
        result = import_roster(session, file, app.packs, who(), clock.now_utc(), progress=_progress,
                               today=app.today(), sheet_name=sheet, strict=strict)
        if monitoring_from is not None:
            set_baseline(session, monitoring_from, app.settings.monitoring_from, app.today(), who(), clock.now_utc())
    if result.kept is not None:
        echo(result.kept)
    for warning in result.warnings:
        echo(warning, err=True)
    echo(Said("imported {file}: {added} added, {updated} updated, {unchanged} unchanged" if result.unchanged else
              "imported {file}: {added} added, {updated} updated", file=file.name, added=result.added,
              updated=result.updated, unchanged=result.unchanged))
    if monitoring_from is not None:
        echo(Said("baseline (监测起始日) {day}: what fell due before it with no fact recorded is unrecorded, not "
                  "overdue (`monitor template --backfill FILE.xlsx` lists it)", day=monitoring_from))


def _progress(rows: Iterable[Any], total: int) -> Iterable[Any]:
    """A progress bar on stderr for imports that take more than a moment (and only on a terminal)."""
    if total < 2000 or not sys.stderr.isatty():
        return rows
    from rich.console import Console
    from rich.progress import track

    return track(rows, total=total, description="checking rows", console=Console(stderr=True), transient=True)


@click.command("import-facts")
@config_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--dry-run", is_flag=True, help="Say what each row would do; store nothing.")
@click.option("--sheet", "sheet", metavar="NAME", help="The workbook's sheet to read (else the first headed by the "
              "facts columns).")
@click.option("--strict", is_flag=True, help="Refuse columns a facts file does not have instead of ignoring them.")
@pass_app
def import_facts(app: App, file: Path, dry_run: bool, sheet: str | None, strict: bool) -> None:
    """Import facts (.csv or .xlsx, one fact a row, English or Chinese headers) in one transaction: a repeated fact
    changes nothing, a filing fills in a stored change, a contradiction refuses the file (use `monitor amend`).
    Title rows above the header are skipped; other columns are ignored (said which) unless --strict."""
    from db.session import transaction
    from monitor import clock
    from monitor.actions.facts_import import plan_import, store
    from monitor.actions.record import describe
    from monitor.errors import ImportError_

    with transaction(app.sessions) as session:
        plan = plan_import(session, file, app.packs, app.today(), sheet_name=sheet, strict=strict)
        if plan.ignored is not None:
            echo(plan.ignored)
        if dry_run:
            said = {"add": "line {line}: would add {id} {fact}",
                    "fill": "line {line}: would fill in fact {number}: {id} {fact}",
                    "same": "line {line}: already recorded (fact {number}): {id} {fact}",
                    "join": "line {line}: adds to line {joins}: {id} {fact}"}
            for p in plan.planned:
                echo(Said(said[p.action], line=p.line, number=p.replaces, joins=p.joins, id=p.cluster_id,
                          fact=describe(p.fact)))
            echo(Said("{file}: {add} to add, {fill} to fill in, {same} already recorded, {refused} refused; nothing "
                      "stored", file=file.name, add=plan.count("add"), fill=plan.count("fill"),
                      same=plan.count("same"), refused=len(plan.problems)))
            _left_blank(file, plan.blank)
            if plan.problems:
                raise ImportError_(plan.source or str(file), plan.problems)
            return
        store(session, plan, str(file), who(), clock.now_utc())
    echo(Said("imported {file}: {add} added, {fill} filled in, {same} already recorded", file=file.name,
              add=plan.count("add"), fill=plan.count("fill"), same=plan.count("same")))
    _left_blank(file, plan.blank)


def _left_blank(file: Path, lines: list[int]) -> None:
    """A back-fill sheet's rows not filled in yet are skipped: say how many."""
    if lines:
        echo(Said("{file}: {count} rows of the back-fill sheet left blank, skipped: they stay unrecorded",
                  file=file.name, count=len(lines)))


@click.group()
def record() -> None:
    """Record a fact as it happens (report, change, review, assessment, evaluation, rectification, incident,
    revocation; an indicator value or a plan target); prints its number."""


def _write(app: App, act: Callable[[Recorder], Outcome]) -> None:
    """Run one recording action in one transaction and print what it says."""
    from db.session import transaction
    from monitor import clock
    from monitor.actions.record import Recorder

    with transaction(app.sessions) as session:
        message = act(Recorder(session, app.packs, who(), clock.now_utc(), app.today(), vocabulary=app.vocabulary,
                               timezone=app.settings.timezone))
    echo(message.message)


def _record(app: App, cluster: str, reason: str | None = None, **fields: Any) -> None:
    from monitor.rules.facts import Recorded

    fact = Recorded(**fields)
    _write(app, lambda recorder: recorder.record(cluster, fact, reason))


CHANGE = VocabularyType("change")
REVIEW = VocabularyType("result")
ASSESSMENT = VocabularyType("result", "assessment")
GROUND = VocabularyType("ground")
INCIDENT_GROUND = VocabularyType("ground", "incident")


@record.command("report")
@config_option
@cluster_argument
@click.option("--year", type=int, required=True, help="The year the report is on (filed in the next).")
@click.option("--filed-on", type=DATE, required=True, help="The day it was filed.")
@pass_app
def record_report(app: App, cluster: str, year: int, filed_on: dt.date) -> None:
    """An annual report filed."""
    _record(app, cluster, kind="report", year=year, filed_on=filed_on)


@record.command("change")
@config_option
@cluster_argument
@click.option("--kind", type=CHANGE, required=True, help="leading_industry (主导产业), spatial_scope (空间范围) or "
                                                         "operator (运营管理机构).")
@click.option("--changed-on", type=DATE, required=True, help="The day the change happened.")
@click.option("--filed-on", type=DATE, help="The day it was filed (fills in a change recorded before).")
@pass_app
def record_change(app: App, cluster: str, kind: str, changed_on: dt.date, filed_on: dt.date | None) -> None:
    """A major change (重大变动), and its filing when it is filed."""
    _record(app, cluster, kind="change", detail=kind, on=changed_on, filed_on=filed_on)


@record.command("review")
@config_option
@cluster_argument
@click.option("--result", type=REVIEW, required=True, help="applied (已申请), pass (通过) or fail (未通过).")
@click.option("--on", "on", type=DATE, required=True, help="The day of the application or the result.")
@click.option("--reason", help="Why a result dated long before the validity ends is right (kept with it).")
@pass_app
def record_review(app: App, cluster: str, result: str, on: dt.date, reason: str | None) -> None:
    """A renewal review: applied for, passed or failed."""
    _record(app, cluster, reason, kind="review", detail=result, on=on)


@record.command("assessment")
@config_option
@cluster_argument
@click.option("--year", type=int, required=True)
@click.option("--result", type=ASSESSMENT, required=True, help="pass (通过) or fail (未通过).")
@click.option("--on", "on", type=DATE, help="The day it was announced (default January 1 of the next year).")
@pass_app
def record_assessment(app: App, cluster: str, year: int, result: str, on: dt.date | None) -> None:
    """A yearly assessment result."""
    _record(app, cluster, kind="assessment", year=year, detail=result, on=on)


@record.command("incident")
@config_option
@cluster_argument
@click.option("--ground", type=INCIDENT_GROUND, required=True)
@click.option("--on", "on", type=DATE, required=True)
@click.option("--note", help="What happened.")
@click.option("--dismissed-on", type=DATE, help="The day the incident was dismissed (fills in one recorded before).")
@pass_app
def record_incident(app: App, cluster: str, ground: str, on: dt.date, note: str | None,
                    dismissed_on: dt.date | None) -> None:
    """An incident (false declaration, violation, major accident, non-cooperation), or its dismissal."""
    _record(app, cluster, kind="incident", detail=ground, on=on, note=note, dismissed_on=dismissed_on)


@record.command("evaluation")
@config_option
@cluster_argument
@click.option("--result", type=ASSESSMENT, required=True, help="pass (通过) or fail (未通过).")
@click.option("--on", "on", type=DATE, required=True, help="The day of the result.")
@pass_app
def record_evaluation(app: App, cluster: str, result: str, on: dt.date) -> None:
    """An evaluation result, for regimes that evaluate every N years; it settles the earliest cycle still open."""
    _record(app, cluster, kind="evaluation", detail=result, on=on)


@record.command("rectification")
@config_option
@cluster_argument
@click.option("--on", "on", type=DATE, required=True, help="The day the rectification was completed.")
@click.option("--note", help="What was rectified, e.g. the acceptance document.")
@pass_app
def record_rectification(app: App, cluster: str, on: dt.date, note: str | None) -> None:
    """A completed rectification (整改) after a failed result; it settles the earliest one still open."""
    _record(app, cluster, kind="rectification", on=on, note=note)


@record.command("revocation")
@config_option
@cluster_argument
@click.option("--on", "on", type=DATE, required=True)
@click.option("--ground", type=GROUND, help="What it was revoked for: an incident's ground, report_not_filed, "
                                            "change_not_filed, review_not_passed, assessment_failed or other.")
@click.option("--note", help="The decision, e.g. its document number.")
@pass_app
def record_revocation(app: App, cluster: str, on: dt.date, ground: str | None, note: str | None) -> None:
    """A revocation of the cluster's title; nothing falls due after it, and the regime may bar it from applying
    again for some years."""
    _record(app, cluster, kind="revocation", on=on, detail=ground, note=note)


reason_option = click.option("--reason", required=True, help="Why the record is corrected (kept with it).")


@click.command()
@config_option
@click.argument("fact", type=click.IntRange(min=1))
@click.option("--year", type=int)
@click.option("--filed-on", type=DATE)
@click.option("--changed-on", type=DATE)
@click.option("--on", "on", type=DATE)
@click.option("--kind", "change_kind", type=CHANGE, help="A change's kind.")
@click.option("--result", type=REVIEW, help="A review's or an assessment's result.")
@click.option("--ground", type=GROUND, help="An incident's or a revocation's ground.")
@click.option("--note")
@click.option("--dismissed-on", type=DATE)
@click.option("--indicator", help="An indicator value's or a plan target's indicator (code or the form's label).")
@click.option("--value", type=float, help="An indicator value.")
@click.option("--base-year", type=int, help="A plan target's base year.")
@click.option("--target-year", type=int, help="A plan target's target year.")
@click.option("--target", type=float, help="A plan target's target value.")
@reason_option
@pass_app
def amend(app: App, /, fact: int, reason: str, change_kind: str | None, **values: Any) -> None:
    """Correct fact FACT: a new version with the values given replaces it; the old one stays on the record."""
    options = {"--" + name.replace("_", "-"): value for name, value in values.items()}
    options["--kind"] = change_kind
    _write(app, lambda recorder: recorder.amend(fact, options, reason))


@click.command()
@config_option
@click.argument("fact", type=click.IntRange(min=1))
@reason_option
@pass_app
def retract(app: App, fact: int, reason: str) -> None:
    """Withdraw fact FACT (recorded in error): it stops counting and stays on the record, retracted."""
    _write(app, lambda recorder: recorder.retract(fact, reason))


@click.command()
@config_option
@cluster_argument
@click.option("--known-at", type=MOMENT, help="The record as it stood at this moment.")
@click.option("--reminders", is_flag=True, help="Every reminder delivery, one line each (without it, one line a "
                                               "subject: how many, the latest).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_app
def history(app: App, cluster: str, known_at: dt.datetime | None, reminders: bool, fmt: str) -> None:
    """Everything on the record about CLUSTER, oldest first: each version of each fact (current, superseded or
    retracted, who, when and why), archiving, acks and snoozes, and the reminders owed and sent."""
    from db import fact_queries as record_db
    from db.history_queries import history as read_history
    from db.session import transaction
    from monitor.errors import UnknownClusterError
    from monitor.rules.facts import Cluster
    from monitor.views.document import encode
    from monitor.views.history_lines import collapsed, history_json, history_lines

    at = moment(app, known_at)
    app.require_database()
    with transaction(app.sessions) as session:
        row = record_db.cluster(session, cluster)
        if row is None:
            raise UnknownClusterError(cluster)
        entries = read_history(session, row.id, at)
        found = Cluster(row.id, row.name, row.regime, row.certified_on)
    if fmt == "json":
        sys.stdout.buffer.write(encode(history_json(found, entries, at), sys.stdout.isatty()) + b"\n")
        return
    pack = app.packs.get(found.regime)
    click.echo("\n".join(history_lines(found, entries if reminders else collapsed(entries), at,
                                       app.settings.timezone, app.settings.language, pack.title if pack else None)))


@click.group()
def roster() -> None:
    """Take a cluster off the roster (archive it) or put it back; nothing is deleted."""


def _archive(app: App, cluster: str, archived: bool, reason: str) -> None:
    from db.session import transaction
    from monitor import clock
    from monitor.actions.archive import set_archived

    with transaction(app.sessions) as session:
        message = set_archived(session, cluster, archived, reason, who(), clock.now_utc())
    echo(message)


@roster.command("archive")
@config_option
@cluster_argument
@reason_option
@pass_app
def roster_archive(app: App, cluster: str, reason: str) -> None:
    """Archive CLUSTER: hidden from status, digests, calendar and export (unless --include-archived); kept in
    its history."""
    _archive(app, cluster, True, reason)


@roster.command("unarchive")
@config_option
@cluster_argument
@reason_option
@pass_app
def roster_unarchive(app: App, cluster: str, reason: str) -> None:
    """Put an archived CLUSTER back on the roster."""
    _archive(app, cluster, False, reason)


COMMANDS = (import_, import_facts, record, amend, retract, history, roster)
