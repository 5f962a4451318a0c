"""The status table for people: one line a cluster, the most urgent first, coloured by severity.

``table_row`` renders one evaluated cluster (in the overview's workers); ``print_table`` prints the rows as they
stream back, laid out from the small summaries the overview keeps of every row (column widths, counts), so the
whole table never sits in memory. Lines are laid out with rich.cells rather than rich.table.Table, which took
about half a second for 1,000 rows.

The layout fits the terminal's width (``COLUMNS`` for a pipe; rich's default 80 without it):

- every column at its natural width when they fit;
- else one line a cluster with the name and the warning shortened in proportion (never below their
  ``Column.shortened_to``), the next due day with its days and the ack/snooze key never cut;
- else (a narrow terminal, 80 columns) three lines a cluster: who it is; the next due item; the key and the
  warning, cut at the end.

``--wide`` prints every column whole whatever the width (for a file, or a terminal that scrolls).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from rich.console import Console

from monitor.rules.holds import Hold
from monitor.rules.listing import Evaluated, unrecorded
from monitor.rules.principal import Grounds, grounds
from monitor.rules.standards import figured, tally
from monitor.rules.states import Severity
from monitor.rules.texts import one_line
from monitor.rules.verdict import Alert, Obligation, Verdict
from monitor.views.cells import cell_len, cut_to, fit
from monitor.views.times import person_time_of
from monitor.views.words import calendar_note, term, warning_message, words

#: row colour by the cluster's most severe warning
STYLE = {Severity.REVOCATION: "bold red", Severity.RISK: "yellow", Severity.NOTICE: "cyan"}


class Column(NamedTuple):
    """A column of the table, in the order cells are given."""
    key: str                    # its header in words.toml's [table.<lang>.headers]
    limit: int                  # the widest it grows (terminal cells) unless --wide; wider cells end in an ellipsis
    shortened_to: int | None    # too wide a table shortens it in proportion, to this at the narrowest; None: never
    card_line: int              # the line of the three-line layout it is on (0: who; 1: the next item; 2: warning)


COLUMNS = (
    Column("id", 24, None, 0), Column("name", 40, 10, 0), Column("regime", 16, None, 0), Column("state", 8, None, 0),
    Column("valid_until", 11, None, 0), Column("standards", 7, None, 0), Column("next_due", 48, None, 1),
    Column("key", 44, None, 2), Column("warning", 120, 24, 2),
)
LIMITS = tuple(column.limit for column in COLUMNS)
#: 达标 (annual monitoring: items met / items), shown only when a listed cluster has an indicator value read
STANDARDS = next(i for i, column in enumerate(COLUMNS) if column.key == "standards")
GAP = 2


def _shortened(columns: Sequence[Column]) -> tuple[int, ...]:
    """The columns shortened before the table turns to three lines a cluster (the name and the warning)."""
    return tuple(i for i, column in enumerate(columns) if column.shortened_to is not None)


def _card(columns: Sequence[Column]) -> tuple[tuple[str | None, tuple[int, ...], bool], ...]:
    """The card's lines: the words.toml label before them (none on the first), the columns on each, and whether the
    line is left out when its last cell is empty ("—": the warning line of a cluster without a warning)."""
    return tuple((label, tuple(i for i, column in enumerate(columns) if column.card_line == line), optional)
                 for line, (label, optional) in enumerate(((None, False), ("card_next", False),
                                                           ("card_warning", True))))


CARD = _card(COLUMNS)
#: where a cell's calendar footnote goes: the cell holds this mark, replaced by " *N" when printed
NOTE_MARK = "\x00"


def headers(lang: str) -> list[str]:
    named: dict[str, str] = words("table", lang)["headers"]
    return [named[column.key] for column in COLUMNS]


class Row(NamedTuple):
    cells: tuple[str, ...]
    style: str
    notes: tuple[str, ...]          # the calendar notes its cells mark, in the order of the marks
    lengths: tuple[int, ...] | None = None  # without notes: each cell already cut to its column's limit, measured


class RowSummary(NamedTuple):
    widths: tuple[int, ...]
    state: str
    severities: tuple[str, ...]
    publicity: tuple[str, str, str, str] | None     # id, start, end, basis of a period still running
    barred: tuple[str, str] | None = None           # id and last day of a revoked cluster's bar on applying again
    unrecorded: int = 0                             # its obligations unrecorded (due before the baseline)
    standards: bool = False                         # its 达标 cell says something (an indicator value was read)


def _next_open(verdict: Verdict) -> Obligation | None:
    """The open obligation due first (one with no due day after every dated one)."""
    open_items = [o for o in verdict.obligations if o.is_open]
    return min(open_items, key=lambda o: (o.due is None, o.due or dt.date.max)) if open_items else None


def _next_due(verdict: Verdict, lang: str, notes: list[str]) -> str:
    first = _next_open(verdict)
    if first is None:
        return "—"
    label = term(first.kind, lang) + (f" {first.year}" if first.year is not None else "")
    if first.due is None:
        return f"{label} ({term('pending', lang)})"
    said = words("table", lang)
    days = first.days_left or 0
    counted = said["overdue_days"].format(n=-days) if days < 0 else said["days"].format(n=days)
    return f"{label} {first.due} ({counted}){_mark(first, lang, notes)}"


def _standards(verdict: Verdict) -> str:
    """达标: the standard's items met of its items ("7/9"); "—" without a standard or without any value read."""
    if not figured(verdict.standards):
        return "—"
    met, total = tally(verdict.standards)
    return f"{met}/{total}"


def _key(verdict: Verdict, listed: Sequence[Alert]) -> str:
    """What `monitor ack` takes for the warning listed first, else what `monitor snooze` takes for the next item."""
    if listed:
        return listed[0].key
    first = _next_open(verdict)
    return first.key if first is not None else "—"


def _mark(item: Obligation | Alert, lang: str, notes: list[str]) -> str:
    note = calendar_note(item, lang)
    if note is None:
        return ""
    notes.append(note)
    return NOTE_MARK


#: acknowledgements in force, by cluster and warning key: the last day each is acknowledged through
Acked = dict[tuple[str, str], dt.date]


def acked_of(holds: Iterable[Hold]) -> Acked:
    """The acks among ``holds`` (those in force), as table_row takes them."""
    return {(h.cluster_id, h.subject): h.until for h in holds if h.kind == "ack"}


def _warnings(shown: Grounds, lang: str, notes: list[str], until: dt.date | None) -> str:
    """The warning listed first (the principal ground, when there is one) with its article, how many are listed,
    how many overdue items are counted under it, and until when it is acknowledged."""
    listed = shown.listed
    if not listed:
        return "—"
    top = listed[0]
    said = words("table", lang)
    more = said["more"].format(n=len(listed)) if len(listed) > 1 else ""
    under = said["under"].format(n=len(shown.under)) if shown.under else ""
    acked = said["acked"].format(until=until) if until is not None else ""
    return f"[{term(top.severity, lang)}{more}{under}{acked}] {top.basis} {warning_message(top, lang)}{_mark(top, lang, notes)}"


def _style(verdict: Verdict, cluster_id: str, acked: Acked) -> str:
    """The row's colour: its most severe warning not acknowledged; greyed when revoked, or every one is
    acknowledged."""
    if verdict.state == "revoked":
        return "dim"
    live = [w for w in verdict.warnings if (cluster_id, w.key) not in acked]
    if verdict.warnings and not live:
        return "dim"
    return STYLE[live[0].severity] if live else ""


def table_row(item: Evaluated, as_of: dt.date, lang: str, wide: bool = False,
              acked: Acked | None = None) -> tuple[Row, RowSummary]:
    """One cluster's line and what the layout needs to know of it (``wide``: nothing is cut). Its warning is the
    principal ground with the overdue items under it counted (monitor.rules.principal); ``acked``: the acks in
    force, an acknowledged warning shown greyed with its until."""
    cluster, verdict = item.facts.cluster, item.verdict
    acked = acked or {}
    ordered = verdict.warnings
    shown = grounds(ordered, verdict.obligations)
    style = _style(verdict, cluster.id, acked)
    notes: list[str] = []
    until = acked.get((cluster.id, shown.listed[0].key)) if shown.listed else None
    cells = (cluster.id, cluster.name, cluster.regime, term(verdict.state, lang), str(verdict.valid_until or "—"),
             _standards(verdict), _next_due(verdict, lang, notes), _key(verdict, shown.listed),
             _warnings(shown, lang, notes, until))
    publicity = verdict.publicity
    running = publicity is not None and publicity.end >= as_of     # running or about to: objections still possible
    # cut here, in the overview's workers: a column is never wider than its limit, so what is cut to the limit is
    # what the layout would cut, and the parent only pads (a row with a footnote is laid out there, numbered)
    if notes or wide:
        row = Row(cells, style, tuple(notes))
        widths = tuple(cell_len(cell.replace(NOTE_MARK, " *9")) for cell in cells)
    else:
        lengths = tuple(map(cell_len, cells))
        cut = tuple(cell if length <= limit else cut_to(cell, limit)
                    for cell, length, limit in zip(cells, lengths, LIMITS, strict=True))
        row = Row(cut, style, (), tuple(map(min, lengths, LIMITS)))
        widths = lengths
    barred = verdict.reapply_barred_until
    return row, RowSummary(widths, verdict.state, tuple(w.severity for w in ordered),
                           (cluster.id, str(publicity.start), str(publicity.end), publicity.basis)
                           if running and publicity else None, (cluster.id, str(barred)) if barred else None,
                           unrecorded(verdict), cells[STANDARDS] != "—")


class Layout(NamedTuple):
    widths: tuple[int, ...]
    cards: bool             # three lines a cluster


def layout(natural: Sequence[int], header: Sequence[str], width: int | None,
           columns: Sequence[Column] = COLUMNS) -> Layout:
    """Column widths for a terminal ``width`` cells wide (None: --wide, everything whole)."""
    shortened = _shortened(columns)
    widths = [max(n, cell_len(h)) for n, h in zip(natural, header, strict=True)]
    total = sum(widths) + GAP * (len(widths) - 1)
    if width is None or total <= width:
        return Layout(tuple(widths), False)
    spare = {i: max(0, widths[i] - max(columns[i].shortened_to or 0, cell_len(header[i]))) for i in shortened}
    excess = total - width
    if excess > sum(spare.values()):
        return Layout(tuple(widths), True)
    left, room = excess, sum(spare.values())
    for i in shortened[:-1]:
        cut = -(-excess * spare[i] // room)            # in proportion, rounded up; the last takes the rest
        widths[i] -= cut
        left -= cut
    widths[shortened[-1]] -= left
    return Layout(tuple(widths), False)


def print_table(summaries: Sequence[RowSummary], rows: Iterable[Row], as_of: dt.date, lang: str,
                console: Console, wide: bool = False) -> None:
    """The title, the header, a line a cluster (as ``rows`` stream in), publicity periods, notes and totals."""
    said = words("table", lang)
    # the 达标 column only when a listed cluster has an indicator value read (else every cell would be "—")
    keep = tuple(i for i in range(len(COLUMNS)) if i != STANDARDS or any(s.standards for s in summaries))

    def pick(values: Sequence[Any]) -> tuple[Any, ...]:
        return values if len(keep) == len(COLUMNS) else tuple(values[i] for i in keep)  # type: ignore[return-value]

    columns = pick(COLUMNS)
    header = pick(headers(lang))
    natural = [max(column) for column in zip(*(pick(s.widths) for s in summaries), strict=True)] or [0] * len(header)
    if not wide:
        natural = [min(n, limit) for n, limit in zip(natural, pick(LIMITS), strict=True)]
    screen = console.width      # read once: rich asks the terminal (and the environment) each time
    plan = layout(natural, header, None if wide else screen, columns)
    shape = _card(columns)
    widths = plan.widths
    notes: list[str] = []

    def numbered(cell: str, row_notes: Iterable[str]) -> str:
        for note in row_notes:
            if note not in notes:
                notes.append(note)
            cell = cell.replace(NOTE_MARK, f" *{notes.index(note) + 1}", 1)
        return cell

    def line(cells: Sequence[str]) -> str:
        return "  ".join(fit(cell, width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    indents = [(f"  {said[label]}", cell_len(said[label]) + 2) if label else ("", 0) for label, _, _ in shape]

    def card(cells: Sequence[str], lengths: Sequence[int]) -> list[str]:
        """A line for each of CARD (the warning's only when there is one), each cut to the screen at its end; on
        the first, the name is fitted first into what the rest leaves (``lengths``: the cells' widths)."""
        lines = []
        for (label, on_line, optional), (indent, indented) in zip(shape, indents, strict=True):
            if optional and cells[on_line[-1]] == "—":
                continue
            parts, sizes = [cells[i] for i in on_line], [lengths[i] for i in on_line]
            size = indented + sum(sizes) + GAP * (len(on_line) - 1)
            for n, i in enumerate(on_line):
                minimum = columns[i].shortened_to
                if minimum is not None and size > screen and not label:
                    parts[n] = fit(parts[n], max(screen - (size - sizes[n]), minimum)).rstrip()
                    size += cell_len(parts[n]) - sizes[n]
            text = indent + "  ".join(parts)
            lines.append(text if size <= screen else cut_to(text, screen).rstrip())
        return lines

    # a terminal gets each line coloured through rich; a pipe or a file gets the same text written as it is
    # (what rich would write there too, at a fraction of the cost over 100,000 lines)
    write = None if console.is_terminal else console.file.write

    console.print(said["title"].format(as_of=as_of), style="bold", highlight=False)
    if not plan.cards:
        console.print(line(header), style="bold underline", highlight=False, soft_wrap=True)
    hidden = len(keep) < len(COLUMNS)
    for row in rows:
        if hidden:
            row = row._replace(cells=pick(row.cells), lengths=None if row.lengths is None else pick(row.lengths))
        if plan.cards or row.lengths is None or any(map(int.__gt__, row.lengths, widths)):
            cells, lengths = row.cells, row.lengths
            if row.notes:
                pending = iter(row.notes)
                cells = tuple(numbered(cell, [next(pending) for _ in range(cell.count(NOTE_MARK))]) for cell in cells)
                lengths = None
            texts = card(cells, lengths or tuple(map(cell_len, cells))) if plan.cards else [line(cells)]
        else:                           # already cut to fit: pad each cell to its column
            texts = ["  ".join(cell + " " * (width - length)
                               for cell, length, width in zip(row.cells, row.lengths, widths, strict=True)).rstrip()]
        for text in texts:
            if write is not None:
                write(text + "\n")
            else:
                console.print(text, style=row.style, highlight=False, markup=False, soft_wrap=True)
    for summary in sorted((s for s in summaries if s.publicity is not None), key=lambda s: s.publicity or ()):
        cid, start, end, basis = summary.publicity or ("", "", "", "")
        console.print(said["publicity"].format(id=cid, start=start, end=end, basis=basis), highlight=False,
                      markup=False, soft_wrap=True)
    for summary in sorted((s for s in summaries if s.barred is not None), key=lambda s: s.barred or ()):
        cid, until = summary.barred or ("", "")
        console.print(said["reapply_barred"].format(id=cid, until=until), highlight=False, markup=False,
                      soft_wrap=True)
    for index, note in enumerate(notes, 1):
        console.print(f"*{index} {note}", style="magenta", highlight=False, soft_wrap=True)
    counts: dict[str, int] = {"in_force": 0, "expired": 0, "revoked": 0, "revocation": 0, "risk": 0, "notice": 0}
    for summary in summaries:
        counts[summary.state] += 1
        for severity in summary.severities:
            counts[severity] += 1
    console.print(said["summary"].format(total=len(summaries), **counts), highlight=False, soft_wrap=True)
    backfill = [s.unrecorded for s in summaries if s.unrecorded]
    if backfill:
        console.print(said["unrecorded"].format(n=sum(backfill), clusters=len(backfill)), highlight=False,
                      markup=False, soft_wrap=True)


def hold_lines(holds: Sequence[Hold], lang: str, as_of: dt.date) -> list[str]:
    """`monitor holds`: a title with how many, then one line a hold in force (its text printed on one line)."""
    said = words("table", lang)
    lines = [said["holds_title"].format(as_of=as_of, count=len(holds))]
    lines.extend(one_line(said["ledger_hold"].format(
        kind=said[f"ledger_{h.kind}"], cluster=h.cluster_id, subject=h.subject, until=h.until, by=h.recorded_by,
        note=h.note)) for h in holds)
    return lines


def print_ledger(holds: Iterable[Hold], daemon: dict[str, Any], lang: str, console: Console,
                 database: str = "") -> None:
    """Acks and snoozes in force, what the daemon last did and has waiting, and the database all this was read
    from (under the status table)."""
    said = words("table", lang)
    for h in holds:
        console.print(said["ledger_hold"].format(
            kind=said[f"ledger_{h.kind}"], cluster=h.cluster_id, subject=h.subject, until=h.until, by=h.recorded_by,
            note=h.note), highlight=False, markup=False, soft_wrap=True)
    running = f"{said['ledger_yes']} ({', '.join(daemon['running'])})" if daemon["running"] else said["ledger_no"]
    console.print(said["ledger_daemon"].format(
        running=running, scan=person_time_of(daemon["last_scan"]) or said["ledger_never"],
        round=person_time_of(daemon["last_round"]) or said["ledger_never"], waiting=daemon["waiting"],
        messages=daemon["messages_waiting"], failed=daemon["failed"]),
        style="dim", highlight=False, markup=False, soft_wrap=True)
    if database:
        console.print(said["ledger_database"].format(database=database), style="dim", highlight=False, markup=False,
                      soft_wrap=True)
