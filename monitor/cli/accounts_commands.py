"""Accounts of the web console and the API (`monitor user …`), and the console itself (`monitor serve`)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import click

from monitor.app import App, who
from monitor.cli.base import DATE, config_option, echo, pass_app
from monitor.errors import Said

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")


def _in_transaction(app: App, act: Callable[[Session], T]) -> T:
    from db.session import in_transaction

    return in_transaction(app.sessions, act)


def read_password() -> str:
    """From a prompt (typed twice) on a terminal; else the first line of standard input, and when a second line
    follows, it must repeat the first. Never from the command line."""
    from monitor.errors import InputError

    if sys.stdin.isatty():
        return str(click.prompt("password", hide_input=True, confirmation_prompt=True))
    lines = [line.rstrip("\r\n") for line in sys.stdin.readlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise InputError("no password on standard input")
    if len(lines) > 1 and lines[1] != lines[0]:
        raise InputError("the two password lines on standard input differ")
    return lines[0]


@click.group()
def user() -> None:
    """Accounts of the web console and the API (admin, bureau, viewer)."""


ROLE = click.Choice(["admin", "bureau", "viewer"])


@user.command("add")
@config_option
@click.argument("name")
@click.option("--role", type=ROLE, required=True,
              help="admin: everything; bureau: its regions' clusters; viewer: reads everything, records nothing.")
@click.option("--region", "regions", multiple=True, help="A region a bureau user covers (repeatable).")
@pass_app
def user_add(app: App, name: str, role: str, regions: tuple[str, ...]) -> None:
    """Add a user; the password is read from a prompt, or from standard input when it is not a terminal."""
    from monitor import clock
    from monitor.actions.accounts import add_user

    password = read_password()
    account = _in_transaction(app, lambda s: add_user(s, name, role, regions, password, clock.now_utc()))
    echo(Said("user {name} added: {role} for {regions}" if account.covers else "user {name} added: {role}",
              name=account.name, role=account.role, regions=", ".join(account.covers)))


@user.command("passwd")
@config_option
@click.argument("name")
@pass_app
def user_passwd(app: App, name: str) -> None:
    """Set NAME's password (read as for `user add`); lifts its locks, ends NAME's sign-ins."""
    from monitor.actions.accounts import set_password

    password = read_password()
    _in_transaction(app, lambda s: set_password(s, name, password))
    echo(Said("user {name}: password changed", name=name))


@user.command("unlock")
@config_option
@click.argument("name")
@pass_app
def user_unlock(app: App, name: str) -> None:
    """Lift NAME's sign-in locks, and print a one-time unlock code (the last line, shown once): with the right
    password it signs in past every limit on failed sign-ins, until the end of tomorrow."""
    from monitor import clock
    from monitor.actions.accounts import unlock

    code = _in_transaction(app, lambda s: unlock(s, name, clock.now_utc(), app.today()))
    echo(Said("user {name}: unlocked; a one-time unlock code, valid through {until} (shown once; give it on the "
              "sign-in page with the right password):", name=name, until=app.today() + dt.timedelta(days=1)))
    click.echo(code)


@user.command("disable")
@config_option
@click.argument("name")
@pass_app
def user_disable(app: App, name: str) -> None:
    """NAME can no longer sign in nor use its tokens."""
    from monitor.actions.accounts import disable

    _in_transaction(app, lambda s: disable(s, name))
    echo(Said("user {name}: disabled", name=name))


@user.command("list")
@config_option
@pass_app
def user_list(app: App) -> None:
    """The users, their role, regions and state."""
    app.require_database()
    from monitor import clock
    from monitor.actions.accounts import list_users
    from monitor.views.times import person_time

    listed = _in_transaction(app, lambda s: list_users(s, clock.now_utc()))
    if not listed:
        echo(Said("no users: `monitor user add NAME --role admin` adds the first"))
    for item in listed:
        state = (Said("disabled") if item.disabled else
                 Said("locked for {addresses} until {when}", addresses=", ".join(item.locked_for),
                      when=person_time(item.locked_until, app.settings.timezone)) if item.locked_until
                 else Said("active"))
        echo(Said("{name}\t{role}\t{regions}\t{state}\t{tokens} API token(s)", name=item.account.name,
                  role=item.account.role, regions=", ".join(item.account.covers) or Said("all regions"), state=state,
                  tokens=item.tokens))


@user.command("set")
@config_option
@click.argument("name")
@click.option("--email", help="The person's e-mail address (blank: none).")
@click.option("--wecom-userid", help="Their 企业微信 userid, for wecom_app channels (blank: none).")
@click.option("--dingtalk-userid", help="Their 钉钉 userid, for dingtalk_work channels (blank: none).")
@click.option("--feishu-open-id", help="Their 飞书 open_id, for feishu_app channels (blank: none).")
@click.option("--window", help="When personal channels may write to them, HH:MM-HH:MM (default 09:00-18:00).")
@click.option("--every-day/--working-days", "every_day", default=None,
              help="The window on every day, or on working days only (the default).")
@click.option("--digest", "every", type=click.Choice(["round", "day"]),
              help="A digest each round (the default), or one a day.")
@pass_app
def user_set(app: App, name: str, email: str | None, wecom_userid: str | None, dingtalk_userid: str | None,
             feishu_open_id: str | None, window: str | None, every_day: bool | None, every: str | None) -> None:
    """Set how NAME is reached: e-mail, 企业微信/钉钉/飞书 ids, window and digest (what is not given is kept)."""
    from dataclasses import replace

    from monitor.actions.account_admin import profile, save_profile
    from monitor.actions.reach import parse_window_option, reach_of, save_reach
    from notifications.channels import split

    channels = [channel.name for channel in split(app.settings.channels)[1]]

    def act(session: Session) -> Said:
        if email is not None:
            save_profile(session, name, replace(profile(session, name), email=email))
        reach = reach_of(session, name)
        ids = {key: value for key, value in (("wecom_userid", wecom_userid), ("dingtalk_userid", dingtalk_userid),
                                             ("feishu_open_id", feishu_open_id)) if value is not None}
        start, end = parse_window_option(window) if window is not None else (reach.window_from, reach.window_until)
        reach = save_reach(session, name, replace(
            reach, ids={**reach.ids, **ids}, muted=tuple(m for m in reach.muted if m in channels),
            window_from=start, window_until=end,
            window_workdays=reach.window_workdays if every_day is None else not every_day,
            every=every or reach.every), channels)
        return Said("user {name}: e-mail {email}; wecom_userid {wecom}, dingtalk_userid {dingtalk}, feishu_open_id "
                    "{feishu}; window {window} {days}; {every}", name=name, email=profile(session, name).email or "-",
                    wecom=reach.ids["wecom_userid"] or "-", dingtalk=reach.ids["dingtalk_userid"] or "-",
                    feishu=reach.ids["feishu_open_id"] or "-", window=f"{reach.window_from}-{reach.window_until}",
                    days=Said("on working days") if reach.window_workdays else Said("every day"),
                    every=Said("a digest each round") if reach.every == "round" else Said("one digest a day"))

    echo(_in_transaction(app, act))


@user.command("token")
@config_option
@click.argument("name")
@click.option("--expires", type=DATE, help="The last day the token works (default: until revoked).")
@pass_app
def user_token(app: App, name: str, expires: dt.date | None) -> None:
    """A new API token for NAME, printed once as the last line (only its hash is stored)."""
    from monitor import clock
    from monitor.actions.accounts import issue_token

    secret = _in_transaction(app, lambda s: issue_token(s, name, clock.now_utc(), "api", expires))
    echo(Said("API token for {name}, valid through {expires} (shown once; send it as 'Authorization: Bearer TOKEN'):"
              if expires else "API token for {name} (shown once; send it as 'Authorization: Bearer TOKEN'):",
              name=name, expires=expires))
    click.echo(secret)


@user.command("revoke-tokens")
@config_option
@click.argument("name")
@pass_app
def user_revoke_tokens(app: App, name: str) -> None:
    """Every token of NAME (API and calendar) stops working at once."""
    from monitor import clock
    from monitor.actions.accounts import revoke_tokens

    count = _in_transaction(app, lambda s: revoke_tokens(s, name, clock.now_utc()))
    echo(Said("user {name}: {count} token(s) revoked", name=name, count=count))


@user.group("identity")
def user_identity() -> None:
    """Who signed in with an identity provider (web.identity), and the accounts they are mapped to."""


@user_identity.command("list")
@config_option
@pass_app
def identity_list(app: App) -> None:
    """Every identity: issuer, subject, name and e-mail, state (waiting, mapped, refused), account."""
    app.require_database()
    from monitor.actions.identities import list_identities

    listed = _in_transaction(app, list_identities)
    if not listed:
        echo(Said("no identities: nobody has signed in with an identity provider yet"))
    for item in listed:
        claims = " ".join(part for part in (item.display_name, f"<{item.email}>" if item.email else "") if part)
        echo(Said("{issuer}\t{subject}\t{claims}\t{state}\t{account}", issuer=item.issuer, subject=item.subject,
                  claims=claims or "-", state=Said({"pending": "waiting"}.get(item.state, item.state)),
                  account=item.account or "-"))


@user_identity.command("map")
@config_option
@click.argument("name")
@click.argument("issuer")
@click.argument("subject")
@pass_app
def identity_map(app: App, name: str, issuer: str, subject: str) -> None:
    """Map the identity SUBJECT of ISSUER to the account NAME (before it first signs in, too)."""
    from monitor import clock
    from monitor.actions.identities import map_identity

    _in_transaction(app, lambda s: map_identity(s, name, issuer, subject, who(), clock.now_utc()))
    echo(Said("identity {subject} of {issuer} mapped to {name}", subject=subject, issuer=issuer, name=name))


@user_identity.command("unmap")
@config_option
@click.argument("issuer")
@click.argument("subject")
@pass_app
def identity_unmap(app: App, issuer: str, subject: str) -> None:
    """The identity waits again, with no access; the sign-ins of its account end."""
    from monitor import clock
    from monitor.actions.identities import unmap

    _in_transaction(app, lambda s: unmap(s, issuer, subject, who(), clock.now_utc()))
    echo(Said("identity {subject} of {issuer} unmapped: it has no access", subject=subject, issuer=issuer))


@user_identity.command("refuse")
@config_option
@click.argument("issuer")
@click.argument("subject")
@pass_app
def identity_refuse(app: App, issuer: str, subject: str) -> None:
    """The identity is refused: it cannot sign in (until mapped); the sign-ins of its account end."""
    from monitor import clock
    from monitor.actions.identities import refuse

    _in_transaction(app, lambda s: refuse(s, issuer, subject, who(), clock.now_utc()))
    echo(Said("identity {subject} of {issuer} refused", subject=subject, issuer=issuer))


@click.command()
@config_option
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (one per core; each keeps its own cache).")
@pass_app
def serve(app: App, host: str, port: int, workers: int) -> None:
    """The web console and the JSON API (/api/v1), under uvicorn."""
    app.require_database()
    from monitor.web.server import run

    app.packs  # noqa: B018 - a pack that fails to load stops the server before it starts
    run(app, host, port, workers)


COMMANDS = (user, serve)
