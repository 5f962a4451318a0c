"""The console's acknowledgements and snoozes (first-week issue, item 7): the page of those in force, and the
overview's bulk form, which holds every warning with a code (or open obligation of a kind) of the clusters ticked
(or of a region), in one transaction. The account's regions bound both: a bureau holds only its own clusters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from db.session import in_transaction
from monitor import clock
from monitor.actions.accounts import SignedIn
from monitor.actions.ack_snooze import bulk_summary, nothing_to_hold, record_holds
from monitor.errors import InputError, MonitorError, Said, UnknownClusterError
from monitor.overview import Selection, hold_targets, holds
from monitor.views import console
from monitor.web.auth import csrf_checked, monitor_app, page_user, posted
from monitor.web.params import day
from monitor.web.wording import say

#: behind the same CSRF check as every other page (an unsafe method needs the session's token)
router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_checked)])


def _holds_page(request: Request, signed: SignedIn, status: int = 200, said: list[str] | None = None,
                error: str | None = None) -> HTMLResponse:
    app = monitor_app(request)
    selection = Selection.for_account(app, signed.account, app.today())
    return HTMLResponse(console.render("holds.html", app.settings.language, user=signed.account, csrf=signed.csrf,
                                       holds=holds(app, selection), as_of=selection.as_of, said=said or [],
                                       error=error), status)


@router.get("/holds", response_class=HTMLResponse)
def holds_page(request: Request) -> Response:
    return _holds_page(request, page_user(request))


@router.post("/holds", response_class=HTMLResponse)
async def bulk_hold(request: Request) -> Response:
    signed, form = page_user(request), posted(request)
    if not signed.account.can_record:
        raise HTTPException(403, "forbidden")

    def done() -> Response:     # the database's work, off the event loop
        app = monitor_app(request)
        lang = app.settings.language
        try:
            said = _hold_many(app, signed, {key: form.getlist(key) for key in form})
        except UnknownClusterError:
            raise                   # a cluster the account may not see: 404, as on every page
        except MonitorError as exc:
            return _holds_page(request, signed, 422, error=say(exc, lang))
        return _holds_page(request, signed, said=[say(line, lang) for line in said])

    return await run_in_threadpool(done)


def _hold_many(app: Any, signed: SignedIn, form: dict[str, list[Any]]) -> list[Said]:
    def one(key: str) -> str:
        values = [v for v in form.get(key, []) if isinstance(v, str)]
        return values[0].strip() if values else ""

    kind, code, region = one("kind"), one("code"), one("region") or None
    clusters = [v for v in form.get("cluster", []) if isinstance(v, str) and v]
    if kind not in ("ack", "snooze"):
        raise InputError("kind {kind!r} is not ack or snooze", kind=kind)
    if not code:
        raise InputError("code: give a warning code (ack) or an obligation kind (snooze)")
    if not clusters and region is None:
        raise InputError("tick the clusters to hold, or choose a region")
    until = day(one("until"), "until")
    if until is None:
        raise InputError("until: give the last day the reminders stay quiet")
    today = app.today()
    # the account's regions bound the selection: a cluster of another region is unknown (404), a region holds none
    found = hold_targets(app, Selection.for_account(app, signed.account, today, clusters, region=region), kind, code)
    if not found.targets:
        raise nothing_to_hold(kind, code, region, clusters, found.codes)
    said = in_transaction(app.sessions, lambda s: record_holds(s, kind, found.targets, until, one("note"), today,
                                                               signed.account.name, clock.now_utc()))
    return [*said, bulk_summary(kind, said, found.clusters, until)]
