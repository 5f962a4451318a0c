"""One language: with ``language = "zh"`` nothing a person reads is English (issue 27, item 2).

Every command's ``--help``, a set of runs and errors of the command line, and every console page (with a form
error) are read in Chinese, and any Latin word outside what may be Latin fails the test.

What may be Latin (``ALLOWED``, one regular expression): identifiers, never prose. Cluster ids (BT-001),
codes and keys (anything with a digit, an underscore or a colon: ``annual_report_overdue:2023``), regime ids
and other hyphenated ids (``miit-sme-2022``), options (``--year``), acronyms and units (PDF, CSV, UTC, Z),
file names, addresses and URLs, a key in brackets beside its word (``年度报告（report）``) or in backticks, and
the program's own name (``monitor``). English prose is none of these.

To extend it (a new page, a new command): add the page's path to ``PAGES`` (or a form and its wrong input to
``FORM_ERRORS``), or the command's arguments to ``RUNS``; ``--help`` of a new command is walked by itself. A new
check of config.toml or of a pack goes in ``CONFIG_ERRORS`` or ``PACK_ERRORS`` (a broken file of each kind of
message: not TOML, a wrong type, a bound, a missing or unknown key, a ``__post_init__`` check), and a new config key
needs its word in words.toml ``[keys.config]``.
"""

from __future__ import annotations

import datetime as dt
import html.parser
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.cli.language import commands
from monitor.rules.history import Entry
from monitor.views.console import timeline
from monitor.views.history_lines import collapsed, said
from tests import web_helpers
from tests.web_helpers import add_user, cli_env, console, csrf_of, run_cli, seeded

#: what may be Latin in a Chinese interface (see the module's doc); the rest of a Latin word is English
ALLOWED = re.compile(r"""
      https?://\S+                                   # addresses
    | [\w.+-]+@[\w-]+(\.[\w-]+)+                     # e-mail addresses
    | [\w./-]*\.(?:csv|xlsx|toml|json|pdf|ics|log|md|db|html|eml){R}   # file names
    | (?<![A-Za-z])/[\w./{}-]+                       # paths
    | `[^`\n]*`                                      # a key or a command, quoted
    | '[^'\n]*'                                      # what a person typed, echoed in quotes
    | [（(][\w:.、-]+[）)]                           # keys in brackets beside their word
    | {L}[\w-]+(?=[（：])                             # a key with its word beside it: pass（通过）, admin：
    | {L}[\w-]+(?=\ ?\([^\x00-\x7f])                  # the same in ASCII brackets: report (年度报告)
    | (?<=默认：)[\w-]+                               # an option's default
    | (?<=：)[\w-]+(?:,\ [\w-]+)+                     # keys listed: 此处可用：name, type, url_env
    | [\w-]+(?:\|[\w-]+)+                           # the choices of an option: [table|json]
    | [\d<=>x]*[<>]=?[\d<=>x]*                       # a range: 0<=x<=65535
    | --?[A-Za-z][\w-]*                              # options
    | {L}[a-z_]+(?:(?:\[\d+\])?(?:\.[\w\[\]]+)+|\[\d+\])        # config keys: general.indicators_dir, channels.x, batches[0]
    | {L}[A-Za-z_]*[\d_:][\w:.-]*                     # codes, keys, ids with a digit, an underscore or a colon
    | {L}[a-z]+(?:-[a-z0-9]+)+{R}                       # hyphenated ids (regimes, commands: import-facts)
    | {L}[A-Z]+s?{R} | {L}Z{R}                       # acronyms, units and placeholders (PDF, UTC, CLUSTER)
    | {L}monitor(?:\ [a-z][a-z-]*)*                    # the program, with a command as typed
    | ^\s+[a-z][a-z-]*(?=\s{2,})                     # a command in the list of commands (help)
    | {L}(?:Excel|Chromium|iCalendar|uvicorn|JSON|zh|en){R}   # names of things, and the languages' codes
""".replace("{L}", r"(?<![A-Za-z])").replace("{R}", r"(?![A-Za-z])"), re.VERBOSE)
LATIN = re.compile(r"[A-Za-z]+")


#: what these tests stored (user names, a cluster name with markup in it): data, not the interface's words
DATA = re.compile(r"(?<![A-Za-z])(?:script|alert|tester|admin|bao)(?![A-Za-z])")


def english(text: str) -> list[str]:
    """The Latin words of ``text`` that may not be Latin, each with its line."""
    found = []
    for line in text.splitlines():
        rest = DATA.sub(" ", ALLOWED.sub(" ", line))
        found.extend(f"{word!r} in: {line.strip()}" for word in LATIN.findall(rest))
    return found


class _Visible(html.parser.HTMLParser):
    """A page's text as a person reads it: its text, titles, placeholders, values of buttons and options."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        shown = dict(attrs)
        for name in ("title", "placeholder", "aria-label", "alt"):
            if shown.get(name):
                self.parts.append(str(shown[name]))
        if tag == "input" and shown.get("type") in ("submit", "button") and shown.get("value"):
            self.parts.append(str(shown["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data)


def visible(page: str) -> str:
    parser = _Visible()
    parser.feed(page)
    return "\n".join(parser.parts)


def test_the_allow_list_takes_ids_and_refuses_prose() -> None:
    assert english("BT-001 包头市 miit-sme-2022 annual_report_overdue:2023 --year 2025 PDF roster.csv") == []
    assert english("年度报告（report） `monitor history` https://example.cn/a") == []
    assert english("fact 10 report year=2025 [superseded by fact 10]")
    assert english("File 'x' 不存在") and english("[required]") and english("错误：no address")


# --- the command line -------------------------------------------------------------------------------------

#: runs of the command line, with what they print (errors included); each is read for English
RUNS: list[tuple[str, ...]] = [
    ("status",),
    ("history", "BT-001"),
    ("history", "BT-001", "--reminders"),
    ("holds",),
    ("regimes",),
    ("indicators",),
    ("record", "indicator", "BT-001", "--year", "2025", "--indicator", "no_such", "--value", "1"),  # unknown code
    ("digest", "--approve"),                              # nothing held
    ("record", "report", "BT-001"),                       # a missing option
    ("record", "report", "NOPE-1", "--year", "2025", "--filed-on", "2026-03-02"),   # an unknown cluster
    ("import", "no-such-file.csv"),                       # a file that does not exist
    ("record", "report", "BT-001", "--year", "soon", "--filed-on", "2026-03-02"),   # a bad value
    ("nonsense",),                                        # no such command
    ("user", "set", "bao", "--wecom-userid", "bao-wx", "--window", "08:30-17:30", "--digest", "day"),
    ("user", "set", "bao", "--window", "9-18"),           # a bad window
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[web_helpers.Site]:
    tmp = tmp_path_factory.mktemp("zh")
    url = f"sqlite:///{tmp / 'monitor.db'}"
    config = seeded(tmp, url, '[general]\nlanguage = "zh"\nadministrators = ["admin@example.gov.cn"]\n')
    run_cli(config, url, "record", "report", "BT-001", "--year", "2025", "--filed-on", "2026-03-02")
    run_cli(config, url, "amend", "1", "--filed-on", "2026-03-03", "--reason", "日期写错")
    run_cli(config, url, "ack", "ORD-001", "annual_report_overdue:2025", "--until", "2026-12-31", "--note", "已催")
    tokens = {"admin": add_user(config, url, "admin", "admin"), "bao": add_user(config, url, "bao", "bureau", "包头市")}
    with console(tmp, url, config) as running:
        yield web_helpers.Site(running, config, url, tokens)


def _run(site: web_helpers.Site, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(site.config), *args], env=cli_env(site.database_url),
                                prog_name="monitor")
    return result.output


def test_every_commands_help_is_chinese(site: web_helpers.Site) -> None:
    found = []
    for path, _command in commands(cli):
        words = [] if path == "monitor" else path.split()
        found.extend(f"monitor {path} --help: {e}" for e in english(_run(site, *words, "--help")))
    assert not found, "\n".join(found)


@pytest.mark.parametrize("args", RUNS, ids=" ".join)
def test_runs_and_errors_of_the_command_line_are_chinese(site: web_helpers.Site, args: tuple[str, ...]) -> None:
    found = english(_run(site, *args))
    assert not found, "\n".join(found)


#: config files with a mistake, and the command that reads them: (config.toml's text, the command)
CONFIG_ERRORS: list[tuple[str, str]] = [
    ('[[channels]]\nname = "x"\ntype = "webhook"\nurl_env = "NO_SUCH_URL_ENV"\n', "run"),
    ('[[channels]]\nname = "x"\nkind = "webhook"\n', "status"),
    ('[general]\nlanguage = "zh"\ntimezone = 8\n', "status"),
    # not TOML at all: tomllib's words, each said with its line and column (issue 27: they were English)
    ('[general]\nlanguage = "zh"\nfoo bar\n', "status"),                    # a key without its value
    ('[general]\nlanguage = "zh"\n[general]\n', "status"),                  # a table declared twice
    ('[smtp]\nhost = "a"\nhost = "b"\n', "status"),                          # a value given twice
    ('[smtp]\nhost = "a\n', "status"),                                       # a string left open
    ('[digest]\ntimes = ["08:30"\n', "status"),                               # a list left open
    ('[web]\nbase_url = https://x\n', "status"),                              # text without quotes
    ('[smtp\nhost = "a"\n', "status"),                                        # a table's name left open
    ('a = {b = 1, b = 2}\n', "status"),                                       # a key twice in an inline table
    # what the declaration says: a wrong type, a bound, a missing or unknown key, a choice, a date, a form
    ('[smtp]\nport = "x"\n', "status"),
    ('[smtp]\nretries = 100\n', "status"),
    ('[daemon]\nscan_every_minute = 5\n', "status"),
    ('[[channels]]\nname = "x"\n', "status"),
    ('[general]\nlanguage = "fr"\n', "status"),
    ('[general]\nmonitoring_from = "soon"\n', "status"),
    ('[digest]\ntimes = ["25:00"]\n', "status"),
    ('[digest]\nregions = {nobody = ["包头市"]}\n', "status"),
    ('[reminders]\nlead_days = {annual_report = ["soon"]}\n', "status"),
    ('general = 3\n', "status"),
    # the checks a type cannot state (__post_init__), each of them
    ('[general]\ntimezone = "Mars/Base"\n', "status"),
    ('[general]\nadministrators = ["nobody"]\n', "status"),
    ('[web]\nbase_url = "ftp://x"\n', "status"),
    ('[web]\ntrusted_proxies = ["nginx"]\n', "status"),
    ('[smtp]\nreply_to = "nobody"\n', "status"),
    ('[smtp]\nsender_name = "a\\u0001"\n', "status"),
    ('[[channels]]\nname = "a b"\ntype = "webhook"\nurl_env = "X"\n', "status"),
    ('[[channels]]\nname = "ab"\ntype = "webhook"\n', "status"),
    ('[[channels]]\nname = "ab"\ntype = "webhook"\nurl_env = "X"\n' * 2, "status"),
    ('[smtp]\nhost = "mail"\n[daemon]\nclaim_lease_seconds = 1\n', "status"),
    ('[[channels]]\nname = "x"\ntype = "webhook"\nurl_file = "no-such-file.txt"\n', "run"),   # the system's reason
    ('[[escalation]]\nsteps = [{ after_days = 0, to = "boss" }]\n', "status"),
    ('[[escalation]]\nseverities = []\nsteps = [{ after_days = 0, to = "bureau" }]\n', "status"),
    ('[[escalation]]\nsteps = [{ after_days = 5, to = "bureau" }, { after_days = 2, to = "bureau" }]\n', "status"),
    ('[[web.identity]]\nname = "sso"\ntype = "oidc"\nclient_id = "m"\n', "status"),
    ('[[web.identity]]\nname = "Bad Name"\ntype = "oidc"\nissuer = "https://a"\nclient_id = "m"\n', "status"),
    ('[[web.identity]]\nname = "sso"\ntype = "oidc"\nissuer = "ftp://a"\nclient_id = "m"\n', "status"),
    ('[[web.identity]]\nname = "wx"\ntype = "wecom"\ncorp_id = "ww1"\nagent_id = "1"\n', "status"),
    ('[[web.identity]]\nname = "gw"\ntype = "header"\nuser_header = "X User"\nsecret_header = "X-S"\nsecret_env = "E"\n',
     "status"),
    ('[[web.identity]]\nname = "wx"\ntype = "wecom"\ncorp_id = "w"\nagent_id = "1"\nsecret_env = "E"\nsecret_file = "f"\n',
     "status"),
    ('[[web.identity]]\nname = "a"\ntype = "oidc"\nissuer = "https://a"\nclient_id = "m"\n' * 2, "status"),
    (('[[web.identity]]\nname = "g{n}"\ntype = "header"\nuser_header = "X-U"\nsecret_header = "X-S"\nsecret_env = "E"\n' * 2)
     .replace("g{n}", "g1", 1).replace("g{n}", "g2", 1), "status"),
]


@pytest.mark.parametrize(("text", "command"), CONFIG_ERRORS)
def test_config_errors_are_chinese(tmp_path: Path, text: str, command: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    run_cli(config, url, "import", "--help")
    result = CliRunner().invoke(cli, ["--config", str(config), command], env=cli_env(url), prog_name="monitor")
    found = english(result.output)
    assert result.exit_code == 2 and not found, result.output + "\n".join(found)


#: a pack's beginning, then (below) what is wrong with it: `monitor regimes --check` says each in Chinese
PACK = 'id = "p"\ntitle = "办法"\ndocument = "文号"\n'
VALIDITY = ('[validity]\nyears = 3\nbasis = "第一条"\nextension_years = 3\nextension_basis = "第一条"\n'
            'review_failed_basis = "第二条"\nexpired_basis = "第二条"\n')
BATCH = '[[batches]]\nid = "2023"\nnotice = "通知"\n'
COMPARE = '[[standard]]\nid = "a"\nlabel = "产值"\nbasis = "附件"\n[[standard.compare]]\nindicator = "output"\nword = "以上"\nthreshold = 1\n'
INCIDENTS = '[incidents]\nnotice_basis = "第三条"\n'
PACK_ERRORS: list[str] = [
    PACK + 'id = "q"\n',                                                   # not TOML: a key given twice
    PACK + '[incidents]\nnotice_basis = "第三条"\nrevocation_grounds = {nonsense = "第一条"}\n',
    PACK + INCIDENTS + '[revocation]\nbasis = "第四条"\n',
    PACK + INCIDENTS + '[revocation]\nbasis = "第四条"\ngrounds = {nonsense = 1}\n',
    PACK + INCIDENTS + VALIDITY + "review_by_application = true\n",
    PACK + INCIDENTS + VALIDITY + BATCH + "valid_until = 2025-01-01\nvalidity_years = 3\n",
    PACK + INCIDENTS + VALIDITY + BATCH + BATCH,
    PACK + INCIDENTS + BATCH + 'report_due = "04-30"\n',
    PACK + INCIDENTS + VALIDITY + BATCH + 'report_due = "02-30"\n',
    PACK + INCIDENTS + BATCH + "validity_years = 3\n",
    PACK + INCIDENTS + '[rectification]\nafter = ["assessment"]\nmonths = 6\nbasis = "第五条"\nlapse_basis = "第五条"\n'
    'repeat_basis = "第五条"\n',
    PACK + INCIDENTS + VALIDITY + '[rectification]\nafter = ["review"]\nmonths = 6\nmonths_by_kind = {evaluation = 3}\n'
    'basis = "第五条"\nlapse_basis = "第五条"\nrepeat_basis = "第五条"\n',
    PACK + INCIDENTS + COMPARE + 'window = "each_year"\nrates = "output"\n',
    PACK + INCIDENTS + COMPARE.replace('"output"', '"output+employees"') + 'window = "average_growth"\n',
    PACK + INCIDENTS + COMPARE + 'window = "latest"\n' + COMPARE + 'window = "latest"\n',
    PACK + INCIDENTS + '[validity]\nyears = "三"\n',
    PACK + INCIDENTS + '[[standard]]\nid = "a"\nlabel = "产值"\nbasis = "附件"\ncompare = []\n',        # a list too short
    PACK + INCIDENTS + COMPARE.replace('[[standard.compare]]', 'compare = [' + '{indicator = "output", word = "以上", '
                                       'threshold = 1, window = "latest"}, ' * 9 + ']\n#'),          # and too long
]


@pytest.mark.parametrize("text", PACK_ERRORS)
def test_pack_errors_are_chinese(tmp_path: Path, text: str) -> None:
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "p.toml").write_text(text, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text('[general]\nlanguage = "zh"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "regimes", "--check", str(packs)], prog_name="monitor")
    found = english(result.output)
    assert result.exit_code == 2 and "p.toml" in result.output and not found, result.output + "\n".join(found)


def test_config_errors_name_the_key_by_its_word(tmp_path: Path) -> None:
    """A key is said as its word with the key beside it; tomllib's detail says its line and column."""
    config = tmp_path / "config.toml"
    for text, shown in [('[smtp]\nport = "x"\n', "发信服务器端口（smtp.port）：应为整数，实际为 'x'"),
                        ('[[channels]]\nname = "a b"\ntype = "webhook"\nurl_env = "X"\n', "渠道名称（channels[0].name）"),
                        ('[reminders]\nlead_days = {annual_report = [1], x = ["soon"]}\n',
                         "提前提醒天数（reminders.lead_days.x[0]）"),
                        ('[general]\nlanguage = "zh"\nfoo bar\n', "第 3 行第 5 列：键后面缺少 '='")]:
        config.write_text(text, encoding="utf-8")
        result = CliRunner().invoke(cli, ["--config", str(config), "status"], prog_name="monitor")
        assert shown in result.output, result.output
    config.write_text('[general]\nlanguage = "en"\ntimezone = "Mars/Base"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "status"], prog_name="monitor")
    assert "general.timezone: 'Mars/Base' is not a time zone" in result.output     # English keeps the key alone
    config.write_text('[general]\nlanguage = "en"\nfoo bar\n', encoding="utf-8")     # not TOML, but asks for English
    result = CliRunner().invoke(cli, ["--config", str(config), "status"], prog_name="monitor")
    assert result.output.endswith("not valid TOML: Expected '=' after a key in a key/value pair (at line 3, column 5)\n")
    assert result.output.startswith("error: "), result.output


def test_every_config_key_has_its_word() -> None:
    """A key added to config.toml's declaration needs its word in words.toml [keys.config]."""
    from msgspec import inspect as mi

    from monitor.config import ConfigFile
    from monitor.schema import unwrap
    from monitor.views.words import _catalog

    words = _catalog()["keys"]["config"]

    def keys(kind: mi.Type | None, prefix: str) -> Iterator[str]:
        kind = unwrap(kind)
        if isinstance(kind, mi.VarTupleType) and isinstance(unwrap(kind.item_type), mi.StructType):
            kind = unwrap(kind.item_type)
        if isinstance(kind, mi.StructType):
            for field in kind.fields:
                key = f"{prefix}.{field.encode_name}" if prefix else field.encode_name
                yield key
                yield from keys(field.type, key)

    missing = [key for key in keys(mi.type_info(ConfigFile), "") if key not in words]
    assert not missing, f"add to words.toml [keys.config]: {missing}"


# --- the console ------------------------------------------------------------------------------------------

#: every page a person reads, as the administrator sees it (tests/test_web_contract.py lists every route)
PAGES = ["/", "/login", "/clusters/BT-001", "/clusters/ORD-001", "/upload", "/report", "/daemon", "/holds",
         "/account", "/users", "/channels", "/profile", "/password", "/monitoring"]
#: forms sent with a mistake: (the page the form is on, where it posts, the form): the answer is read
FORM_ERRORS: list[tuple[str, str, dict[str, str]]] = [
    ("/clusters/BT-001", "/clusters/BT-001/facts", {"fact": "report", "year": "soon", "filed_on": "2026-03-02"}),
    ("/clusters/BT-001", "/clusters/BT-001/facts", {"fact": "", "year": "2025", "filed_on": "2026-03-02"}),
    ("/clusters/BT-001", "/clusters/BT-001/hold", {"kind": "ack", "subject": "", "until": "yesterday", "note": ""}),
    ("/holds", "/holds", {"kind": "ack", "code": "no_such_code", "cluster": "", "until": "2026-12-31", "note": ""}),
]


@pytest.mark.parametrize("path", PAGES)
def test_every_console_page_is_chinese(site: web_helpers.Site, path: str) -> None:
    with site.console.signed_in("admin") as client:
        page = client.get(path, follow_redirects=True)
    assert page.status_code == 200, page.text[:300]
    found = english(visible(page.text))
    assert not found, "\n".join(found)


@pytest.mark.parametrize(("page", "post", "form"), FORM_ERRORS, ids=lambda v: v if isinstance(v, str) else "")
def test_form_errors_are_chinese(site: web_helpers.Site, page: str, post: str, form: dict[str, str]) -> None:
    with site.console.signed_in("admin") as client:
        token = csrf_of(client.get(page).text)
        answer: httpx.Response = client.post(post, data={"csrf": token, **form}, follow_redirects=True)
    assert answer.status_code in (200, 400, 422), answer.text[:300]
    found = english(visible(answer.text))
    assert not found, "\n".join(found)


def test_a_failed_login_is_chinese(site: web_helpers.Site) -> None:
    with site.console.client() as client:
        answer = web_helpers.login(client, "admin", "wrong")
    found = english(visible(answer.text))
    assert not found, "\n".join(found)


# --- the history's sentences, every kind of entry -------------------------------------------------------------

def _entries() -> list[Entry]:
    at = dt.datetime(2026, 11, 20, 0, 30, tzinfo=dt.UTC)
    fact = {"number": 10, "kind": "report", "year": 2025, "filed_on": dt.date(2026, 3, 12), "state": "superseded",
            "replaces": None, "by_fact": 12, "reason": None}
    reminder = {"day": dt.date(2026, 5, 31), "subject": "annual_report:2023", "stage": "overdue", "late": False,
                "recipient": "op1@example.cn", "state": "sent", "message_id": "<a.b@example.cn>", "sent_at": at}
    return [Entry(at, "fact", "tester", fact),
            Entry(at, "fact", "tester", {**fact, "number": 12, "state": "current", "replaces": 10, "by_fact": None,
                                         "reason": "日期写错"}),
            Entry(at, "fact", "tester", {**fact, "number": 13, "state": "retraction", "replaces": 11}),
            Entry(at, "archive", "tester", {"archived": True, "reason": "撤销"}),
            Entry(at, "ack", "tester", {"subject": "validity_expired:2025-12-31", "until": dt.date(2026, 12, 31),
                                        "note": "已催"}),
            *(Entry(at + dt.timedelta(days=n), "reminder", None, {**reminder, "late": n == 1}) for n in range(9)),
            Entry(at, "reminder", None, {**reminder, "subject": "renewal_review:2027", "state": "failed",
                                         "message_id": None, "sent_at": None}),
            # an escalation step (docs/rules.md, "Escalation"): its deliveries, one a recipient
            *(Entry(at, "reminder", None, {**reminder, "subject": "annual_report_overdue:2025",
                                           "stage": "escalate:2:7:administrators", "recipient": address})
              for address in ("admin@example.gov.cn", "chief@example.gov.cn"))]


def test_every_kind_of_history_entry_is_a_chinese_sentence() -> None:
    entries = _entries()
    lines = [said(e, dt.UTC, "zh") for e in [*entries, *collapsed(entries)]]
    found = [f for line in lines for f in english(line)]
    assert not found, "\n".join(found)
    assert lines[0] == "事实10：年度报告（report）年度2025，报送日期2026-03-12，已被事实12更正"
    assert lines[1].endswith("更正事实10，现行（原因：日期写错）")


def test_reminder_deliveries_collapse_to_one_line_a_subject() -> None:
    shown = collapsed(_entries())
    reminders = [e for e in shown if e.type == "reminders"]
    assert [said(e, dt.UTC, "zh") for e in reminders] == ["有效期复核2027（renewal_review:2027）：已提醒1次，最近2026-11-20",
                                                   "年度报告2023（annual_report:2023）：已提醒9次，最近2026-11-28"]
    assert not any(e.type == "reminder" for e in shown)
    assert len(reminders[1].fields["deliveries"]) == 9      # type: ignore[arg-type]


def test_every_delivery_state_has_its_words_in_a_chinese_history_line() -> None:
    from monitor.rules.states import DeliveryState
    from monitor.views.history_lines import DELIVERY_ZH, ESCALATED_ZH

    assert set(DELIVERY_ZH) == set(DeliveryState)       # a state added to the ledger (held) is said too
    assert set(ESCALATED_ZH) == set(DeliveryState)      # and an escalation step's outcome


def test_an_escalation_step_is_a_line_of_its_own() -> None:
    steps = [e for e in collapsed(_entries()) if e.type == "escalation"]
    assert [said(e, dt.UTC, "zh") for e in steps] == [
        ("年度报告逾期2025（annual_report_overdue:2025）：升级第2步（7天未确认）：已通知管理员"
         "（admin@example.gov.cn、chief@example.gov.cn）")]
    assert said(steps[0].fields["deliveries"][0], dt.UTC, "zh").startswith(     # type: ignore[index]
        "提醒年度报告逾期2025（annual_report_overdue:2025）（升级第2步（escalate:2:7:administrators），")
    # the cluster page opens the step to its two deliveries
    assert any(len(e["deliveries"]) == 2 and "升级第2步" in e["text"] for e in timeline(_entries(), dt.UTC, "zh"))


def test_the_cluster_pages_record_opens_a_subjects_line_to_its_deliveries() -> None:
    shown = timeline(_entries(), dt.UTC, "zh")
    line = next(e for e in shown if e["text"].startswith("年度报告2023"))
    assert len(line["deliveries"]) == 9 and line["deliveries"][0]["text"].startswith("提醒年度报告2023")
    assert "<<" not in line["deliveries"][0]["text"] and "<a.b@example.cn>" in line["deliveries"][0]["text"]
    assert said(_entries()[5], dt.UTC, "en").endswith(" <a.b@example.cn>")
