"""The administrator's Channels page: each ``[[channels]]`` entry of config.toml (its name, kind, roles, regions
and regimes; never its address nor its secret, which stay in the environment or a file), read-only, with a
"send a test message" button.

A test message goes through the ledger as a digest does (db.test_messages): the page offers the button with a
fresh random id, and the press stores a message of that id claimed by this worker, posts it, and settles its
outcome (db.ledger). A second press of the same button (a double click, the browser posting again, another
worker) finds the message stored and posts nothing: the page shows the first press's outcome. A post that the
service asks to retry, or a worker that dies while posting, leaves the message to the daemon (its retries and
lapsed claims), so it is still posted once. Only an administrator gets here: 403 otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from db import ledger
from db.session import in_transaction
from db.test_messages import message_state, store_test
from monitor import clock
from monitor.actions.accounts import SignedIn
from monitor.actions.reach import reach_of
from monitor.config import ChannelSettings
from monitor.errors import Said
from monitor.rules.routes import person_recipient
from monitor.rules.states import MessageState
from monitor.views.words import words
from monitor.web.auth import monitor_app, page_user, posted
from monitor.web.pages import _page, router
from monitor.web.wording import say
from notifications.channels import channel_for, kinds
from notifications.digest import Letterhead
from notifications.posts import test_post
from notifications.sender import Ready

#: a button's id: what the page made (secrets.token_urlsafe(16))
_PRESS = re.compile(r"^[A-Za-z0-9_-]{16,43}$")
#: when a test message the service asked to retry is tried again (by the daemon)
RETRY_AFTER = dt.timedelta(minutes=1)


def _admin(request: Request) -> SignedIn:
    signed = page_user(request)
    if not signed.account.can_manage:
        raise HTTPException(403, "forbidden")
    return signed


def _channels_page(request: Request, signed: SignedIn, status: int = 200, **context: Any) -> HTMLResponse:
    channels = monitor_app(request).settings.channels
    shown: dict[str, Any] = {"tested": None, "result": None, "error": None, **context}
    return _page(request, "channels.html", signed, status, channels=channels,
                 presses={c.name: secrets.token_urlsafe(16) for c in channels}, **shown)


@router.get("/channels", response_class=HTMLResponse)
def channels(request: Request) -> Response:
    return _channels_page(request, _admin(request))


def message_id(press: str, channel: ChannelSettings) -> str:
    return f"test.{press}.{channel.name}@monitor"


@router.post("/channels/{name}/test", response_class=HTMLResponse)
async def channel_test(request: Request, name: str) -> Response:
    signed, form = _admin(request), posted(request)
    app = monitor_app(request)
    settings = app.settings
    channel = next((c for c in settings.channels if c.name == name), None)
    if channel is None:
        raise HTTPException(404, "not_found")
    press = str(form.get("press", ""))
    if not _PRESS.match(press):
        raise HTTPException(422, "press")
    lang = settings.language

    def send() -> Response:
        now = clock.now_utc()
        identity = message_id(press, channel)
        owner = f"console:{secrets.token_hex(8)}"
        w = words("console", lang)
        text = say(Said("a test message from the console, sent by {who} at {at}: this chat receives monitor's "
                        "reminders; nothing to do", who=signed.account.name,
                        at=now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")), lang)
        letterhead = Letterhead("", base_url=settings.base_url, contact=settings.digest_contact,
                                department=settings.department)
        # a personal channel's test goes to the administrator who pressed, by their own id on its app
        field = kinds()[channel.type].id_field
        to = "" if field is None else in_transaction(
            app.sessions, lambda s: reach_of(s, signed.account.name).ids.get(field, ""))
        recipient = channel.recipient if field is None else person_recipient(channel.name, signed.account.name)
        raw = test_post(channel, app.today(), lang, letterhead, identity, w["test_subject"], text, to)
        mine = in_transaction(app.sessions, lambda s: store_test(s, identity, recipient, raw, owner, now)
                              and ledger.renew(s, identity, owner, now))
        if mine:
            sender = channel_for(channel)
            outcome = next(o for _, o in sender.send([Ready(identity, recipient, raw)]))
            at = clock.now_utc()
            in_transaction(app.sessions, lambda s: ledger.settle(
                s, identity, owner, outcome.state, outcome.error, at,
                at + RETRY_AFTER if outcome.state is MessageState.RETRY else None))
        result = in_transaction(app.sessions, lambda s: message_state(s, identity))
        # a second press of the same button (a double click): the first press is sending it; answer with how
        # that ended, as the first would have, rather than "sending" (the browser shows the last answer)
        deadline = time.monotonic() + channel.timeout + 1
        while not mine and result is not None and result[0] == MessageState.CLAIMED and time.monotonic() < deadline:
            time.sleep(0.1)
            result = in_transaction(app.sessions, lambda s: message_state(s, identity))
        return _channels_page(request, signed, tested=channel.name, result=result)

    return await run_in_threadpool(send)
