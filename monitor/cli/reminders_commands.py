"""Reminders: acknowledge or snooze, one digest round by hand, and the daemon."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from monitor.app import App, who
from monitor.cli.base import DATE, config_option, echo, pass_app, said, selection_options
from monitor.errors import InputError, Said

if TYPE_CHECKING:
    from monitor.overview import Selection

F = TypeVar("F", bound=Callable[..., object])


def _hold(app: App, kind: str, cluster: str, given: str, until: dt.date, note: str) -> None:
    from db.session import transaction
    from monitor import clock
    from monitor.actions.ack_snooze import record_hold
    from monitor.overview import Selection, evaluated
    from monitor.rules.holds import resolve_subject

    today = app.today()
    (found,) = evaluated(app, Selection.of(app, today, [cluster]))
    subject = resolve_subject(found.verdict, kind, given)
    with transaction(app.sessions) as session:
        done = record_hold(session, kind, found.facts.cluster.id, subject, until, note, today, who(), clock.now_utc())
    echo(done)


def _bulk(app: App, kind: str, clusters: tuple[str, ...], region: str | None, code: str, until: dt.date,
          note: str) -> None:
    """Many at once: every warning with the code (ack), or open obligation of the kind (snooze), of the region's
    clusters or of those named, in one transaction; prints each and how many."""
    from db.session import transaction
    from monitor import clock
    from monitor.actions.ack_snooze import bulk_summary, nothing_to_hold, record_holds
    from monitor.overview import Selection, hold_targets

    today = app.today()
    found = hold_targets(app, Selection.of(app, today, clusters, region=region), kind, code)
    if not found.targets:
        raise nothing_to_hold(kind, code, region, clusters, found.codes)
    with transaction(app.sessions) as session:
        said = record_holds(session, kind, found.targets, until, note, today, who(), clock.now_utc())
    for line in said:
        echo(line)
    echo(bulk_summary(kind, said, found.clusters, until))


def _either(app: App, kind: str, args: tuple[str, ...], clusters: tuple[str, ...], region: str | None,
            code: str | None, until: dt.date, note: str) -> None:
    """``CLUSTER KEY`` (one), or ``--code`` with ``--region`` and/or ``--cluster`` (many)."""
    if code is None:
        if len(args) != 2 or clusters or region:
            raise InputError("give CLUSTER and its {what}, or --code with --region or --cluster for many at once",
                             what=Said("warning") if kind == "ack" else Said("obligation"))
        _hold(app, kind, args[0], args[1], until, note)
        return
    if args or not (clusters or region):
        raise InputError("--code takes --region or --cluster (repeatable), not CLUSTER and a key")
    _bulk(app, kind, clusters, region, code, until, note)


def _bulk_options(kind: str) -> Callable[[F], F]:
    what = "warning code" if kind == "ack" else "obligation kind"

    def decorate(f: F) -> F:
        f = click.option("--code", help=f"Many at once: every {what} of this kind of the clusters selected by "
                                        "--region or --cluster.")(f)
        f = click.option("--cluster", "clusters", multiple=True, help="With --code: this cluster (repeatable).")(f)
        return click.option("--region", help="With --code: the clusters of this region (盟市/地州市).")(f)
    return decorate


@click.command()
@config_option
@click.argument("args", nargs=-1, metavar="[CLUSTER WARNING]")
@_bulk_options("ack")
@click.option("--until", type=DATE, required=True, help="Last day the warning's reminders stay quiet.")
@click.option("--note", required=True, help="Why (recorded with who and when).")
@pass_app
def ack(app: App, args: tuple[str, ...], clusters: tuple[str, ...], region: str | None, code: str | None,
        until: dt.date, note: str) -> None:
    """Acknowledge a warning (its key, or its code if the cluster has one such warning) until a date; or, with
    --code and --region or --cluster, every such warning of those clusters at once."""
    _either(app, "ack", args, clusters, region, code, until, note)


@click.command()
@config_option
@click.argument("args", nargs=-1, metavar="[CLUSTER OBLIGATION]")
@_bulk_options("snooze")
@click.option("--until", type=DATE, required=True, help="Last day the obligation's reminders stay quiet.")
@click.option("--note", required=True, help="Why (recorded with who and when).")
@pass_app
def snooze(app: App, args: tuple[str, ...], clusters: tuple[str, ...], region: str | None, code: str | None,
           until: dt.date, note: str) -> None:
    """Snooze an open obligation's reminders (its key, or its kind if it is the only open one) until a date; or,
    with --code and --region or --cluster, every open obligation of that kind of those clusters at once."""
    _either(app, "snooze", args, clusters, region, code, until, note)


@click.command()
@config_option
@selection_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_app
def holds(app: App, selection: Selection, fmt: str) -> None:
    """The acknowledgements and snoozes in force (as of --as-of, default today): who, until when and why."""
    from monitor.overview import holds as in_force

    found = in_force(app, selection)
    if fmt == "json":
        import json

        from monitor.views.document import holds_json

        click.echo(json.dumps({"as_of": selection.as_of.isoformat(), "holds": holds_json(found)},
                              ensure_ascii=False, indent=2))
        return
    from monitor.views.table import hold_lines

    for line in hold_lines(found, app.settings.language, selection.as_of):
        click.echo(line)


def _check_channel_regions(app: App) -> None:
    """Refuse a channel's region that no cluster of the roster has, naming the nearest (包头 for 包头市)."""
    from monitor.actions.regions import check_regions

    if not any(channel.regions for channel in app.settings.channels):
        return
    with app.sessions() as session:
        for channel in app.settings.channels:
            check_regions(session, channel.regions, Said("channels.{name}.regions", name=channel.name))


def _check_escalation(app: App) -> None:
    """Refuse an escalation step's account:NAME that no account has, and a chain's regime no pack defines."""
    from monitor.actions.escalation_check import check_escalation

    if not app.settings.escalation:
        return
    with app.sessions() as session:
        check_escalation(session, app.settings, set(app.packs))


@click.command()
@config_option
@pass_app
def run(app: App) -> None:
    """The daemon: scans, reminders and digests on schedule; stops cleanly on SIGTERM/SIGINT."""
    from jobs.drill import check_send
    from jobs.logs import configure
    from jobs.scheduler import run_daemon

    app.packs  # noqa: B018 - a pack that fails to load stops the daemon before it starts, naming the file
    app.settings.check_channels()   # so does a channel whose address or secret cannot be read
    folder = check_send(app, "monitor run")     # MONITOR_NOW ahead: refused, unless this is a drill database
    if folder is not None:
        echo(Said("drill database: every message is written to {folder}, none is sent", folder=folder))
    _check_channel_regions(app)     # and a channel's region no cluster has (it would never be posted to)
    _check_escalation(app)          # and an escalation step to an account nobody has
    configure()
    run_daemon(app)


@click.command()
@config_option
@click.option("--as-of", type=DATE, help="The round's day (default: today in the configured zone).")
@click.option("--send", "mode", flag_value="send", help="Send the round now.")
@click.option("--approve", "mode", flag_value="approve",
              help="Release a held round (the newest, or --round ID) to the recipients it holds, once.")
@click.option("--refuse", "mode", flag_value="refuse", help="Refuse a held round (--reason is required): it stays held.")
@click.option("--round", "round_id", help="The held round to approve or refuse (default: the newest).")
@click.option("--reason", default="", help="Why a held round is refused.")
@click.option("--preview", type=click.Path(path_type=Path, file_okay=False),
              help="Write the round's messages to DIR (.eml e-mails, .json chat posts); nothing is sent or recorded.")
@pass_app
def digest(app: App, as_of: dt.date | None, mode: str | None, round_id: str | None, reason: str,
           preview: Path | None) -> None:
    """One digest round by hand: --preview DIR writes it, --send sends it (and records it, as the daemon does);
    --approve or --refuse decides a round held because its recipient set grew."""
    from jobs.drill import check_send
    from jobs.manual import approve_round, preview_round, refuse_round, send_round

    if (mode is None) == (preview is None):
        raise click.UsageError(said(Said("give exactly one of --send, --approve, --refuse and --preview DIR")))
    app.require_database()
    app.packs  # noqa: B018 - a round evaluates: a pack that fails to load refuses it before anything is written
    _check_escalation(app)      # and so does an escalation step to an account nobody has
    if mode == "refuse":
        decided = refuse_round(app, round_id, reason)
        echo(Said("round {round} refused by {who}: what it holds stays held ({reason})", round=decided.id,
                 who=decided.decided_by, reason=decided.reason))
        return
    if mode in ("send", "approve"):
        folder = check_send(app, f"monitor digest --{mode}")   # MONITOR_NOW ahead: refused, unless a drill database
        if folder is not None:
            echo(Said("drill database: every message is written to {folder}, none is sent", folder=folder))
    if mode == "approve":
        released, counts = approve_round(app, round_id)
        echo(Said("round {round} approved by {who}: {messages} messages released ({obsolete} reminders obsolete, "
                 "{suppressed} suppressed since)", round=released.round.id, who=released.round.decided_by,
                 messages=len(released.messages), obsolete=released.obsolete, suppressed=released.suppressed))
        _counts(counts)
        return
    day = as_of or app.today()
    if mode == "send" and day > app.today():
        from monitor.errors import InputError

        raise InputError("--as-of {day}: a round is sent for today or a day past, never ahead (today is {today}); "
                         "--preview DIR shows a future round", day=day, today=app.today())
    if preview is not None:
        paths = preview_round(app, day, preview)
        echo(Said("{count} messages written to {directory}", count=len(paths), directory=preview))
        return
    counts, held = send_round(app, day)
    _counts(counts)
    if held is not None:
        echo(Said("held: round {round} holds {count} deliveries ({kinds}) because the recipient set grew ({grown}); "
                 "monitor digest --approve sends them, once", round=held.id, count=held.deliveries, kinds=held.kinds,
                 grown=held.grown))
    if not counts.get("sent") and (counts.get("retry") or counts.get("failed")):
        echo(Said("error: {problem}", problem=Said(
            "nothing could be sent: {retry} messages wait for a retry, {failed} were refused (the daemon's log says "
            "why)", retry=counts.get("retry", 0), failed=counts.get("failed", 0))), err=True)
        raise SystemExit(1)


def _counts(counts: dict[str, int]) -> None:
    click.echo(", ".join(said(Said("{state} {count}", state=Said(key), count=value)) for key, value in counts.items()))


@click.command()
@config_option
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@pass_app
def drill(app: App, directory: Path) -> None:
    """A copy of the database in DIRECTORY that can never reach a real recipient: what it sends is written to
    DIRECTORY/outbox. Run the drill on it with MONITOR_DATABASE_URL and MONITOR_NOW."""
    from jobs.drill import make_drill
    from monitor import clock

    app.require_database()
    path = make_drill(app, directory, clock.now_utc())
    echo(Said("drill database {path}: whatever it sends is written to {outbox}, never to a server or a robot",
             path=path, outbox=path.parent / "outbox"))
    echo(Said("use it with: MONITOR_DATABASE_URL=sqlite:///{path} MONITOR_NOW=… monitor run", path=path))


COMMANDS = (ack, snooze, holds, run, digest, drill)
