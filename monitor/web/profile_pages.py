"""Each person's Profile page: their name, e-mail address, telephone and which digests they receive (stored on
the account by monitor.actions.account_admin); how personal channels reach them (their 企业微信, 钉钉 and 飞书 ids,
which channels, their window, a digest a round or a day: monitor.actions.reach), with what waits for their
window; and the templates the pages read, as downloads.

The preference is read by the digest (monitor/rules/audience.py): an enabled account with an address and the digest
ticked is mailed about the clusters it sees; unticking stops only the mail sent because of the account, not an
administrator's or a roster address's (README, "Profiles"; docs/rules.md, "Who is mailed")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from db.person_queries import waiting
from db.session import in_transaction
from monitor.actions.account_admin import Profile, profile, save_profile
from monitor.actions.accounts import SignedIn
from monitor.actions.reach import Reach, reach_of, save_reach
from monitor.errors import MonitorError
from monitor.rules.personal import ID_FIELDS
from monitor.web.auth import monitor_app, page_user, posted
from monitor.web.pages import _page, router, workbook_download
from monitor.web.wording import say


def _profile_page(request: Request, signed: SignedIn, status: int = 200, **context: Any) -> HTMLResponse:
    app = monitor_app(request)
    shown: dict[str, Any] = {"error": None, "saved": False, **context}
    if "profile" not in shown:
        shown["profile"] = in_transaction(app.sessions, lambda s: profile(s, signed.account.name))
    return _page(request, "profile.html", signed, status, **_reach_context(request, signed, shown))


# --- messages to the person: their ids, channels, window and digest (monitor.actions.reach) ----------------------

def _personal(request: Request) -> list[tuple[str, str]]:
    """The personal channels configured: (name, the id field each addresses people by)."""
    from notifications.channels import split

    return [(channel.name, channel.id_field) for channel in split(monitor_app(request).settings.channels)[1]]


def _reach_context(request: Request, signed: SignedIn, shown: dict[str, Any]) -> dict[str, Any]:
    app = monitor_app(request)
    name = signed.account.name
    if "reach" not in shown:
        shown["reach"] = in_transaction(app.sessions, lambda s: reach_of(s, name))
    shown["held"] = in_transaction(app.sessions, lambda s: waiting(s, name))
    shown["personal"] = _personal(request)
    shown.setdefault("reach_error", None)
    shown.setdefault("reach_saved", False)
    return shown


@router.post("/profile/reach", response_class=HTMLResponse)
async def profile_reach_post(request: Request) -> Response:
    """The person's ids, which personal channels reach them, their window and their digest's frequency."""
    signed, form = page_user(request), posted(request)
    app = monitor_app(request)
    channels = _personal(request)
    given = Reach({field: str(form.get(field, "")) for field in ID_FIELDS},
                  tuple(name for name, _ in channels if form.get(f"reach-{name}") != "yes"),
                  str(form.get("window_from", "")), str(form.get("window_until", "")),
                  form.get("window_workdays") == "yes", str(form.get("every", "")))

    def save() -> Response:
        try:
            stored = in_transaction(app.sessions, lambda s: save_reach(s, signed.account.name, given,
                                                                       [name for name, _ in channels]))
        except MonitorError as exc:
            return _profile_page(request, signed, 422, reach=given, reach_error=say(exc, app.settings.language))
        return _profile_page(request, signed, reach=stored, reach_saved=True)

    return await run_in_threadpool(save)


@router.get("/profile", response_class=HTMLResponse)
def profile_form(request: Request) -> Response:
    return _profile_page(request, page_user(request))


@router.post("/profile", response_class=HTMLResponse)
async def profile_post(request: Request) -> Response:
    signed, form = page_user(request), posted(request)
    app = monitor_app(request)
    given = Profile(str(form.get("full_name", "")), str(form.get("email", "")), str(form.get("phone", "")),
                    form.get("digest_email") == "yes")

    def save() -> Response:
        try:
            stored = in_transaction(app.sessions, lambda s: save_profile(s, signed.account.name, given))
        except MonitorError as exc:
            return _profile_page(request, signed, 422, profile=given, error=say(exc, app.settings.language))
        return _profile_page(request, signed, profile=stored, saved=True)

    return await run_in_threadpool(save)


# --- the templates the pages read ---------------------------------------------------------------------------------

@router.get("/templates/{which}.xlsx")
def template_download(request: Request, which: str) -> Response:
    """A workbook to fill in, as `monitor template [--facts|--indicators|--targets]` writes it: the sheets the
    upload page reads (for those who record; the data and targets sheets list the account's clusters), the roster
    (for administrators)."""
    from db.queries import Scope, load_facts
    from monitor.views.indicator_sheets import write_monitoring_sheet
    from monitor.views.xlsx import write_facts_template, write_template

    signed = page_user(request)
    app = monitor_app(request)
    if which not in ("facts", "indicators", "targets", "roster"):
        raise HTTPException(404, "not_found")
    if not (signed.account.can_manage if which == "roster" else signed.account.can_record):
        raise HTTPException(403, "forbidden")

    def write(path: Path) -> None:
        if which == "facts":
            write_facts_template(path, app.settings.language)
        elif which in ("indicators", "targets"):
            with app.reader.connect() as conn:
                facts = load_facts(conn, Scope(regions=signed.account.regions))
            write_monitoring_sheet(path, facts, app.vocabulary, app.today(), app.settings.language,
                                   which == "targets")
        else:
            write_template(path, app.packs.values(), app.settings.language)

    return workbook_download(write, f"monitor-{which}-template.xlsx")
