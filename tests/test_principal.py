"""One principal ground, not ten (first-week issue, item 6): monitor.rules.principal, and the table, which counts
the overdue items under it while --format json keeps them all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from monitor.app import App
from monitor.rules.principal import grounds
from monitor.rules.states import ObligationState, Severity
from monitor.rules.verdict import Alert, Obligation
from tests.helpers import in_chinese, monitor, status_json, write_roster

R, K, N = Severity.REVOCATION, Severity.RISK, Severity.NOTICE
D = dt.date


def report(year: int, state: ObligationState = ObligationState.OVERDUE) -> Obligation:
    return Obligation("annual_report", f"annual_report:{year}", D(year + 1, 3, 10), state, "第十五条（三）", year=year)


def overdue(year: int, severity: Severity = R) -> Alert:
    return Alert("annual_report_overdue", severity, "第十五条（三）", f"annual_report_overdue:{year}",
                 (("year", year), ("due", D(year + 1, 3, 10))), obligation=f"annual_report:{year}")


REVIEW = Obligation("renewal_review", "renewal_review:2025-10-14", D(2025, 10, 14), ObligationState.OVERDUE, "第十一条")
EXPIRED = Alert("validity_expired", R, "第十七条（一）", "validity_expired:2025-10-14",
                obligation="renewal_review:2025-10-14")
INCIDENT = Alert("incident", R, "第十五条（二）", "incident:violation:2024-05-01")


def test_the_latest_ground_is_principal_and_older_overdue_items_are_counted_under_it() -> None:
    warnings = (overdue(2022), overdue(2023), EXPIRED, overdue(2024))
    shown = grounds(warnings, (report(2022), report(2023), report(2024), REVIEW))
    assert shown.principal == EXPIRED                      # due 2025-10-14, after every report's due day
    assert shown.listed == (EXPIRED,)
    assert shown.under == (overdue(2022), overdue(2023), overdue(2024))


def test_what_is_not_the_same_neglect_stays_listed() -> None:
    """An incident (no day), a later overdue item, a late (done) report, and a more severe warning than the
    principal are not counted under it."""
    risky_expiry = EXPIRED._replace(severity=K)
    late = Alert("annual_report_late", K, "第十五条（三）", "annual_report_late:2021", obligation="annual_report:2021")
    later = Alert("change_filing_overdue", K, "第十五条（四）", "change_filing_overdue:operator:2025-12-01",
                  obligation="change_filing:operator:2025-12-01")
    change = Obligation("change_filing", "change_filing:operator:2025-12-01", D(2026, 1, 1), ObligationState.OVERDUE,
                        "第十五条（四）")
    shown = grounds((INCIDENT, overdue(2023, K), risky_expiry, late, later),
                    (report(2021, ObligationState.LATE), report(2023), REVIEW, change))
    # the incident is the only revocation ground: principal, and, having no day, counts nothing under it
    assert shown.principal == INCIDENT and shown.under == ()
    assert shown.listed == (INCIDENT, overdue(2023, K), risky_expiry, late, later)
    shown = grounds((overdue(2023, K), risky_expiry, late, later), (report(2021, ObligationState.LATE), report(2023),
                                                                     REVIEW, change))
    assert shown.principal == risky_expiry
    assert shown.under == (overdue(2023, K),)              # the late report is done; the change is due later
    assert shown.listed == (risky_expiry, late, later)
    # a revocation-severity overdue item is never counted under a risk principal
    shown = grounds((overdue(2023), risky_expiry), (report(2023), REVIEW))
    assert shown.principal == overdue(2023) and shown.under == ()


def test_without_an_expiry_or_a_revocation_ground_nothing_changes() -> None:
    warnings = (overdue(2023, K), overdue(2024, K), Alert("review_applied_early", N, "第十一条", "review_applied_early:x"))
    shown = grounds(warnings, (report(2023), report(2024)))
    assert shown == (warnings, (), None)


ROWS = ("NMG-OLD,旧集群,nmg-sme-draft,2021-01-10,乌兰察布市,运营,,,,",)


def test_the_table_counts_under_the_principal_and_json_keeps_them_all(app: App, config_file: Path,
                                                                     tmp_path: Path) -> None:
    """Valid until 2024-01-09, reports on 2021 and 2022 unfiled (each a revocation ground under nmg-sme-draft)."""
    assert monitor("import", str(write_roster(tmp_path / "r.csv", *ROWS)), config=config_file).exit_code == 0
    [cluster] = status_json(config_file, "--as-of", "2026-12-07")["clusters"]
    codes = sorted(w["key"] for w in cluster["warnings"])
    assert codes == ["annual_report_overdue:2021", "annual_report_overdue:2022", "validity_expired:2024-01-09"]
    table = monitor("status", "--as-of", "2026-12-07", "--wide", config=config_file)
    assert table.exit_code == 0
    [line] = [line for line in table.stdout.splitlines() if line.startswith("NMG-OLD")]
    assert "annual_report_overdue:2022" in line                     # the ack key is the principal's
    assert "[ground for revocation, 2 in all, 1 more overdue under it]" in line
    assert "2021" not in line.split("]", 1)[1]
    zh = monitor("status", "--as-of", "2026-12-07", "--wide", config=in_chinese(config_file))
    [line] = [line for line in zh.stdout.splitlines() if line.startswith("NMG-OLD")]
    assert "[撤销情形，共2项，另有1项逾期]" in line


def test_the_table_greys_a_row_whose_warnings_are_all_acknowledged() -> None:
    """An acknowledged principal is shown with its until; the row is greyed once every warning is acknowledged,
    and keeps the colour of the most severe one not acknowledged otherwise."""
    from monitor.rules.facts import Cluster, Facts
    from monitor.rules.listing import Evaluated
    from monitor.rules.states import ClusterState
    from monitor.rules.verdict import Verdict
    from monitor.views.table import COLUMNS, table_row

    key, warning = (next(i for i, c in enumerate(COLUMNS) if c.key == name) for name in ("key", "warning"))

    warnings = (overdue(2023), overdue(2022), Alert("annual_report_late", K, "第十五条（三）", "annual_report_late:2021",
                                                    (("year", 2021), ("filed_on", D(2022, 4, 1)))))
    verdict = Verdict("X", ClusterState.IN_FORCE, None, (report(2022), report(2023)), warnings)
    item = Evaluated(Facts(Cluster("X", "集群", "nmg-sme-draft", D(2021, 1, 1))), verdict)
    row, _ = table_row(item, D(2026, 12, 7), "en", wide=True)
    assert row.style == "bold red" and row.cells[key] == "annual_report_overdue:2023"
    assert row.cells[warning].startswith("[ground for revocation, 2 in all, 1 more overdue under it] ")
    some = {("X", "annual_report_overdue:2023"): D(2026, 12, 31), ("X", "annual_report_overdue:2022"): D(2026, 12, 31)}
    row, _ = table_row(item, D(2026, 12, 7), "en", wide=True, acked=some)
    assert row.style == "yellow"                                    # the late report is not acknowledged
    assert row.cells[warning].startswith("[ground for revocation, 2 in all, 1 more overdue under it, acknowledged until 2026-12-31] ")
    every = {**some, ("X", "annual_report_late:2021"): D(2027, 1, 1)}
    row, _ = table_row(item, D(2026, 12, 7), "en", wide=True, acked=every)
    assert row.style == "dim"
