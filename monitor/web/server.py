"""Serving the console under uvicorn: one process with the App given, or several workers that each build their
own from the config file (MONITOR_WEB_CONFIG). Several workers share SQLite well enough for reading (WAL, a
busy timeout); PostgreSQL is the database for many writers. Every log line is masked (monitor.web.access_log): no
secret in a URL reaches the journal."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.app import App

if TYPE_CHECKING:
    from fastapi import FastAPI

CONFIG_VARIABLE = "MONITOR_WEB_CONFIG"


def factory() -> FastAPI:
    """A worker's application (uvicorn --factory)."""
    from monitor.web.asgi import create

    path = os.environ.get(CONFIG_VARIABLE)
    return create(App(Path(path) if path else None))


def run(app: App, host: str, port: int, workers: int) -> None:
    import uvicorn

    from monitor.web.access_log import log_config
    from monitor.web.asgi import create

    proxies = list(app.settings.trusted_proxies)
    # the client's address (sign-ins are limited by it) and scheme are taken from X-Forwarded-For and -Proto only
    # when the peer is one of web.trusted_proxies; from anyone else the headers are ignored
    options = {"host": host, "port": port, "proxy_headers": bool(proxies), "forwarded_allow_ips": proxies,
               "server_header": False, "log_level": "info", "log_config": log_config()}
    if workers == 1:
        uvicorn.run(create(app), **options)  # type: ignore[arg-type]
        return
    if app.config_path is not None:
        os.environ[CONFIG_VARIABLE] = str(app.config_path.resolve())
    uvicorn.run("monitor.web.server:factory", factory=True, workers=workers, **options)  # type: ignore[arg-type]
