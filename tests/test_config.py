"""config.toml: one declaration gives validation, defaults and the JSON Schema; errors name file and key."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from monitor.config import config_json_schema, load_settings
from monitor.errors import ConfigError
from monitor.rules.packs import pack_json_schema


@pytest.mark.parametrize(("text", "message"), [
    ("[smtp]\nport = 99999\n", "smtp.port: 99999 must be at most 65535"),
    ("[smtp]\nretries = -1\n", "smtp.retries: -1 must be at least 0"),
    ("[smtp]\ntimeout = 0\n", "smtp.timeout: 0 must be more than 0"),
    ("[daemon]\nscan_every_minutes = -5\n", "daemon.scan_every_minutes: -5 must be at least 1"),
    ("[daemon]\nmisfire_grace_seconds = 0\n", "daemon.misfire_grace_seconds: 0 must be at least 1"),
    ("[daemon]\nscan_every_minute = 5\n", "daemon.scan_every_minute: unknown key (did you mean scan_every_minutes?)"),
    ("[general]\nlanguage = \"fr\"\n", "general.language: 'fr' is not one of en, zh"),
    ("[digest]\ntimes = [\"8:30\"]\n", "digest.times[0]: '8:30' is not a time of day, HH:MM"),
    ("[calendar]\nholidays = [\"2027-02-30\"]\n", "calendar.holidays[0]: '2027-02-30' is not a date"),
    ("[reminders]\noverdue_every_days = \"weekly\"\n", "reminders.overdue_every_days: 'weekly' is not a whole number"),
    ("[smtp]\npassword = \"x\"\n", "smtp.password: never put the password in config.toml"),
    ("[general]\nadministrators = [\"nobody\"]\n", "general.administrators: 'nobody' is not an e-mail address"),
    ("[web]\ntrusted_proxies = [\"nginx\"]\n", "web.trusted_proxies: 'nginx' is not an IP address or network"),
    # escalation chains (docs/rules.md, "Escalation")
    ('[[escalation]]\nsteps = [{ after_days = 0, to = "boss" }]\n',
     "escalation[0].steps[0].to: 'boss' must be bureau, administrators or account:NAME"),
    ('[[escalation]]\nsteps = [{ after_days = 0, to = "account:" }]\n', "escalation[0].steps[0].to: 'account:'"),
    ('[[escalation]]\nsteps = [{ after_days = -1, to = "bureau" }]\n',
     "escalation[0].steps[0].after_days: -1 must be at least 0"),
    ('[[escalation]]\nsteps = [{ after_days = 7, to = "bureau" }, { after_days = 7, to = "administrators" }]\n',
     "escalation[0].steps: after_days must grow from step to step (7, 7)"),
    ('[[escalation]]\nseverities = ["fatal"]\nsteps = [{ after_days = 0, to = "bureau" }]\n',
     "escalation[0].severities[0]: 'fatal' is not one of notice, revocation, risk"),
    ('[[escalation]]\nregimes = ["nmg-sme-draft"]\n', "escalation[0].steps: is missing"),
    ('[[escalation]]\nsteps = []\n', "escalation[0].steps"),
    ('[[escalation]]\nstep = [{ after_days = 0, to = "bureau" }]\n', "escalation[0].step: unknown key"),
])
def test_a_wrong_value_is_one_line_naming_file_key_and_value(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(path, environ={})
    said = str(raised.value)
    assert said.startswith(f"{path}: ") and message in said and "\n" not in said, said
    assert "datetime" not in said and "<" not in said    # no Python reprs


def test_defaults_come_from_the_declaration(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[smtp]\nsecurity = \"tls\"\npassword_file = \"secret\"\n", encoding="utf-8")
    settings = load_settings(path, environ={})
    assert (settings.smtp.port, settings.smtp.retries, settings.scan_every_minutes) == (465, 3, 60)
    assert settings.smtp.password_file == str(tmp_path / "secret")
    assert settings.lead_days_for("annual_report") == (60, 30, 14, 7, 3, 1, 0)
    assert settings.database_url == f"sqlite:///{tmp_path / 'monitor.db'}"


def test_the_json_schemas_describe_the_declarations() -> None:
    config, pack = config_json_schema(), pack_json_schema()
    assert set(config["$defs"]["ConfigFile"]["properties"]) == {
        "database", "general", "calendar", "reminders", "digest", "daemon", "smtp", "web", "monitoring", "channels",
        "escalation", "pack_overrides"}
    assert config["$defs"]["SmtpSettings"]["properties"]["port"]["anyOf"][0]["maximum"] == 65535
    assert pack["$defs"]["Validity"]["properties"]["years"]["minimum"] == 1
    assert "source" not in pack["$defs"]["PackFile"]["properties"]
    json.dumps(config), json.dumps(pack)


DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize(("name", "make"), [("config.schema.json", config_json_schema),
                                            ("pack.schema.json", pack_json_schema)])
def test_the_schema_files_in_docs_are_current(name: str, make: object) -> None:
    """Regenerate with: MONITOR_WRITE_SCHEMAS=1 pytest tests/test_config.py"""
    text = json.dumps(make(), ensure_ascii=False, indent=2) + "\n"  # type: ignore[operator]
    if os.environ.get("MONITOR_WRITE_SCHEMAS"):
        (DOCS / name).write_text(text, encoding="utf-8")
    assert (DOCS / name).read_text(encoding="utf-8") == text, f"docs/{name} is stale: regenerate it"


def test_generated_descriptions_do_not_depend_on_how_a_docstring_was_indented() -> None:
    """Python 3.13 strips docstring indentation when compiling and 3.11 keeps it; msgspec passes it on."""
    import msgspec

    from monitor.schema import json_schema

    class Kept(msgspec.Struct):
        """First line.

            Indented as a 3.11 docstring keeps it.
        """

    class Stripped(msgspec.Struct):
        """First line.

Indented as a 3.11 docstring keeps it."""

    descriptions = [json_schema(kind, "t")["$defs"][kind.__name__]["description"] for kind in (Kept, Stripped)]
    assert descriptions == ["First line.\n\nIndented as a 3.11 docstring keeps it."] * 2
