"""Reminders: acknowledge or snooze, one digest round by hand, and the daemon."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from monitor.app import App, who
from monitor.cli.base import DATE, cluster_argument, config_option, echo, pass_app, said
from monitor.errors import Said


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


@click.command()
@config_option
@cluster_argument
@click.argument("warning")
@click.option("--until", type=DATE, required=True, help="Last day the warning's reminders stay quiet.")
@click.option("--note", required=True, help="Why (recorded with who and when).")
@pass_app
def ack(app: App, cluster: str, warning: str, until: dt.date, note: str) -> None:
    """Acknowledge a warning (its key, or its code if the cluster has one such warning) until a date."""
    _hold(app, "ack", cluster, warning, until, note)


@click.command()
@config_option
@cluster_argument
@click.argument("obligation")
@click.option("--until", type=DATE, required=True, help="Last day the obligation's reminders stay quiet.")
@click.option("--note", required=True, help="Why (recorded with who and when).")
@pass_app
def snooze(app: App, cluster: str, obligation: str, until: dt.date, note: str) -> None:
    """Snooze an open obligation's reminders (its key, or its kind if it is the only open one) until a date."""
    _hold(app, "snooze", cluster, obligation, until, note)


def _check_channel_regions(app: App) -> None:
    """Refuse a channel's region that no cluster of the roster has, naming the nearest (包头 for 包头市)."""
    from monitor.actions.regions import check_regions

    if not any(channel.regions for channel in app.settings.channels):
        return
    with app.sessions() as session:
        for channel in app.settings.channels:
            check_regions(session, channel.regions, Said("channels.{name}.regions", name=channel.name))


@click.command()
@config_option
@pass_app
def run(app: App) -> None:
    """The daemon: scans, reminders and digests on schedule; stops cleanly on SIGTERM/SIGINT."""
    from jobs.logs import configure
    from jobs.scheduler import run_daemon

    app.packs  # noqa: B018 - a pack that fails to load stops the daemon before it starts, naming the file
    app.settings.check_channels()   # so does a channel whose address or secret cannot be read
    _check_channel_regions(app)     # and a channel's region no cluster has (it would never be posted to)
    configure()
    run_daemon(app)


@click.command()
@config_option
@click.option("--as-of", type=DATE, help="The round's day (default: today in the configured zone).")
@click.option("--send", "mode", flag_value="send", help="Send the round now.")
@click.option("--preview", type=click.Path(path_type=Path, file_okay=False),
              help="Write the round's messages to DIR (.eml e-mails, .json chat posts); nothing is sent or recorded.")
@pass_app
def digest(app: App, as_of: dt.date | None, mode: str | None, preview: Path | None) -> None:
    """One digest round by hand: --preview DIR writes it, --send sends it (and records it, as the daemon does)."""
    from jobs.manual import preview_round, send_round

    if (mode is None) == (preview is None):
        raise click.UsageError(said(Said("give exactly one of --send and --preview DIR")))
    app.require_database()
    app.packs  # noqa: B018 - a round evaluates: a pack that fails to load refuses it before anything is written
    day = as_of or app.today()
    if mode == "send" and day > app.today():
        from monitor.errors import InputError

        raise InputError("--as-of {day}: a round is sent for today or a day past, never ahead (today is {today}); "
                         "--preview DIR shows a future round", day=day, today=app.today())
    if preview is not None:
        paths = preview_round(app, day, preview)
        echo(Said("{count} messages written to {directory}", count=len(paths), directory=preview))
        return
    counts = send_round(app, day)
    click.echo(", ".join(said(Said("{state} {count}", state=Said(key), count=value)) for key, value in counts.items()))
    if not counts.get("sent") and (counts.get("retry") or counts.get("failed")):
        echo(Said("error: {problem}", problem=Said(
            "nothing could be sent: {retry} messages wait for a retry, {failed} were refused (the daemon's log says "
            "why)", retry=counts.get("retry", 0), failed=counts.get("failed", 0))), err=True)
        raise SystemExit(1)


COMMANDS = (ack, snooze, run, digest)
