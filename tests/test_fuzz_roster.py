"""Generated roster files, good and bad (hypothesis): each is imported whole, or refused with one line a problem,
exit status 2 and nothing stored; and `status` and `digest --preview` never traceback afterwards.
At least 1,000 files in CI (CI=true), fewer on a developer's machine."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import IN_CI
from tests.helpers import monitor

HEADER = ["id", "name", "regime", "certified_on", "region", "operator", "operator_email", "bureau_email", "batch",
          "valid_until"]
REGIMES = ["miit-sme-2022", "nmg-sme-draft", "nmg-amc-2025", "ah-amc-2024", "xj-amc"]

ids = st.one_of(st.sampled_from([f"C-{n}" for n in range(8)]), st.text(max_size=70))
names = st.one_of(st.sampled_from(["包头市稀土新材料集群", "Alpha"]), st.text(max_size=40))
regimes = st.one_of(st.sampled_from(REGIMES), st.text(max_size=12))
days = st.one_of(
    st.dates().map(str),
    st.sampled_from(["2023-10-15", "2023年10月15日", "2023/10/15", "45000", "2958465", "0", "9999-12-31",
                     "0001-01-01", "2023-02-30", "", "yesterday"]),
    st.text(max_size=12),
)
addresses = st.one_of(st.sampled_from(["op@example.cn", "a@b.cn;c@d.cn", "", "a\x01b@x.cn", "用户@例子.中国",
                                       "=?utf-8?q?a?=@x.cn", "undisclosed:a@b.cn", "victim(x)@b.cn"]),
                      st.text(max_size=30))
rows = st.lists(st.tuples(ids, names, regimes, days, st.text(max_size=8), st.text(max_size=8), addresses,
                          addresses, st.sampled_from(["", "2022", "2023", "2024", "x"]),
                          st.one_of(st.just(""), days)), min_size=1, max_size=6)


def _csv(body: list[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(body)
    return out.getvalue()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fuzz")
    (base / "config.toml").write_text(f'[database]\nurl = "sqlite:///{base / "m.db"}"\n[general]\n'
                                      'administrators = ["admin@example.gov.cn"]\n', encoding="utf-8")
    from monitor.app import App
    from monitor.config import load_settings

    App(_settings=load_settings(base / "config.toml")).engine.dispose()   # an empty database to import into
    return base


def _count(config: Path) -> int:
    result = monitor("status", "--format", "json", "--as-of", "2026-11-22", config=config)
    assert result.exit_code == 0, result.output
    return len(json.loads(result.stdout)["clusters"])


counter = itertools.count()


@settings(max_examples=1000 if IN_CI else 120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows)
def test_a_generated_roster_is_imported_whole_or_refused_whole(workspace: Path, body: list[tuple[str, ...]]) -> None:
    config = workspace / "config.toml"
    n = next(counter)
    path = workspace / f"roster{n}.csv"
    try:
        path.write_text(_csv(body), encoding="utf-8")
    except UnicodeEncodeError:          # a lone surrogate cannot be in a UTF-8 file at all
        return
    before = _count(config)
    result = monitor("import", str(path), config=config)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert _count(config) == before                                 # nothing half-stored
        lines = result.stderr.splitlines()
        assert lines and all(line.startswith("错误：") for line in lines), result.stderr
        assert "Traceback" not in result.output
    else:
        assert _count(config) >= before and result.stdout.startswith("已导入 ")
    if n % 10 == 0:                                                   # a digest preview now and then
        preview = monitor("digest", "--preview", str(workspace / f"out{n}"), "--as-of", "2026-11-22", config=config)
        assert preview.exit_code == 0, preview.output
