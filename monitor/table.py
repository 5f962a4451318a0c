"""The status table for people: one line a cluster, the most urgent first, coloured by severity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.console import Console

from monitor.facts import Facts
from monitor.ledger import Hold
from monitor.messages import calendar_note, term, warning_message
from monitor.status import listed, sort_by_urgency, warnings_sorted
from monitor.verdict import Obligation, Verdict
from monitor.verdict import Warning as MonitorWarning

#: row colour by the cluster's most severe warning
STYLE = {"revocation": "bold red", "risk": "yellow", "notice": "cyan"}
HEADERS = {
    "zh": ("编号", "集群", "办法", "状态", "有效期至", "下一事项", "警示"),
    "en": ("Id", "Cluster", "Regime", "State", "Valid until", "Next due", "Warnings"),
}
SUMMARY = {
    "zh": "共{total}个集群：有效{in_force}，到期{expired}，撤销{revoked}；警示：撤销{revocation}，风险{risk}，提示{notice}",
    "en": "{total} clusters: {in_force} in force, {expired} expired, {revoked} revoked; "
          "warnings: {revocation} revocation, {risk} risk, {notice} notice",
}
DAYS = {"zh": "{n}天", "en": "{n} d"}
PUBLICITY = {"zh": "公示 {id}：{start}起，{end}止（{basis}）", "en": "publicity {id}: {start} to {end} ({basis})"}
MORE = {"zh": "，共{n}项", "en": ", {n} in all"}
#: the widest a column grows (terminal cells): the name and the warning are cut with an ellipsis
LIMITS = (24, 18, 16, 8, 11, 34, 64)


class _Notes:
    """Footnotes saying which calendar a date rests on, numbered in order of first use."""

    def __init__(self, lang: str) -> None:
        self.lang, self.notes = lang, list[str]()

    def mark(self, item: Obligation | MonitorWarning) -> str:
        note = calendar_note(item, self.lang)
        if note is None:
            return ""
        if note not in self.notes:
            self.notes.append(note)
        return f" *{self.notes.index(note) + 1}"


def _next_due(verdict: Verdict, as_of: dt.date, lang: str, notes: _Notes) -> str:
    open_items = [o for o in verdict.obligations if o.is_open and listed(o, as_of)]
    if not open_items:
        return "—"
    first = min(open_items, key=lambda o: (o.due is None, o.due or as_of))
    label = term(first.kind, lang) + (f" {first.year}" if first.year is not None else "")
    if first.due is None:
        return f"{label} ({term('pending', lang)})"
    return f"{label} {first.due} ({DAYS[lang].format(n=first.days_left)}){notes.mark(first)}"


def _warnings(ordered: list[MonitorWarning], lang: str, notes: _Notes) -> str:
    """The most severe warning with its article, and how many more there are."""
    if not ordered:
        return "—"
    top = ordered[0]
    more = MORE[lang].format(n=len(ordered)) if len(ordered) > 1 else ""
    return f"[{term(top.severity, lang)}{more}] {top.basis} {warning_message(top, lang)}{notes.mark(top)}"


def _fit(text: str, width: int) -> str:
    """Pad or cut ``text`` to ``width`` terminal cells (a Chinese character takes two)."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def render_table(items: list[tuple[Facts, Verdict]], as_of: dt.date, lang: str, console: Console) -> None:
    """One line a cluster, coloured by its most severe warning; `--format json` gives every item.

    Lines are laid out here with rich.cells rather than rich.table.Table, which measured and rendered
    1,000 rows in about half a second: too slow for a `monitor status` that answers in under one.
    """
    notes = _Notes(lang)
    counts = {"in_force": 0, "expired": 0, "revoked": 0, "revocation": 0, "risk": 0, "notice": 0}
    rows: list[tuple[tuple[str, ...], str]] = []
    for facts, verdict in sort_by_urgency(items):
        counts[verdict.state] += 1
        ordered = warnings_sorted(verdict)
        for warning in ordered:
            counts[warning.severity] += 1
        style = "dim" if verdict.state == "revoked" else STYLE[ordered[0].severity] if ordered else ""
        cells = (facts.cluster.id, facts.cluster.name, facts.cluster.regime, term(verdict.state, lang),
                 str(verdict.valid_until or "—"), _next_due(verdict, as_of, lang, notes), _warnings(ordered, lang, notes))
        rows.append((cells, style))
    headers = HEADERS[lang]
    widths = [max(min(max((cell_len(cells[i]) for cells, _ in rows), default=0), LIMITS[i]), cell_len(header))
              for i, header in enumerate(headers)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(_fit(cell, width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    console.print(f"{as_of} 动态管理状态" if lang == "zh" else f"as of {as_of}", style="bold", highlight=False)
    console.print(line(headers), style="bold underline", highlight=False, soft_wrap=True)
    for row, style in rows:
        console.print(line(row), style=style, highlight=False, markup=False, soft_wrap=True)
    for facts, verdict in items:
        publicity = verdict.publicity
        if publicity is not None and publicity.end >= as_of:   # running or about to: objections still possible
            console.print(PUBLICITY[lang].format(id=facts.cluster.id, start=publicity.start, end=publicity.end,
                                                 basis=publicity.basis), highlight=False, markup=False, soft_wrap=True)
    for index, note in enumerate(notes.notes, 1):
        console.print(f"*{index} {note}", style="magenta", highlight=False, soft_wrap=True)
    console.print(SUMMARY[lang].format(total=len(items), **counts), highlight=False, soft_wrap=True)


LEDGER = {
    "zh": {"ack": "已确认", "snooze": "暂停提醒", "hold": "{kind} {cluster} {subject} 至{until}（{by}：{note}）",
           "daemon": "守护进程：{running}；上次扫描 {scan}，上次摘要 {round}；待发送 {waiting} 项（重试中邮件 {messages} 封），"
                     "发送失败 {failed} 项",
           "yes": "运行中", "no": "未运行", "never": "从未"},
    "en": {"ack": "acknowledged", "snooze": "snoozed", "hold": "{kind} {cluster} {subject} until {until} ({by}: {note})",
           "daemon": "daemon: {running}; last scan {scan}, last digest round {round}; {waiting} reminders waiting to be "
                     "sent ({messages} messages in flight or retrying), {failed} failed",
           "yes": "running", "no": "not running", "never": "never"},
}


def render_ledger(holds: Iterable[Hold], daemon: dict[str, Any], lang: str, console: Console) -> None:
    """Acks and snoozes in force, and what the daemon last did and has waiting (under the status table)."""
    words = LEDGER[lang]
    for h in holds:
        console.print(words["hold"].format(kind=words[h.kind], cluster=h.cluster_id, subject=h.subject, until=h.until,
                                           by=h.recorded_by, note=h.note), highlight=False, markup=False, soft_wrap=True)
    running = f"{words['yes']} ({', '.join(daemon['running'])})" if daemon["running"] else words["no"]
    console.print(words["daemon"].format(running=running, scan=daemon["last_scan"] or words["never"],
                                         round=daemon["last_round"] or words["never"], waiting=daemon["waiting"],
                                         messages=daemon["messages_waiting"], failed=daemon["failed"]),
                  style="dim", highlight=False, markup=False, soft_wrap=True)
