"""Test messages to a channel (the console's "send a test message"): ledger messages like a digest's, whose id
is made by the page that offers the button, so that the same press, posted twice (a double click, a retry of
the browser, two workers) is one message, posted once.

``store_test`` is the claim: the INSERT of the message's row, claimed by its sender; a second INSERT of the
same id fails on the primary key (on PostgreSQL it waits for the first to commit, then fails), and that
caller posts nothing. The row then moves as every message does (db.ledger: ``renew``, ``settle``); a claim
whose worker died lapses and the daemon takes it over, once (db.ledger.claim).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.ledger import store_message
from db.models import MessageRow
from db.queries import aware


def store_test(session: Session, message_id: str, recipient: str, raw: bytes, owner: str, now: dt.datetime
               ) -> bool:
    """The test message stored and claimed by ``owner``; False, and nothing stored, if a message of that id
    exists already (it is another press of the same button)."""
    try:
        with session.begin_nested():
            store_message(session, message_id, recipient, raw, False, now.date(), owner, now)
    except IntegrityError:
        return False
    return True


def message_state(session: Session, message_id: str) -> tuple[str, str | None, dt.datetime | None] | None:
    """A message's state, error and when it was sent; None if there is no such message."""
    found = session.execute(select(MessageRow.state, MessageRow.error, MessageRow.sent_at)
                            .where(MessageRow.id == message_id)).first()
    if found is None:
        return None
    state, error, sent_at = found
    return state, error, aware(sent_at) if sent_at is not None else None
