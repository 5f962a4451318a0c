"""The status table for people: one row a cluster, the most urgent first, coloured by severity."""

from __future__ import annotations

import datetime as dt

from rich.console import Console
from rich.table import Table
from rich.text import Text

from monitor.facts import Facts
from monitor.messages import calendar_note, term, warning_message
from monitor.status import listed, sort_by_urgency, warnings_sorted
from monitor.verdict import Verdict

STYLE = {"revocation": "bold red", "risk": "yellow", "notice": "cyan"}
HEADERS = {
    "zh": ("集群", "办法", "状态", "有效期至", "下一事项", "警示"),
    "en": ("Cluster", "Regime", "State", "Valid until", "Next due", "Warnings"),
}
SUMMARY = {
    "zh": "共{total}个集群：有效{in_force}，到期{expired}，撤销{revoked}；警示：撤销{revocation}，风险{risk}，提示{notice}",
    "en": "{total} clusters: {in_force} in force, {expired} expired, {revoked} revoked; "
          "warnings: {revocation} revocation, {risk} risk, {notice} notice",
}
DAYS = {"zh": "{n}天", "en": "{n} d"}


def _next_due(verdict: Verdict, as_of: dt.date, lang: str, notes: list[str]) -> Text:
    open_items = [o for o in verdict.obligations if o.is_open and listed(o, as_of)]
    if not open_items:
        return Text("—")
    first = min(open_items, key=lambda o: (o.due is None, o.due or as_of))
    label = term(first.kind, lang) + (f" {first.year}" if first.year is not None else "")
    if first.due is None:
        return Text(f"{label} ({term('pending', lang)})", style="yellow")
    days = DAYS[lang].format(n=first.days_left)
    text = Text(f"{label} {first.due} ({days})", style="red" if first.state == "overdue" else "")
    _mark(text, calendar_note(first, lang), notes)
    return text


def _mark(text: Text, note: str | None, notes: list[str]) -> None:
    """Point from a date to the footnote that says which calendar it rests on."""
    if note is None:
        return
    if note not in notes:
        notes.append(note)
    text.append(f" *{notes.index(note) + 1}", style="magenta")


def render_table(items: list[tuple[Facts, Verdict]], as_of: dt.date, lang: str, console: Console) -> None:
    headers = HEADERS[lang]
    table = Table(title=f"as of {as_of}" if lang == "en" else f"{as_of} 动态管理状态", show_lines=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    notes: list[str] = []
    counts = {"in_force": 0, "expired": 0, "revoked": 0, "revocation": 0, "risk": 0, "notice": 0}
    for facts, verdict in sort_by_urgency(items):
        counts[verdict.state] += 1
        warnings = Text()
        for warning in warnings_sorted(verdict):
            counts[warning.severity] += 1
            if warnings:
                warnings.append("\n")
            warnings.append(f"[{term(warning.severity, lang)}] {warning_message(warning, lang)} ({warning.basis})",
                            style=STYLE[warning.severity])
            _mark(warnings, calendar_note(warning, lang), notes)
        state_style = {"revoked": "dim", "expired": "red"}.get(verdict.state, "green")
        table.add_row(
            Text(f"{facts.cluster.id}\n{facts.cluster.name}"),
            facts.cluster.regime,
            Text(term(verdict.state, lang), style=state_style),
            str(verdict.valid_until or "—"),
            _next_due(verdict, as_of, lang, notes),
            warnings or Text("—"),
        )
    console.print(table)
    for index, note in enumerate(notes, 1):
        console.print(f"*{index} {note}", style="magenta")
    console.print(SUMMARY[lang].format(total=len(items), **counts))
