"""Who is asking: a signed-in browser (a session cookie, and a CSRF token on every form it posts) or an API
client (``Authorization: Bearer TOKEN``). The cookie is HttpOnly, SameSite=Lax, and Secure behind TLS.

The CSRF check is not a call each page makes: it is a dependency of the pages' routers (``csrf_checked``, and
``login_csrf_checked`` for the sign-in form, which has no session yet), run before any handler for every unsafe
method, so a new form cannot forget it. The handler reads the checked form with ``posted``. The API takes no
cookie, only its bearer token, so a browser cannot be made to call it on a user's behalf.
tests/test_web_contract.py walks the application's routes and holds both to it."""

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


#: the methods that change nothing: no CSRF token is asked of them
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def page_user(request: Request) -> SignedIn:
    """The signed-in account of this browser (read once a request); NeedLogin without one."""
    known: SignedIn | None = getattr(request.state, "signed", None)
    if known is not None:
        return known
    secret = request.cookies.get(COOKIE)
    if secret:
        app = monitor_app(request)
        with transaction(app.sessions) as session:
            found = signed_in(session, secret, clock.now_utc())
        if found is not None:
            request.state.signed = found
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


async def _checked_form(request: Request, expected: str) -> None:
    """Keep the posted form for ``posted`` if it carries the CSRF token ``expected`` (none expected: refused);
    403 if not."""
    form = await request.form()
    given = form.get("csrf")
    if not expected or not isinstance(given, str) or not secrets.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(403, "bad_csrf")
    request.state.form = form


async def csrf_checked(request: Request) -> None:
    """Router dependency: an unsafe request needs a signed-in browser and its session's CSRF token."""
    if request.method not in SAFE_METHODS:
        await _checked_form(request, page_user(request).csrf)


async def login_csrf_checked(request: Request) -> None:
    """Router dependency of the sign-in form: the token of its cookie (double submit, as no session exists)."""
    if request.method not in SAFE_METHODS:
        await _checked_form(request, request.cookies.get(LOGIN_COOKIE, ""))


def posted(request: Request) -> FormData:
    """The form of this request, as the router's CSRF check accepted it."""
    form: FormData = request.state.form
    return form


def set_cookie(request: Request, response: Response, name: str, value: str, lifetime: int) -> None:
    response.set_cookie(name, value, max_age=lifetime, httponly=True, samesite="lax", path="/",
                        secure=request.url.scheme == "https")


def set_session(request: Request, response: Response, secret: str) -> None:
    set_cookie(request, response, COOKIE, secret, int(SESSION_LIFETIME.total_seconds()))
