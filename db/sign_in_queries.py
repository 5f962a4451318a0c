"""Failed sign-ins (migration 0009): one row a failure, by the SHA-256 of the name typed (a known account's or
not, so a lock tells no names, and a password typed into the name field is never stored as such) and the
client's address. Kept only for the window the limits count over; every console worker reads the same rows.
The limits themselves are monitor.actions.accounts'."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from db.models import SignInFailureRow
from db.queries import aware

#: the longest address kept (an IPv6 address with its zone fits)
ADDRESS_LENGTH = 64


def name_digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _address(address: str) -> str:
    return address[:ADDRESS_LENGTH]


def record(session: Session, name: str, address: str, now: dt.datetime, since: dt.datetime) -> int:
    """A failure, recorded (before the password is checked: an attempt counts until it succeeds); failures from
    before ``since`` go. Its id."""
    session.execute(delete(SignInFailureRow).where(SignInFailureRow.at < since))
    row = SignInFailureRow(name_digest=name_digest(name), address=_address(address), at=now)
    session.add(row)
    session.flush()
    return row.id


def forget(session: Session, failure: int) -> None:
    """An attempt that turned out not to be a failure (refused unchecked, or the right password)."""
    session.execute(delete(SignInFailureRow).where(SignInFailureRow.id == failure))


def forget_name(session: Session, name: str, address: str | None = None) -> None:
    """The failures on a name: from one address (the right password from there), or from all of them (the lock
    lifted from the command line)."""
    query = delete(SignInFailureRow).where(SignInFailureRow.name_digest == name_digest(name))
    if address is not None:
        query = query.where(SignInFailureRow.address == _address(address))
    session.execute(query)


@dataclass(frozen=True)
class Counts:
    """Failures since the window began: on this name from this address, from this address, on this name, in all."""
    pair: int
    address: int
    name: int
    everyone: int


def counts(session: Session, name: str, address: str, since: dt.datetime) -> Counts:
    digest, where = name_digest(name), _address(address)
    recent = select(SignInFailureRow.name_digest, SignInFailureRow.address).where(SignInFailureRow.at >= since)
    rows = recent.subquery()
    pair, by_address, by_name, everyone = session.execute(select(
        func.count().filter((rows.c.name_digest == digest) & (rows.c.address == where)),
        func.count().filter(rows.c.address == where),
        func.count().filter(rows.c.name_digest == digest),
        func.count()).select_from(rows)).one()
    return Counts(int(pair), int(by_address), int(by_name), int(everyone))


def nth_newest(session: Session, since: dt.datetime, nth: int, name: str | None = None,
               address: str | None = None) -> dt.datetime | None:
    """When the ``nth`` newest failure since ``since`` happened (of a name, from an address, or both); None when
    there are fewer. A limit of N lifts when the Nth newest failure leaves the window."""
    query = select(SignInFailureRow.at).where(SignInFailureRow.at >= since)
    if name is not None:
        query = query.where(SignInFailureRow.name_digest == name_digest(name))
    if address is not None:
        query = query.where(SignInFailureRow.address == _address(address))
    found = session.scalar(query.order_by(SignInFailureRow.at.desc()).offset(nth - 1).limit(1))
    return aware(found) if found is not None else None


def by_address(session: Session, name: str, since: dt.datetime) -> dict[str, tuple[int, dt.datetime]]:
    """The failures on a name since ``since``, by address: how many, and the newest."""
    found = session.execute(select(SignInFailureRow.address, func.count(), func.max(SignInFailureRow.at))
                            .where(SignInFailureRow.name_digest == name_digest(name), SignInFailureRow.at >= since)
                            .group_by(SignInFailureRow.address))
    return {address: (int(count), aware(newest)) for address, count, newest in found}
