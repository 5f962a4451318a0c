"""Annual monitoring in the console (docs/rules.md, "Annual monitoring"): a cluster's page lists its standard's
items, each with its verdict, the figures compared, the missing years and the article."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web_helpers import Site, add_user, console, run_cli, seeded


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("standards-web")
    url = f"sqlite:///{tmp / 'monitor.db'}"
    config = seeded(tmp, url, '[general]\nlanguage = "zh"\n')
    sheet = tmp / "indicators.csv"
    sheet.write_text("cluster,year,output,leading_share,sme_output_share\n"
                     "BT-001,2022,100,,\nBT-001,2023,110,,\nBT-001,2024,39.5,,\nBT-001,2025,140,70,75\n",
                     encoding="utf-8")
    run_cli(config, url, "import-indicators", str(sheet))
    tokens = {"admin": add_user(config, url, "admin", "admin")}
    with console(tmp, url, config) as running:
        yield Site(running, config, url, tokens)


def _row(page: str, item: str) -> str:
    found = re.search(rf'<tr data-item="{item}">(.*?)</tr>', page, re.DOTALL)
    assert found, page[:2000]
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_the_cluster_page_lists_the_standard(site: Site, tmp_path: Path) -> None:
    with site.console.signed_in("admin") as client:
        page = client.get("/clusters/BT-001").text
    assert 'id="standards"' in page and "认定标准（年度监测）" in page
    assert _row(page, "leading-share").startswith("主导产业产值占集群总产值比例高于70% 未达标 2025 70")
    assert _row(page, "output").startswith("近三年产值均在40亿元以上 未达标 2023 110；2024 39.5；2025 140")
    assert _row(page, "sme-output-share").startswith("中小企业产值占集群总产值70%以上 达标 2025 75")
    assert "缺数据 — 2023、2024、2025" in _row(page, "iiot")
    assert "standard_unmet:leading-share:2027-01-09" in page          # the run-up's warning, with its key
    with site.console.signed_in("admin") as client:
        other = client.get("/clusters/BT-002").text
    assert 'id="standards"' in other and "缺数据" in _row(other, "area")
