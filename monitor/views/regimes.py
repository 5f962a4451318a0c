"""`monitor regimes`: what each loaded pack says, rule by rule, with its articles."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.rules.packs import Pack


def describe_pack(pack: Pack) -> list[str]:
    named = pack.title if pack.title.endswith(f"（{pack.document}）") else f"{pack.title}（{pack.document}）"
    lines = [f"{pack.id}  {named}  [{pack.source}]"]
    v = pack.validity
    if v is None:
        lines.append("  validity: none stated (in force until revoked)")
    else:
        completes = "an application or a result" if v.review_by_application else "a result"
        lines.append(f"  validity: {v.years} years ({v.basis}); a passed review extends by {v.extension_years} "
                     f"({v.extension_basis}); the review is done by {completes}")
        lines.append(f"  review failed: revocation ({v.review_failed_basis}); expired without application: "
                     f"{v.expired_unapplied_severity} ({v.expired_basis})")
    r = pack.annual_report
    lines.append("  annual report: none" if r is None else
                 f"  annual report: due {r.due} each year, by the {r.reporter} ({r.basis}); "
                 f"overdue: {r.overdue_severity} ({r.overdue_basis})")
    c = pack.change_filing
    if c is None:
        lines.append("  change filing: none")
    else:
        window = f"within {c.window_months} month(s)" if c.window_months else "no window stated (pending until filed)"
        lines.append(f"  change filing: {window} ({c.basis}); overdue: {c.overdue_severity} ({c.overdue_basis})")
    a = pack.assessment
    lines.append("  assessment: none" if a is None else
                 f"  assessment: {a.consecutive_failures} consecutive failures revoke ({a.basis})")
    grounds = ", ".join(f"{g} {b}" for g, b in pack.incidents.revocation_grounds.items()) or "none"
    lines.append(f"  incidents that revoke: {grounds}; others: notice ({pack.incidents.notice_basis})")
    p = pack.publicity
    if p is not None:
        lines.append(f"  publicity: {p.working_days} working days ({p.basis})")
    for batch in pack.batches:
        terms = []
        if batch.valid_until:
            terms.append(f"valid until {batch.valid_until}")
        if batch.validity_years:
            terms.append(f"{batch.validity_years} years")
        if batch.report_due:
            terms.append(f"reports due {batch.report_due}")
        lines.append(f"  batch {batch.id}: {batch.notice}: {', '.join(terms)}")
    return lines


def describe(packs: Iterable[Pack]) -> str:
    return "\n\n".join("\n".join(describe_pack(p)) for p in packs)
