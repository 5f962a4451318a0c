"""Accounts of the web console and the API: users, passwords (argon2), tokens, sign-in sessions and the limits on
failed sign-ins. Validate, then write through the session given (the caller's transaction); ``login`` alone
runs its own transactions (a failure must be counted, and seen by every worker, before the password is checked).

Secrets (API and calendar tokens, session cookies) are random, shown once, and stored only as their SHA-256:
a copy of the database gives no way in. Passwords are stored as argon2id hashes (argon2-cffi).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from db import sign_in_queries as failures
from db.models import AccountRegionRow, AccountRow, TokenRow, WebSessionRow
from db.queries import aware
from db.session import rowcount, transaction
from monitor.actions.regions import check_regions
from monitor.errors import InputError, Said
from monitor.rules.access import Account, Role
from monitor.rules.roster import LONGEST

log = logging.getLogger("monitor.accounts")

#: failed sign-ins on one name from one address that lock it for that address, and for how long at most
LOCK_AFTER, LOCK_FOR = 5, dt.timedelta(minutes=15)
#: how long a sign-in lasts
SESSION_LIFETIME = dt.timedelta(hours=12)
SHORTEST_PASSWORD = 8
TOKEN_KINDS = ("api", "calendar", "unlock", "reset")


@dataclass(frozen=True)
class SignInLimits:
    """Failed sign-ins, counted over ``window`` (the attempt being made included). No limit locks the account
    itself against its owner: an address that has not failed on the name still signs in with the right password,
    and an unlock code (`monitor user unlock NAME`) passes every limit, once.

    - ``per_name_and_address``: the lock. More failures on a name (a known account's or not: the limits tell no
      names) from one address refuse that name from that address until they age out;
    - ``per_address``: more failures from one address, on any names, refuse the address;
    - ``per_name``: with this many failures on a name from anywhere (a guess spread over many addresses), an
      address that has failed on it already is refused: each address gets one guess a window;
    - ``everyone``: with this many failures in all, an address that has failed already is refused.
    """
    window: dt.timedelta = LOCK_FOR
    per_name_and_address: int = LOCK_AFTER
    per_address: int = 20
    per_name: int = 20
    everyone: int = 200


LIMITS = SignInLimits()
#: how long an unlock code from `monitor user unlock` works: through the day after it was made
UNLOCK_DAYS = 1


class LoginRefused(InputError):
    """Wrong name or password, a disabled account, or too many failures: the page says only that sign-in failed
    (and, when the limits refused it unchecked, when to try again)."""

    #: seconds until an attempt could pass, when the limits refused it unchecked; None otherwise
    retry_after: int | None = None


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
    kind, covers = checked_role(role, regions)
    check_regions(session, covers, "--region")
    if session.scalar(select(AccountRow.id).where(AccountRow.name == name)) is not None:
        raise InputError("user {name!r} exists already (`monitor user passwd {name}` sets a new password)", name=name)
    row = AccountRow(name=name, role=kind.value, password_hash=_hasher().hash(_check_password(password)),
                     disabled=False, failed_logins=0, locked_until=None, created_at=now)   # both unused (db.models)
    session.add(row)
    session.flush()
    session.add_all(AccountRegionRow(account_id=row.id, region=region) for region in covers)
    return Account(row.id, name, kind, tuple(covers))


def checked_role(role: str, regions: Sequence[str]) -> tuple[Role, list[str]]:
    """The role and its regions, as an account may have them: a bureau account needs at least one region;
    admin and viewer accounts see every region."""
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
    return kind, covers


def set_password(session: Session, name: str, password: str) -> None:
    """A new password; the account's locks are lifted and every sign-in of the account ends."""
    row = _row(session, name)
    row.password_hash = _hasher().hash(_check_password(password))
    failures.forget_name(session, name)
    session.execute(delete(WebSessionRow).where(WebSessionRow.account_id == row.id))


def unlock(session: Session, name: str, now: dt.datetime, today: dt.date) -> str:
    """Lift every lock on the account (its failures, from every address, are forgotten) and make a one-time
    unlock code, valid through the next day: with the right password it passes every limit on sign-ins, once,
    so the owner signs in even while someone keeps failing on the name. Only one code is in force (a new one
    revokes the last). The code, shown once; only its hash is kept."""
    row = _row(session, name)
    failures.forget_name(session, name)
    revoke_tokens(session, name, now, "unlock")
    code = issue_token(session, name, now, "unlock", today + dt.timedelta(days=UNLOCK_DAYS))
    log.warning("account %r unlocked from the command line; a one-time unlock code was made", row.name)
    return code


def disable(session: Session, name: str) -> None:
    """The account can no longer sign in nor use its tokens; its sign-ins end."""
    row = _row(session, name)
    row.disabled = True
    session.execute(delete(WebSessionRow).where(WebSessionRow.account_id == row.id))


@dataclass(frozen=True)
class Listed:
    account: Account
    disabled: bool
    locked_until: dt.datetime | None    # the latest a lock on the account lifts (None: not locked)
    locked_for: tuple[str, ...]         # the addresses it is locked for (every other address signs in)
    tokens: int              # API tokens in force


def list_users(session: Session, now: dt.datetime, limits: SignInLimits = LIMITS) -> list[Listed]:
    listed = []
    since = now - limits.window
    for row in session.scalars(select(AccountRow).order_by(AccountRow.name)):
        tokens = session.scalars(select(TokenRow).where(TokenRow.account_id == row.id, TokenRow.kind == "api",
                                                        TokenRow.revoked_at.is_(None))).all()
        live = sum(1 for t in tokens if t.expires_on is None or t.expires_on >= now.date())
        locks = {address: until for address, (count, _) in failures.by_address(session, row.name, since).items()
                 if count >= limits.per_name_and_address
                 and (until := _pair_lock(session, row.name, address, since, limits)) is not None}
        listed.append(Listed(account_of(session, row), row.disabled, max(locks.values(), default=None),
                             tuple(sorted(locks)), live))
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

def _pair_lock(session: Session, name: str, address: str, since: dt.datetime, limits: SignInLimits
               ) -> dt.datetime | None:
    """When the lock of the name for the address lifts; None when it is not locked."""
    oldest = failures.nth_newest(session, since, limits.per_name_and_address, name, address)
    return oldest + limits.window if oldest is not None else None


#: what the page says when the limits refuse an attempt unchecked: about the name from this address, or the address
NAME_REFUSED = Said("sign-in failed: too many failed sign-ins to this account from your address; try again in "
                    "{minutes} minutes, or ask an administrator for an unlock code")
ADDRESS_REFUSED = Said("sign-in failed: too many failed sign-ins from your address; try again in {minutes} minutes, "
                       "or ask an administrator for an unlock code")


def _refused(session: Session, name: str, address: str, now: dt.datetime, limits: SignInLimits,
             counts: failures.Counts) -> tuple[Said, dt.datetime, str] | None:
    """Whether the limits refuse this attempt (counted in ``counts``) unchecked: what the page says, when the
    limit lifts, and which limit it is (for the log). None if they let it through."""
    since = now - limits.window

    def lifts(nth: int, name_: str | None = None, address_: str | None = None) -> dt.datetime:
        found = failures.nth_newest(session, since, nth, name_, address_)
        return (found or now) + limits.window

    if counts.pair > limits.per_name_and_address:
        return NAME_REFUSED, lifts(limits.per_name_and_address, name, address), "locked for this address"
    if counts.address > limits.per_address:
        return ADDRESS_REFUSED, lifts(limits.per_address, address_=address), "this address is throttled"
    if counts.name >= limits.per_name and counts.pair > 1:
        return (NAME_REFUSED, min(lifts(limits.per_name, name), lifts(2, name, address)),
                "the name is throttled for every address that failed on it")
    if counts.everyone >= limits.everyone and counts.address > 1:
        return (ADDRESS_REFUSED, min(lifts(limits.everyone), lifts(2, address_=address)),
                "every address that failed is throttled")
    return None


def _crossed(who: str, address: str, limits: SignInLimits, counts: failures.Counts) -> None:
    """Log the limit this failure (counted in ``counts``) has just reached. ``who`` names an account by its name,
    any other name as "an unknown name" (it may be a password typed into the wrong field)."""
    minutes = int(limits.window.total_seconds() // 60)
    if counts.pair == limits.per_name_and_address:
        log.warning("sign-in to %s locked for %s after %d failed sign-ins from there within %d minutes", who,
                    address, counts.pair, minutes)
    if counts.address == limits.per_address:
        log.warning("sign-ins from %s throttled after %d failed sign-ins within %d minutes", address,
                    counts.address, minutes)
    if counts.name == limits.per_name:
        log.warning("sign-in to %s throttled after %d failed sign-ins within %d minutes: an address that fails on "
                    "it again is refused", who, counts.name, minutes)
    if counts.everyone == limits.everyone:
        log.warning("every sign-in throttled after %d failed sign-ins within %d minutes: an address that fails "
                    "again is refused", counts.everyone, minutes)


def _unlocking(session: Session, row: AccountRow | None, code: str, now: dt.datetime) -> bool:
    """Whether ``code`` is an unlock code in force of this account; it is used up by this attempt either way."""
    if not code or row is None:
        return False
    used = session.execute(update(TokenRow).where(
        TokenRow.account_id == row.id, TokenRow.kind == "unlock", TokenRow.digest == digest(code),
        TokenRow.revoked_at.is_(None),
        (TokenRow.expires_on.is_(None)) | (TokenRow.expires_on >= now.date())).values(revoked_at=now))
    return rowcount(used) == 1


#: what the sign-in page says to a password when web.passwords is false and no unlock code came with it
PASSWORDS_OFF = Said("sign-in failed: passwords are switched off here: sign in with your organisation's identity "
                     "(an administrator signs in with the password and a one-time unlock code)")


def login(sessions: sessionmaker[Session], name: str, password: str, now: dt.datetime, address: str = "",
          code: str = "", limits: SignInLimits = LIMITS, passwords: bool = True) -> Account:
    """The account, if the password is right, the account not disabled and the limits (SignInLimits) let the
    attempt through or it carries the account's unlock code. ``address`` is the client's. With ``passwords``
    false (web.passwords) only an attempt carrying the account's unlock code is checked: the break-glass.

    The attempt is recorded as a failure and committed before it is counted and before the password is checked
    (argon2, slow, outside any transaction): of two concurrent attempts, in any workers, the one that counts
    second sees the first, so no limit lets more through than it says. An attempt the limits refuse is not
    checked, and not kept (it guessed nothing); the right password forgets it and the name's failures from that
    address. The limits' refusals are logged, and each limit reached, with the address and an account's name,
    never the password nor a name that is no account's."""
    if not passwords and not code:      # switched off (web.passwords): nothing is checked, nothing counted
        raise LoginRefused(PASSWORDS_OFF)
    with transaction(sessions) as session:      # recorded, and seen by every attempt that counts after this one
        row = session.scalar(select(AccountRow).where(AccountRow.name == name))
        unlocking = _unlocking(session, row, code, now)
        attempt = failures.record(session, name, address, now, now - limits.window)
        stored = (row.id, row.password_hash, row.disabled) if row is not None else None
    with transaction(sessions) as session:
        counts = failures.counts(session, name, address, now - limits.window)
        refused = None if unlocking else _refused(session, name, address, now, limits, counts)
        if refused is not None:
            failures.forget(session, attempt)
    who = repr(name) if stored is not None else "an unknown name"
    if refused is not None:
        said, until, why = refused
        seconds = max(1, math.ceil((until - now).total_seconds()))
        log.info("sign-in to %s from %s refused unchecked: %s", who, address, why)
        error = LoginRefused(said.with_params(minutes=math.ceil(seconds / 60)))
        error.retry_after = seconds
        raise error
    if not passwords and not unlocking:    # a code, but not the account's: a failure, the password unchecked
        _crossed(who, address, limits, counts)
        raise LoginRefused(PASSWORDS_OFF)
    if stored is None:
        with contextlib.suppress(VerificationError):   # as long as for a known name: timing tells no names
            _hasher().verify(_dummy_hash(), password)
        _crossed(who, address, limits, counts)
        raise LoginRefused("sign-in failed: wrong name or password")
    account_id, password_hash, disabled = stored
    try:
        _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        _crossed(who, address, limits, counts)
        raise LoginRefused("sign-in failed: wrong name or password") from None
    account: Account | None = None
    with transaction(sessions) as session:
        failures.forget(session, attempt)
        if not disabled:
            failures.forget_name(session, name, address)
            row = session.get(AccountRow, account_id)
            if row is not None and _hasher().check_needs_rehash(row.password_hash):
                row.password_hash = _hasher().hash(password)
            account = account_of(session, row) if row is not None else None
    if disabled or account is None:
        raise LoginRefused("sign-in failed: the account is disabled")
    if unlocking:
        log.warning("account %r signed in from %s with its unlock code", name, address)
    return account


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
