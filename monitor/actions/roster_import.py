"""The roster: reading a CSV or XLSX file of clusters, checking every row, and storing it in one go.

CSV files may be UTF-8, UTF-8 with a BOM, or GBK/GB18030 (what Excel writes on a Chinese desktop).
Column headers are the English names of docs/interface.md or the Chinese ones ``monitor export`` writes (or a
department's own: ``ALIASES``); the columns an export computes (state, next due, warnings) are skipped, so an
edited export imports back; any other column is kept with each cluster (``cluster.extra``, JSON in the file's
order) unless the import is strict.
Every bad row is reported by its line number (the header is line 1); if any row is bad nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
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
from monitor.rules.near import REGION_SUFFIXES, nearest
from monitor.rules.packs import Pack
from monitor.rules.roster import (
    ALIASES,
    COLUMNS,
    COMPUTED_COLUMNS,
    LONGEST,
    LONGEST_EXTRA,
    by_name,
    namesakes,
)

_COMPUTED = {alias for pair in COMPUTED_COLUMNS for alias in pair}
_DATE_COLUMNS = ("certified_on", "valid_until", "publicity_start")
_EMAIL_COLUMNS = ("operator_email", "bureau_email")
MAX_ID_LENGTH = LONGEST["id"]


def read_rows(path: Path, sheet: str | None = None, strict: bool = False) -> Sheet:
    """The roster's column names (normalised), its non-empty rows with their line numbers, its headers, and the
    columns it has that the roster does not know (kept, or refused when ``strict``)."""
    return read_sheet(path, [(name, (name, chinese, *ALIASES.get(name, ())), required)
                             for name, chinese, required in COLUMNS], _COMPUTED, sheet=sheet, strict=strict)


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
        near = nearest(regime, [*packs, *(p.title for p in packs.values())])
        problems.append(Said("{field}: {regime!r} is not a regime (known: {known}); did you mean {suggestion}?"
                             if near else "{field}: {regime!r} is not a regime (known: {known})", field="regime",
                             regime=regime, known=", ".join(sorted(packs)), suggestion=near))
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
    for header, value in row.extra.items():
        if value is not None and len(value) > LONGEST_EXTRA:
            problems.append(Said("{field}: is {length} characters long (at most {most})", field=header,
                                 length=len(value), most=LONGEST_EXTRA))
    return values, problems


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int = 0
    warnings: tuple[Said, ...] = ()     # rows stored all the same: a new cluster named as a revoked one still barred,
    #                                     a region near one more clusters are in, a kept near miss
    kept: Said | None = None            # the line saying which columns were kept, when any were


def import_roster(session: Session, path: Path, packs: Mapping[str, Pack], who: str, now: dt.datetime,
                  progress: Callable[[Iterable[SheetRow], int], Iterable[SheetRow]] | None = None,
                  today: dt.date | None = None, sheet_name: str | None = None, strict: bool = False) -> ImportResult:
    """Check every row, then insert new clusters and update known ones, in the caller's transaction. ``today`` (the
    configured time zone's, default ``now``'s UTC date) bounds the rows' dates and decides which bars still stand.
    The file's columns the roster does not know are kept with each cluster (``cluster.extra``), or refused when
    ``strict``; ``sheet_name`` chooses a workbook's sheet (else the first headed by the roster's columns)."""
    today = today or now.date()
    sheet = read_rows(path, sheet_name, strict)
    columns, rows = sheet.columns, sheet.rows
    if not rows:
        raise InputError("{path}: the roster has no rows", path=sheet.where(path))
    checked: list[dict[str, Any]] = []
    extras: list[Mapping[str, str | None]] = []
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
        extras.append(row.extra)
    if problems:
        raise ImportError_(sheet.where(path), problems)
    table = ClusterRow.__table__
    stored_columns = [*columns, "extra"] if sheet.kept else columns
    stored = _stored(session, list(seen), stored_columns)
    known = {key: row["id"] for key, row in stored.items()}   # ids are matched without regard to case
    for values, extra in zip(checked, extras, strict=True):
        values["id"] = known.get(values["id"].lower(), values["id"])
        if sheet.kept:
            before = stored.get(values["id"].lower(), {}).get("extra")
            values["extra"] = _merged(before, extra)
    archived = archived_among(session, known.values())
    if archived:
        raise ImportError_(sheet.where(path), [
            sheet.at(path, seen[cid.lower()], Said(
                "{field}: cluster {id!r} is {archived}: `monitor roster unarchive {id} --reason …` first", field="id",
                id=cid, archived=archive_note(row))) for cid, row in sorted(archived.items())])
    stamp = {"recorded_at": now, "recorded_by": who}
    new = [{**{name: None for name, _, _ in COLUMNS}, "extra": None, **values, **stamp}
           for values in checked if values["id"].lower() not in known]
    changed = [{**values, "_id": values["id"], **stamp} for values in checked
               if values["id"].lower() in known and _differs(values, stored[values["id"].lower()], stored_columns)]
    unchanged = len(checked) - len(new) - len(changed)
    warnings = [*(sheet.at(path, seen[values["id"].lower()], said) for values, said in _near_regions(session, checked)),
                *(Said("{source}: line {line}: column {header!r} is kept as a column of its own; did you mean "
                       "{column}?", source=sheet.where(path), line=sheet.header_line, header=header, column=near)
                  for header, near in sheet.near.items())]
    if new:
        session.execute(insert(ClusterRow), new)
    if changed:
        # update only the columns the file has, so an export edited down to a few columns keeps the rest
        statement = update(ClusterRow).where(table.c.id == bindparam("_id")).values(
            {name: bindparam(name) for name in [*stored_columns, "recorded_at", "recorded_by"] if name != "id"})
        session.connection().execute(statement, changed)
        touch(session, [values["id"] for values in changed])   # the daemon's next scan evaluates them again
    warnings.extend(sheet.at(path, seen[values["id"].lower()], said)
                    for values, said in _barred(session, new, packs, today))
    kept = Said("{source}: kept {count} column(s) the roster does not know, with each cluster: {columns}",
                source=sheet.where(path), count=len(sheet.kept), columns=", ".join(sheet.kept)) if sheet.kept else None
    return ImportResult(added=len(new), updated=len(changed), unchanged=unchanged, warnings=tuple(warnings), kept=kept)


def _merged(before: str | None, extra: Mapping[str, str | None]) -> str | None:
    """A cluster's kept columns (JSON text, in order) after a file with ``extra``: its values replace the stored
    ones, a blank cell removes one, the columns the file does not have stay as they were."""
    fields: dict[str, str] = json.loads(before) if before else {}
    for header, value in extra.items():
        if value is None:
            fields.pop(header, None)
        else:
            fields[header] = value
    return json.dumps(fields, ensure_ascii=False) if fields else None


def _near_regions(session: Session, checked: list[dict[str, Any]]) -> Iterable[tuple[dict[str, Any], Said]]:
    """The rows whose region no stored cluster and no other row has but that is a near miss of one that more
    clusters have (包头 of 包头市: a suffix missing is nearest), each with what to say."""
    counts = Counter(region for (region,) in session.execute(
        select(ClusterRow.region).where(ClusterRow.region.is_not(None))) if region)
    ids = {values["id"] for values in checked}
    stored: dict[str, str | None] = {}
    if len(ids) <= 5000:
        stored.update((row.id, row.region) for row in session.execute(
            select(ClusterRow.id, ClusterRow.region).where(ClusterRow.id.in_(ids))))
    for values in checked:
        before = stored.get(values["id"])
        if before:
            counts[before] -= 1                 # the row replaces the stored cluster's region
        if values.get("region"):
            counts[values["region"]] += 1
    regions = [region for region, count in counts.items() if count > 0]
    near_of = {region: nearest(region, [other for other in regions if counts[other] > counts[region]
                                        or other.removeprefix(region) in REGION_SUFFIXES])
               for region in regions}             # a roster has a few dozen regions, and 100,000 rows
    for values in checked:
        region: str | None = values.get("region")
        near = near_of.get(region) if region else None
        if region and near is not None:
            yield values, Said("{field}: only {count} cluster(s) in {region!r}; did you mean {suggestion}?",
                               field="region", region=region, suggestion=near, count=counts[region])


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
