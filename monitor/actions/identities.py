"""Identities: the people an identity provider vouched for, and the accounts an administrator maps them to
(issue 29, item 1). A sign-in by OpenID Connect, 企业微信, 钉钉 or a gateway's trusted header ends here with an
``Identity`` (issuer, subject, what the provider said of them); ``seen`` records it and answers its account, if an
administrator mapped it to one. A new identity gets no access: it waits, shown on the Users page and by
`monitor user identity list` with its e-mail and name, until it is mapped or refused. Validate, then write
through the session given (the caller's transaction)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db import identity_queries as identities
from db.models import AccountRow, IdentityRow, WebSessionRow
from monitor.actions.accounts import account_of
from monitor.errors import InputError
from monitor.rules.access import Account

log = logging.getLogger("monitor.accounts")

#: the states of an identity
PENDING, MAPPED, REFUSED = "pending", "mapped", "refused"
LONGEST_ID = 255


@dataclass(frozen=True)
class Identity:
    """Who a provider says is signing in: its issuer (an OIDC issuer URL, wecom:CORPID, dingtalk:CORPID,
    header:NAME), the subject it names them by (never reassigned), and what it told of them."""
    issuer: str
    subject: str
    email: str = ""
    name: str = ""
    provider: str = ""        # the web.identity it came through


@dataclass(frozen=True)
class Seen:
    """What a sign-in with an identity comes to: its state, and its account when mapped and not disabled."""
    state: str
    account: Account | None
    disabled: bool = False


def _checked(issuer: str, subject: str) -> tuple[str, str]:
    issuer, subject = issuer.strip(), subject.strip()
    for key, value in (("issuer", issuer), ("subject", subject)):
        if not value or len(value) > LONGEST_ID or not value.isprintable():
            raise InputError("{key} {value!r}: 1 to {most} printable characters", key=key, value=value[:40],
                             most=LONGEST_ID)
    return issuer, subject


def seen(session: Session, identity: Identity, now: dt.datetime) -> Seen:
    """Record a sign-in by ``identity`` (a new one waits for an administrator) and say what it comes to."""
    issuer, subject = _checked(identity.issuer, identity.subject)
    row = identities.find(session, issuer, subject)
    if row is None:
        row = identities.add(session, issuer, subject)
        row.first_seen = now
        log.warning("a new identity signed in and waits for an administrator to map it: %s %s (%s)", issuer,
                    subject, identity.email or identity.name or "no e-mail or name given")
    row.email, row.display_name = identity.email[:254], identity.name[:128]
    row.provider, row.last_seen = identity.provider[:32], now
    if row.state != MAPPED or row.account_id is None:
        return Seen(row.state if row.state == REFUSED else PENDING, None)
    account = session.get(AccountRow, row.account_id)
    if account is None or account.disabled:
        return Seen(MAPPED, None, disabled=True)
    return Seen(MAPPED, account_of(session, account))


def _account(session: Session, name: str) -> AccountRow:
    row = session.scalar(select(AccountRow).where(AccountRow.name == name))
    if row is None:
        raise InputError("no user {name!r}: `monitor user list` lists them", name=name)
    return row


def map_identity(session: Session, name: str, issuer: str, subject: str, by: str, now: dt.datetime) -> None:
    """Map the identity to the account NAME (one not seen yet too: it signs in at once when it comes)."""
    issuer, subject = _checked(issuer, subject)
    account = _account(session, name)
    row = identities.find(session, issuer, subject) or identities.add(session, issuer, subject)
    row.state, row.account_id, row.decided_by, row.decided_at = MAPPED, account.id, by, now
    log.info("identity %s %s mapped to account %r by %s", issuer, subject, name, by)


def _known(session: Session, issuer: str, subject: str) -> IdentityRow:
    issuer, subject = _checked(issuer, subject)
    row = identities.find(session, issuer, subject)
    if row is None:
        raise InputError("no identity {subject!r} of {issuer!r}: `monitor user identity list` lists them",
                         subject=subject, issuer=issuer)
    return row


def unmap(session: Session, issuer: str, subject: str, by: str, now: dt.datetime) -> None:
    """The identity waits again (no access); the sign-ins of the account it was mapped to end."""
    _decide(session, issuer, subject, PENDING, by, now)


def refuse(session: Session, issuer: str, subject: str, by: str, now: dt.datetime) -> None:
    """The identity is refused for good (until mapped); the sign-ins of an account it was mapped to end."""
    _decide(session, issuer, subject, REFUSED, by, now)


def _decide(session: Session, issuer: str, subject: str, state: str, by: str, now: dt.datetime) -> None:
    row = _known(session, issuer, subject)
    if row.account_id is not None:
        session.execute(delete(WebSessionRow).where(WebSessionRow.account_id == row.account_id))
    row.state, row.account_id, row.decided_by, row.decided_at = state, None, by, now
    log.info("identity %s %s %s by %s", row.issuer, row.subject, "refused" if state == REFUSED else "unmapped",
                by)


def list_identities(session: Session) -> list[identities.Listed]:
    return identities.listed(session)
