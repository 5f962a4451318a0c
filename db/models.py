"""The tables. Every recorded fact carries when (UTC) and by whom it was recorded."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Recorded:
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(128))


def _cluster_fk() -> Mapped[str]:
    return mapped_column(String(64), ForeignKey("cluster.id", ondelete="RESTRICT"))


class ClusterRow(Recorded, Base):
    __tablename__ = "cluster"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    regime: Mapped[str] = mapped_column(String(64), index=True)
    certified_on: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    batch: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(Text)
    operator: Mapped[str | None] = mapped_column(Text)
    operator_email: Mapped[str | None] = mapped_column(Text)   # ";"-separated
    bureau_email: Mapped[str | None] = mapped_column(Text)     # ";"-separated
    publicity_start: Mapped[dt.date | None] = mapped_column(Date)


class ReportRow(Recorded, Base):
    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("cluster_id", "year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[str] = _cluster_fk()
    year: Mapped[int] = mapped_column(Integer)
    filed_on: Mapped[dt.date] = mapped_column(Date)


class ChangeRow(Recorded, Base):
    __tablename__ = "change"
    __table_args__ = (UniqueConstraint("cluster_id", "kind", "changed_on"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[str] = _cluster_fk()
    kind: Mapped[str] = mapped_column(String(32))
    changed_on: Mapped[dt.date] = mapped_column(Date)
    filed_on: Mapped[dt.date | None] = mapped_column(Date)
    filing_recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    filing_recorded_by: Mapped[str | None] = mapped_column(String(128))


class ReviewRow(Recorded, Base):
    __tablename__ = "review"
    __table_args__ = (UniqueConstraint("cluster_id", "result", "on_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[str] = _cluster_fk()
    result: Mapped[str] = mapped_column(String(16))              # applied | pass | fail
    on_date: Mapped[dt.date] = mapped_column(Date)


class AssessmentRow(Recorded, Base):
    __tablename__ = "assessment"
    __table_args__ = (UniqueConstraint("cluster_id", "year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[str] = _cluster_fk()
    year: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(16))              # pass | fail
    on_date: Mapped[dt.date] = mapped_column(Date)


class IncidentRow(Recorded, Base):
    __tablename__ = "incident"
    __table_args__ = (UniqueConstraint("cluster_id", "ground", "on_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[str] = _cluster_fk()
    ground: Mapped[str] = mapped_column(String(32))
    on_date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    dismissed_on: Mapped[dt.date | None] = mapped_column(Date)
    dismissal_recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    dismissal_recorded_by: Mapped[str | None] = mapped_column(String(128))


class RevocationRow(Recorded, Base):
    __tablename__ = "revocation"
    cluster_id: Mapped[str] = mapped_column(String(64), ForeignKey("cluster.id"), primary_key=True)
    on_date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
