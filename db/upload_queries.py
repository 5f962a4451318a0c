"""Facts files previewed in the console, held until they are stored (migration 0008). The page's form carries a
random token, never the file; the table keeps only the token's SHA-256, and a held file is found only for the
account that uploaded it and only until it expires."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.models import UploadRow
from db.queries import aware

#: the previews an account may have held at once: a newer one drops the oldest beyond these
HELD_PER_ACCOUNT = 3


@dataclass(frozen=True)
class Held:
    filename: str
    data: bytes


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hold(session: Session, account_id: int, filename: str, data: bytes, now: dt.datetime,
         lifetime: dt.timedelta) -> str:
    """Keep the file for ``lifetime``; the token that takes it back. Expired files, anyone's, go now, and so do
    the account's oldest beyond HELD_PER_ACCOUNT."""
    session.execute(delete(UploadRow).where(UploadRow.expires_at <= now))
    older = session.scalars(select(UploadRow.digest).where(UploadRow.account_id == account_id)
                            .order_by(UploadRow.created_at.desc()).offset(HELD_PER_ACCOUNT - 1)).all()
    if older:
        session.execute(delete(UploadRow).where(UploadRow.digest.in_(older)))
    token = secrets.token_urlsafe(32)
    session.add(UploadRow(digest=_digest(token), account_id=account_id, filename=filename[:255], data=data,
                          created_at=now, expires_at=now + lifetime))
    return token


def take(session: Session, token: str, account_id: int, now: dt.datetime) -> Held | None:
    """The file held under ``token`` for this account, removed from the table (in the caller's transaction: a
    rollback keeps it); None for an unknown token, another account's, or one whose time is up. Two requests
    with one token: the second waits for the first (the row is locked) and finds nothing."""
    if not token:
        return None
    row = session.scalar(select(UploadRow).where(UploadRow.digest == _digest(token),
                                                 UploadRow.account_id == account_id).with_for_update())
    if row is None:
        return None
    session.delete(row)
    if aware(row.expires_at) <= now:
        return None
    return Held(row.filename, row.data)
