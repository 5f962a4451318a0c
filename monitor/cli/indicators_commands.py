"""Annual monitoring (docs/rules.md, "Annual monitoring"): `monitor record indicator|target`, `monitor
import-indicators` and `monitor indicators` (the vocabulary)."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.app import App, who
from monitor.cli.base import cluster_argument, config_option, echo, pass_app
from monitor.cli.facts_commands import _write, record
from monitor.errors import Said

#: the flagged values a run prints at most (a sheet typed in the wrong unit throughout flags every row)
SHOWN_FLAGS = 200


@record.command("indicator")
@config_option
@cluster_argument
@click.option("--year", type=int, required=True, help="The year the value is for (the form carries three).")
@click.option("--indicator", required=True, help="Its code or the form's Chinese label (`monitor indicators`).")
@click.option("--value", type=float, required=True, help="The value, in the indicator's unit (65 = 65%).")
@pass_app
def record_indicator(app: App, cluster: str, year: int, indicator: str, value: float) -> None:
    """An indicator value of the annual report (one per cluster, year and indicator)."""
    _write(app, lambda recorder: recorder.indicator(cluster, year, indicator, value))


@record.command("target")
@config_option
@cluster_argument
@click.option("--indicator", required=True, help="Its code or the form's Chinese label (`monitor indicators`).")
@click.option("--base-year", type=int, required=True, help="The plan's base year.")
@click.option("--target-year", type=int, required=True, help="The year the target is to be reached.")
@click.option("--target", type=float, required=True, help="The target value, in the indicator's unit.")
@pass_app
def record_target(app: App, cluster: str, indicator: str, base_year: int, target_year: int, target: float) -> None:
    """A target of the three-year development plan (三年发展规划目标), one per cluster and indicator."""
    _write(app, lambda recorder: recorder.target(cluster, indicator, base_year, target_year, target))


@click.command("import-indicators")
@config_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--targets", is_flag=True, help="FILE is a sheet of plan targets (cluster, indicator, base_year, "
                                              "target_year, target), not the data sheet.")
@click.option("--dry-run", is_flag=True, help="Check every value and flag the doubtful ones; store nothing.")
@pass_app
def import_indicators(app: App, file: Path, targets: bool, dry_run: bool) -> None:
    """Import the annual-report data sheet (.csv or .xlsx, one row a cluster and year, a column an indicator
    headed by its code or the form's label) in one transaction: a repeated value changes nothing, a changed one
    refuses the file (use `monitor amend`); a value tenfold away from the year before is flagged."""
    from db.session import transaction
    from monitor import clock
    from monitor.actions.indicators_import import plan_indicators, plan_targets, store
    from monitor.errors import ImportError_

    with transaction(app.sessions) as session:
        plan = (plan_targets if targets else plan_indicators)(session, file, app.vocabulary, app.today())
        for flag in plan.flags[:SHOWN_FLAGS]:
            echo(Said("check: {flag}", flag=flag), err=True)
        if len(plan.flags) > SHOWN_FLAGS:
            echo(Said("check: {more} more values flagged (the first {shown} are above)",
                      more=len(plan.flags) - SHOWN_FLAGS, shown=SHOWN_FLAGS), err=True)
        if dry_run:
            echo(Said("{file}: {add} values to add, {same} already recorded, {flagged} flagged, {refused} refused; "
                      "nothing stored", file=file.name, add=plan.count("add"), same=plan.count("same"),
                      flagged=len(plan.flags), refused=len(plan.problems)))
            if plan.problems:
                raise ImportError_(str(file), plan.problems)
            return
        added = store(session, plan, str(file), who(), clock.now_utc())
    echo(Said("imported {file}: {add} values added, {same} already recorded", file=file.name, add=added,
              same=plan.count("same")))


@click.command("indicators")
@config_option
@pass_app
def indicators(app: App) -> None:
    """The indicators of annual monitoring: code, the form's label, unit and allowed values (the bundled ones and
    those of general.indicators_dir)."""
    from monitor.rules.indicators import described

    for line in described(app.vocabulary):
        echo(line)


COMMANDS = (import_indicators, indicators)


def write_sheet(app: App, file: Path, targets: bool) -> None:
    """`monitor template --indicators` (or `--targets`): the sheet for the clusters on the roster, the values or
    targets recorded filled in."""
    from db.queries import Scope, load_facts
    from monitor.views.indicator_sheets import monitoring_years, write_monitoring_sheet

    with app.reader.connect() as conn:
        facts = load_facts(conn, Scope())
    rows = write_monitoring_sheet(file, facts, app.vocabulary, app.today(), app.settings.language, targets)
    if targets:
        echo(Said("{file}: the plan targets' sheet, {rows} targets recorded, for `monitor import-indicators --targets`",
                  file=file, rows=rows))
        return
    years = monitoring_years(app.today())
    echo(Said("{file}: the data sheet, {rows} rows ({clusters} clusters × {first}–{last}), {indicators} indicators, "
              "for `monitor import-indicators`", file=file, rows=rows, clusters=len(facts), first=years[0],
              last=years[-1], indicators=len(app.vocabulary)))
