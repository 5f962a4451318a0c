"""Facts become append-only, numbered versions in one table; clusters can be archived.

The six fact tables (report, change, review, assessment, incident, revocation) become ``fact``: one row a
version, numbered by its id. A correction is a new row that ``replaces`` the version it corrects, or that
``retracts`` it; triggers refuse any UPDATE or DELETE of ``fact`` and of ``archive``, so no code path can edit
the record in place. A filing or a dismissal filled in later (stored in place before) becomes a second version
that replaces the first, recorded when and by whom the filing was recorded.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

REFUSAL = "the record is append-only: correct it with a new version (monitor amend / monitor retract)"
APPEND_ONLY = ("fact", "archive")
FILLED_IN = {"change": "filing recorded", "incident": "dismissal recorded"}
FIELD = {"filing": "filed_on", "dismissal": "dismissed_on"}


def _recorded() -> list[sa.Column[Any]]:
    return [
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
    ]


def _cluster_id() -> sa.Column[str]:
    return sa.Column("cluster_id", sa.String(64), sa.ForeignKey("cluster.id", ondelete="RESTRICT"), nullable=False)


def upgrade() -> None:
    fact = op.create_table(
        "fact",
        sa.Column("id", sa.Integer, primary_key=True),
        _cluster_id(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("year", sa.Integer),
        sa.Column("on_date", sa.Date),
        sa.Column("filed_on", sa.Date),
        sa.Column("detail", sa.String(32)),
        sa.Column("note", sa.Text),
        sa.Column("dismissed_on", sa.Date),
        sa.Column("replaces", sa.Integer, sa.ForeignKey("fact.id", ondelete="RESTRICT"), unique=True),
        sa.Column("retracts", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text),
        *_recorded(),
    )
    op.create_index("ix_fact_cluster", "fact", ["cluster_id", "id"])
    op.create_table(
        "archive",
        sa.Column("id", sa.Integer, primary_key=True),
        _cluster_id(),
        sa.Column("archived", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        *_recorded(),
    )
    op.create_index("ix_archive_cluster", "archive", ["cluster_id", "id"])
    _copy_facts(fact)
    for table in ("report", "change", "review", "assessment", "incident", "revocation"):
        op.drop_table(table)
    for table in APPEND_ONLY:
        _append_only(table)


def _copy_facts(fact: sa.Table) -> None:
    """Every stored fact as a version, oldest recorded first; a later filing or dismissal as a second one."""
    conn = op.get_bind()
    versions: list[tuple[str, int, dict[str, Any], dict[str, Any] | None]] = []

    def read(sql: str) -> list[Any]:
        return list(conn.execute(sa.text(sql)).mappings())

    def add(row: Any, values: dict[str, Any], field: str | None = None) -> None:
        values.update(cluster_id=row["cluster_id"], recorded_at=row["recorded_at"], recorded_by=row["recorded_by"])
        later = None
        at = row[f"{field}_at"] if field is not None and row[field] is not None else None
        if at is not None and str(at) != str(row["recorded_at"]):
            later = {**values, "recorded_at": at, "recorded_by": row[f"{field}_by"] or row["recorded_by"],
                     "reason": FILLED_IN[values["kind"]]}
            values[FIELD[str(field)]] = None
        versions.append((str(row["recorded_at"]), len(versions), values, later))

    for r in read("SELECT * FROM report"):
        add(r, {"kind": "report", "year": r["year"], "filed_on": r["filed_on"]})
    for r in read("SELECT *, filed_on AS filing, filing_recorded_at AS filing_at, filing_recorded_by AS filing_by "
                  "FROM change"):
        add(r, {"kind": "change", "detail": r["kind"], "on_date": r["changed_on"], "filed_on": r["filed_on"]},
            "filing")
    for r in read("SELECT * FROM review"):
        add(r, {"kind": "review", "detail": r["result"], "on_date": r["on_date"]})
    for r in read("SELECT * FROM assessment"):
        add(r, {"kind": "assessment", "year": r["year"], "detail": r["result"], "on_date": r["on_date"]})
    for r in read("SELECT *, dismissed_on AS dismissal, dismissal_recorded_at AS dismissal_at, "
                  "dismissal_recorded_by AS dismissal_by FROM incident"):
        add(r, {"kind": "incident", "detail": r["ground"], "on_date": r["on_date"], "note": r["note"],
                "dismissed_on": r["dismissed_on"]}, "dismissal")
    for r in read("SELECT * FROM revocation"):
        add(r, {"kind": "revocation", "on_date": r["on_date"], "note": r["note"]})
    for _, _, values, later in sorted(versions, key=lambda v: (v[0], v[1])):
        number = conn.execute(sa.insert(fact).values(retracts=False, **_typed(values)).returning(fact.c.id)
                              ).scalar_one()
        if later is not None:
            conn.execute(sa.insert(fact).values(replaces=number, retracts=False, **_typed(later)))


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    """Dates and moments as Python values (SQLite hands back text from a plain SELECT)."""
    typed = dict(values)
    for key in ("on_date", "filed_on", "dismissed_on"):
        if isinstance(typed.get(key), str):
            typed[key] = dt.date.fromisoformat(typed[key])
    if isinstance(typed["recorded_at"], str):
        typed["recorded_at"] = dt.datetime.fromisoformat(typed["recorded_at"])
    return typed


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                       BEGIN RAISE EXCEPTION '{table}: {REFUSAL}'; END $$""")
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{table}: {REFUSAL}'); END")


def downgrade() -> None:
    raise NotImplementedError("0005 keeps every version of every fact; there is no way back to editing in place")
