"""The tables. Every recorded fact carries when (UTC) and by whom it was recorded."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    true,
)
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
    extra: Mapped[str | None] = mapped_column(Text)     # the file's other columns: a JSON object, in its order


class FactRow(Recorded, Base):
    """One version of a recorded fact (migration 0005). Append-only: a correction is a new row that
    ``replaces`` the version it corrects (an amendment), or withdraws it (``retracts``); the database refuses
    an UPDATE or a DELETE of this table. The row's id is the fact number people see."""
    __tablename__ = "fact"
    __table_args__ = (Index("ix_fact_cluster", "cluster_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[str] = _cluster_fk()
    kind: Mapped[str] = mapped_column(String(16))         # FACT_KINDS: report | change | review | assessment | incident | revocation | evaluation | rectification; INDICATOR_KINDS: indicator | target
    year: Mapped[int | None] = mapped_column(Integer)                 # report, assessment
    on_date: Mapped[dt.date | None] = mapped_column(Date)             # changed on; review, assessment, incident ...
    filed_on: Mapped[dt.date | None] = mapped_column(Date)            # report, change
    detail: Mapped[str | None] = mapped_column(String(32))            # change kind, result, incident ground, indicator code
    note: Mapped[str | None] = mapped_column(Text)                    # incident, revocation
    dismissed_on: Mapped[dt.date | None] = mapped_column(Date)        # incident
    value: Mapped[float | None] = mapped_column(Float)                # indicator value, target (migration 0010)
    base_year: Mapped[int | None] = mapped_column(Integer)            # target's base year (migration 0010)
    replaces: Mapped[int | None] = mapped_column(Integer, ForeignKey("fact.id", ondelete="RESTRICT"), unique=True)
    retracts: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)


class ArchiveRow(Recorded, Base):
    """A cluster taken off (``archived``) or put back on the roster, with why. Append-only; the newest row of a
    cluster says whether it is archived."""
    __tablename__ = "archive"
    __table_args__ = (Index("ix_archive_cluster", "cluster_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[str] = _cluster_fk()
    archived: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)


# --- the reminder ledger (migration 0002) -------------------------------------------------------------------------

class ReminderRow(Base):
    """One reminder: a subject (an obligation or a warning of a cluster) crossing one stage. Never deleted."""
    __tablename__ = "reminder"
    __table_args__ = (UniqueConstraint("cluster_id", "subject", "stage"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[str] = _cluster_fk()
    subject: Mapped[str] = mapped_column(String(160))           # obligation or warning key
    stage: Mapped[str] = mapped_column(String(32))              # lead:30, lead:0, overdue:2, warning:0 ...
    crossed_on: Mapped[dt.date] = mapped_column(Date)           # the day the stage was crossed
    found_on: Mapped[dt.date] = mapped_column(Date)             # the scan day that recorded it
    late: Mapped[bool] = mapped_column(Boolean)                 # crossed while no scan ran (daemon down)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class MessageRow(Base):
    """One digest e-mail to one recipient: built once, stored whole, re-sent byte for byte if in doubt."""
    __tablename__ = "message"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)    # the Message-ID, without <>
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)        # claimed | sent | failed | retry
    late: Mapped[bool] = mapped_column(Boolean)
    round_day: Mapped[dt.date] = mapped_column(Date)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


class DeliveryRow(Base):
    """A reminder owed to one recipient: pending until a message carries it, then that message's fate."""
    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("reminder_id", "recipient"), Index("ix_delivery_state", "state"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reminder_id: Mapped[int] = mapped_column(Integer, ForeignKey("reminder.id", ondelete="RESTRICT"))
    recipient: Mapped[str] = mapped_column(String(320))
    # pending | queued (in a message) | sent | failed | suppressed (ack/snooze) | obsolete (done before sending)
    state: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str | None] = mapped_column(String(128), ForeignKey("message.id", ondelete="RESTRICT"),
                                                   index=True)
    settled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    held_round: Mapped[str | None] = mapped_column(String(96), index=True)    # the round holding it (0013)


class DigestRoundRow(Base):
    """A digest round and the recipient set it was for (migration 0013): sent, or held until an administrator
    approves or refuses what it holds."""
    __tablename__ = "digest_round"
    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16), index=True)      # sent | held | approved | refused
    audience: Mapped[str] = mapped_column(Text)                     # JSON: the recipient set (rules/audience.py)
    grown: Mapped[str | None] = mapped_column(Text)                 # why it was held
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)


class HoldColumns(Recorded):
    """A subject held quiet: its reminders stop until (and including) `until`, with a note."""
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[str] = _cluster_fk()
    subject: Mapped[str] = mapped_column(String(160))
    until: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)


class AckRow(HoldColumns, Base):
    """An acknowledged warning."""
    __tablename__ = "ack"


class SnoozeRow(HoldColumns, Base):
    """A snoozed obligation."""
    __tablename__ = "snooze"


class DaemonRow(Base):
    """What the daemons did last: one row per name (scan, round, and each running daemon's heartbeat)."""
    __tablename__ = "daemon_state"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    day: Mapped[dt.date | None] = mapped_column(Date)
    detail: Mapped[str | None] = mapped_column(Text)


class RoundItemRow(Base):
    """Scratch for a round being built (migrations 0003, 0007): one delivery to claim and, unless another stage of
    the same subject already shows it, the digest item it shows; named by its round. Removed when the round ends
    (a dead round's rows by a later round)."""
    __tablename__ = "round_item"
    __table_args__ = (Index("ix_round_item_round", "round_id", "recipient", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[str] = mapped_column(String(96), server_default="")
    recipient: Mapped[str] = mapped_column(String(320))
    delivery_id: Mapped[int] = mapped_column(Integer)
    grp: Mapped[str | None] = mapped_column(String(16))            # the item's group; None: shown by another row
    cluster_id: Mapped[str | None] = mapped_column(String(64))
    cluster_name: Mapped[str | None] = mapped_column(Text)
    what: Mapped[str | None] = mapped_column(Text)
    due: Mapped[dt.date | None] = mapped_column(Date)
    days_left: Mapped[int | None] = mapped_column(Integer)
    basis: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(32))
    late: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)


class ScanWatchRow(Base):
    """When the scan must evaluate a cluster again (migration 0004); no row: at the next scan."""
    __tablename__ = "scan_watch"
    __table_args__ = (Index("ix_scan_watch_next_scan", "next_scan"),)
    cluster_id: Mapped[str] = mapped_column(String(64), ForeignKey("cluster.id", ondelete="CASCADE"),
                                            primary_key=True)
    next_scan: Mapped[dt.date] = mapped_column(Date)


# --- accounts of the web console and the API (migration 0006) --------------------------------------------------

class AccountRow(Base):
    """A person who signs in to the console or calls the API: a role (admin, bureau, viewer), the regions a
    bureau account covers (account_region), an argon2 password hash.

    ``failed_logins`` and ``locked_until`` are no longer read (since migration 0009 failed sign-ins are rows of
    sign_in_failure, by name and address) and are written as 0 and NULL: they stay because dropping a column
    on SQLite before 3.35 rebuilds the table, and dropping ``account`` would cascade to its tokens, regions
    and sessions."""
    __tablename__ = "account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean)
    failed_logins: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # the profile (migration 0015): the person's name, e-mail and phone, and whether the daily digest is wanted
    full_name: Mapped[str] = mapped_column(String(64), default="", server_default="")
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(32), default="", server_default="")
    digest_email: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # messages to the person (migration 0016): the ids personal channels address them by, the channels they
    # turned off (names, ","-separated), their window (local HH:MM, working days only) and how often
    wecom_userid: Mapped[str] = mapped_column(String(64), default="", server_default="")
    dingtalk_userid: Mapped[str] = mapped_column(String(64), default="", server_default="")
    feishu_open_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    muted_channels: Mapped[str] = mapped_column(Text, default="", server_default="")
    window_from: Mapped[str] = mapped_column(String(5), default="09:00", server_default="09:00")
    window_until: Mapped[str] = mapped_column(String(5), default="18:00", server_default="18:00")
    window_workdays: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    digest_every: Mapped[str] = mapped_column(String(8), default="round", server_default="round")


class AccountRegionRow(Base):
    __tablename__ = "account_region"
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    region: Mapped[str] = mapped_column(String(128), primary_key=True)


class TokenRow(Base):
    """An API token (``api``) or a calendar subscription (``calendar``): only the SHA-256 of the secret is kept."""
    __tablename__ = "token"
    __table_args__ = (Index("ix_token_account", "account_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebSessionRow(Base):
    """A signed-in browser: the SHA-256 of its cookie, and the CSRF token its forms carry."""
    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_account", "account_id"),)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("account.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class UploadRow(Base):
    """A facts file previewed in the console, held until it is stored or its time is up (migration 0008): by the
    SHA-256 of the random token its page's form posts back, for the account that sent it only."""
    __tablename__ = "upload"
    __table_args__ = (Index("ix_upload_account", "account_id"), Index("ix_upload_expires_at", "expires_at"))
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("account.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SignInFailureRow(Base):
    """A failed sign-in (migration 0009): the SHA-256 of the name typed, the client's address, when. Rows older
    than the limits' window are deleted as new ones come (db.sign_in_queries)."""
    __tablename__ = "sign_in_failure"
    __table_args__ = (Index("ix_sign_in_failure_name", "name_digest", "at"),
                      Index("ix_sign_in_failure_address", "address", "at"),
                      Index("ix_sign_in_failure_at", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_digest: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SettingRow(Base):
    """A department-wide setting stored in the database (migration 0012), by name: ``monitoring_from`` (the
    baseline, an ISO date) as ``monitor import --from D`` sets it."""
    __tablename__ = "setting"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    set_by: Mapped[str] = mapped_column(String(128))


# --- signing in with an identity provider (migration 0016) -----------------------------------------------------

class IdentityRow(Base):
    """Someone an identity provider vouched for (an OIDC issuer, 企业微信, 钉钉, a gateway's header): the issuer
    and the subject it names them by, what it said of them (e-mail, name: to help an administrator decide), and
    the account an administrator mapped it to. ``state``: pending (no access until decided), mapped, refused."""
    __tablename__ = "identity"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_identity_issuer_subject"),
                      Index("ix_identity_account", "account_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    provider: Mapped[str] = mapped_column(String(32))      # the web.identity that saw it last ("" if never seen)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("account.id", ondelete="SET NULL"))
    first_seen: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str] = mapped_column(String(128))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SignInStateRow(Base):
    """A sign-in sent to an identity provider and not yet back: the SHA-256 of its ``state`` (taken once: a
    replayed state finds nothing), the OIDC nonce and PKCE verifier, and where to go after."""
    __tablename__ = "sign_in_state"
    __table_args__ = (Index("ix_sign_in_state_expires_at", "expires_at"),)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[str] = mapped_column(String(128))
    verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
