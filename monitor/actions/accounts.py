"""Accounts of the web console and the API: users, passwords (argon2), tokens, sign-in sessions and the lock after
failed sign-ins. Validate, then write through the session given (the caller's transaction).

Secrets (API and calendar tokens, session cookies) are random, shown once, and stored only as their SHA-256:
a copy of the database gives no way in. Passwords are stored as argon2id hashes (argon2-cffi).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from db.models import AccountRegionRow, AccountRow, TokenRow, WebSessionRow
from db.queries import aware
from db.session import rowcount
from monitor.errors import InputError
from monitor.rules.access import Account, Role
from monitor.rules.roster import LONGEST

log = logging.getLogger("monitor.accounts")

#: failed sign-ins in a row that lock an account, and for how long
LOCK_AFTER, LOCK_FOR = 5, dt.timedelta(minutes=15)
#: how long a sign-in lasts
SESSION_LIFETIME = dt.timedelta(hours=12)
SHORTEST_PASSWORD = 8
TOKEN_KINDS = ("api", "calendar")


class LoginRefused(InputError):
    """Wrong name or password, a disabled or a locked account: the page says only that sign-in failed."""


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_name(name: str) -> str:
    if not (1 <= len(name) <= 64) or not name.isprintable() or any(ch.isspace() for ch in name):
        raise InputError("user name {value!r}: 1 to 64 printable characters without spaces", value=name[:40])
    return name


def _check_password(password: str) -> str:
    if len(password) < SHORTEST_PASSWORD:
        raise InputError("the password is {length} characters long (at least {least})", length=len(password),
                         least=SHORTEST_PASSWORD)
    return password


def _row(session: Session, name: str) -> AccountRow:
    row = session.scalar(select(AccountRow).where(AccountRow.name == name))
    if row is None:
        raise InputError("no user {name!r}: `monitor user list` lists them", name=name)
    return row


def account_of(session: Session, row: AccountRow) -> Account:
    covers = session.scalars(select(AccountRegionRow.region).where(AccountRegionRow.account_id == row.id)
                             .order_by(AccountRegionRow.region))
    return Account(row.id, row.name, Role(row.role), tuple(covers))


def add_user(session: Session, name: str, role: str, regions: Sequence[str], password: str,
             now: dt.datetime) -> Account:
    """A new account. A bureau account needs at least one region; admin and viewer accounts see every region."""
    _check_name(name)
    try:
        kind = Role(role)
    except ValueError:
        raise InputError("--role {role!r} is not one of admin, bureau, viewer", role=role) from None
    covers = sorted({r.strip() for r in regions if r.strip()})
    for region in covers:
        if len(region) > LONGEST["region"] or not region.isprintable():
            raise InputError("--region '{value}…': at most {most} printable characters, as a roster's regions are",
                             value=region[:40], most=LONGEST["region"])
    if kind is Role.BUREAU and not covers:
        raise InputError("a bureau user needs --region (repeatable): the regions whose clusters it sees")
    if kind is not Role.BUREAU and covers:
        raise InputError("--region applies to bureau users; {role} users see every region", role=kind)
    if session.scalar(select(AccountRow.id).where(AccountRow.name == name)) is not None:
        raise InputError("user {name!r} exists already (`monitor user passwd {name}` sets a new password)", name=name)
    row = AccountRow(name=name, role=kind.value, password_hash=_hasher().hash(_check_password(password)),
                     disabled=False, failed_logins=0, locked_until=None, created_at=now)
    session.add(row)
    session.flush()
    session.add_all(AccountRegionRow(account_id=row.id, region=region) for region in covers)
    return Account(row.id, name, kind, tuple(covers))


def set_password(session: Session, name: str, password: str) -> None:
    """A new password; the lock is lifted and every sign-in of the account ends."""
    row = _row(session, name)
    row.password_hash = _hasher().hash(_check_password(password))
    row.failed_logins, row.locked_until = 0, None
    session.execute(delete(WebSessionRow).where(WebSessionRow.account_id == row.id))


def disable(session: Session, name: str) -> None:
    """The account can no longer sign in nor use its tokens; its sign-ins end."""
    row = _row(session, name)
    row.disabled = True
    session.execute(delete(WebSessionRow).where(WebSessionRow.account_id == row.id))


@dataclass(frozen=True)
class Listed:
    account: Account
    disabled: bool
    locked_until: dt.datetime | None
    tokens: int              # API tokens in force


def list_users(session: Session, now: dt.datetime) -> list[Listed]:
    listed = []
    for row in session.scalars(select(AccountRow).order_by(AccountRow.name)):
        tokens = session.scalars(select(TokenRow).where(TokenRow.account_id == row.id, TokenRow.kind == "api",
                                                        TokenRow.revoked_at.is_(None))).all()
        live = sum(1 for t in tokens if t.expires_on is None or t.expires_on >= now.date())
        locked = aware(row.locked_until) if row.locked_until is not None else None
        listed.append(Listed(account_of(session, row), row.disabled,
                             locked if locked is not None and locked > now else None, live))
    return listed


# --- tokens -----------------------------------------------------------------------------------------------------

def issue_token(session: Session, name: str, now: dt.datetime, kind: str = "api",
                expires_on: dt.date | None = None) -> str:
    """A new token for the account; the secret is returned once and only its hash is stored."""
    row = _row(session, name)
    if expires_on is not None and expires_on < now.date():
        raise InputError("--expires {expires_on}: is in the past", expires_on=expires_on)
    secret = f"mon_{secrets.token_urlsafe(32)}"
    session.add(TokenRow(account_id=row.id, kind=kind, digest=digest(secret), created_at=now, expires_on=expires_on,
                         revoked_at=None))
    return secret


def revoke_tokens(session: Session, name: str, now: dt.datetime, kind: str | None = None) -> int:
    """Every token of the account (of one kind, if given) stops working at once. How many were in force."""
    row = _row(session, name)
    query = update(TokenRow).where(TokenRow.account_id == row.id, TokenRow.revoked_at.is_(None))
    if kind is not None:
        query = query.where(TokenRow.kind == kind)
    return rowcount(session.execute(query.values(revoked_at=now)))


def token_account(session: Session, secret: str, kind: str, today: dt.date) -> Account | None:
    """The account a token in force belongs to; None for an unknown, revoked or expired token, or a disabled
    account."""
    found = session.execute(select(TokenRow, AccountRow).join(AccountRow, AccountRow.id == TokenRow.account_id)
                            .where(TokenRow.digest == digest(secret), TokenRow.kind == kind)).first()
    if found is None:
        return None
    token, row = found
    if token.revoked_at is not None or (token.expires_on is not None and token.expires_on < today) or row.disabled:
        return None
    return account_of(session, row)


# --- signing in -------------------------------------------------------------------------------------------------

def login(session: Session, name: str, password: str, now: dt.datetime) -> Account:
    """The account, if the password is right and the account is neither disabled nor locked. LOCK_AFTER failures
    in a row lock it for LOCK_FOR (logged). Commit even when this raises: the failure count must be kept."""
    row = session.scalar(select(AccountRow).where(AccountRow.name == name).with_for_update())
    if row is None:
        with contextlib.suppress(VerificationError):   # as long as for a known name: timing tells no names
            _hasher().verify(_dummy_hash(), password)
        raise LoginRefused("sign-in failed: wrong name or password")
    if row.locked_until is not None and aware(row.locked_until) > now:
        log.warning("sign-in to locked account %r refused", name)
        raise LoginRefused("sign-in failed: the account is locked for a while after repeated failures")
    try:
        _hasher().verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        row.failed_logins += 1
        if row.failed_logins >= LOCK_AFTER:
            row.locked_until, row.failed_logins = now + LOCK_FOR, 0
            log.warning("account %r locked until %s after %d failed sign-ins", name,
                        row.locked_until.isoformat(timespec="seconds"), LOCK_AFTER)
        raise LoginRefused("sign-in failed: wrong name or password") from None
    if row.disabled:
        raise LoginRefused("sign-in failed: the account is disabled")
    row.failed_logins, row.locked_until = 0, None
    if _hasher().check_needs_rehash(row.password_hash):
        row.password_hash = _hasher().hash(password)
    return account_of(session, row)


@dataclass(frozen=True)
class SignedIn:
    account: Account
    csrf: str


def open_session(session: Session, account: Account, now: dt.datetime) -> tuple[str, str]:
    """A fresh sign-in (a new secret each time: a session id is never carried over from before the sign-in).
    The cookie's secret and the CSRF token its forms carry."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
    session.add(WebSessionRow(digest=digest(secret), account_id=account.id, csrf=csrf, created_at=now,
                              expires_at=now + SESSION_LIFETIME))
    return secret, csrf


def signed_in(session: Session, secret: str, now: dt.datetime) -> SignedIn | None:
    found = session.execute(select(WebSessionRow, AccountRow).join(AccountRow, AccountRow.id == WebSessionRow.account_id)
                            .where(WebSessionRow.digest == digest(secret))).first()
    if found is None:
        return None
    web, row = found
    if aware(web.expires_at) <= now or row.disabled:
        return None
    return SignedIn(account_of(session, row), web.csrf)


def close_session(session: Session, secret: str) -> None:
    session.execute(delete(WebSessionRow).where(WebSessionRow.digest == digest(secret)))
