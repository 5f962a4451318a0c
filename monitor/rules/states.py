"""Every state and severity monitor knows, as enums, with the allowed moves of the ledger's rows in one place.

They are ``StrEnum``s: each compares equal to the word stored in the database and written in JSON, so a row
read back as a plain string and an enum member are the same thing.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """docs/rules.md: revocation where the regime names it a ground to revoke, risk one step from that, notice else."""
    REVOCATION = "revocation"
    RISK = "risk"
    NOTICE = "notice"

    @property
    def rank(self) -> int:
        """3 for revocation, 2 for risk, 1 for notice: higher is more severe."""
        return _RANK[self]


_RANK = {Severity.REVOCATION: 3, Severity.RISK: 2, Severity.NOTICE: 1}


class ObligationState(StrEnum):
    PENDING = "pending"     # not done, as_of <= due (or no due day)
    OVERDUE = "overdue"     # not done, as_of > due
    DONE = "done"           # done on or before due
    LATE = "late"           # done after due
    UNRECORDED = "unrecorded"   # due before the baseline (监测起始日) and no fact settles it: 历史事项未登记

    @property
    def is_open(self) -> bool:
        return self in OPEN


#: the states of an obligation still to be done
OPEN = frozenset({ObligationState.PENDING, ObligationState.OVERDUE})


class ClusterState(StrEnum):
    IN_FORCE = "in_force"
    EXPIRED = "expired"
    REVOKED = "revoked"


class StandardState(StrEnum):
    """A standard item's verdict (docs/rules.md, "Annual monitoring")."""
    MET = "met"
    UNMET = "unmet"
    NO_DATA = "no_data"     # a value the comparison needs is not recorded (the missing years are named)


class DeliveryState(StrEnum):
    """A reminder owed to one recipient."""
    PENDING = "pending"         # recorded by a scan, in no message yet
    HELD = "held"               # in a round whose recipient set grew: waits for an administrator's approval
    QUEUED = "queued"           # claimed into a message
    SENT = "sent"               # the server accepted its message
    FAILED = "failed"           # the server refused its message for good
    SUPPRESSED = "suppressed"   # held by an ack or a snooze when its round was built
    OBSOLETE = "obsolete"       # done, gone or revoked before it was sent (pending again if a correction reopens it)


class MessageState(StrEnum):
    """One digest e-mail to one recipient."""
    CLAIMED = "claimed"     # owned by one daemon, being sent
    RETRY = "retry"         # the last try failed for a reason that may pass
    SENT = "sent"
    FAILED = "failed"


#: the only moves a delivery makes; anything else is a bug
DELIVERY_MOVES: dict[DeliveryState, frozenset[DeliveryState]] = {
    DeliveryState.PENDING: frozenset({DeliveryState.QUEUED, DeliveryState.SUPPRESSED, DeliveryState.OBSOLETE,
                                      DeliveryState.HELD}),
    # approved: into its round's message (once), or obsolete or suppressed as of then; refused: it stays held
    DeliveryState.HELD: frozenset({DeliveryState.QUEUED, DeliveryState.OBSOLETE, DeliveryState.SUPPRESSED}),
    DeliveryState.QUEUED: frozenset({DeliveryState.SENT, DeliveryState.FAILED}),
    DeliveryState.SENT: frozenset(),
    DeliveryState.FAILED: frozenset(),
    DeliveryState.SUPPRESSED: frozenset(),
    DeliveryState.OBSOLETE: frozenset({DeliveryState.PENDING}),     # never sent, and a correction reopened it
}

class RoundState(StrEnum):
    """A digest round, as recorded for its recipient set (docs/rules.md, "Who is mailed")."""
    SENT = "sent"           # sent to its whole recipient set
    HELD = "held"           # the set grew: administrators were sent theirs, the rest wait for approval
    APPROVED = "approved"   # an administrator released what it held (once)
    REFUSED = "refused"     # an administrator refused: what it holds stays held, with who and why


#: a held round is approved or refused once; a refused one may still be approved later
ROUND_MOVES: dict[RoundState, frozenset[RoundState]] = {
    RoundState.SENT: frozenset(),
    RoundState.HELD: frozenset({RoundState.APPROVED, RoundState.REFUSED}),
    RoundState.APPROVED: frozenset(),
    RoundState.REFUSED: frozenset({RoundState.APPROVED}),
}


def round_sources(target: RoundState) -> tuple[RoundState, ...]:
    """The states a round may move to ``target`` from."""
    return tuple(state for state, moves in ROUND_MOVES.items() if target in moves)


#: the only moves a message makes: a claim ends sent, failed or in retry; a retry (or a lapsed claim) is claimed again
MESSAGE_MOVES: dict[MessageState, frozenset[MessageState]] = {
    MessageState.CLAIMED: frozenset({MessageState.SENT, MessageState.FAILED, MessageState.RETRY,
                                     MessageState.CLAIMED}),
    MessageState.RETRY: frozenset({MessageState.CLAIMED}),
    MessageState.SENT: frozenset(),
    MessageState.FAILED: frozenset(),
}


def delivery_sources(target: DeliveryState) -> tuple[DeliveryState, ...]:
    """The states a delivery may move to ``target`` from: the WHERE of a conditional UPDATE."""
    return tuple(state for state, moves in DELIVERY_MOVES.items() if target in moves)


def message_sources(target: MessageState) -> tuple[MessageState, ...]:
    """The states a message may move to ``target`` from."""
    return tuple(state for state, moves in MESSAGE_MOVES.items() if target in moves)
