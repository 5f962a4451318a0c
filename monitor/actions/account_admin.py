"""What an administrator does to accounts from the console, beside monitor.actions.accounts (which the CLI's
`monitor user …` commands use too): change an account's role and regions, enable it again, make a one-time
reset code for a forgotten password, and what a person keeps in their profile.

A reset code is a token of kind "reset" (only its SHA-256 is kept, as for every token): valid through the day
after it was made, one in force per account (a new one revokes the last), used up by the one reset it allows
(a conditional UPDATE, so two posts of the same code set one password). Setting the password ends every
sign-in of the account and lifts its locks (accounts.set_password).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from db.models import AccountRegionRow, TokenRow
from db.session import rowcount
from monitor.actions.accounts import (
    _row,
    account_of,
    checked_role,
    digest,
    issue_token,
    revoke_tokens,
    set_password,
)
from monitor.addresses import address_problem
from monitor.errors import InputError
from monitor.rules.access import Account

#: how long a reset code works: through the day after it was made
RESET_DAYS = 1
#: what a profile's fields may hold at most
LONGEST_PROFILE = {"full_name": 64, "email": 254, "phone": 32}


def set_role(session: Session, name: str, role: str, regions: Sequence[str]) -> Account:
    """A new role and regions for an account, checked as `monitor user add` checks them; its sign-ins go on
    with the new role at their next request (the role is read each time)."""
    row = _row(session, name)
    kind, covers = checked_role(role, regions)
    row.role = kind.value
    session.execute(delete(AccountRegionRow).where(AccountRegionRow.account_id == row.id))
    session.flush()
    session.add_all(AccountRegionRow(account_id=row.id, region=region) for region in covers)
    session.flush()
    return account_of(session, row)


def enable(session: Session, name: str) -> None:
    """A disabled account may sign in again (with its password; its old sign-ins and tokens stay ended)."""
    _row(session, name).disabled = False


def issue_reset(session: Session, name: str, now: dt.datetime, today: dt.date) -> str:
    """A one-time reset code for the account (the last one revoked), shown once, valid through tomorrow."""
    _row(session, name)
    revoke_tokens(session, name, now, "reset")
    return issue_token(session, name, now, "reset", today + dt.timedelta(days=RESET_DAYS))


def reset_password(session: Session, name: str, code: str, password: str, now: dt.datetime) -> None:
    """Set the password with a reset code in force of that account, using the code up; InputError otherwise
    (nothing changed: the same words whether the name or the code is wrong)."""
    wrong = InputError("the reset code is wrong, used or expired: ask an administrator for a new one")
    try:
        row = _row(session, name)
    except InputError:
        raise wrong from None
    used = session.execute(update(TokenRow).where(
        TokenRow.account_id == row.id, TokenRow.kind == "reset", TokenRow.digest == digest(code.strip()),
        TokenRow.revoked_at.is_(None),
        (TokenRow.expires_on.is_(None)) | (TokenRow.expires_on >= now.date())).values(revoked_at=now))
    if rowcount(used) != 1:
        raise wrong
    set_password(session, name, password)


@dataclass(frozen=True)
class Profile:
    full_name: str = ""
    email: str = ""
    phone: str = ""
    digest_email: bool = True


def profile(session: Session, name: str) -> Profile:
    row = _row(session, name)
    return Profile(row.full_name, row.email, row.phone, row.digest_email)


def save_profile(session: Session, name: str, given: Profile) -> Profile:
    """The profile, checked (lengths, an e-mail address, a phone number of digits and + - space) and stored."""
    for field, longest in LONGEST_PROFILE.items():
        value = getattr(given, field)
        if len(value) > longest or not value.isprintable():
            raise InputError("{field}: at most {most} printable characters", field=field, most=longest)
    if given.email.strip() and (problem := address_problem(given.email.strip())) is not None:
        raise InputError("email: {problem}", problem=problem)
    if given.phone and not all(ch.isdigit() or ch in "+- ()" for ch in given.phone):
        raise InputError("phone {value!r}: digits, spaces, + - ( ) only", value=given.phone[:40])
    row = _row(session, name)
    row.full_name, row.email, row.phone = given.full_name.strip(), given.email.strip(), given.phone.strip()
    row.digest_email = given.digest_email
    return profile(session, name)
