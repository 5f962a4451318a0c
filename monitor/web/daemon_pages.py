"""The console's daemon page: the daemon's state, and the rounds held because their recipient set grew, which an
administrator approves here (docs/rules.md, "Who is mailed"); the daemon then sends what they hold."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from db.session import in_transaction
from monitor import clock
from monitor.actions.accounts import SignedIn
from monitor.actions.rounds import approve_held, held_rounds
from monitor.errors import InputError, Said, said_of
from monitor.overview import daemon as daemon_state
from monitor.views.times import person_time_of
from monitor.web.auth import csrf_checked, monitor_app, page_user, posted
from monitor.web.pages import _page
from monitor.web.wording import say

#: behind the same CSRF check as every other page (monitor.web.auth)
router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_checked)])


@router.get("/daemon", response_class=HTMLResponse)
def daemon(request: Request) -> Response:
    return _daemon_page(request, page_user(request))


def _daemon_page(request: Request, signed: SignedIn, notice: str = "", status: int = 200) -> HTMLResponse:
    """The daemon's state, and the rounds held because their recipient set grew (docs/rules.md, "Who is mailed")."""
    app = monitor_app(request)
    # a bureau account sees its own regions' reminders and messages only; held rounds are province-wide, and an
    # administrator's to decide
    rounds = in_transaction(app.sessions, held_rounds) if signed.account.can_manage else []
    state = daemon_state(app, signed.account.regions)
    marks = {name: person_time_of(state[name]) for name in ("last_scan", "last_round")}
    return _page(request, "daemon.html", signed, status, daemon={**state, **marks}, rounds=rounds, notice=notice)


@router.post("/daemon/approve", response_class=HTMLResponse)
async def daemon_approve(request: Request) -> Response:
    """An administrator approves a held round: the daemon sends what it holds at its next tick, once."""
    signed, form = page_user(request), posted(request)
    if not signed.account.can_manage:
        raise HTTPException(403, "forbidden")
    app = monitor_app(request)
    round_id, lang = str(form.get("round", "")), app.settings.language
    try:
        in_transaction(app.sessions, lambda s: approve_held(s, round_id, signed.account.name, clock.now_utc(),
                                                            clock.ahead() is not None))
    except InputError as exc:
        return _daemon_page(request, signed, say(said_of(exc), lang), 409)
    return _daemon_page(request, signed, say(Said("round {round} approved: the daemon sends what it holds at its "
                                                  "next tick, once", round=round_id), lang))
