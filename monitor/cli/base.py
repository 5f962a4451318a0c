"""What every command shares: the group, its error handling, the config option, dates, and the selection."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from monitor.app import App
from monitor.cli import language
from monitor.errors import ImportError_, MonitorError, Said, Saying, said_of
from monitor.rules.dates import parse_date

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INPUT = 2


#: the days a date typed on the command line may fall on: the rules' arithmetic (years ahead, months around)
#: stays within what a date can hold, and no certification scheme reaches further
EARLIEST, LATEST = dt.date(1990, 1, 1), dt.date(2199, 12, 31)


def said(message: Said | Saying | str) -> str:
    """A message in this run's language."""
    from monitor.views.words import say

    return say(message, language.current)


def echo(message: Said | str, err: bool = False) -> None:
    """Print a message in this run's language."""
    click.echo(said(message), err=err)


class DateType(click.ParamType):  # type: ignore[type-arg]
    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        try:
            day = parse_date(value)
        except ValueError as exc:
            self.fail(said(said_of(exc)), param, ctx)
        if not EARLIEST <= day <= LATEST:
            self.fail(said(Said("{day} is out of range ({earliest} to {latest})", day=day, earliest=EARLIEST,
                                latest=LATEST)), param, ctx)
        return day


DATE = DateType()


class MomentType(click.ParamType):  # type: ignore[type-arg]
    """A moment (monitor/views/times.py's ``read_moment``): what ``history`` prints (``2026-03-01 09:30:00+08:00``),
    any ISO 8601 time (``2026-03-01T09:30``, ``2026-03-01T01:30:00Z``) or a bare date (the end of that day); a time
    to the second or minute is the end of that second or minute. Without an offset it is read in the configured
    zone (``moment`` turns it into UTC)."""
    name = "timestamp"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.datetime:
        from monitor.views.times import read_moment

        if isinstance(value, dt.datetime):
            return value
        text = str(value).strip()
        if len(text) == 10:
            DATE.convert(text, param, ctx)      # the date's own errors (out of range …)
        try:
            return read_moment(text)
        except ValueError:
            self.fail(said(Said("{value!r} is not a timestamp such as 2026-03-01 09:30:00+08:00 (as history prints "
                                "it), 2026-03-01T09:30 or 2026-03-01", value=value)), param, ctx)


MOMENT = MomentType()


def moment(app: App, value: dt.datetime | None) -> dt.datetime | None:
    """A typed moment in UTC; one without an offset is in the configured zone."""
    if value is None:
        return None
    from zoneinfo import ZoneInfo

    local = value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(app.settings.timezone))
    return local.astimezone(dt.UTC)


class VocabularyType(click.ParamType):  # type: ignore[type-arg]
    """A value of one of monitor/rules/vocabulary.py's vocabularies, in English or Chinese (通过, 主导产业 …); with
    ``kind``, only the values that kind of fact takes (an incident's ground, not every revocation's)."""

    def __init__(self, vocabulary: str, kind: str | None = None) -> None:
        self.vocabulary, self.kind = vocabulary, kind
        self.name = vocabulary

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from monitor.rules.vocabulary import VALUES, canonical, choices, detail_values

        allowed = VALUES[self.vocabulary] if self.kind is None else detail_values(self.kind, self.vocabulary)
        found = canonical(self.vocabulary, str(value))
        if found is None or found not in allowed:
            self.fail(said(Said("{value!r} is not one of {choices}", value=value,
                                choices=choices(self.vocabulary, allowed))), param, ctx)
        return found


class MonitorGroup(click.Group):
    """Speaks the configured language (monitor/cli/language.py), and turns the errors that are the user's to fix
    into one line on stderr and exit status 2."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **options: Any) -> Any:
        given = list(sys.argv[1:] if args is None else args)
        path, settings = language.settings_of(given)
        language.speak(self, settings.language if settings is not None else language.declared_language(path))
        if settings is not None:      # read once: the commands use these settings too
            options.setdefault("obj", App(config_path=path, _settings=settings))
        return super().main(given, *rest, **options)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ImportError_ as exc:
            for problem in exc.problems:
                error_line(problem)
            error_line(exc.said)
            ctx.exit(EXIT_INPUT)
        except MonitorError as exc:
            error_line(exc.said)
            ctx.exit(EXIT_INPUT)
        except Exception as exc:
            if type(exc).__name__ != "OperationalError":   # sqlite3's or SQLAlchemy's, without importing either
                raise
            from db.session import masked

            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            echo(Said("error: {problem}", problem=Said(
                "database: {reason} (another process held it longer than the 30 s busy timeout: try again)"
                if "locked" in text else "database: {reason}", reason=masked(text))), err=True)
            ctx.exit(EXIT_INPUT)


def error_line(problem: Said) -> None:
    """One problem, on one line of stderr whatever the values it quotes hold (a line break in a file's cell is
    printed as ``\\n``: monitor.rules.texts)."""
    from monitor.rules.texts import one_line

    click.echo(one_line(said(Said("error: {problem}", problem=problem))), err=True)


def _set_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.ensure_object(App).config_path = value


def config_option(f: F) -> F:
    return click.option("--config", type=click.Path(path_type=Path, dir_okay=False), expose_value=False,
                        callback=_set_config, is_eager=True,
                        help="Config file (default ./config.toml, then the packaged default).")(f)


pass_app = click.make_pass_decorator(App, ensure=True)
cluster_argument = click.argument("cluster")


def selection_options(f: F) -> F:
    """--as-of, --cluster (repeatable), --regime and --region, turned into one checked ``selection``."""

    @functools.wraps(f)
    def with_selection(*args: Any, as_of: dt.date | None, cluster_ids: tuple[str, ...], regime: str | None,
                       region: str | None, known_at: dt.datetime | None, include_archived: bool, **kwargs: Any) -> Any:
        from monitor.overview import Selection

        app = click.get_current_context().ensure_object(App)
        app.require_database()      # these commands only read: before any output file is opened
        selection = Selection.of(app, as_of, cluster_ids, regime, region, moment(app, known_at), include_archived)
        return f(*args, selection=selection, **kwargs)

    wrapped = click.option("--include-archived", is_flag=True,
                           help="Archived clusters too (`monitor roster archive`).")(with_selection)
    wrapped = click.option("--known-at", type=MOMENT,
                           help="The record as it stood at this moment (later corrections unseen): a time as "
                                "history prints it, any ISO time, or a bare date (the end of that day). Without an "
                                "offset, in the configured zone.")(wrapped)
    wrapped = click.option("--region", help="Only the clusters of this region (盟市/地州市).")(wrapped)
    wrapped = click.option("--regime", help="Only the clusters of this regime.")(wrapped)
    wrapped = click.option("--cluster", "cluster_ids", multiple=True, help="Only this cluster (repeatable).")(wrapped)
    wrapped = click.option("--as-of", type=DATE,
                           help="Evaluate as of this date (default: today in the configured zone).")(wrapped)
    return cast(F, wrapped)
