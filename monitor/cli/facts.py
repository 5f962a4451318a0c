"""`monitor import` and `monitor record …`: the roster and the facts, validated and stored whole or not at all."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from monitor.app import App, who
from monitor.cli.base import DATE, cluster_argument, config_option, pass_app
from monitor.rules.packs import CHANGE_KINDS, INCIDENT_GROUNDS


@click.command("import")
@config_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@pass_app
def import_(app: App, file: Path) -> None:
    """Import a roster (.csv or .xlsx, one cluster a row); a known id updates that cluster."""
    from db.session import transaction
    from monitor import clock
    from monitor.actions.roster import import_roster

    with transaction(app.sessions) as session:
        result = import_roster(session, file, app.packs, who(), clock.now_utc(), progress=_progress)
    click.echo(f"imported {file.name}: {result.added} added, {result.updated} updated")


def _progress(rows: Iterable[Any], total: int) -> Iterable[Any]:
    """A progress bar on stderr for imports that take more than a moment (and only on a terminal)."""
    if total < 2000 or not sys.stderr.isatty():
        return rows
    from rich.console import Console
    from rich.progress import track

    return track(rows, total=total, description="checking rows", console=Console(stderr=True), transient=True)


@click.group()
def record() -> None:
    """Record a fact as it happens (report, change, review, assessment, incident, revocation)."""


def _record(app: App, name: str, *args: Any) -> None:
    """Run ``Recorder.<name>`` in one transaction and print what it says."""
    from db.session import transaction
    from monitor import clock
    from monitor.actions.record import Recorder

    with transaction(app.sessions) as session:
        recorder = Recorder(session, app.packs, who(), clock.now_utc(), app.today())
        action: Callable[..., str] = getattr(recorder, name)
        message = action(*args)
    click.echo(message)


@record.command("report")
@config_option
@cluster_argument
@click.option("--year", type=int, required=True, help="The year the report is on (filed in the next).")
@click.option("--filed-on", type=DATE, required=True, help="The day it was filed.")
@pass_app
def record_report(app: App, cluster: str, year: int, filed_on: dt.date) -> None:
    """An annual report filed."""
    _record(app, "report", cluster, year, filed_on)


@record.command("change")
@config_option
@cluster_argument
@click.option("--kind", type=click.Choice(CHANGE_KINDS), required=True)
@click.option("--changed-on", type=DATE, required=True, help="The day the change happened.")
@click.option("--filed-on", type=DATE, help="The day it was filed (fills in a change recorded before).")
@pass_app
def record_change(app: App, cluster: str, kind: str, changed_on: dt.date, filed_on: dt.date | None) -> None:
    """A major change (重大变动), and its filing when it is filed."""
    _record(app, "change", cluster, kind, changed_on, filed_on)


@record.command("review")
@config_option
@cluster_argument
@click.option("--result", type=click.Choice(["applied", "pass", "fail"]), required=True)
@click.option("--on", "on", type=DATE, required=True, help="The day of the application or the result.")
@pass_app
def record_review(app: App, cluster: str, result: str, on: dt.date) -> None:
    """A renewal review: applied for, passed or failed."""
    _record(app, "review", cluster, result, on)


@record.command("assessment")
@config_option
@cluster_argument
@click.option("--year", type=int, required=True)
@click.option("--result", type=click.Choice(["pass", "fail"]), required=True)
@click.option("--on", "on", type=DATE, help="The day it was announced (default January 1 of the next year).")
@pass_app
def record_assessment(app: App, cluster: str, year: int, result: str, on: dt.date | None) -> None:
    """A yearly assessment result."""
    _record(app, "assessment", cluster, year, result, on)


@record.command("incident")
@config_option
@cluster_argument
@click.option("--ground", type=click.Choice(INCIDENT_GROUNDS), required=True)
@click.option("--on", "on", type=DATE, required=True)
@click.option("--note", help="What happened.")
@click.option("--dismissed-on", type=DATE, help="The day the incident was dismissed (fills in one recorded before).")
@pass_app
def record_incident(app: App, cluster: str, ground: str, on: dt.date, note: str | None,
                    dismissed_on: dt.date | None) -> None:
    """An incident (false declaration, violation, major accident, non-cooperation), or its dismissal."""
    _record(app, "incident", cluster, ground, on, note, dismissed_on)


@record.command("revocation")
@config_option
@cluster_argument
@click.option("--on", "on", type=DATE, required=True)
@click.option("--note", help="The decision, e.g. its document number.")
@pass_app
def record_revocation(app: App, cluster: str, on: dt.date, note: str | None) -> None:
    """A revocation of the cluster's title; nothing falls due after it."""
    _record(app, "revocation", cluster, on, note)


COMMANDS = (import_, record)
