"""Signing in with an identity provider (web.identity; issue 29, item 1): the seam every way in besides a
password goes through. ``/login/with/NAME`` sends the browser to the provider with a fresh state, nonce and
PKCE verifier (kept server-side, the state also in a cookie of this browser); ``/login/with/NAME/done`` takes
the state back once (a replayed state finds nothing), has the provider turn its code into an identity
(monitor/web/identity_providers.py), and ``sign_in_as`` ends it as every sign-in ends: the identity is recorded,
and if an administrator mapped it to an account, a fresh session for that account (pages.signed_in_response).
A gateway's trusted header (type ``header``) comes to ``sign_in_as`` too, from the sign-in page, once its shared
secret is checked in constant time. Sessions, CSRF and the limits on failed passwords are untouched."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets

from authlib.common.security import generate_token
from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from db.identity_queries import hold_state, take_state
from db.session import in_transaction
from monitor import clock
from monitor.actions.identities import REFUSED, Identity, seen
from monitor.config import IdentitySettings
from monitor.errors import Said
from monitor.web.auth import monitor_app, set_cookie
from monitor.web.identity_providers import SignInRefused, Started, provider
from monitor.web.pages import _safe_next, login_page, login_router, signed_in_response
from monitor.web.wording import say

log = logging.getLogger("monitor.accounts")

#: the cookie that ties a sign-in under way to the browser that started it (its state)
STATE_COOKIE = "monitor_identity"
#: how long a sign-in may stay at the provider
STATE_LIFETIME = dt.timedelta(minutes=10)


def _way(request: Request, name: str) -> IdentitySettings:
    found = monitor_app(request).settings.identity(name)
    if found is None or found.type == "header":
        raise HTTPException(404, "not_found")
    return found


def _redirect_uri(request: Request, name: str) -> str:
    """Where the provider sends the browser back: under web.base_url when set (registered with the provider as
    such), else this request's own address."""
    base = monitor_app(request).settings.base_url
    return f"{base}/login/with/{name}/done" if base else str(request.url_for("identity_done", name=name))


def _refused(request: Request, message: Said | SignInRefused, status: int) -> Response:
    response = login_page(request, say(message, monitor_app(request).settings.language), status)
    response.delete_cookie(STATE_COOKIE, path="/")
    return response


@login_router.get("/login/with/{name}")
def identity_start(request: Request, name: str) -> Response:
    way = _way(request, name)
    app = monitor_app(request)
    started = Started(generate_token(43), generate_token(43), generate_token(64))
    try:
        url = provider(way).sign_in_url(started, _redirect_uri(request, name))
    except SignInRefused as exc:
        log.warning("sign-in with %s could not start: %s", name, exc)
        return _refused(request, exc, 502)
    target = _safe_next(request.query_params.get("next"))
    in_transaction(app.sessions, lambda s: hold_state(s, started.state, name, started.nonce, started.verifier, target,
                                                      clock.now_utc(), STATE_LIFETIME))
    response = RedirectResponse(url, 303)
    set_cookie(request, response, STATE_COOKIE, started.state, int(STATE_LIFETIME.total_seconds()))
    return response


@login_router.get("/login/with/{name}/done", name="identity_done")
def identity_done(request: Request, name: str) -> Response:
    way = _way(request, name)
    app = monitor_app(request)
    params = dict(request.query_params.items())
    state, cookie = params.get("state", ""), request.cookies.get(STATE_COOKIE, "")
    address = request.client.host if request.client else ""
    if not state or not secrets.compare_digest(state.encode(), cookie.encode()):
        log.warning("sign-in with %s from %s refused: its state is not the one this browser was given", name, address)
        return _refused(request, Said("sign-in failed: this sign-in was not started in this browser: start it again"),
                        403)
    pending = in_transaction(app.sessions, lambda s: take_state(s, state, clock.now_utc()))
    if pending is None or pending.provider != name:
        log.warning("sign-in with %s from %s refused: its state was used already or its time is up", name, address)
        return _refused(request, Said("sign-in failed: this sign-in was used already or took too long: start it "
                                      "again"), 403)
    if "error" in params:
        return _refused(request, Said("sign-in with {provider} failed: it answered {error}", provider=name,
                                      error=params["error"][:100]), 401)
    try:
        identity = provider(way).identity(params, Started(state, pending.nonce, pending.verifier),
                                          _redirect_uri(request, name))
    except SignInRefused as exc:
        log.warning("sign-in with %s from %s refused: %s", name, address, exc)
        return _refused(request, exc, 401)
    response = sign_in_as(request, identity, pending.next_path)
    response.delete_cookie(STATE_COOKIE, path="/")
    return response


def sign_in_as(request: Request, identity: Identity, target: str) -> Response:
    """The end of a sign-in with an identity: recorded, and a session for its account if one is mapped; else the
    sign-in page saying it waits for an administrator (or was refused), with what identifies it."""
    app = monitor_app(request)
    found = in_transaction(app.sessions, lambda s: seen(s, identity, clock.now_utc()))
    if found.account is None:
        if found.disabled:
            message = Said("sign-in failed: the account is disabled")
        elif found.state == REFUSED:
            message = Said("sign-in refused: an administrator refused the identity {subject} of {issuer}",
                           subject=identity.subject, issuer=identity.issuer)
        else:
            message = Said("signed in as {subject} of {issuer}, which is not mapped to an account yet: an "
                           "administrator maps it on the Users page, then sign in again", subject=identity.subject,
                           issuer=identity.issuer)
        return _refused(request, message, 403)
    log.info("account %r signed in as %s of %s", found.account.name, identity.subject, identity.issuer)
    return signed_in_response(request, found.account, target)


def header_sign_in(request: Request) -> Response | None:
    """A gateway's sign-in (the ``header`` identity): None when none is configured or the request names no user;
    refused (403) when the request names one without the gateway's shared secret."""
    app = monitor_app(request)
    way = next((w for w in app.settings.identities if w.type == "header"), None)
    if way is None or way.user_header not in request.headers:
        return None
    given, expected = request.headers.get(way.secret_header, ""), way.secret() or ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("a request from %s named a user in %s without the gateway's secret: refused",
                    request.client.host if request.client else "", way.user_header)
        return _refused(request, Said("sign-in refused: the user header came without the gateway's secret"), 403)
    user = request.headers[way.user_header].strip()
    if not user:
        return _refused(request, Said("sign-in refused: the user header is empty"), 403)
    return sign_in_as(request, Identity(way.issuer_id, user, "", user, way.name),
                      _safe_next(request.query_params.get("next")))
