"""config.toml, declared once (msgspec) and parsed once into frozen values. Every error names the file and the key.

Lookup: ``--config PATH``, else ``./config.toml``, else the packaged default. ``MONITOR_DATABASE_URL``
overrides the database URL; the default is an SQLite file ``monitor.db`` beside the config file. Relative
paths (packs_dir, indicators_dir, calendar_path, password_file, ca_file) resolve against the config file's folder.
``config_json_schema()`` gives the declaration as a JSON Schema.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec import Meta, Struct

from monitor import schema
from monitor.errors import ConfigError, Said, os_reason
from monitor.schema import Check

DEFAULT_LEAD_DAYS = (60, 30, 14, 7, 3, 1, 0)
SECURITY_MODES = ("starttls", "tls", "none")
_EMAIL = re.compile(r"^[!#-'*+\-/-9=?A-Z^-~]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")   # printable ASCII, no quoting

# Every number has an upper bound too: a value at the 64-bit edge (or 1e309, infinity) is refused naming its key,
# instead of overflowing what is computed from it (smtp.retries = 1000000 made 2 ** retries)
Positive = Annotated[int, Meta(ge=1, le=1_000_000)]
Seconds = Annotated[float, Meta(gt=0, le=3600)]
Port = Annotated[int, Meta(ge=1, le=65535)]
Days = Annotated[int, Meta(ge=1, le=366)]
LeadDay = Annotated[int, Meta(ge=0, le=3660)]
HourMinute = Annotated[str, Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="a local time, HH:MM",
                                 extra={"form": "a time of day, HH:MM"})]


def is_email(text: str) -> bool:
    return _EMAIL.match(text) is not None


class _Section(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A table of config.toml: unknown keys are refused."""


class DatabaseSection(_Section, frozen=True, kw_only=True):
    url: str = ""


class GeneralSection(_Section, frozen=True, kw_only=True):
    timezone: str = "Asia/Shanghai"
    language: Literal["zh", "en"] = "zh"
    department: str = ""                    # the department's name, as digests and reports title it
    packs_dir: str = ""
    indicators_dir: str = ""                # a province's own indicators (*.toml), besides the bundled ones
    administrators: tuple[str, ...] = ()
    monitoring_from: dt.date | None = None  # the baseline (监测起始日); wins over the one `import --from` stored

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise Check("timezone", Said("{value} is not a time zone", value=schema.show(self.timezone))) from None
        for address in self.administrators:
            if not is_email(address):
                raise Check("administrators", Said("{value} is not an e-mail address", value=schema.show(address)))


class CalendarSection(_Section, frozen=True, kw_only=True):
    holidays: tuple[dt.date, ...] = ()
    workdays: tuple[dt.date, ...] = ()


class RemindersSection(_Section, frozen=True, kw_only=True):
    overdue_every_days: Days = 7
    lead_days: dict[str, tuple[LeadDay, ...]] = {}


class DigestSection(_Section, frozen=True, kw_only=True):
    times: tuple[HourMinute, ...] = ("08:30",)
    working_days_only: bool = True
    contact: str = ""                       # who to call or write to, in every digest's footer
    # who is mailed besides general.administrators (always): opt-in, "bureau" and "operator" enabled explicitly
    roles: tuple[Literal["administrator", "bureau", "operator"], ...] = ("administrator",)
    # a role mailed in these regions only (e.g. operator = ["包头市"]); a role not named here: every region
    regions: dict[Literal["bureau", "operator"], tuple[str, ...]] = {}
    # a round whose recipient set has at least this share more addresses than the last one sent is held
    grown_share: Annotated[float, Meta(gt=0, le=100)] = 0.2


_IDENTITY_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_HEADER = re.compile(r"^[A-Za-z0-9-]{1,64}$")
#: the keys of a web.identity entry that its types need (each type needs its secret too, but oidc: a public client)
_IDENTITY_NEEDS: dict[str, tuple[str, ...]] = {
    "issuer": ("oidc",), "client_id": ("oidc", "dingtalk"), "corp_id": ("wecom", "dingtalk"), "agent_id": ("wecom",),
    "user_header": ("header",), "secret_header": ("header",)}


class IdentitySettings(_Section, frozen=True, kw_only=True):
    """A way to sign in to the console besides a password ([[web.identity]]): an OpenID Connect provider, 企业微信
    or 钉钉 web sign-in (扫码登录), or a gateway that has signed the person in already and names them in a header.
    Whoever signs in this way is an identity (issuer, subject) that an administrator maps to an account
    (monitor.actions.identities). Its secret comes from a file or the environment, never from config.toml."""
    name: str                               # in the console's addresses: /login/with/NAME
    type: Literal["oidc", "wecom", "dingtalk", "header"]
    label: str = ""                         # the sign-in page's button (default: the name)
    issuer: str = ""                        # oidc: the issuer URL; discovery is ISSUER/.well-known/openid-configuration
    client_id: str = ""                     # oidc: the client's id; dingtalk: the app's AppKey (Client ID)
    scopes: tuple[str, ...] = ("openid", "email", "profile")     # oidc
    corp_id: str = ""                       # wecom, dingtalk: the organisation (identities are wecom:CORPID:userid)
    agent_id: str = ""                      # wecom: the self-built app's AgentId
    secret_env: str = ""                    # oidc: the client secret (none: a public client); wecom: the app's
    secret_file: str = ""                   # Secret; dingtalk: the AppSecret; header: the gateway's shared secret
    login_url: str = ""                     # wecom, dingtalk: where the browser signs in (default: the service's)
    api_url: str = ""                       # wecom, dingtalk: the service's API (default: the service's)
    user_header: str = ""                   # header: the header naming the person
    secret_header: str = ""                 # header: the header carrying the shared secret
    timeout: Seconds = 10.0

    def __post_init__(self) -> None:
        if not _IDENTITY_NAME.match(self.name):
            raise Check("web.identity.name", Said("{value} must be lower-case letters, digits, '-' or '_' (at most 32)",
                                                  value=schema.show(self.name)), root=True)
        where = f"web.identity.{self.name}"
        if self.secret_env and self.secret_file:
            raise Check(f"{where}.secret_env", Said("give one of secret_env and secret_file, not both"), root=True)
        for key, types in _IDENTITY_NEEDS.items():
            if self.type in types and not getattr(self, key):
                raise Check(f"{where}.{key}", Said("a {type} identity needs it", type=self.type), root=True)
        if self.type != "oidc" and not (self.secret_env or self.secret_file):
            raise Check(f"{where}.secret_env", Said("a {type} identity needs its secret: set secret_env or secret_file",
                                                    type=self.type), root=True)
        for key in ("issuer", "login_url", "api_url"):
            value = getattr(self, key)
            if value and not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
                raise Check(f"{where}.{key}", Said("{value} is not an http(s) address", value=schema.show(value)),
                            root=True)
        for key in ("user_header", "secret_header"):
            value = getattr(self, key)
            if value and not _HEADER.match(value):
                raise Check(f"{where}.{key}", Said("{value} is not a header name", value=schema.show(value)), root=True)

    @property
    def issuer_id(self) -> str:
        """Who vouches for the identities of this way in: the OIDC issuer's URL, ``wecom:CORPID``,
        ``dingtalk:CORPID``, or ``header:NAME``."""
        if self.type == "oidc":
            return self.issuer
        return f"header:{self.name}" if self.type == "header" else f"{self.type}:{self.corp_id}"

    def secret(self, environ: Mapping[str, str] | None = None) -> str | None:
        return secret(f"web.identity.{self.name}.secret", self.secret_env, self.secret_file, environ) or None


class WebSection(_Section, frozen=True, kw_only=True):
    base_url: str = ""                      # the console's public address: digests link each cluster to it
    # the proxies whose X-Forwarded-For (the client's address, as sign-ins are throttled by it) and
    # X-Forwarded-Proto are believed: addresses or networks; from any other peer the headers are ignored
    trusted_proxies: tuple[str, ...] = ("127.0.0.1",)
    # false: the sign-in page takes no password (an identity below only); an administrator still signs in with
    # a password and a one-time unlock code from `monitor user unlock NAME` (the break-glass)
    passwords: bool = True
    identity: tuple[IdentitySettings, ...] = ()

    def __post_init__(self) -> None:
        names = [way.name for way in self.identity]
        for name in names:
            if names.count(name) > 1:
                raise Check("identity", Said("two are named {value}", value=schema.show(name)))
        if sum(way.type == "header" for way in self.identity) > 1:
            raise Check("identity", Said("at most one of type 'header'"))
        if self.base_url and not re.match(r"^https?://[^\s/]+(/\S*)?$", self.base_url):
            raise Check("base_url", Said("{value} is not an http(s) address", value=schema.show(self.base_url)))
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise Check("trusted_proxies", Said("{value} is not an IP address or network",
                                                  value=schema.show(proxy))) from None


class MonitoringSection(_Section, frozen=True, kw_only=True):
    """Annual monitoring (docs/rules.md, "Annual monitoring")."""
    # how far (percent of the straight line's value) a plan target's indicator may fall behind before
    # plan_target_behind; 0 warns at any shortfall
    plan_target_margin: Annotated[float, Meta(ge=0, le=100)] = 10.0


class DaemonSection(_Section, frozen=True, kw_only=True):
    scan_every_minutes: Annotated[int, Meta(ge=1, le=10080)] = 60          # at most a week
    misfire_grace_seconds: Annotated[int, Meta(ge=1, le=604800)] = 3600
    claim_lease_seconds: Annotated[int, Meta(ge=1, le=86400)] = 900
    calendar_path: str = ""


class SmtpSettings(_Section, frozen=True, kw_only=True):
    host: str | None = None                 # empty or unset: digests can be previewed but not sent
    port: Port | None = None                # default 465 for security = "tls", else 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password_env: str = "MONITOR_SMTP_PASSWORD"
    password_file: str | None = None
    ca_file: str | None = None
    sender: str = "monitor@localhost"
    sender_name: str = "产业集群动态管理"     # the From header's display name
    reply_to: str = ""                      # where replies go (a bureau's desk, say); empty: none set
    timeout: Seconds = 30.0
    retries: Annotated[int, Meta(ge=0, le=10)] = 3
    backoff: Annotated[float, Meta(ge=0, le=3600)] = 2.0
    concurrency: Annotated[int, Meta(ge=1, le=64)] = 4
    batch_size: Annotated[int, Meta(ge=1, le=10000)] = 50
    breaker_after: Annotated[int, Meta(ge=1, le=1000)] = 5             # failed attempts in a row (any message) before a round stops trying
    round_deadline_seconds: Annotated[int, Meta(ge=1, le=86400)] = 900  # what a round has not handed over by then waits for the next tick

    def __post_init__(self) -> None:
        if self.reply_to and not is_email(self.reply_to):
            raise Check("reply_to", Said("{value} is not an e-mail address", value=schema.show(self.reply_to)))
        if any(ord(c) < 32 for c in self.sender_name):
            raise Check("sender_name", Said("holds a control character"))

    def password(self) -> str | None:
        return secret("smtp.password", self.password_env, self.password_file)


def secret(key: str, env: str | None, file: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """A credential, from a file (``*_file``) or an environment variable (``*_env``), never from config.toml."""
    if file:
        try:
            return Path(file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError("{key}_file: cannot read '{file}': {reason}", key=key, file=file,
                              reason=os_reason(exc)) from None
    return (os.environ if environ is None else environ).get(env) if env else None


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


class ChannelSettings(_Section, frozen=True, kw_only=True):
    """A group chat robot or webhook that digests are posted to; its address and secret come from outside."""
    name: str
    # each kind is a class of its own, notifications/channels/<type>.py (body, signature, answers, limits); this
    # is what config.toml accepts, as config cannot import those (it is the layer below): a new kind's file adds
    # its name here, and tests/test_channel_kinds.py fails unless the two agree
    type: Literal["wecom", "dingtalk", "feishu", "webhook", "wecom_app", "dingtalk_work", "feishu_app"]
    url_env: str = ""
    url_file: str = ""
    secret_env: str = ""
    secret_file: str = ""
    roles: tuple[Literal["administrator", "bureau", "operator"], ...] = ("administrator",)
    regions: tuple[str, ...] = ()           # empty: every region
    regimes: tuple[str, ...] = ()           # empty: every regime
    timeout: Seconds = 10.0
    per_minute: Positive | None = None      # default: the service's own limit (its class's per_minute)
    max_bytes: Annotated[int, Meta(ge=1, le=10 * 1024 * 1024)] | None = None   # default: the service's own limit (its class's max_bytes)
    # an app that writes to each person (README, "Messages to a person"): its id (the 企业微信 corpid, the 钉钉
    # AppKey, the 飞书 App ID), its agent (企业微信 agentid, 钉钉 agent_id); its secret from secret_env/secret_file,
    # and url_env/url_file, if given, the service's address (default: its public one)
    app_id: Annotated[str, Meta(max_length=128)] = ""
    agent_id: Annotated[int, Meta(ge=1, le=2**53)] | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise Check("name", Said("{value} must be letters, digits, '-', '_' or '.' (at most 63)",
                                      value=schema.show(self.name)))
        if self.app_id:
            if self.url_env and self.url_file:
                raise Check("url_env", Said("give at most one of url_env and url_file (the app's address)"))
            if not (self.secret_env or self.secret_file):
                raise Check("secret_env", Said("an app (app_id) needs its secret: set secret_env or secret_file"))
        elif bool(self.url_env) == bool(self.url_file):
            raise Check("url_env", Said("give exactly one of url_env and url_file (the robot's address is a secret)"))

    @property
    def recipient(self) -> str:
        """How the ledger names this channel as a recipient."""
        return f"channel:{self.name}"

    def url(self, environ: Mapping[str, str] | None = None, default: str = "") -> str:
        if default and not (self.url_env or self.url_file):
            return default
        found = secret(f"channels.{self.name}.url", self.url_env, self.url_file, environ)
        if not found:
            if self.url_env:
                raise ConfigError("channels.{name}: no address: set the environment variable {env}", name=self.name,
                                  env=self.url_env)
            raise ConfigError("channels.{name}: url_file '{file}' is empty", name=self.name, file=self.url_file)
        if not re.match(r"^https?://\S+$", found):
            raise ConfigError("channels.{name}: the address from {source} is not an http(s) URL", name=self.name,
                              source=self.url_env or self.url_file)
        return found

    def signing_secret(self, environ: Mapping[str, str] | None = None) -> str | None:
        return secret(f"channels.{self.name}.secret", self.secret_env, self.secret_file, environ) or None


_ACCOUNT_NAME = re.compile(r"^account:\S{1,64}$")


class EscalationStep(_Section, frozen=True, kw_only=True):
    """One step of an escalation chain: ``after_days`` after the warning's first day, to ``to``."""
    after_days: Annotated[int, Meta(ge=0, le=366)]
    to: str                                 # bureau | administrators | account:NAME

    def __post_init__(self) -> None:
        if self.to not in ("bureau", "administrators") and not _ACCOUNT_NAME.match(self.to):
            raise Check("to", Said("{value} must be bureau, administrators or account:NAME", value=schema.show(self.to)))


class EscalationSettings(_Section, frozen=True, kw_only=True):
    """A chain of steps for a warning nobody acknowledged (docs/rules.md, "Escalation")."""
    regimes: tuple[str, ...] = ()           # empty: every regime
    severities: tuple[Literal["revocation", "risk", "notice"], ...] = ("revocation",)
    steps: Annotated[tuple[EscalationStep, ...], Meta(min_length=1, max_length=10)]

    def __post_init__(self) -> None:
        if not self.severities:
            raise Check("severities", Said("name at least one severity (revocation, risk, notice)"))
        days = [step.after_days for step in self.steps]
        if days != sorted(set(days)):
            raise Check("steps", Said("after_days must grow from step to step ({days})", days=", ".join(map(str, days))))


class ConfigFile(_Section, frozen=True, kw_only=True):
    """What config.toml holds (every key optional)."""
    database: DatabaseSection = DatabaseSection()
    general: GeneralSection = GeneralSection()
    calendar: CalendarSection = CalendarSection()
    reminders: RemindersSection = RemindersSection()
    digest: DigestSection = DigestSection()
    daemon: DaemonSection = DaemonSection()
    smtp: SmtpSettings = SmtpSettings()
    web: WebSection = WebSection()
    monitoring: MonitoringSection = MonitoringSection()
    channels: tuple[ChannelSettings, ...] = ()
    escalation: tuple[EscalationSettings, ...] = ()     # none: no warning is escalated
    pack_overrides: dict[str, dict[str, Any]] = {}

    def __post_init__(self) -> None:
        names = [channel.name for channel in self.channels]
        for name in names:
            if names.count(name) > 1:
                raise Check("channels", Said("two channels are named {value}", value=schema.show(name)))


@dataclass(frozen=True, slots=True)
class Settings:
    """The config as the program uses it: the file's values, with paths resolved and the environment applied."""
    source: str
    database_url: str
    file: ConfigFile
    smtp: SmtpSettings
    packs_dir: Path | None
    calendar_path: Path | None
    channels: tuple[ChannelSettings, ...] = ()
    indicators_dir: Path | None = None
    identities: tuple[IdentitySettings, ...] = ()     # web.identity, secret files resolved

    @property
    def passwords(self) -> bool:
        """web.passwords: whether the sign-in page takes a password (without an unlock code)."""
        return self.file.web.passwords

    def identity(self, name: str) -> IdentitySettings | None:
        return next((way for way in self.identities if way.name == name), None)

    @property
    def timezone(self) -> str:
        return self.file.general.timezone

    @property
    def language(self) -> str:
        return self.file.general.language

    @property
    def administrators(self) -> tuple[str, ...]:
        return self.file.general.administrators

    @property
    def department(self) -> str:
        return self.file.general.department

    @property
    def monitoring_from(self) -> dt.date | None:
        return self.file.general.monitoring_from

    @property
    def base_url(self) -> str:
        """The web console's public address without a trailing slash; empty when not set."""
        return self.file.web.base_url.rstrip("/")

    @property
    def trusted_proxies(self) -> tuple[str, ...]:
        """The proxies whose forwarded client address the console believes (web.trusted_proxies)."""
        return self.file.web.trusted_proxies

    @property
    def plan_target_margin(self) -> float:
        """monitoring.plan_target_margin: the percent a plan target's indicator may fall behind its line."""
        return self.file.monitoring.plan_target_margin

    @property
    def digest_contact(self) -> str:
        return self.file.digest.contact

    @property
    def pack_overrides(self) -> Mapping[str, Mapping[str, Any]]:
        return self.file.pack_overrides

    @property
    def extra_holidays(self) -> tuple[dt.date, ...]:
        return self.file.calendar.holidays

    @property
    def extra_workdays(self) -> tuple[dt.date, ...]:
        return self.file.calendar.workdays

    @property
    def overdue_every_days(self) -> int:
        return self.file.reminders.overdue_every_days

    @property
    def escalation(self) -> tuple[EscalationSettings, ...]:
        """The escalation chains ([[escalation]]), the first that matches a warning taking it; none by default."""
        return self.file.escalation

    @property
    def digest_times(self) -> tuple[str, ...]:
        return self.file.digest.times

    @property
    def digest_roles(self) -> tuple[str, ...]:
        """The roles mailed besides the administrators ([digest] roles)."""
        return self.file.digest.roles

    @property
    def digest_regions(self) -> Mapping[str, tuple[str, ...]]:
        """The regions a role is mailed in, for the roles limited to some ([digest] regions)."""
        return {str(role): regions for role, regions in self.file.digest.regions.items()}

    @property
    def digest_working_days_only(self) -> bool:
        return self.file.digest.working_days_only

    @property
    def scan_every_minutes(self) -> int:
        return self.file.daemon.scan_every_minutes

    @property
    def misfire_grace_seconds(self) -> int:
        return self.file.daemon.misfire_grace_seconds

    @property
    def claim_lease_seconds(self) -> int:
        return self.file.daemon.claim_lease_seconds

    def check_channels(self) -> None:
        """Every channel's address and secret can be read (the daemon checks at start, naming what is missing)."""
        for channel in self.channels:
            if not channel.app_id or channel.url_env or channel.url_file:
                channel.url()
            if channel.signing_secret() is None and channel.app_id:
                raise ConfigError("channels.{name}: no secret: set the environment variable {env}", name=channel.name,
                                  env=channel.secret_env or channel.secret_file)

    def lead_days_for(self, kind: str) -> tuple[int, ...]:
        """Days before the due day at which an obligation of this kind is reminded, most distant first."""
        lead = self.file.reminders.lead_days
        return tuple(sorted(set(lead.get(kind, lead.get("default", DEFAULT_LEAD_DAYS))), reverse=True))


def _default_config_text() -> str:
    return resources.files("monitor").joinpath("default_config.toml").read_text(encoding="utf-8")


#: how messages name the packaged default config (words.toml has its Chinese)
DEFAULT_SOURCE = "the packaged default config"


_SECRET_IN_CONFIG = ("{source}: channels[{number}].{key}: never put the signing secret in config.toml: set "
                     "secret_env or secret_file")
_ADDRESS_IN_CONFIG = ("{source}: channels[{number}].{key}: never put the robot's address (it holds its key) in "
                      "config.toml: set url_env or url_file")


#: how the apps' documentation names their secrets: never a key of config.toml either
_APP_SECRETS = ("app_secret", "appsecret", "corpsecret", "client_secret")


def find_config(path: Path | None) -> tuple[Path | None, str]:
    """The config file to use and its text; ``None`` as the path means the packaged default."""
    local = Path("config.toml")
    if path is None and local.exists():
        if not local.is_file():             # a directory is never skipped for the packaged default
            raise ConfigError("{path}: is a directory, not a config file", path=local.resolve())
        path = local
    if path is None:
        return None, _default_config_text()
    try:
        return path, path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("{path}: cannot read the config file: {reason}", path=path, reason=os_reason(exc)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError("{path}: cannot read the config file: not UTF-8 text (byte {position})", path=path,
                          position=exc.start) from None



def _lease(source: str, file: ConfigFile) -> None:
    """A claimed message is taken over by another daemon after this long: it must outlast one send's tries."""
    smtp, lease = file.smtp, file.daemon.claim_lease_seconds
    needed = smtp.timeout * (smtp.retries + 1) + smtp.backoff * (2 ** smtp.retries)
    if lease < needed and smtp.host:
        raise ConfigError("{source}: daemon.claim_lease_seconds: {lease} must be at least 1 and outlast one message's "
                          "tries ({needed:.0f} s with these smtp settings)", source=source, lease=lease, needed=needed)


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    config_path, text = find_config(path)
    source = str(config_path) if config_path else DEFAULT_SOURCE
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("{source}: not valid TOML: {exc}", source=source, exc=schema.toml_problem(exc)) from None
    except RecursionError:      # tomllib parses nested arrays and tables by recursion
        raise ConfigError("{source}: not valid TOML: {exc}", source=source, exc=Said("nested too deep")) from None
    if "password" in data.get("smtp", {}):
        raise ConfigError("{source}: smtp.password: never put the password in config.toml: set password_env or "
                          "password_file", source=source)
    web: dict[str, Any] = data["web"] if isinstance(data.get("web"), dict) else {}
    for number, way in enumerate(web.get("identity", []) if isinstance(web.get("identity"), list) else []):
        for key in ("secret", "client_secret", "app_secret", "corp_secret"):
            if isinstance(way, dict) and key in way:
                raise ConfigError("{source}: web.identity[{number}].{key}: never put a secret in config.toml: set "
                                  "secret_env or secret_file", source=source, number=number, key=key)
    for number, channel in enumerate(data.get("channels", []) if isinstance(data.get("channels"), list) else []):
        for key in ("url", "secret", "webhook", "key", "access_token", "token", *_APP_SECRETS):
            if isinstance(channel, dict) and key in channel:
                raise ConfigError(_SECRET_IN_CONFIG if key == "secret" or key in _APP_SECRETS else _ADDRESS_IN_CONFIG,
                                  source=source, number=number, key=key)
    try:
        file = schema.convert(data, ConfigFile, source, keys="config")
    except schema.SchemaError as exc:
        raise ConfigError(exc.said) from None
    except ValueError as exc:
        raise ConfigError("{problem}", problem=str(exc)) from None
    except RecursionError:
        raise ConfigError("{source}: not valid TOML: {exc}", source=source, exc=Said("nested too deep")) from None
    _lease(source, file)
    base = config_path.resolve().parent if config_path else Path.cwd()
    url = environ.get("MONITOR_DATABASE_URL") or file.database.url or f"sqlite:///{base / 'monitor.db'}"
    smtp = file.smtp
    smtp = msgspec.structs.replace(
        smtp, host=smtp.host or None, username=smtp.username or None,
        port=smtp.port or (465 if smtp.security == "tls" else 587),
        password_file=str(base / smtp.password_file) if smtp.password_file else None,
        ca_file=str(base / smtp.ca_file) if smtp.ca_file else None)
    channels = tuple(msgspec.structs.replace(
        channel, url_file=str(base / channel.url_file) if channel.url_file else "",
        secret_file=str(base / channel.secret_file) if channel.secret_file else "") for channel in file.channels)
    identities = tuple(msgspec.structs.replace(
        way, secret_file=str(base / way.secret_file) if way.secret_file else "") for way in file.web.identity)
    return Settings(
        identities=identities,
        source=source,
        database_url=url,
        file=file,
        smtp=smtp,
        packs_dir=(base / file.general.packs_dir) if file.general.packs_dir else None,
        calendar_path=(base / file.daemon.calendar_path) if file.daemon.calendar_path else None,
        channels=channels,
        indicators_dir=(base / file.general.indicators_dir) if file.general.indicators_dir else None,
    )


def config_json_schema() -> dict[str, Any]:
    return schema.json_schema(ConfigFile, "monitor config.toml")
