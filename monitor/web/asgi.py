"""The ASGI application: the pages, the API, the stylesheet, the security headers, and how errors answer (a page
for a browser, ``{"error": …}`` for the API)."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitor.errors import InputError, MonitorError, UnknownClusterError
from monitor.views import console
from monitor.views.words import words
from monitor.web import (
    api,
    api_indicators,
    channels_pages,
    daemon_pages,
    holds_pages,
    identity_pages,
    indicator_pages,
    pages,
    profile_pages,
    users_pages,
)
from monitor.web.auth import NeedLogin
from monitor.web.security import SecurityHeaders
from monitor.web.wording import say

if TYPE_CHECKING:
    from monitor.app import App


#: every route of the application is in one of these (tests/test_web_contract.py walks them): the API, whose
#: only credential is its bearer token, and the pages, behind the routers' CSRF checks (monitor.web.auth)
ROUTERS = (api.router, api_indicators.router, pages.login_router, pages.router, indicator_pages.router,
           holds_pages.router, daemon_pages.router)
#: the modules whose pages join pages' routers (imported, their routes are added to them)
PAGE_MODULES = (users_pages, channels_pages, profile_pages, identity_pages)


def create(app: App) -> FastAPI:
    """The console for this App. Its settings, packs, calendar and database are loaded here, once, before the
    first request (the worker threads then share them)."""
    app.packs, app.calendar, app.reader, app.sessions  # noqa: B018
    web = FastAPI(title="monitor", version="1", description="The compliance scheduler's API: status, clusters and "
                  "facts, for the clusters the token's account may see.", openapi_url="/api/v1/openapi.json",
                  docs_url=None, redoc_url=None)
    web.state.monitor = app
    for router in ROUTERS:
        web.include_router(router)
    static = resources.files("monitor.views").joinpath("static")
    web.mount("/static", StaticFiles(directory=str(static)), name="static")
    lang = app.settings.language

    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def error_page(status: int, message: str) -> HTMLResponse:
        return HTMLResponse(console.render("error.html", lang, user=None, csrf="", status=status, message=message),
                            status)

    @web.exception_handler(NeedLogin)
    async def need_login(request: Request, _exc: NeedLogin) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(target)}", 303)

    @web.exception_handler(UnknownClusterError)
    async def unknown(request: Request, exc: UnknownClusterError) -> Response:
        if is_api(request):
            return JSONResponse({"error": f"unknown cluster {exc.cluster_id!r}"}, 404)
        return error_page(404, words("console", lang)["not_found"])

    @web.exception_handler(MonitorError)
    async def refused(request: Request, exc: MonitorError) -> Response:
        status = 422 if isinstance(exc, InputError) else 500
        if is_api(request):
            return JSONResponse({"error": str(exc)}, status)
        return error_page(status, say(exc, lang))

    @web.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        message = f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid request"))
        return JSONResponse({"error": message}, 422) if is_api(request) else error_page(422, message)

    @web.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        said = words("console", lang)
        message = said.get(str(exc.detail), str(exc.detail))
        if is_api(request):
            return JSONResponse({"error": message}, exc.status_code, headers=exc.headers)
        return error_page(exc.status_code, message)

    web.add_middleware(SecurityHeaders)
    return web
