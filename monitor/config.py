"""config.toml, parsed once into frozen values. Every error names the file and the key.

Lookup: ``--config PATH``, else ``./config.toml``, else the packaged default. ``MONITOR_DATABASE_URL``
overrides the database URL; the default is an SQLite file ``monitor.db`` beside the config file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.errors import ConfigError

DEFAULT_LEAD_DAYS = (60, 30, 14, 7, 3, 1, 0)
SECURITY_MODES = ("starttls", "tls", "none")
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def is_email(text: str) -> bool:
    return _EMAIL.match(text) is not None


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str | None = None
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password_env: str = "MONITOR_SMTP_PASSWORD"
    password_file: Path | None = None
    ca_file: Path | None = None
    sender: str = "monitor@localhost"
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 2.0
    concurrency: int = 4
    batch_size: int = 50

    def password(self) -> str | None:
        if self.password_file is not None:
            try:
                return self.password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"smtp.password_file: cannot read {str(self.password_file)!r}: {exc}") from None
        return os.environ.get(self.password_env)


@dataclass(frozen=True, slots=True)
class Settings:
    source: str
    database_url: str
    timezone: str = "Asia/Shanghai"
    language: str = "zh"
    packs_dir: Path | None = None
    pack_overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    administrators: tuple[str, ...] = ()
    extra_holidays: tuple[dt.date, ...] = ()
    extra_workdays: tuple[dt.date, ...] = ()
    lead_days: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    overdue_every_days: int = 7
    digest_times: tuple[str, ...] = ("08:30",)
    digest_working_days_only: bool = True
    scan_every_minutes: int = 60
    misfire_grace_seconds: int = 3600
    claim_lease_seconds: int = 900
    calendar_path: Path | None = None
    smtp: SmtpSettings = field(default_factory=SmtpSettings)

    def lead_days_for(self, kind: str) -> tuple[int, ...]:
        return self.lead_days.get(kind, self.lead_days.get("default", DEFAULT_LEAD_DAYS))


def _default_config_text() -> str:
    return resources.files("monitor").joinpath("default_config.toml").read_text(encoding="utf-8")


def find_config(path: Path | None) -> tuple[Path | None, str]:
    """The config file to use and its text; ``None`` as the path means the packaged default."""
    if path is not None:
        try:
            return path, path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    local = Path("config.toml")
    if local.is_file():
        return local, local.read_text(encoding="utf-8")
    return None, _default_config_text()


class _Table:
    def __init__(self, source: str, data: Mapping[str, Any], prefix: str) -> None:
        self.source, self.data, self.prefix = source, data, prefix

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: {self.prefix}{key}: {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        value = self.data.get(key, default)
        if value is not default and not isinstance(value, kind):
            raise self.fail(key, f"{value!r} has the wrong type")
        return value

    def dates(self, key: str) -> tuple[dt.date, ...]:
        values = self.get(key, list, [])
        for value in values:
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                raise self.fail(key, f"{value!r} is not a date (write 2027-01-01 without quotes)")
        return tuple(values)

    def check_keys(self, known: set[str]) -> None:
        unknown = sorted(set(self.data) - known)
        if unknown:
            raise self.fail(unknown[0], "unknown key")


def _lease(daemon: _Table, smtp: SmtpSettings) -> int:
    """A claimed message is taken over by another daemon after this long: it must outlast one send's tries."""
    lease: int = daemon.get("claim_lease_seconds", int, 900)
    needed = smtp.timeout * (smtp.retries + 1) + smtp.backoff * (2 ** smtp.retries)
    if lease < 1 or (lease < needed and smtp.host is not None):
        raise daemon.fail("claim_lease_seconds", f"{lease!r} must be at least 1 and outlast one message's "
                                                 f"tries ({needed:.0f} s with these smtp settings)")
    return lease


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    config_path, text = find_config(path)
    source = str(config_path) if config_path else "the packaged default config"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    base = config_path.resolve().parent if config_path else Path.cwd()
    root = _Table(source, data, "")
    root.check_keys({"database", "general", "calendar", "reminders", "digest", "daemon", "smtp", "pack_overrides"})
    tables = {name: _Table(source, root.get(name, dict, {}), f"{name}.")
                 for name in ("database", "general", "calendar", "reminders", "digest", "daemon", "smtp")}

    db = tables["database"]
    db.check_keys({"url"})
    url = environ.get("MONITOR_DATABASE_URL") or db.get("url", str, "") or f"sqlite:///{base / 'monitor.db'}"

    general = tables["general"]
    general.check_keys({"timezone", "language", "packs_dir", "administrators"})
    timezone = general.get("timezone", str, "Asia/Shanghai")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise general.fail("timezone", f"{timezone!r} is not a time zone") from None
    language = general.get("language", str, "zh")
    if language not in ("zh", "en"):
        raise general.fail("language", f"{language!r} is not zh or en")
    packs_dir = general.get("packs_dir", str, "")
    administrators = tuple(general.get("administrators", list, []))
    for address in administrators:
        if not isinstance(address, str) or not is_email(address):
            raise general.fail("administrators", f"{address!r} is not an e-mail address")

    calendar = tables["calendar"]
    calendar.check_keys({"holidays", "workdays"})

    reminders = tables["reminders"]
    reminders.check_keys({"lead_days", "overdue_every_days"})
    lead = reminders.get("lead_days", dict, {})
    lead_days: dict[str, tuple[int, ...]] = {}
    for kind, days in lead.items():
        if not isinstance(days, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                                 for d in days):
            raise reminders.fail(f"lead_days.{kind}", f"{days!r} is not a list of whole days >= 0")
        lead_days[kind] = tuple(sorted(set(days), reverse=True))
    overdue_every = reminders.get("overdue_every_days", int, 7)
    if overdue_every < 1:
        raise reminders.fail("overdue_every_days", f"{overdue_every!r} must be at least 1")

    digest = tables["digest"]
    digest.check_keys({"times", "working_days_only"})
    times = tuple(digest.get("times", list, ["08:30"]))
    for t in times:
        if not isinstance(t, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", t):
            raise digest.fail("times", f"{t!r} is not HH:MM")

    daemon = tables["daemon"]
    daemon.check_keys({"scan_every_minutes", "misfire_grace_seconds", "claim_lease_seconds", "calendar_path"})
    calendar_path = daemon.get("calendar_path", str, "")

    smtp = tables["smtp"]
    smtp.check_keys({"host", "port", "security", "username", "password_env", "password_file", "sender",
                     "timeout", "retries", "backoff", "concurrency", "batch_size", "password", "ca_file"})
    if "password" in smtp.data:
        raise smtp.fail("password", "never put the password in config.toml: set password_env or password_file")
    security = smtp.get("security", str, "starttls")
    if security not in SECURITY_MODES:
        raise smtp.fail("security", f"{security!r} is not one of {', '.join(SECURITY_MODES)}")
    sender = smtp.get("sender", str, "monitor@localhost")
    password_file = smtp.get("password_file", str, "")
    ca_file = smtp.get("ca_file", str, "")
    smtp_settings = SmtpSettings(
        host=smtp.get("host", str, "") or None,
        port=smtp.get("port", int, 465 if security == "tls" else 587),
        security=security,
        username=smtp.get("username", str, "") or None,
        password_env=smtp.get("password_env", str, "MONITOR_SMTP_PASSWORD"),
        password_file=(base / password_file) if password_file else None,
        ca_file=(base / ca_file) if ca_file else None,
        sender=sender,
        timeout=float(smtp.get("timeout", (int, float), 30.0)),
        retries=smtp.get("retries", int, 3),
        backoff=float(smtp.get("backoff", (int, float), 2.0)),
        concurrency=smtp.get("concurrency", int, 4),
        batch_size=smtp.get("batch_size", int, 50),
    )

    return Settings(
        source=source,
        database_url=url,
        timezone=timezone,
        language=language,
        packs_dir=(base / packs_dir) if packs_dir else None,
        pack_overrides=root.get("pack_overrides", dict, {}),
        administrators=administrators,
        extra_holidays=calendar.dates("holidays"),
        extra_workdays=calendar.dates("workdays"),
        lead_days=lead_days,
        overdue_every_days=overdue_every,
        digest_times=times,
        digest_working_days_only=digest.get("working_days_only", bool, True),
        scan_every_minutes=daemon.get("scan_every_minutes", int, 60),
        misfire_grace_seconds=daemon.get("misfire_grace_seconds", int, 3600),
        claim_lease_seconds=_lease(daemon, smtp_settings),
        calendar_path=(base / calendar_path) if calendar_path else None,
        smtp=smtp_settings,
    )

