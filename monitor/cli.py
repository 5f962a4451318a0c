"""The `monitor` command line (INTERFACE.md). Bad input: one line on stderr, exit status 2, nothing stored."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from monitor.app import App, who
from monitor.dates import parse_date
from monitor.errors import ImportError_, MonitorError
from monitor.ledger import Hold, aware

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INPUT = 2


class DateType(click.ParamType):  # type: ignore[type-arg]
    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        try:
            return parse_date(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DATE = DateType()


class MonitorGroup(click.Group):
    """Turns the errors that are the user's to fix into one line on stderr and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ImportError_ as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            click.echo(f"error: {exc}", err=True)
            ctx.exit(EXIT_INPUT)
        except MonitorError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(EXIT_INPUT)


def _set_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.ensure_object(App).config_path = value


def config_option(f: F) -> F:
    return click.option("--config", type=click.Path(path_type=Path, dir_okay=False), expose_value=False,
                        callback=_set_config, is_eager=True,
                        help="Config file (default ./config.toml, then the packaged default).")(f)


pass_app = click.make_pass_decorator(App, ensure=True)


def selection_options(f: F) -> F:
    """--as-of, --cluster (repeatable) and --regime: the day to evaluate, and which clusters."""
    f = click.option("--regime", help="Only the clusters of this regime.")(f)
    f = click.option("--cluster", "cluster_ids", multiple=True, help="Only this cluster (repeatable).")(f)
    return click.option("--as-of", type=DATE, help="Evaluate as of this date (default: today in the configured zone).")(f)


@click.group(cls=MonitorGroup)
@config_option
@click.version_option(package_name="monitor")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """monitor: deadlines, warnings and reminders for certified industrial clusters (动态管理)."""
    ctx.call_on_close(ctx.ensure_object(App).close)


@cli.command("import")
@config_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@pass_app
def import_(app: App, file: Path) -> None:
    """Import a roster (.csv or .xlsx, one cluster a row); a known id updates that cluster."""
    from db.session import transaction
    from monitor import clock
    from monitor.roster import import_roster

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


@cli.group()
def record() -> None:
    """Record a fact as it happens (report, change, review, assessment, incident, revocation)."""


def _record(app: App, action: Callable[..., str], *args: Any) -> None:
    from db.session import transaction
    from monitor import clock
    from monitor.record import Recorder

    with transaction(app.sessions) as session:
        recorder = Recorder(session, app.packs, who(), clock.now_utc(), app.today())
        message = action(recorder, *args)
    click.echo(message)


cluster_argument = click.argument("cluster")


@record.command("report")
@config_option
@cluster_argument
@click.option("--year", type=int, required=True, help="The year the report is on (filed in the next).")
@click.option("--filed-on", type=DATE, required=True, help="The day it was filed.")
@pass_app
def record_report(app: App, cluster: str, year: int, filed_on: dt.date) -> None:
    """An annual report filed."""
    from monitor.record import Recorder

    _record(app, Recorder.report, cluster, year, filed_on)


@record.command("change")
@config_option
@cluster_argument
@click.option("--kind", type=click.Choice(["leading_industry", "spatial_scope", "operator"]), required=True)
@click.option("--changed-on", type=DATE, required=True, help="The day the change happened.")
@click.option("--filed-on", type=DATE, help="The day it was filed (fills in a change recorded before).")
@pass_app
def record_change(app: App, cluster: str, kind: str, changed_on: dt.date, filed_on: dt.date | None) -> None:
    """A major change (重大变动), and its filing when it is filed."""
    from monitor.record import Recorder

    _record(app, Recorder.change, cluster, kind, changed_on, filed_on)


@record.command("review")
@config_option
@cluster_argument
@click.option("--result", type=click.Choice(["applied", "pass", "fail"]), required=True)
@click.option("--on", "on", type=DATE, required=True, help="The day of the application or the result.")
@pass_app
def record_review(app: App, cluster: str, result: str, on: dt.date) -> None:
    """A renewal review: applied for, passed or failed."""
    from monitor.record import Recorder

    _record(app, Recorder.review, cluster, result, on)


@record.command("assessment")
@config_option
@cluster_argument
@click.option("--year", type=int, required=True)
@click.option("--result", type=click.Choice(["pass", "fail"]), required=True)
@click.option("--on", "on", type=DATE, help="The day it was announced (default January 1 of the next year).")
@pass_app
def record_assessment(app: App, cluster: str, year: int, result: str, on: dt.date | None) -> None:
    """A yearly assessment result."""
    from monitor.record import Recorder

    _record(app, Recorder.assessment, cluster, year, result, on)


@record.command("incident")
@config_option
@cluster_argument
@click.option("--ground", type=click.Choice(["false_declaration", "violation", "major_accident", "non_cooperation"]),
              required=True)
@click.option("--on", "on", type=DATE, required=True)
@click.option("--note", help="What happened.")
@click.option("--dismissed-on", type=DATE, help="The day the incident was dismissed (fills in one recorded before).")
@pass_app
def record_incident(app: App, cluster: str, ground: str, on: dt.date, note: str | None,
                    dismissed_on: dt.date | None) -> None:
    """An incident (false declaration, violation, major accident, non-cooperation), or its dismissal."""
    from monitor.record import Recorder

    _record(app, Recorder.incident, cluster, ground, on, note, dismissed_on)


@record.command("revocation")
@config_option
@cluster_argument
@click.option("--on", "on", type=DATE, required=True)
@click.option("--note", help="The decision, e.g. its document number.")
@pass_app
def record_revocation(app: App, cluster: str, on: dt.date, note: str | None) -> None:
    """A revocation of the cluster's title; nothing falls due after it."""
    from monitor.record import Recorder

    _record(app, Recorder.revocation, cluster, on, note)


@cli.command()
@config_option
@selection_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_app
def status(app: App, as_of: dt.date | None, cluster_ids: tuple[str, ...], regime: str | None, fmt: str) -> None:
    """The overview: every cluster's state, open obligations and warnings, the most urgent first."""
    as_of = as_of or app.today()
    lang = app.settings.language
    _check_selection(app, cluster_ids, regime)
    holds, daemon = _holds_and_daemon(app, as_of)
    if cluster_ids:
        holds = [h for h in holds if h.cluster_id in cluster_ids]
    if fmt == "json":
        from monitor.parallel import status_document

        extra = {"daemon": daemon, "holds": [
            {"kind": h.kind, "cluster": h.cluster_id, "subject": h.subject, "until": h.until.isoformat(),
             "note": h.note, "by": h.recorded_by, "at": aware(h.recorded_at).isoformat(timespec="seconds")}
            for h in holds]}
        document = status_document(app, as_of, lang, list(cluster_ids) or None, regime, extra=extra)
        if sys.stdout.isatty():  # indented for a person; compact for scripts and pipes
            document = json.dumps(json.loads(document), ensure_ascii=False, indent=1)
        sys.stdout.write(document + "\n")
        return
    items = app.evaluate_all(as_of, list(cluster_ids) or None, regime)
    from rich.console import Console

    from monitor.table import render_table

    console = Console()
    render_table(items, as_of, lang, console)
    from monitor.table import render_ledger

    render_ledger(holds, daemon, lang, console)


def _check_selection(app: App, cluster_ids: Sequence[str], regime: str | None) -> None:
    """--cluster ids that are not on the roster and an unknown --regime are errors, not empty output."""
    from db.repository import existing_ids
    from monitor.errors import UnknownClusterError

    if regime is not None:
        app.pack(regime)
    if cluster_ids:
        with app.engine.connect() as conn:
            missing = sorted(set(cluster_ids) - existing_ids(conn, cluster_ids))
        if missing:
            raise UnknownClusterError(missing[0])


def _holds_and_daemon(app: App, day: dt.date) -> tuple[list[Hold], dict[str, Any]]:
    from db.session import transaction
    from monitor import clock
    from monitor.ledger import active_holds, daemon_summary

    with transaction(app.sessions) as session:
        return active_holds(session, day), daemon_summary(session, clock.now_utc(), app.settings.timezone)


def _hold(app: App, kind: str, cluster: str, given: str, until: dt.date, note: str) -> None:
    from db.session import transaction
    from monitor import clock
    from monitor.errors import UnknownClusterError
    from monitor.ledger import record_hold, resolve_subject

    today = app.today()
    found = app.evaluate_all(today, [cluster])
    if not found:
        raise UnknownClusterError(cluster)
    subject = resolve_subject(found[0][1], kind, given)
    with transaction(app.sessions) as session:
        record_hold(session, kind, cluster, subject, until, note, today, who(), clock.now_utc())
    click.echo(f"{cluster} {subject}: {'acknowledged' if kind == 'ack' else 'snoozed'} until {until}")


@cli.command()
@config_option
@cluster_argument
@click.argument("warning")
@click.option("--until", type=DATE, required=True, help="Last day the warning's reminders stay quiet.")
@click.option("--note", required=True, help="Why (recorded with who and when).")
@pass_app
def ack(app: App, cluster: str, warning: str, until: dt.date, note: str) -> None:
    """Acknowledge a warning (its key, or its code if the cluster has one such warning) until a date."""
    _hold(app, "ack", cluster, warning, until, note)


@cli.command()
@config_option
@cluster_argument
@click.argument("obligation")
@click.option("--until", type=DATE, required=True, help="Last day the obligation's reminders stay quiet.")
@click.option("--note", required=True, help="Why (recorded with who and when).")
@pass_app
def snooze(app: App, cluster: str, obligation: str, until: dt.date, note: str) -> None:
    """Snooze an open obligation's reminders (its key, or its kind if it is the only open one) until a date."""
    _hold(app, "snooze", cluster, obligation, until, note)


@cli.command()
@config_option
@pass_app
def run(app: App) -> None:
    """The daemon: scans, reminders and digests on schedule; stops cleanly on SIGTERM/SIGINT."""
    from jobs.daemon import Daemon
    from jobs.logs import configure

    configure()
    Daemon(app).run()


@cli.command()
@config_option
@click.option("--as-of", type=DATE, help="The round's day (default: today in the configured zone).")
@click.option("--send", "mode", flag_value="send", help="Send the round now.")
@click.option("--preview", type=click.Path(path_type=Path, file_okay=False),
              help="Write the round's messages to DIR as .eml files; nothing is sent or recorded.")
@pass_app
def digest(app: App, as_of: dt.date | None, mode: str | None, preview: Path | None) -> None:
    """One digest round by hand: --preview DIR writes it, --send sends it (and records it, as the daemon does)."""
    from jobs.manual import preview_round, send_round

    if (mode is None) == (preview is None):
        raise click.UsageError("give exactly one of --send and --preview DIR")
    day = as_of or app.today()
    if preview is not None:
        paths = preview_round(app, day, preview)
        click.echo(f"{len(paths)} messages written to {preview}")
        return
    counts = send_round(app, day)
    click.echo(", ".join(f"{key} {value}" for key, value in counts.items()))


@cli.command()
@config_option
@selection_options
@pass_app
def calendar(app: App, as_of: dt.date | None, cluster_ids: tuple[str, ...], regime: str | None) -> None:
    """The dated obligations as an iCalendar file on stdout: monitor calendar > deadlines.ics"""
    from monitor import clock
    from monitor.ics import write_calendar

    _check_selection(app, cluster_ids, regime)
    out = sys.stdout.buffer
    write_calendar(app, out, as_of or app.today(), clock.now_utc(), list(cluster_ids) or None, regime)
    out.flush()


def _xlsx(path: Path) -> Path:
    from monitor.errors import InputError

    if path.suffix.lower() != ".xlsx":
        raise InputError(f"{path}: writes an Excel workbook, so the file name must end in .xlsx")
    return path


@cli.command()
@config_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@selection_options
@pass_app
def export(app: App, file: Path, as_of: dt.date | None, cluster_ids: tuple[str, ...], regime: str | None) -> None:
    """The overview as an Excel workbook: clusters, obligations and warnings (imports back as a roster)."""
    from monitor.spreadsheet import export_workbook

    _check_selection(app, cluster_ids, regime)
    day = as_of or app.today()
    clusters, obligations, warnings = export_workbook(app, _xlsx(file), day, list(cluster_ids) or None, regime)
    click.echo(f"{file}: {clusters} clusters, {obligations} obligations, {warnings} warnings as of {day}")


@cli.command()
@config_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@pass_app
def template(app: App, file: Path) -> None:
    """An empty roster workbook to fill in: the columns, a regime drop-down and an instructions sheet."""
    from monitor.spreadsheet import write_template

    write_template(app, _xlsx(file))
    click.echo(f"{file}: an empty roster with {len(app.packs)} regimes to choose from")


@cli.command()
@config_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@selection_options
@pass_app
def report(app: App, file: Path, as_of: dt.date | None, cluster_ids: tuple[str, ...], regime: str | None) -> None:
    """One self-contained HTML page: counts, a twelve-month chart of due dates, the warnings with their articles."""
    from monitor import clock
    from monitor.report import write_report

    _check_selection(app, cluster_ids, regime)
    day = as_of or app.today()
    result = write_report(app, file, day, clock.now_utc(), list(cluster_ids) or None, regime)
    click.echo(f"{file}: {result.clusters} clusters, {sum(result.severities.values())} warnings as of {day}")


@cli.group()
def workdays() -> None:
    """Working days of the official Chinese calendar (调休 included), with config overrides."""


@workdays.command("add")
@config_option
@click.argument("start", type=DATE)
@click.argument("count", type=click.IntRange(min=1))
@pass_app
def workdays_add(app: App, start: dt.date, count: int) -> None:
    """The COUNT-th working day after START (START itself is not counted)."""
    from monitor.messages import coverage_note

    day, coverage = app.calendar.add_workdays(start, count)
    note = coverage_note(coverage, day.year, app.settings.language)
    click.echo(f"{day} ({day:%a})" + (f"  * {note}" if note else ""))


@cli.command()
@config_option
@click.argument("start", type=DATE)
@click.option("--days", type=click.IntRange(min=1), help="Working days (default: the regimes' 公示5个工作日).")
@pass_app
def publicity(app: App, start: dt.date, days: int | None) -> None:
    """When a publicity (公示) starting on START ends: START counts as its first day if it is a working day."""
    from monitor.messages import coverage_note

    periods = sorted({(p.publicity.working_days, f"{p.id} {p.publicity.basis}") for p in app.packs.values()
                      if p.publicity is not None})
    count = days or (periods[0][0] if periods else 5)
    end, coverage = app.calendar.add_workdays(start - dt.timedelta(days=1), count)
    note = coverage_note(coverage, end.year, app.settings.language)
    click.echo(f"{start} + {count} working days: ends {end} ({end:%a}); objections are due by then"
               + (f"  * {note}" if note else ""))
    if days is None:
        click.echo("basis: " + "; ".join(name for n, name in periods if n == count))


@cli.command()
@config_option
@pass_app
def regimes(app: App) -> None:
    """The loaded regime packs, with their rules and articles."""
    from monitor.regimes import describe

    click.echo(describe(app.packs.values()))


def main() -> None:
    cli(prog_name="monitor")
