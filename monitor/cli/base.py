"""What every command shares: the group, its error handling, the config option, dates, and the selection."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from monitor.app import App
from monitor.errors import ImportError_, MonitorError
from monitor.rules.dates import parse_date

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INPUT = 2


#: the days a date typed on the command line may fall on: the rules' arithmetic (years ahead, months around)
#: stays within what a date can hold, and no certification scheme reaches further
EARLIEST, LATEST = dt.date(1990, 1, 1), dt.date(2199, 12, 31)


class DateType(click.ParamType):  # type: ignore[type-arg]
    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        try:
            day = parse_date(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        if not EARLIEST <= day <= LATEST:
            self.fail(f"{day} is out of range ({EARLIEST} to {LATEST})", param, ctx)
        return day


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
        except Exception as exc:
            if type(exc).__name__ != "OperationalError":   # sqlite3's or SQLAlchemy's, without importing either
                raise
            from db.session import masked

            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            hint = (" (another process held it longer than the 30 s busy timeout: try again)" if "locked" in text
                    else "")
            click.echo(f"error: database: {masked(text)}{hint}", err=True)
            ctx.exit(EXIT_INPUT)


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
                       region: str | None, **kwargs: Any) -> Any:
        from monitor.overview import Selection

        app = click.get_current_context().ensure_object(App)
        return f(*args, selection=Selection.of(app, as_of, cluster_ids, regime, region), **kwargs)

    wrapped = click.option("--region", help="Only the clusters of this region (盟市/地州市).")(with_selection)
    wrapped = click.option("--regime", help="Only the clusters of this regime.")(wrapped)
    wrapped = click.option("--cluster", "cluster_ids", multiple=True, help="Only this cluster (repeatable).")(wrapped)
    wrapped = click.option("--as-of", type=DATE,
                           help="Evaluate as of this date (default: today in the configured zone).")(wrapped)
    return cast(F, wrapped)
