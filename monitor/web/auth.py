"""Who is asking: a signed-in browser (a session cookie, and a CSRF token on every form it posts) or an API
client (``Authorization: Bearer TOKEN``). The cookie is HttpOnly, SameSite=Lax, and Secure behind TLS."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from db.session import transaction
from monitor import clock
from monitor.actions.accounts import SESSION_LIFETIME, SignedIn, signed_in, token_account
from monitor.rules.access import Account

if TYPE_CHECKING:
    from monitor.app import App

COOKIE = "monitor_session"
LOGIN_COOKIE = "monitor_login"     # the sign-in form's CSRF token (double submit: no session exists yet)


class NeedLogin(Exception):
    """A page asked for without a valid sign-in: the answer is the sign-in page."""


def monitor_app(request: Request) -> App:
    found: App = request.app.state.monitor
    return found


def page_user(request: Request) -> SignedIn:
    """The signed-in account of this browser; NeedLogin without one."""
    secret = request.cookies.get(COOKIE)
    if secret:
        app = monitor_app(request)
        with transaction(app.sessions) as session:
            found = signed_in(session, secret, clock.now_utc())
        if found is not None:
            return found
    raise NeedLogin


def api_user(request: Request) -> Account:
    """The account of the bearer token; 401 without a valid one."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        app = monitor_app(request)
        with transaction(app.sessions) as session:
            account = token_account(session, secret.strip(), "api", app.today())
        if account is not None:
            return account
    raise HTTPException(401, "a valid API token is needed: Authorization: Bearer TOKEN (`monitor user token NAME`)",
                        headers={"WWW-Authenticate": "Bearer"})


async def checked_form(request: Request, expected: str) -> FormData:
    """The posted form, if it carries the CSRF token ``expected`` (none expected: refused); 403 if not."""
    form = await request.form()
    given = form.get("csrf")
    if not expected or not isinstance(given, str) or not secrets.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(403, "bad_csrf")
    return form


def set_cookie(request: Request, response: Response, name: str, value: str, lifetime: int) -> None:
    response.set_cookie(name, value, max_age=lifetime, httponly=True, samesite="lax", path="/",
                        secure=request.url.scheme == "https")


def set_session(request: Request, response: Response, secret: str) -> None:
    set_cookie(request, response, COOKIE, secret, int(SESSION_LIFETIME.total_seconds()))
