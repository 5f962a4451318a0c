from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import PackError
from monitor.rules.packs import load_packs

BUNDLED = ("ah-amc-2024", "miit-sme-2022", "nmg-amc-2025", "nmg-sme-draft", "xj-amc")
MINIMAL = 'id = "{id}"\ntitle = "t"\ndocument = "d"\n[incidents]\nnotice_basis = "第一条"\n'


def test_the_five_policies_are_bundled() -> None:
    packs = load_packs()
    assert tuple(packs) == BUNDLED
    assert packs["miit-sme-2022"].batch("2022").valid_until.isoformat() == "2025-12-31"
    assert packs["miit-sme-2022"].batch("2024").report_due_day == (3, 31)
    assert packs["nmg-sme-draft"].change_filing.window_months == 1
    assert packs["miit-sme-2022"].change_filing.window_months is None
    assert packs["ah-amc-2024"].assessment.consecutive_failures == 2


def test_every_basis_cites_an_article() -> None:
    for pack in load_packs().values():
        for section in (pack.validity, pack.annual_report, pack.change_filing, pack.assessment, pack.publicity,
                        pack.revocation):
            if section is None:
                continue
            for name in section.__slots__:
                if name.endswith("basis") and getattr(section, name) is not None:
                    assert getattr(section, name).startswith("第"), (pack.id, name)


def write(tmp_path: Path, name: str, text: str) -> Path:
    directory = tmp_path / "packs"
    directory.mkdir(exist_ok=True)
    (directory / f"{name}.toml").write_text(text, encoding="utf-8")
    return directory


@pytest.mark.parametrize(("text", "message"), [
    ("colour = 1\n" + MINIMAL, r"extra\.toml: colour: unknown key"),
    (MINIMAL + "colour = 1\n", r"extra\.toml: incidents\.colour: unknown key"),
    (MINIMAL + "[annual_report]\ndue = \"02-30\"\nreporter = \"bureau\"\nbasis = \"第二条\"\n"
     "overdue_severity = \"risk\"\noverdue_basis = \"第二条\"\n", r"annual_report\.due: '02-30' is not a day"),
    (MINIMAL + "[assessment]\nconsecutive_failures = 2\n", r"assessment\.basis: is missing"),
    (MINIMAL + "[annual_report]\ndue = \"03-10\"\nreporter = \"bureau\"\nreporter_label = \"\"\nbasis = \"第二条\"\n"
     "overdue_severity = \"risk\"\noverdue_basis = \"第二条\"\n", r"annual_report\.reporter_label: is empty"),
    (MINIMAL + "[validity]\nyears = 0\n", r"validity\.years: 0 must be at least 1"),
    (MINIMAL + "[[batches]]\nid = \"1\"\nnotice = \"n\"\nvalid_until = \"2025-02-30\"\n", r"batches\[0\]\.valid_until"),
    (MINIMAL.replace('"{id}"', '"other"'), r"does not match the file name"),
    (MINIMAL + "[incidents.revocation_grounds]\narson = \"第三条\"\n", r"unknown ground"),
    ("id = [", r"not valid TOML"),
])
def test_a_pack_with_a_mistake_is_refused_naming_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    directory = write(tmp_path, "extra", text.replace("{id}", "extra"))
    with pytest.raises(PackError, match=message):
        load_packs(directory)


def test_config_overrides_merge_before_validation(tmp_path: Path) -> None:
    packs = load_packs(overrides={"miit-sme-2022": {"change_filing": {"window_months": 1}}})
    assert packs["miit-sme-2022"].change_filing.window_months == 1
    with pytest.raises(PackError, match="window_months: 0 must be at least 1"):
        load_packs(overrides={"miit-sme-2022": {"change_filing": {"window_months": 0}}})
    with pytest.raises(PackError, match=r"pack_overrides\.nope"):
        load_packs(overrides={"nope": {}})


def test_an_extra_directory_adds_a_sixth_regime(tmp_path: Path) -> None:
    directory = write(tmp_path, "gd-amc", MINIMAL.replace("{id}", "gd-amc"))
    assert "gd-amc" in load_packs(directory)


# --- a broken pack config refuses every command that evaluates (issue 25, item 4) ---------------------------------

EVALUATING = [("status",), ("status", "--format", "json"), ("export", "{tmp}/out.xlsx"), ("calendar",),
              ("report", "{tmp}/out.html"), ("template", "{tmp}/t.xlsx"), ("digest", "--preview", "{tmp}/preview"),
              ("ack", "MIIT-2022-015", "annual_report_overdue:2024", "--until", "2027-01-01", "--note", "n"),
              ("publicity", "2026-03-02"), ("regimes",), ("run",),
              ("record", "report", "MIIT-2022-015", "--year", "2024", "--filed-on", "2025-03-01")]


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    from tests.helpers import own_config

    return own_config(tmp_path, "good", '[general]\nlanguage = "en"\n')


@pytest.mark.parametrize(("broken", "said"), [
    ('packs_dir = "no-such-dir"', "the packs directory does not exist"),
    ('[pack_overrides."miit-sme-2022".validity]\nyears = "three"', "validity.years"),
    ('[pack_overrides.nope]\nx = 1', "pack_overrides.nope: no regime pack has that id"),
])
@pytest.mark.parametrize("args", EVALUATING, ids=lambda args: " ".join(args[:2]))
def test_a_broken_pack_config_refuses_every_command_that_evaluates(
        imported: Path, tmp_path: Path, broken: str, said: str, args: tuple[str, ...]) -> None:
    from tests.helpers import monitor

    text = imported.read_text(encoding="utf-8")
    config = tmp_path / "broken.toml"
    if broken.startswith("packs_dir"):
        config.write_text(text.replace("[general]\n", f"[general]\n{broken}\n"), encoding="utf-8")
    else:
        config.write_text(f"{text}\n{broken}\n", encoding="utf-8")
    result = monitor(*(arg.format(tmp=tmp_path) for arg in args), config=config)
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.stderr, result.output
    assert result.stderr.startswith("error: ") and said in result.stderr and result.stderr.count("\n") == 1, \
        result.stderr
    assert not any((tmp_path / name).exists() for name in ("out.xlsx", "out.html", "t.xlsx", "preview"))


def test_a_cluster_whose_regime_is_no_longer_loaded_refuses_the_overview(tmp_path: Path) -> None:
    from tests.helpers import monitor, own_config, write_roster

    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "gd-amc.toml").write_text(MINIMAL.format(id="gd-amc"), encoding="utf-8")
    roster = write_roster(tmp_path / "r.csv", "GD-1,集群,gd-amc,2024-01-10,,,,,,")
    config = own_config(tmp_path, text=f'[general]\nlanguage = "en"\npacks_dir = "{packs}"\n', roster=roster)
    assert monitor("status", config=config).exit_code == 0
    config.write_text(config.read_text(encoding="utf-8").replace(f'packs_dir = "{packs}"\n', ""), encoding="utf-8")
    for args in (("status",), ("calendar",), ("export", str(tmp_path / "out.xlsx"))):
        result = monitor(*args, config=config)
        assert result.exit_code == 2 and result.stdout == "", result.output
        assert result.stderr == "error: cluster 'GD-1' has regime 'gd-amc', which no loaded pack defines\n"
