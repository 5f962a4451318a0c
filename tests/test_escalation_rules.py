"""The escalation rule as a table (monitor/rules/escalation.py): which steps are owed on a day, the last day before a
step and the day of it, an ack stopping the chain, a snooze pausing it; and who a step reaches."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.rules.escalation import (
    Chain,
    Person,
    Step,
    chain_for,
    next_step_day,
    parse_stage,
    stage_name,
    step_recipients,
    steps_due,
)
from monitor.rules.facts import Cluster
from tests.conftest import d

CHAIN = Chain((), ("revocation",), (Step(0, "bureau"), Step(7, "administrators"), Step(14, "account:leader")))
FIRST = d("2026-12-07")


def day(n: int) -> dt.date:
    return FIRST + dt.timedelta(days=n)


@pytest.mark.parametrize(("as_of", "acked", "snoozed", "due"), [
    (-1, None, None, []),               # before the warning's first day
    (0, None, None, [1]),               # its first day: the step after 0 days
    (6, None, None, [1]),               # the last day before step 2
    (7, None, None, [1, 2]),            # the day of step 2
    (13, None, None, [1, 2]),           # the last day before step 3
    (14, None, None, [1, 2, 3]),        # the day of step 3
    (60, None, None, [1, 2, 3]),        # and after: nothing more
    (7, 7, None, [1]),                  # acknowledged on step 2's day: step 2 is never owed
    (7, 6, None, [1]),                  # acknowledged the day before
    (14, 8, None, [1, 2]),              # acknowledged after step 2: step 3 never
    (30, 8, None, [1, 2]),              # ... even long after (the ack's until passed: the chain stays stopped)
    (0, 0, None, []),                   # acknowledged on the first day: nothing at all
    (7, None, 7, []),                   # snoozed through today: paused
    (8, None, 7, [1, 2]),               # the day after the snooze: what came due meanwhile is owed
    (14, None, 20, []),
    (21, None, 20, [1, 2, 3]),
])
def test_steps_due(as_of: int, acked: int | None, snoozed: int | None, due: list[int]) -> None:
    assert steps_due(CHAIN, FIRST, day(as_of), day(acked) if acked is not None else None,
                     day(snoozed) if snoozed is not None else None) == due


@pytest.mark.parametrize(("as_of", "acked", "snoozed", "upcoming"), [
    (0, None, None, 7),
    (6, None, None, 7),
    (7, None, None, 14),
    (14, None, None, None),             # the last step owed: the chain never needs the scan again
    (3, 5, None, None),                 # acknowledged before step 2: nothing more to come
    (3, None, 10, 11),                  # snoozed past step 2's day: the day after the snooze
    (3, None, 5, 6),                    # a snooze ending before step 2: the day after it (step 1 owed again)
])
def test_next_step_day(as_of: int, acked: int | None, snoozed: int | None, upcoming: int | None) -> None:
    found = next_step_day(CHAIN, FIRST, day(as_of), day(acked) if acked is not None else None,
                          day(snoozed) if snoozed is not None else None)
    assert found == (day(upcoming) if upcoming is not None else None)


def test_the_first_chain_that_takes_a_warning() -> None:
    sme = Chain(("nmg-sme-draft",), ("revocation", "risk"), (Step(0, "bureau"),))
    every = Chain((), ("revocation",), (Step(3, "administrators"),))
    assert chain_for([sme, every], "nmg-sme-draft", "risk") is sme
    assert chain_for([sme, every], "miit-sme-2022", "revocation") is every
    assert chain_for([sme, every], "miit-sme-2022", "risk") is None
    assert chain_for([], "nmg-sme-draft", "revocation") is None
    assert chain_for([every], "miit-sme-2022", "revocation", "evaluation_failed") is None     # a fault of ours


def test_a_stage_says_its_step() -> None:
    stage = stage_name(2, Step(7, "account:wang"))
    assert stage == "escalate:2:7:account" and len(stage) <= 32
    assert parse_stage(stage) == (2, 7, "account")
    assert parse_stage(stage_name(10, Step(366, "administrators"))) == (10, 366, "administrators")
    assert len(stage_name(10, Step(366, "administrators"))) <= 32          # the ledger's stage column
    assert parse_stage("warning:3") is None and parse_stage("overdue:1") is None


CLUSTER = Cluster("BT-1", "集群", "nmg-sme-draft", d("2024-01-01"), region="包头市",
                  bureau_email=("Bureau@Baotou.gov.cn",))
PEOPLE = [Person("bt", "bureau", ("包头市",), "bt@baotou.gov.cn"),
          Person("cf", "bureau", ("赤峰市",), "cf@chifeng.gov.cn"),
          Person("chief", "admin", (), "chief@nmg.gov.cn"),
          Person("gone", "admin", (), "gone@nmg.gov.cn", disabled=True),
          Person("quiet", "admin", (), ""),
          Person("leader", "viewer", (), "leader@nmg.gov.cn"),
          Person("cf-leader", "bureau", ("赤峰市",), "cfl@chifeng.gov.cn")]


@pytest.mark.parametrize(("to", "addresses"), [
    ("bureau", ["bureau@baotou.gov.cn", "bt@baotou.gov.cn"]),                  # never 赤峰市's bureau account
    ("administrators", ["admin@nmg.gov.cn", "chief@nmg.gov.cn"]),              # not a disabled one, nor one without
    ("account:leader", ["leader@nmg.gov.cn"]),                                  # a viewer sees every region
    ("account:bt", ["bt@baotou.gov.cn"]),
    ("account:cf-leader", []),                                                  # a bureau account of another region
    ("account:gone", []),
    ("account:nobody", []),
])
def test_who_a_step_reaches(to: str, addresses: list[str]) -> None:
    assert step_recipients(Step(0, to), CLUSTER, ("admin@nmg.gov.cn",), PEOPLE) == addresses
