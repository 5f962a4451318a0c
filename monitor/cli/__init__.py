"""The `monitor` command line (INTERFACE.md). Bad input: one line on stderr, exit status 2, nothing stored.

The commands live by what they are for: ``facts`` (import, record), ``overview`` (status, calendar, export,
template, report, regimes, working days) and ``reminders`` (ack, snooze, digest, run). This package is the
only importer of ``jobs/``.
"""

from __future__ import annotations

import click

from monitor.app import App
from monitor.cli import accounts, facts, overview, reminders
from monitor.cli.base import MonitorGroup, config_option


@click.group(cls=MonitorGroup)
@config_option
@click.version_option(package_name="monitor")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """monitor: deadlines, warnings and reminders for certified industrial clusters (动态管理)."""
    ctx.call_on_close(ctx.ensure_object(App).close)


for module in (facts, overview, reminders, accounts):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    cli(prog_name="monitor")
