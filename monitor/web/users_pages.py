"""The administrator's Users page: add an account, change its role and regions, disable or enable it, set its
ids on 企业微信, 钉钉 and 飞书 (monitor.actions.reach), make a one-time reset code (the person sets a new password on /password with it) or an unlock code (`monitor user
unlock`'s). Every action is monitor.actions.accounts' or account_admin's, as the CLI's `monitor user …` uses; a
code is shown once, on the page that made it. Only an administrator (``can_manage``) gets here: 403 otherwise.
The pages join pages.router, so its CSRF check applies to every form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from db.session import in_transaction
from monitor import clock
from monitor.actions.account_admin import enable, issue_reset, reset_password, set_role
from monitor.actions.accounts import SignedIn, add_user, disable, list_users, unlock
from monitor.actions.identities import list_identities, map_identity, refuse, unmap
from monitor.actions.reach import reach_of, save_ids
from monitor.errors import MonitorError, Said
from monitor.rules.personal import ID_FIELDS
from monitor.web.auth import monitor_app, page_user, posted
from monitor.web.pages import _page, login_router, router, signed_out_form
from monitor.web.wording import say


def _admin(request: Request) -> SignedIn:
    signed = page_user(request)
    if not signed.account.can_manage:
        raise HTTPException(403, "forbidden")
    return signed


def _regions(form: FormData) -> list[str]:
    return [part for part in str(form.get("regions", "")).replace("，", ",").split(",") if part.strip()]


def _users_page(request: Request, signed: SignedIn, status: int = 200, **context: Any) -> HTMLResponse:
    app = monitor_app(request)
    listed = in_transaction(app.sessions, lambda s: list_users(s, clock.now_utc()))
    identities = in_transaction(app.sessions, list_identities)
    ids = in_transaction(app.sessions, lambda s: {u.account.name: reach_of(s, u.account.name).ids for u in listed})
    shown: dict[str, Any] = {"error": None, "said": None, "code": None, "code_for": None, "code_kind": None,
                             **context}
    return _page(request, "users.html", signed, status, listed=listed, identities=identities, ids=ids, **shown)


@router.get("/users", response_class=HTMLResponse)
def users(request: Request) -> Response:
    return _users_page(request, _admin(request))


async def _act(request: Request, act: Callable[[Session, FormData], dict[str, Any]]) -> Response:
    """An administrator's action, in one transaction: done, the page with what it says (a code, once); refused,
    the page with the one-line error (422) and nothing changed."""
    signed, form = _admin(request), posted(request)
    app = monitor_app(request)

    def done() -> Response:
        try:
            shown = in_transaction(app.sessions, lambda session: act(session, form))
        except MonitorError as exc:
            return _users_page(request, signed, 422, error=say(exc, app.settings.language))
        if "said" in shown:
            shown["said"] = say(shown["said"], app.settings.language)
        return _users_page(request, signed, **shown)

    return await run_in_threadpool(done)


@router.post("/users")
async def users_add(request: Request) -> Response:
    def act(session: Session, form: FormData) -> dict[str, Any]:
        name = str(form.get("name", "")).strip()
        add_user(session, name, str(form.get("role", "")), _regions(form), str(form.get("password", "")),
                 clock.now_utc())
        return {"said": Said("user {name} added", name=name)}

    return await _act(request, act)


@router.post("/users/{name}/role")
async def users_role(request: Request, name: str) -> Response:
    def act(session: Session, form: FormData) -> dict[str, Any]:
        if name == page_user(request).account.name:
            raise MonitorError("an administrator cannot change their own role")
        set_role(session, name, str(form.get("role", "")), _regions(form))
        return {"said": Said("user {name} changed", name=name)}

    return await _act(request, act)


@router.post("/users/{name}/disable")
async def users_disable(request: Request, name: str) -> Response:
    def act(session: Session, form: FormData) -> dict[str, Any]:
        if name == page_user(request).account.name:
            raise MonitorError("an administrator cannot disable their own account")
        disable(session, name)
        return {"said": Said("user {name} changed", name=name)}

    return await _act(request, act)


@router.post("/users/{name}/enable")
async def users_enable(request: Request, name: str) -> Response:
    def act(session: Session, form: FormData) -> dict[str, Any]:
        enable(session, name)
        return {"said": Said("user {name} changed", name=name)}

    return await _act(request, act)


@router.post("/users/{name}/reset")
async def users_reset(request: Request, name: str) -> Response:
    app = monitor_app(request)

    def act(session: Session, form: FormData) -> dict[str, Any]:
        return {"code": issue_reset(session, name, clock.now_utc(), app.today()), "code_for": name,
                "code_kind": "reset"}

    return await _act(request, act)


@router.post("/users/{name}/unlock")
async def users_unlock(request: Request, name: str) -> Response:
    app = monitor_app(request)

    def act(session: Session, form: FormData) -> dict[str, Any]:
        return {"code": unlock(session, name, clock.now_utc(), app.today()), "code_for": name,
                "code_kind": "unlock"}

    return await _act(request, act)


@router.post("/users/ids")
async def users_ids(request: Request) -> Response:
    """An account's ids on 企业微信, 钉钉 and 飞书 (what personal channels address the person by): a field left blank
    keeps the id, "-" removes it."""
    def act(session: Session, form: FormData) -> dict[str, Any]:
        name = str(form.get("name", "")).strip()
        given = {field: str(form.get(field, "")).strip() for field in ID_FIELDS}
        save_ids(session, name, {field: "" if value == "-" else value for field, value in given.items() if value})
        return {"said": Said("user {name} changed", name=name)}

    return await _act(request, act)


# --- identities (issue 29, item 1): who signed in with an identity provider, mapped to an account or refused ---

def _identity(form: FormData) -> tuple[str, str]:
    return str(form.get("issuer", "")), str(form.get("subject", ""))


@router.post("/users/identities/map")
async def identities_map(request: Request) -> Response:
    by = page_user(request).account.name

    def act(session: Session, form: FormData) -> dict[str, Any]:
        issuer, subject = _identity(form)
        name = str(form.get("account", "")).strip()
        map_identity(session, name, issuer, subject, by, clock.now_utc())
        return {"said": Said("identity {subject} of {issuer} mapped to {name}", subject=subject, issuer=issuer,
                             name=name)}

    return await _act(request, act)


@router.post("/users/identities/unmap")
async def identities_unmap(request: Request) -> Response:
    by = page_user(request).account.name

    def act(session: Session, form: FormData) -> dict[str, Any]:
        issuer, subject = _identity(form)
        unmap(session, issuer, subject, by, clock.now_utc())
        return {"said": Said("identity {subject} of {issuer} unmapped: it has no access", subject=subject,
                             issuer=issuer)}

    return await _act(request, act)


@router.post("/users/identities/refuse")
async def identities_refuse(request: Request) -> Response:
    by = page_user(request).account.name

    def act(session: Session, form: FormData) -> dict[str, Any]:
        issuer, subject = _identity(form)
        refuse(session, issuer, subject, by, clock.now_utc())
        return {"said": Said("identity {subject} of {issuer} refused", subject=subject, issuer=issuer)}

    return await _act(request, act)


# --- setting a password with a reset code (no sign-in: the person has forgotten the password) -------------------

def _password_page(request: Request, status: int = 200, error: str | None = None, done: bool = False
                   ) -> HTMLResponse:
    """The form, with a fresh CSRF token in a cookie (double submit, as the sign-in form's: no session exists)."""
    return signed_out_form(request, "password.html", status, error=error, done=done)


@login_router.get("/password", response_class=HTMLResponse)
def password_form(request: Request) -> Response:
    return _password_page(request)


@login_router.post("/password")
async def password_post(request: Request) -> Response:
    form = posted(request)
    app = monitor_app(request)
    lang = app.settings.language
    name, code = str(form.get("name", "")).strip(), str(form.get("code", ""))
    password, again = str(form.get("password", "")), str(form.get("again", ""))

    def done() -> Response:
        if password != again:
            return _password_page(request, 422, say(Said("the two passwords differ"), lang))
        try:
            in_transaction(app.sessions, lambda s: reset_password(s, name, code, password, clock.now_utc()))
        except MonitorError as exc:
            return _password_page(request, 422, say(exc, lang))
        return _password_page(request, done=True)

    return await run_in_threadpool(done)
