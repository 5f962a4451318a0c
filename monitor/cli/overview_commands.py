"""The overview and its outputs: status (table, JSON), calendar, export, template, report; regimes; working days."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.app import App
from monitor.cli.base import DATE, config_option, echo, error_line, pass_app, selection_options
from monitor.errors import Said

if TYPE_CHECKING:
    from monitor.overview import Selection

#: a day of the week as said after a date (words.toml has them in Chinese: 周一 …)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@click.command()
@config_option
@selection_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--wide", is_flag=True, help="The table with every column whole, whatever the terminal's width.")
@pass_app
def status(app: App, selection: Selection, fmt: str, wide: bool) -> None:
    """The overview: every cluster's state, open obligations and warnings, the most urgent first."""
    from monitor.overview import ledger, ranked

    lang = app.settings.language
    holds, daemon = ledger(app, selection)
    if fmt == "json":
        from monitor.views.document import holds_json, rendered, write_document

        indent = sys.stdout.isatty()   # indented for a person; compact for scripts and pipes
        ranking = ranked(app, selection, functools.partial(rendered, lang=lang, indent=indent))
        baseline = app.monitoring_from()
        write_document(sys.stdout.buffer, selection.as_of, ranking.payloads,
                       {"daemon": daemon, "holds": holds_json(holds), "database": app.database,
                        "monitoring_from": None if baseline is None else baseline.isoformat(),
                        "unrecorded": sum(ranking.summaries)}, indent)
        sys.stdout.buffer.flush()
        return
    from rich.console import Console

    from monitor.views.table import acked_of, print_ledger, print_table, table_row

    console = Console()
    table = ranked(app, selection, functools.partial(table_row, as_of=selection.as_of, lang=lang, wide=wide,
                                                     acked=acked_of(holds)))
    print_table(table.summaries, table.payloads, selection.as_of, lang, console, wide)
    print_ledger(holds, daemon, lang, console, app.database)


@click.command()
@config_option
@selection_options
@pass_app
def calendar(app: App, selection: Selection) -> None:
    """The dated obligations as an iCalendar file on stdout: monitor calendar > deadlines.ics"""
    from monitor import clock
    from monitor.overview import evaluated, holds
    from monitor.views.ics import write_calendar

    out = sys.stdout.buffer
    write_calendar(out, evaluated(app, selection), clock.now_utc(), app.settings, selection.as_of,
                   {p.id: p.title for p in app.packs.values()}, holds(app, selection))
    out.flush()


def _xlsx(path: Path) -> Path:
    from monitor.errors import InputError

    if path.suffix.lower() != ".xlsx":
        raise InputError("{path}: writes an Excel workbook, so the file name must end in .xlsx", path=path)
    return path


@click.command()
@config_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@selection_options
@pass_app
def export(app: App, file: Path, selection: Selection) -> None:
    """The overview as an Excel workbook: clusters, obligations and warnings (imports back as a roster)."""
    from monitor.overview import evaluated, kept_columns
    from monitor.views.xlsx import export_workbook

    clusters, obligations, warnings = export_workbook(_xlsx(file), evaluated(app, selection), app.settings.language,
                                                      kept_columns(app, selection),
                                                      {p.id: p.title for p in app.packs.values()})
    echo(Said("{file}: {clusters} clusters, {obligations} obligations, {warnings} warnings as of {day}", file=file,
              clusters=clusters, obligations=obligations, warnings=warnings, day=selection.as_of))


@click.command()
@config_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--facts", is_flag=True, help="A facts file for `monitor import-facts` instead of a roster.")
@click.option("--backfill", is_flag=True,
              help="The unrecorded obligations (due before the baseline), a facts file to fill in and read back "
                   "with `monitor import-facts`.")
@click.option("--indicators", is_flag=True, help="The annual-monitoring data sheet for `monitor import-indicators`: "
                                                 "a row for each cluster and each of the three years before this one.")
@click.option("--targets", is_flag=True, help="The plan targets' sheet for `monitor import-indicators --targets`.")
@pass_app
def template(app: App, file: Path, facts: bool, backfill: bool, indicators: bool, targets: bool) -> None:
    """An empty roster workbook to fill in: the columns, a regime drop-down and an instructions sheet (with
    --facts: a facts workbook, with drop-downs of what each value accepts; with --backfill: the unrecorded
    obligations to fill in; --indicators, --targets: the sheets of annual monitoring)."""
    from monitor.views.xlsx import write_facts_template, write_template

    if sum((facts, backfill, indicators, targets)) > 1:
        from monitor.errors import InputError

        raise InputError("--facts, --backfill, --indicators and --targets: give one of them")
    if backfill:
        from monitor.overview import Selection, evaluated
        from monitor.views.backfill import write_backfill

        count = write_backfill(_xlsx(file), evaluated(app, Selection.of(app)), app.settings.language)
        echo(Said("{file}: {count} unrecorded obligations to fill in and read back with `monitor import-facts`",
                  file=file, count=count))
        return
    if indicators or targets:
        from monitor.cli.indicators_commands import write_sheet

        write_sheet(app, _xlsx(file), targets)
        return
    if facts:
        write_facts_template(_xlsx(file), app.settings.language)
        echo(Said("{file}: an empty facts file for `monitor import-facts`", file=file))
        return
    write_template(_xlsx(file), app.packs.values(), app.settings.language)
    echo(Said("{file}: an empty roster with {count} regimes to choose from", file=file, count=len(app.packs)))


@click.command()
@config_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--monitoring", is_flag=True, help="The annual assessment report (FILE.html, .pdf or .xlsx): "
              "indicators over the years, the standard item by item, ranks, the clusters at risk, charts.")
@click.option("--year", type=click.IntRange(1990, 2199),
              help="With --monitoring: the year assessed (default: the year before the --as-of day's).")
@selection_options
@pass_app
def report(app: App, file: Path, monitoring: bool, year: int | None, selection: Selection) -> None:
    """One self-contained page (FILE.html, or FILE.pdf printed by Chromium): counts, totals by region, a
    twelve-month chart of due dates, the clusters with warnings and their articles. With --monitoring: the
    annual assessment report."""
    from monitor import clock
    from monitor.errors import InputError
    from monitor.overview import evaluated, holds
    from monitor.views.console import acked_by_cluster

    if monitoring:
        _assessment(app, file, year, selection)
        return
    if year is not None:
        raise InputError("--year is for the assessment report: give --monitoring too")
    from monitor.views.report import write_report

    if file.suffix.lower() not in (".html", ".htm", ".pdf"):
        from monitor.errors import InputError

        raise InputError("{file}: the report is written as .html or .pdf: name the file report.html or report.pdf",
                         file=file)
    settings = app.settings
    held = holds(app, selection)
    result = write_report(file, evaluated(app, selection), selection.as_of, clock.now_utc(), settings.language,
                          settings.timezone, app.packs, app.calendar, settings.department, app.monitoring_from(),
                          acked_by_cluster(held), acked_by_cluster(held, "snooze"))
    echo(Said("{file}: {clusters} clusters, {warnings} warnings as of {day}", file=file, clusters=result.clusters,
              warnings=sum(result.severities.values()), day=selection.as_of))


def _assessment(app: App, file: Path, year: int | None, selection: Selection) -> None:
    """`monitor report --monitoring`: docs/interface.md, "Annual monitoring"."""
    from monitor import clock
    from monitor.errors import InputError
    from monitor.overview import evaluated
    from monitor.views.assessment_files import write_assessment

    if file.suffix.lower() not in (".html", ".htm", ".pdf", ".xlsx"):
        raise InputError("{file}: the assessment report is written as .html, .pdf or .xlsx", file=file)
    year = year if year is not None else selection.as_of.year - 1
    if year > selection.as_of.year:
        raise InputError("--year {year} is after the --as-of day's year ({day})", year=year, day=selection.as_of)
    settings = app.settings
    page = write_assessment(file, evaluated(app, selection), year, app.vocabulary, selection.as_of,
                            clock.now_utc(), settings.language, settings.timezone, settings.department,
                            {p.id: p.title for p in app.packs.values()})
    echo(Said("{file}: the assessment of {year}, {clusters} clusters, {risky} at risk at their next review, as of "
              "{day}", file=file, year=year, clusters=len(page.subjects), risky=len(page.risky),
              day=selection.as_of))


#: the most working days counted at once: about fourteen years, so that any start up to 2199 ends on a day a date
#: can hold (a count of 100,000,000 overflowed the calendar)
MAX_WORKING_DAYS = 3660


@click.group()
def workdays() -> None:
    """Working days: the official Chinese calendar (调休 included), the statutory holidays of the years it lacks,
    and the days config lists."""


@workdays.command("add")
@config_option
@click.argument("start", type=DATE)
@click.argument("count", type=click.IntRange(min=1, max=MAX_WORKING_DAYS))
@pass_app
def workdays_add(app: App, start: dt.date, count: int) -> None:
    """The COUNT-th working day after START (START itself is not counted)."""
    from monitor.views.words import coverage_note

    day, coverage = app.calendar.add_workdays(start, count)
    note = coverage_note(coverage, day.year, app.settings.language)
    echo(Said("{day} ({weekday})", day=day, weekday=Said(WEEKDAYS[day.weekday()])))
    if note:
        click.echo(f"  * {note}")


@click.command()
@config_option
@click.argument("start", type=DATE)
@click.option("--regime", help="The regime whose pack's period to count (without it and --days: each regime's).")
@click.option("--days", type=click.IntRange(min=1, max=MAX_WORKING_DAYS),
              help="Working days to count, whatever the packs say.")
@pass_app
def publicity(app: App, start: dt.date, regime: str | None, days: int | None) -> None:
    """When a publicity (公示) starting on START ends: START counts as its first day if it is a working day. The
    period is the one the regime's pack states: with --regime that regime's, else each regime's end."""
    # docs/rules.md, section 12: never a silent default number of days
    from monitor.errors import InputError
    from monitor.views.words import coverage_note

    lang = app.settings.language

    def end_of(count: int) -> tuple[dt.date, str | None]:
        end, coverage = app.calendar.add_workdays(start - dt.timedelta(days=1), count)
        return end, coverage_note(coverage, end.year, lang)

    if regime is not None and days is not None:
        raise InputError("give --regime or --days, not both: --days N counts N working days whatever the regime")
    if days is None and regime is None:
        packs = sorted(app.packs.values(), key=lambda pack: pack.id)
        if not any(pack.publicity for pack in packs):
            raise InputError("no loaded regime has a publicity period: give --days N")
        notes: dict[str, int] = {}       # a calendar note once, under the lines, as the status table has it
        for pack in packs:
            if pack.publicity is not None:
                end, note = end_of(pack.publicity.working_days)
                mark = f" *{notes.setdefault(note, len(notes) + 1)}" if note else ""
                echo(Said("{regime}: {start} + {count} working days ({basis}): ends {end} ({weekday}){mark}",
                          regime=pack.id, start=start, count=pack.publicity.working_days, basis=pack.publicity.basis,
                          end=end, weekday=Said(WEEKDAYS[end.weekday()]), mark=mark))
        without = [pack.id for pack in packs if pack.publicity is None]
        if without:
            echo(Said("without a publicity period: {regimes}", regimes=", ".join(without)))
        for note, number in notes.items():
            click.echo(f"*{number} {note}")
        return
    count, basis = days, None
    if regime is not None:
        pack = app.pack(regime)
        if pack.publicity is None:
            raise InputError("regime {regime!r} has no publicity period in its pack: give --days N to count one",
                             regime=regime)
        count, basis = pack.publicity.working_days, f"{pack.id} {pack.publicity.basis}"
    assert count is not None     # --days, or the regime's
    end, note = end_of(count)
    echo(Said("{start} + {count} working days: ends {end} ({weekday}); objections are due by then", start=start,
              count=count, end=end, weekday=Said(WEEKDAYS[end.weekday()])))
    if note:
        click.echo(f"  * {note}")
    if basis is not None:
        echo(Said("basis: {articles}", articles=basis))


@click.command()
@config_option
@click.option("--check", "directory", type=click.Path(path_type=Path, file_okay=False),
              help="Check the packs in DIR (one line per problem; nothing is loaded or stored).")
@click.option("--reference", is_flag=True, help="Print the pack format's reference (docs/packs.md).")
@pass_app
def regimes(app: App, directory: Path | None, reference: bool) -> None:
    """The loaded regime packs, with their rules and articles."""
    if reference:
        from monitor.views.packref import reference as page

        click.echo(page(), nl=False)
        return
    if directory is not None:
        from monitor.rules.packs import check_packs

        problems = check_packs(directory)
        for problem in problems:
            error_line(problem)
        if problems:
            raise SystemExit(2)
        echo(Said("{directory}: {count} packs, no problems", directory=directory,
                  count=len(list(directory.glob("*.toml")))))
        return
    from monitor.views.regimes import describe

    click.echo(describe(app.packs.values(), app.settings.language))


COMMANDS = (status, calendar, export, template, report, workdays, publicity, regimes)
