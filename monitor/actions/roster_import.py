"""The roster: reading a CSV or XLSX file of clusters, checking every row, and storing it in one go.

CSV files may be UTF-8, UTF-8 with a BOM, or GBK/GB18030 (what Excel writes on a Chinese desktop).
Column headers are the English names of docs/interface.md or the Chinese ones ``monitor export`` writes; the
columns an export computes (state, next due, warnings) are skipped, so an edited export imports back.
Every bad row is reported by its line number (the header is line 1); if any row is bad nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from db.fact_queries import archived_among, revoked
from db.models import ClusterRow
from db.watch import touch
from monitor.actions.archive import archive_note
from monitor.actions.sheets import Sheet, SheetRow, blank, read_sheet, text_of
from monitor.addresses import address_problem
from monitor.errors import BadValue, ImportError_, InputError, Said
from monitor.rules.bars import barred_as_of
from monitor.rules.dates import parse_date
from monitor.rules.packs import Pack
from monitor.rules.roster import COLUMNS, COMPUTED_COLUMNS, LONGEST, by_name, namesakes

_COMPUTED = {alias for pair in COMPUTED_COLUMNS for alias in pair}
_DATE_COLUMNS = ("certified_on", "valid_until", "publicity_start")
_EMAIL_COLUMNS = ("operator_email", "bureau_email")
MAX_ID_LENGTH = LONGEST["id"]


def read_rows(path: Path) -> Sheet:
    """The roster's column names (normalised), its non-empty rows with their line numbers, its headers."""
    return read_sheet(path, [(name, (name, chinese), required) for name, chinese, required in COLUMNS], _COMPUTED)


#: the days a roster's dates may fall on; a certification at most a year ahead of today
EARLIEST, LATEST = dt.date(1990, 1, 1), dt.date(2199, 12, 31)


def check_row(row: SheetRow, packs: Mapping[str, Pack], today: dt.date) -> tuple[dict[str, Any], list[Said]]:
    """The row as cluster fields, and what is wrong with it (empty when nothing)."""
    values: dict[str, Any] = {}
    problems: list[Said] = []
    for name, value in row.values.items():
        if name in _DATE_COLUMNS:
            if blank(value):
                values[name] = None
                continue
            try:
                values[name] = parse_date(value)
            except BadValue as exc:
                problems.append(Said("{field}: {problem}", field=name, problem=exc.said))
        else:
            values[name] = text_of(value)
    for name, _, required in COLUMNS:
        if required and name in values and values[name] is None and not any(
                p.params.get("field") == name for p in problems):
            problems.append(Said("{field}: is empty", field=name))
    cluster_id = values.get("id")
    if cluster_id is not None and (len(cluster_id) > MAX_ID_LENGTH or any(c.isspace() for c in cluster_id)):
        problems.append(Said("{field}: {id!r} must be at most {most} characters with no spaces", field="id",
                             id=cluster_id, most=MAX_ID_LENGTH))
    regime = values.get("regime")
    pack = packs.get(regime) if regime else None
    if regime and pack is None:     # the template's drop-down offers the policies by title
        pack = next((p for p in packs.values() if p.title == regime), None)
        values["regime"] = pack.id if pack is not None else regime
    if regime and pack is None:
        problems.append(Said("{field}: {regime!r} is not a regime (known: {known})", field="regime", regime=regime,
                             known=", ".join(sorted(packs))))
    batch = values.get("batch")
    if pack is not None and batch and batch not in pack.batch_ids:
        problems.append(Said("{field}: {batch!r} is not a batch of {regime} (known: {known})", field="batch",
                             batch=batch, regime=pack.id, known=", ".join(pack.batch_ids) or "-"))
    if pack is not None and pack.validity is None and values.get("valid_until"):
        problems.append(Said("{field}: {regime} has no validity period", field="valid_until", regime=pack.id))
    certified_on, valid_until = values.get("certified_on"), values.get("valid_until")
    if certified_on and valid_until and valid_until < certified_on:
        problems.append(Said("{field}: {valid_until} is before certified_on {certified_on}", field="valid_until",
                             valid_until=valid_until, certified_on=certified_on))
    for name in _EMAIL_COLUMNS:
        if values.get(name):
            addresses = [a.strip() for a in values[name].replace("；", ";").split(";") if a.strip()]
            bad = next((problem for a in addresses if (problem := address_problem(a)) is not None), None)
            if bad is not None:
                problems.append(Said("{field}: {problem}", field=name, problem=bad))
            values[name] = ";".join(addresses) or None
    for name, most in LONGEST.items():
        value = values.get(name)
        if name != "id" and isinstance(value, str) and len(value) > most:
            problems.append(Said("{field}: is {length} characters long (at most {most})", field=name,
                                 length=len(value), most=most))
    for name, value in values.items():
        if isinstance(value, str) and not value.isprintable() and name not in _EMAIL_COLUMNS:
            problems.append(Said("{field}: {value!r} holds a control character (a line break or a tab): remove it",
                                 field=name, value=value.encode("unicode_escape").decode()[:60]))
    for name in _DATE_COLUMNS:
        day = values.get(name)
        latest = today + dt.timedelta(days=366) if name == "certified_on" else LATEST
        if day is not None and not EARLIEST <= day <= latest:
            problems.append(Said("{field}: {day} is out of range ({earliest} to {latest})", field=name, day=day,
                                 earliest=EARLIEST, latest=latest))
    return values, problems


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int = 0
    warnings: tuple[Said, ...] = ()     # rows stored all the same: a new cluster named as a revoked one still barred


def import_roster(session: Session, path: Path, packs: Mapping[str, Pack], who: str, now: dt.datetime,
                  progress: Callable[[Iterable[SheetRow], int], Iterable[SheetRow]] | None = None,
                  today: dt.date | None = None) -> ImportResult:
    """Check every row, then insert new clusters and update known ones, in the caller's transaction. ``today`` (the
    configured time zone's, default ``now``'s UTC date) bounds the rows' dates and decides which bars still stand."""
    today = today or now.date()
    sheet = read_rows(path)
    columns, rows = sheet.columns, sheet.rows
    if not rows:
        raise InputError("{path}: the roster has no rows", path=path)
    checked: list[dict[str, Any]] = []
    problems: list[Said] = []
    seen: dict[str, int] = {}
    for row in progress(rows, len(rows)) if progress else rows:
        values, row_problems = check_row(row, packs, today)
        cluster_id = values.get("id")
        key = cluster_id.lower() if isinstance(cluster_id, str) else None
        if key in seen:
            row_problems.append(Said("{field}: {id!r} is also on line {line}", field="id", id=cluster_id,
                                     line=seen[key]))
        elif key:
            seen[key] = row.line
        problems.extend(sheet.at(path, row.line, p) for p in row_problems)
        checked.append(values)
    if problems:
        raise ImportError_(str(path), problems)
    table = ClusterRow.__table__
    stored = _stored(session, list(seen), columns)
    known = {key: row["id"] for key, row in stored.items()}   # ids are matched without regard to case
    for values in checked:
        values["id"] = known.get(values["id"].lower(), values["id"])
    archived = archived_among(session, known.values())
    if archived:
        raise ImportError_(str(path), [
            sheet.at(path, seen[cid.lower()], Said(
                "{field}: cluster {id!r} is {archived}: `monitor roster unarchive {id} --reason …` first", field="id",
                id=cid, archived=archive_note(row))) for cid, row in sorted(archived.items())])
    stamp = {"recorded_at": now, "recorded_by": who}
    new = [{**{name: None for name, _, _ in COLUMNS}, **values, **stamp}
           for values in checked if values["id"].lower() not in known]
    changed = [{**values, "_id": values["id"], **stamp} for values in checked
               if values["id"].lower() in known and _differs(values, stored[values["id"].lower()], columns)]
    unchanged = len(checked) - len(new) - len(changed)
    if new:
        session.execute(insert(ClusterRow), new)
    if changed:
        # update only the columns the file has, so an export edited down to a few columns keeps the rest
        statement = update(ClusterRow).where(table.c.id == bindparam("_id")).values(
            {name: bindparam(name) for name in [*columns, "recorded_at", "recorded_by"] if name != "id"})
        session.connection().execute(statement, changed)
        touch(session, [values["id"] for values in changed])   # the daemon's next scan evaluates them again
    warnings = tuple(sheet.at(path, seen[values["id"].lower()], said)
                     for values, said in _barred(session, new, packs, today))
    return ImportResult(added=len(new), updated=len(changed), unchanged=unchanged, warnings=warnings)


def _barred(session: Session, new: list[dict[str, Any]], packs: Mapping[str, Pack],
            today: dt.date) -> Iterable[tuple[dict[str, Any], Said]]:
    """The new rows named as a revoked cluster still barred from applying again on ``today`` (docs/rules.md,
    "Revocation and the cluster's state"), each with what to say."""
    if not new:
        return
    barred = by_name((facts.cluster, until) for facts in revoked(session)
                     if (pack := packs.get(facts.cluster.regime)) is not None
                     and (until := barred_as_of(pack, facts, today)) is not None)
    for values in new:
        for cluster, until in namesakes(values["name"], values.get("region"), barred):
            yield values, Said("{name} has the name of the revoked cluster {id}, barred from applying again through "
                               "{until}", name=values["name"], id=cluster.id, until=until)


def _stored(session: Session, keys: list[str], columns: list[str]) -> dict[str, dict[str, Any]]:
    """The stored clusters among these lower-cased ids, by lower-cased id: the id as stored and the file's
    columns."""
    table = ClusterRow.__table__
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), 5000):
        for row in session.execute(select(*(table.c[name] for name in dict.fromkeys(["id", *columns])))
                                   .where(func.lower(table.c.id).in_(keys[start:start + 5000]))):
            found[row.id.lower()] = dict(row._mapping)
    return found


def _differs(values: Mapping[str, Any], stored: Mapping[str, Any], columns: list[str]) -> bool:
    """Whether the file changes any of the columns it has (an export imported back unedited changes nothing)."""
    return any(values.get(name) != stored.get(name) for name in columns if name != "id")
