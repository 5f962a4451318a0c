"""`monitor regimes`: what each loaded pack says, rule by rule, with its articles, in the configured language
(the sentences are words.toml's ``[regimes]``)."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.rules.dates import month_day
from monitor.rules.packs import Pack
from monitor.views.words import term, words


def _month_day(text: str) -> dict[str, int]:
    """A yearly due day ("04-30") as the templates' ``month`` and ``day``."""
    month, day = month_day(text)
    return {"month": month, "day": day}


def describe_pack(pack: Pack, lang: str) -> list[str]:
    w = words("regimes", lang)
    named = pack.title if pack.title.endswith(f"（{pack.document}）") else f"{pack.title}（{pack.document}）"
    lines = [f"{pack.id}  {named}  [{pack.source}]"]
    if pack.replaces:
        lines.append(w["replaces"].format(id=pack.id))
    v = pack.validity
    if v is None:
        lines.append(w["validity_none"])
    else:
        lines.append(w["validity"].format(
            years=v.years, basis=v.basis, extension=v.extension_years, extension_basis=v.extension_basis,
            completes=w["by_application" if v.review_by_application else "by_result"]))
        lines.append(w["review"].format(failed_basis=v.review_failed_basis, expired_basis=v.expired_basis,
                                        failed_severity=term(v.review_failed_severity, lang),
                                        severity=term(v.expired_unapplied_severity, lang)))
    r = pack.annual_report
    lines.append(w["report_none"] if r is None else w["report"].format(
        **_month_day(r.due), reporter=term(r.reporter, lang),
        basis=r.basis, severity=term(r.overdue_severity, lang), overdue_basis=r.overdue_basis))
    c = pack.change_filing
    if c is None:
        lines.append(w["change_none"])
    else:
        window = w["window"].format(months=c.window_months) if c.window_months else w["no_window"]
        lines.append(w["change"].format(window=window, basis=c.basis, severity=term(c.overdue_severity, lang),
                                        overdue_basis=c.overdue_basis))
    a = pack.assessment
    lines.append(w["assessment_none"] if a is None else
                 w["assessment"].format(count=a.consecutive_failures, basis=a.basis))
    grounds = w["list"].join(f"{term(g, lang)} {b}" for g, b in pack.incidents.revocation_grounds.items())
    lines.append(w["incidents"].format(grounds=grounds or w["none"], basis=pack.incidents.notice_basis))
    e = pack.evaluation
    if e is not None:
        due = w["evaluation_after"].format(months=e.due_after_months) if e.due_after_months else w["evaluation_at_end"]
        lines.append(w["evaluation"].format(years=e.every_years, due=due, basis=e.basis,
                                            severity=term(e.overdue_severity, lang),
                                            overdue_basis=e.overdue_basis or e.basis))
    rect = pack.rectification
    if rect is not None:
        lines.append(w["rectification"].format(
            after=w["list"].join(term(kind, lang) for kind in rect.after), months=rect.months, basis=rect.basis,
            lapse=term(rect.lapse_severity, lang), lapse_basis=rect.lapse_basis,
            repeat=term(rect.repeat_severity, lang), repeat_basis=rect.repeat_basis))
    p = pack.publicity
    if p is not None:
        lines.append(w["publicity"].format(days=p.working_days, basis=p.basis))
    for batch in pack.batches:
        terms = []
        if batch.valid_until:
            terms.append(w["batch_valid_until"].format(day=batch.valid_until))
        if batch.validity_years:
            terms.append(w["batch_years"].format(years=batch.validity_years))
        if batch.report_due:
            terms.append(w["batch_report_due"].format(**_month_day(batch.report_due)))
        lines.append(w["batch"].format(id=batch.id, notice=batch.notice, terms=w["list"].join(terms)))
    return lines


def describe(packs: Iterable[Pack], lang: str) -> str:
    return "\n\n".join("\n".join(describe_pack(p, lang)) for p in packs)
