"""The console's pages: each reads through monitor.overview or db/, writes through monitor.actions, and renders
through monitor.views.console. A page outside the account's regions is a 404, as in the API."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from db import fact_queries as record_db
from db import upload_queries as held_uploads
from db.history_queries import history
from db.queries import Scope, regions_of
from db.session import in_transaction, transaction
from monitor import clock
from monitor.actions.accounts import (
    LoginRefused,
    SignedIn,
    close_session,
    issue_token,
    login,
    open_session,
    revoke_tokens,
)
from monitor.actions.ack_snooze import record_hold
from monitor.actions.facts_import import Plan, fact_of, options_of, plan_import, store
from monitor.actions.indicators_import import Plan as IndicatorPlan
from monitor.actions.indicators_import import plan_indicators, plan_targets
from monitor.actions.indicators_import import store as store_indicators
from monitor.actions.record import Outcome, Recorder, describe
from monitor.app import App
from monitor.errors import InputError, MonitorError, Said, said_of
from monitor.overview import Selection, evaluated, holds, kept_columns
from monitor.rules.access import Account
from monitor.rules.holds import resolve_subject
from monitor.rules.indicators import Vocabulary
from monitor.rules.principal import grounds
from monitor.views import console, indicator_console
from monitor.views.words import obligation_label, term
from monitor.web.auth import COOKIE as SESSION_COOKIE
from monitor.web.auth import (
    LOGIN_COOKIE,
    csrf_checked,
    login_csrf_checked,
    monitor_app,
    page_user,
    posted,
    set_cookie,
    set_session,
)
from monitor.web.cache import EVALUATIONS
from monitor.web.params import day
from monitor.web.wording import renamed, say

#: every page but the sign-in form; an unsafe method is refused (403) without its session's CSRF token
router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_checked)])
#: the sign-in form, whose CSRF token is a cookie's (no session exists yet)
login_router = APIRouter(include_in_schema=False, dependencies=[Depends(login_csrf_checked)])
#: the largest facts file the console takes
LARGEST_UPLOAD = 10 * 1024 * 1024
#: what an upload may be: a facts file, the annual-monitoring data sheet, or its plan targets
SHEETS = ("facts", "indicators", "targets")
#: how long a previewed facts file is held for storing
UPLOAD_LIFETIME = dt.timedelta(hours=1)


def _page(request: Request, template: str, signed: SignedIn | None, status: int = 200, **context: Any) -> HTMLResponse:
    app = monitor_app(request)
    return HTMLResponse(console.render(template, app.settings.language, user=signed.account if signed else None,
                                       csrf=signed.csrf if signed else "", **context), status)


def _cluster_selection(app: App, account: Account, cluster_id: str, as_of: dt.date | None = None) -> Selection:
    """One cluster the account may see (UnknownClusterError, a 404, otherwise)."""
    return Selection.for_account(app, account, as_of, [cluster_id])


def _recorder(app: App, session: Session, account: Account) -> Recorder:
    if not account.can_record:
        raise HTTPException(403, "forbidden")
    return Recorder(session, app.packs, account.name, clock.now_utc(), app.today(), regions=account.regions,
                    vocabulary=app.vocabulary, timezone=app.settings.timezone)


# --- signing in and out -------------------------------------------------------------------------------------------

def _safe_next(target: str | None) -> str:
    """Only a path of this site (never //host or a scheme) is followed after signing in."""
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def signed_out_form(request: Request, template: str, status: int, **context: Any) -> HTMLResponse:
    """A form sent before any session exists (sign-in, a password reset), with a fresh CSRF token in a cookie:
    double submit, checked by the login router."""
    token = secrets.token_urlsafe(32)
    response = _page(request, template, None, status, login_csrf=token, **context)
    set_cookie(request, response, LOGIN_COOKIE, token, 3600)
    return response


def login_page(request: Request, error: str | None = None, status: int = 200, unlock: bool = False) -> HTMLResponse:
    """The sign-in form; ``unlock`` opens its unlock code field (the limits refused the last attempt). A button
    for each identity provider (web.identity), and the password form unless web.passwords is false (then an
    administrator's break-glass: the password with an unlock code)."""
    settings = monitor_app(request).settings
    target = _safe_next(request.query_params.get("next"))
    ways = [(way.name, way.label or way.name) for way in settings.identities if way.type != "header"]
    return signed_out_form(request, "login.html", status, error=error, unlock=unlock, next=target, ways=ways,
                           passwords=settings.passwords, next_query=urlencode({"next": target}))


@login_router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    from monitor.web.identity_pages import header_sign_in  # a gateway's header signs in here (identity_pages)

    return header_sign_in(request) or login_page(request)


@login_router.post("/login")
async def login_post(request: Request) -> Response:
    return await run_in_threadpool(_sign_in, request, posted(request))


def _sign_in(request: Request, form: FormData) -> Response:
    """Check the password (argon2: deliberately slow, so off the event loop), then a fresh session. The limits on
    failed sign-ins count by the client's address: the peer's, or the one a trusted proxy forwarded
    (web.trusted_proxies, applied by uvicorn before the request gets here)."""
    app = monitor_app(request)
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    address = request.client.host if request.client else ""
    try:
        account = login(app.sessions, name, password, clock.now_utc(), address, str(form.get("code", "")).strip(),
                        passwords=app.settings.passwords)
    except LoginRefused as exc:
        throttled = exc.retry_after is not None
        page = login_page(request, say(exc, app.settings.language), 429 if throttled else 401, unlock=throttled)
        if throttled:
            page.headers["retry-after"] = str(exc.retry_after)
        return page
    return signed_in_response(request, account, str(form.get("next", "/")))


def signed_in_response(request: Request, account: Account, target: str) -> Response:
    """The end of every sign-in, whatever proved who it is (a password, an identity provider, a gateway's
    header): a fresh session, the cookie set, and on to ``target`` (a path of this site only)."""
    app = monitor_app(request)
    with transaction(app.sessions) as session:
        old = request.cookies.get(SESSION_COOKIE)
        if old:   # a session id from before signing in is never kept
            close_session(session, old)
        secret, _ = open_session(session, account, clock.now_utc())
    response = RedirectResponse(_safe_next(target), 303)
    set_session(request, response, secret)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    secret = request.cookies[SESSION_COOKIE]
    in_transaction(monitor_app(request).sessions, lambda s: close_session(s, secret))
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- the overview -----------------------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def overview(request: Request, as_of: str | None = None, region: str | None = None, regime: str | None = None,
             severity: str | None = None, q: str | None = None, sort: str = "urgency", page: int = 1) -> Response:
    signed = page_user(request)
    app = monitor_app(request)
    account = signed.account
    selection = Selection.for_account(app, account, day(as_of, "as_of"), regime=regime or None,
                                      region=region or None)
    lang = app.settings.language
    listed = EVALUATIONS.get(app, ("rows", selection, lang),
                             lambda: console.rows(evaluated(app, selection), app.packs, lang))
    shown = console.overview(listed, severity if severity in console.SEVERITIES else None, q, sort, page)
    with app.reader.connect() as conn:
        regions = regions_of(conn, Scope(regions=account.regions))
    filters = {"as_of": as_of or "", "region": region or "", "regime": regime or "", "severity": severity or "",
               "q": q or ""}
    acked = console.acked_by_cluster(holds(app, selection))     # read each time: the rows are cached, holds not
    return _page(request, "overview.html", signed, view=shown, as_of=selection.as_of, filters=filters, sort=sort,
                 backfill=console.checklist(listed), baseline=app.monitoring_from(),
                 acked=acked,
                 regions=regions, regimes=sorted(app.packs), severities=console.SEVERITIES,
                 policies={regime: pack.title for regime, pack in app.packs.items()},
                 query=lambda **change: "?" + urlencode({k: v for k, v in {**filters, "sort": sort, **change}.items()
                                                         if v}),
                 terms=lambda word: term(word, app.settings.language))


# --- one cluster ------------------------------------------------------------------------------------------------

def _cluster_page(request: Request, signed: SignedIn, cluster_id: str, status: int = 200,
                  said: str | None = None, error: str | None = None, as_of: dt.date | None = None) -> HTMLResponse:
    app = monitor_app(request)
    lang = app.settings.language
    selection = _cluster_selection(app, signed.account, cluster_id, as_of)
    (item,) = evaluated(app, selection)
    with transaction(app.sessions) as session:
        entries = history(session, item.facts.cluster.id)
    pack = app.packs.get(item.facts.cluster.regime)
    in_force = holds(app, selection)
    return _page(request, "cluster.html", signed, status, item=item, cluster=item.facts.cluster,
                 acked=console.acked_by_cluster(in_force).get(item.facts.cluster.id, {}),
                 verdict=item.verdict, policy=f"《{pack.title}》（{pack.document}）" if pack else "",
                 bar_basis=pack.revocation.basis if pack and pack.revocation else "",
                 state_label=term(item.verdict.state, lang),
                 obligations=console.obligations(item, app.packs, lang),
                 warnings=console.warnings_of(item, app.packs, lang), holds=in_force,
                 under=len(grounds(item.verdict.warnings, item.verdict.obligations).under),
                 standards=console.standards_of(item, app.packs, lang),
                 timeline=console.timeline(entries, ZoneInfo(app.settings.timezone), lang),
                 kinds=console.fact_fields(lang), corrections=console.correction_fields(lang), as_of=selection.as_of, said=said, error=error,
                 ack_choices=[(w.key, w.key) for w in item.verdict.warnings],
                 snooze_choices=[(o.key, obligation_label(o, lang)) for o in item.verdict.obligations if o.is_open],
                 today=app.today(),
                 indicators=indicator_console.section(item.facts, app.vocabulary, app.today().year))


@router.get("/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster_page(request: Request, cluster_id: str, as_of: str | None = None) -> Response:
    return _cluster_page(request, page_user(request), cluster_id, as_of=day(as_of, "as_of"))


async def _act(request: Request, cluster_id: str, act: Callable[[App, SignedIn, FormData], Said]) -> Response:
    """A form's action on a cluster: done, the page again saying so; refused, the page with the one-line error
    (422). The cluster must be one the account sees (404 otherwise)."""
    signed, form = page_user(request), posted(request)
    app = monitor_app(request)

    def done() -> Response:   # the database's work, off the event loop
        _cluster_selection(app, signed.account, cluster_id)
        lang = app.settings.language
        try:
            said = act(app, signed, form)
        except MonitorError as exc:
            return _cluster_page(request, signed, cluster_id, 422, error=say(exc, lang))
        return _cluster_page(request, signed, cluster_id, said=say(said, lang))

    return await run_in_threadpool(done)


def _fields(form: FormData) -> dict[str, str]:
    return {key: value for key, value in form.items() if isinstance(value, str) and key not in ("csrf", "reason")}


def _recorded(app: App, account: Account, act: Callable[[Recorder], Outcome]) -> Said:
    return in_transaction(app.sessions, lambda session: act(_recorder(app, session, account))).message


@router.post("/clusters/{cluster_id}/facts")
async def record_fact(request: Request, cluster_id: str) -> Response:
    def act(app: App, signed: SignedIn, form: FormData) -> Said:
        try:
            typed, fact = fact_of({**_fields(form), "cluster": cluster_id})
        except ValueError as exc:
            raise InputError(said_of(exc)) from None
        reason = form.get("reason")
        return _recorded(app, signed.account, lambda recorder: recorder.record(
            typed, fact, reason if isinstance(reason, str) else None))

    return await _act(request, cluster_id, act)


@router.post("/facts/{number}/amend")
async def amend_fact(request: Request, number: int) -> Response:
    return await _correct(request, number, "amend")


@router.post("/facts/{number}/retract")
async def retract_fact(request: Request, number: int) -> Response:
    return await _correct(request, number, "retract")


async def _correct(request: Request, number: int, how: str) -> Response:
    app = monitor_app(request)
    found = in_transaction(app.sessions, lambda session: record_db.version(session, number))
    if found is None:
        raise HTTPException(404, "not_found")
    cluster_id = found[0].cluster_id

    def act(app: App, signed: SignedIn, form: FormData) -> Said:
        reason = str(form.get("reason", ""))
        if how == "retract":
            return _recorded(app, signed.account, lambda recorder: recorder.retract(number, reason))
        try:
            options = options_of(found[0].fact.kind, _fields(form))
        except ValueError as exc:
            raise InputError(said_of(exc)) from None
        return _recorded(app, signed.account, lambda recorder: recorder.amend(number, options, reason))

    return await _act(request, cluster_id, act)


@router.post("/clusters/{cluster_id}/hold")
async def hold(request: Request, cluster_id: str) -> Response:
    def act(app: App, signed: SignedIn, form: FormData) -> Said:
        if not signed.account.can_record:
            raise HTTPException(403, "forbidden")
        kind = str(form.get("kind", ""))
        if kind not in ("ack", "snooze"):
            raise InputError("kind {kind!r} is not ack or snooze", kind=kind)
        today = app.today()
        (item,) = evaluated(app, _cluster_selection(app, signed.account, cluster_id, today))
        subject = resolve_subject(item.verdict, kind, str(form.get("subject", "")))
        until = day(str(form.get("until", "")), "until")
        if until is None:
            raise InputError("until: give the last day the reminders stay quiet")
        note = str(form.get("note", ""))
        return in_transaction(app.sessions, lambda s: record_hold(
            s, kind, item.facts.cluster.id, subject, until, note, today, signed.account.name, clock.now_utc()))

    return await _act(request, cluster_id, act)


# --- facts in bulk ------------------------------------------------------------------------------------------------

@router.get("/upload", response_class=HTMLResponse)
def upload_form(request: Request) -> Response:
    signed = page_user(request)
    if not signed.account.can_record:
        raise HTTPException(403, "forbidden")
    return _upload_page(request, signed)


def _upload_page(request: Request, signed: SignedIn, status: int = 200, **context: Any) -> HTMLResponse:
    shown: dict[str, Any] = {"plan": None, "error": None, "stored": None, "upload": "", "filename": "", "sheet": "facts",
                             "sheets": SHEETS,
                             "held_minutes": int(UPLOAD_LIFETIME.total_seconds() // 60), **context}
    return _page(request, "upload.html", signed, status, **shown)


@router.post("/upload", response_class=HTMLResponse)
async def upload(request: Request) -> Response:
    """Preview: the file is planned (nothing stored) and, when it can be stored, held server-side for
    UPLOAD_LIFETIME under a random token bound to the account (db.upload_queries). Store: the form posts only that
    token, and the held bytes are planned again against the record as it is then, stored, and dropped."""
    signed, form = page_user(request), posted(request)
    if not signed.account.can_record:
        raise HTTPException(403, "forbidden")
    lang = monitor_app(request).settings.language
    sheet = str(form.get("sheet", "facts"))
    if sheet not in SHEETS:
        sheet = "facts"
    if form.get("action") == "commit":
        return await run_in_threadpool(_commit_upload, request, signed, str(form.get("upload", "")), sheet)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return _upload_page(request, signed, 422, error=say(Said("choose a .csv or .xlsx facts file"), lang))
    data, filename = await file.read(LARGEST_UPLOAD + 1), file.filename
    if not data or Path(filename).suffix.lower() not in (".csv", ".xlsx"):
        return _upload_page(request, signed, 422, error=say(Said("{name}: choose a .csv or .xlsx facts file",
                                                                 name=filename), lang))
    if len(data) > LARGEST_UPLOAD:
        return _upload_page(request, signed, 422, error=say(Said("{name}: larger than {largest} MB", name=filename,
                                                                 largest=LARGEST_UPLOAD // 1024 // 1024), lang))
    return await run_in_threadpool(_preview_upload, request, signed, data, filename, sheet)


@contextmanager
def _as_file(data: bytes, filename: str) -> Iterator[Path]:
    """The bytes as a file of a private temporary directory, named as uploaded (made safe), for plan_import."""
    with tempfile.TemporaryDirectory(prefix="monitor-upload-") as directory:
        path = Path(directory) / re.sub(r"[^\w.\-]", "_", Path(filename).name)
        path.write_bytes(data)
        yield path


def _plan_sheet(app: App, session: Session, path: Path, sheet: str, account: Account) -> Plan | IndicatorPlan:
    """The plan of an uploaded sheet of the kind chosen: facts, the annual-monitoring data sheet, or targets."""
    if sheet == "indicators":
        return plan_indicators(session, path, app.vocabulary, app.today(), account.regions)
    if sheet == "targets":
        return plan_targets(session, path, app.vocabulary, app.today(), account.regions)
    return plan_import(session, path, app.packs, app.today(), account.regions)


def _preview_upload(request: Request, signed: SignedIn, data: bytes, filename: str, sheet: str) -> Response:
    app = monitor_app(request)
    lang = app.settings.language
    with _as_file(data, filename) as path:
        try:
            with transaction(app.sessions) as session:
                plan = _plan_sheet(app, session, path, sheet, signed.account)
                token = "" if plan.problems else held_uploads.hold(session, signed.account.id, filename, data,
                                                                    clock.now_utc(), UPLOAD_LIFETIME)
        except MonitorError as exc:
            return _upload_page(request, signed, 422, error=say(renamed(exc, path, filename), lang))
    return _upload_page(request, signed, plan=_planned(plan, path, filename, lang, app.vocabulary), upload=token,
                        filename=filename, sheet=sheet)


def _commit_upload(request: Request, signed: SignedIn, token: str, sheet: str) -> Response:
    app = monitor_app(request)
    lang = app.settings.language
    held: held_uploads.Held | None = None
    copy: Path | None = None
    try:
        with transaction(app.sessions) as session:
            held = held_uploads.take(session, token, signed.account.id, clock.now_utc())
            if held is not None:
                with _as_file(held.data, held.filename) as copy:
                    plan = _plan_sheet(app, session, copy, sheet, signed.account)
                    if plan.problems:
                        pass
                    elif isinstance(plan, IndicatorPlan):
                        store_indicators(session, plan, held.filename, signed.account.name, clock.now_utc())
                    else:
                        store(session, plan, held.filename, signed.account.name, clock.now_utc())
    except MonitorError as exc:         # rolled back: the file is still held
        return _upload_page(request, signed, 422,
                            error=say(renamed(exc, copy, held.filename) if copy and held else exc, lang))
    if held is None or copy is None:
        return _upload_page(request, signed, 422, error=say(Said(
            "the previewed file is no longer held (it is kept {minutes} minutes, for the account that uploaded it, "
            "until it is stored): upload it again", minutes=int(UPLOAD_LIFETIME.total_seconds() // 60)), lang))
    return _upload_page(request, signed, 422 if plan.problems else 200, plan=_planned(plan, copy, held.filename, lang, app.vocabulary),
                        stored=None if plan.problems else plan, filename=held.filename, sheet=sheet)


def _planned(plan: Plan | IndicatorPlan, path: Path, filename: str, lang: str,
             vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """The plan as the page shows it, the uploaded file named as it was (not as the temporary copy is)."""
    if isinstance(plan, IndicatorPlan):
        return indicator_console.planned(plan, lambda said: say(renamed(said, path, filename), lang),
                                         vocabulary)
    return {"flags": [], "rows": [{"line": p.line, "action": p.action, "replaces": p.replaces, "joins": p.joins,
                      "cluster": p.cluster_id, "what": say(describe(p.fact), lang)} for p in plan.planned],
            "problems": [say(renamed(problem, path, filename), lang) for problem in plan.problems],
            "ignored": say(renamed(plan.ignored, path, filename), lang) if plan.ignored else None,
            "counts": {action: plan.count(action) for action in ("add", "fill", "same", "join")},
            "blank": len(plan.blank)}


# --- the report, the export, the daemon -------------------------------------------------------------------------

def _selection(request: Request, signed: SignedIn) -> Selection:
    app = monitor_app(request)
    params = request.query_params
    return Selection.for_account(app, signed.account, day(params.get("as_of"), "as_of"),
                                 regime=params.get("regime") or None, region=params.get("region") or None)


def _hashes(tag: str, page: str) -> str:
    """The CSP sources allowing exactly the page's own inline ``<tag>`` blocks."""
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", page, re.DOTALL)
    return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'"
                    for b in blocks) or "'none'"


@router.get("/report", response_class=HTMLResponse)
def report(request: Request) -> Response:
    """The report's page, as `monitor report` writes it; its own script is allowed by its hash, nothing else."""
    from monitor.views.report import write_report

    signed = page_user(request)
    app = monitor_app(request)
    selection = _selection(request, signed)
    settings = app.settings
    with tempfile.TemporaryDirectory(prefix="monitor-report-") as directory:
        path = Path(directory) / "report.html"
        held = holds(app, selection)
        write_report(path, evaluated(app, selection), selection.as_of, clock.now_utc(), settings.language,
                     settings.timezone, app.packs, app.calendar, settings.department, app.monitoring_from(),
                     console.acked_by_cluster(held), console.acked_by_cluster(held, "snooze"))
        page = path.read_text(encoding="utf-8")
    policy = (f"default-src 'none'; script-src {_hashes('script', page)}; style-src {_hashes('style', page)}; "
              "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return HTMLResponse(page, headers={"content-security-policy": policy})


@router.get("/monitoring", response_class=HTMLResponse)
def monitoring(request: Request) -> Response:
    """The assessment report (`monitor report --monitoring`) of the account's clusters, ?region= one region's page
    (its regions only: another is empty), ?year= the year assessed; static SVG charts, no script at all."""
    from monitor.views.assessment import assemble, render

    signed = page_user(request)
    app = monitor_app(request)
    selection = _selection(request, signed)
    year_text = request.query_params.get("year") or ""
    year = int(year_text) if year_text.isdigit() and 1990 <= int(year_text) <= 2199 else selection.as_of.year - 1
    settings = app.settings
    built = assemble(evaluated(app, selection), year, settings.language)
    page = render(built, app.vocabulary, selection.as_of, clock.now_utc(), settings.language, settings.timezone,
                  settings.department, {p.id: p.title for p in app.packs.values()},
                  link=f"/monitoring?{urlencode({'year': year, 'as_of': selection.as_of.isoformat()})}&region=")
    policy = (f"default-src 'none'; script-src 'none'; style-src {_hashes('style', page)}; img-src data:; "
              "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return HTMLResponse(page, headers={"content-security-policy": policy})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_download(write: Callable[[Path], object], filename: str) -> Response:
    """A workbook that ``write`` makes (in a private temporary folder), answered as an attachment named
    ``filename``: the export, the back-fill sheet and the templates."""
    with tempfile.TemporaryDirectory(prefix="monitor-workbook-") as directory:
        path = Path(directory) / "workbook.xlsx"
        write(path)
        data = path.read_bytes()
    return Response(data, media_type=XLSX, headers={"content-disposition": f'attachment; filename="{filename}"'})


@router.get("/export.xlsx")
def export(request: Request) -> Response:
    from monitor.views.xlsx import export_workbook

    signed = page_user(request)
    app = monitor_app(request)
    selection = _selection(request, signed)
    return workbook_download(lambda path: export_workbook(path, evaluated(app, selection), app.settings.language,
                                                         kept_columns(app, selection),
                                                         {p.id: p.title for p in app.packs.values()}),
                             f"monitor-{selection.as_of}.xlsx")


@router.get("/backfill.xlsx")
def backfill(request: Request) -> Response:
    """`monitor template --backfill` for the account's clusters (and the overview's region and regime)."""
    from monitor.views.backfill import write_backfill

    signed = page_user(request)
    app = monitor_app(request)
    selection = _selection(request, signed)
    return workbook_download(lambda path: write_backfill(path, evaluated(app, selection), app.settings.language),
                             f"backfill-{selection.as_of}.xlsx")


# --- the account: calendar subscription (the users: users_pages.py; the daemon: daemon_pages.py) ----------------

@router.get("/account", response_class=HTMLResponse)
def account(request: Request) -> Response:
    return _page(request, "account.html", page_user(request), calendar_url=None)


@router.post("/account/calendar", response_class=HTMLResponse)
async def account_calendar(request: Request) -> Response:
    """A new subscription address (the old ones stop), or none."""
    signed, form = page_user(request), posted(request)
    app = monitor_app(request)
    name, now = signed.account.name, clock.now_utc()

    def renew(session: Session) -> str | None:
        revoke_tokens(session, name, now, "calendar")
        return issue_token(session, name, now, "calendar") if form.get("action") == "new" else None

    secret = in_transaction(app.sessions, renew)
    url = str(request.url_for("calendar_feed", token=secret)) if secret else None
    return _page(request, "account.html", signed, calendar_url=url)


@router.get("/calendar/{token}.ics", name="calendar_feed")
def calendar_feed(request: Request, token: str) -> Response:
    """The subscribed account's due dates (its regions only); 404 for a token not in force."""
    import io

    from monitor.actions.accounts import token_account
    from monitor.views.ics import write_calendar

    app = monitor_app(request)
    found = in_transaction(app.sessions, lambda s: token_account(s, token, "calendar", app.today()))
    if found is None:
        raise HTTPException(404, "not_found")
    out = io.BytesIO()
    selection = Selection.for_account(app, found)
    write_calendar(out, evaluated(app, selection), clock.now_utc(), app.settings, None,
                   {p.id: p.title for p in app.packs.values()}, holds(app, selection))
    return Response(out.getvalue(), media_type="text/calendar; charset=utf-8")
