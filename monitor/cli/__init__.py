"""The `monitor` command line (docs/interface.md). Bad input: one line on stderr, exit status 2, nothing stored.

The commands live by what they are for: ``facts_commands`` (import, record), ``overview_commands`` (status,
calendar, export, template, report, regimes, working days), ``reminders_commands`` (ack, snooze, digest, run)
and ``accounts_commands`` (user, serve). This package is the
only importer of ``jobs/``.
"""

from __future__ import annotations

import click

from monitor.app import App
from monitor.cli import (
    accounts_commands,
    facts_commands,
    indicators_commands,
    overview_commands,
    reminders_commands,
)
from monitor.cli.base import MonitorGroup, config_option


@click.group(cls=MonitorGroup)
@config_option
@click.version_option(package_name="monitor")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """monitor: deadlines, warnings and reminders for certified industrial clusters (动态管理)."""
    ctx.call_on_close(ctx.ensure_object(App).close)


for module in (facts_commands, indicators_commands, overview_commands, reminders_commands, accounts_commands):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    cli(prog_name="monitor")
