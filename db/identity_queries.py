"""Identities and sign-ins under way (migration 0016): the rows of ``identity`` and ``sign_in_state``. What they
mean, and who may change them, is monitor.actions.identities'."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.models import AccountRow, IdentityRow, SignInStateRow
from db.queries import aware
from db.session import rowcount


def find(session: Session, issuer: str, subject: str) -> IdentityRow | None:
    return session.scalar(select(IdentityRow).where(IdentityRow.issuer == issuer, IdentityRow.subject == subject))


def add(session: Session, issuer: str, subject: str) -> IdentityRow:
    row = IdentityRow(issuer=issuer, subject=subject, provider="", email="", display_name="", state="pending",
                      account_id=None, first_seen=None, last_seen=None, decided_by="", decided_at=None)
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Listed:
    issuer: str
    subject: str
    provider: str
    email: str
    display_name: str
    state: str
    account: str | None           # the account's name, when mapped
    last_seen: dt.datetime | None
    decided_by: str


def listed(session: Session) -> list[Listed]:
    """Every identity, pending ones first, then by issuer and subject."""
    found = session.execute(select(IdentityRow, AccountRow.name).outerjoin(AccountRow, AccountRow.id ==
                                                                           IdentityRow.account_id))
    rows = [Listed(row.issuer, row.subject, row.provider, row.email, row.display_name, row.state, name,
                   aware(row.last_seen) if row.last_seen else None, row.decided_by) for row, name in found]
    return sorted(rows, key=lambda r: (r.state != "pending", r.issuer, r.subject))


def state_digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def hold_state(session: Session, state: str, provider: str, nonce: str, verifier: str, next_path: str,
               now: dt.datetime, lifetime: dt.timedelta) -> None:
    """A sign-in sent to a provider; those whose time is up go."""
    session.execute(delete(SignInStateRow).where(SignInStateRow.expires_at < now))
    session.add(SignInStateRow(digest=state_digest(state), provider=provider, nonce=nonce, verifier=verifier,
                               next_path=next_path, expires_at=now + lifetime))


@dataclass(frozen=True)
class Pending:
    provider: str
    nonce: str
    verifier: str
    next_path: str


def take_state(session: Session, state: str, now: dt.datetime) -> Pending | None:
    """The sign-in of this state, taken: deleted, so that it is found once only (of two at once, the one whose
    DELETE removed the row). None when unknown, taken already, or out of time."""
    key = state_digest(state)
    row = session.get(SignInStateRow, key)
    if row is None:
        return None
    pending = Pending(row.provider, row.nonce, row.verifier, row.next_path)
    expires = aware(row.expires_at)
    session.expunge(row)
    if rowcount(session.execute(delete(SignInStateRow).where(SignInStateRow.digest == key))) != 1:
        return None
    return pending if expires > now else None
