"""Annual monitoring in the console and the API (issue 28, item 1): `GET/POST /api/v1/clusters/{id}/indicators`
with a token, within the account's regions; the cluster page's indicator table and its forms (behind the CSRF
check); the upload page taking the data sheet and the targets' sheet, previewed then stored."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest

from tests.web_helpers import DATABASES, Site, csrf_of, seeded_site


@pytest.fixture(scope="module", params=DATABASES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with seeded_site(request, tmp_path_factory, "indicators") as running:
        yield running


def test_the_api_records_a_year_and_reads_it_back(site: Site) -> None:
    with site.console.api(site.tokens["bao"]) as api:
        posted = api.post("/api/v1/clusters/bt-001/indicators",
                          json={"year": 2025, "values": {"output": 41.5, "集群企业数量": 120}})
        assert posted.status_code == 201, posted.text
        assert posted.json()["cluster"] == "BT-001" and all(r["fact"] for r in posted.json()["recorded"])
        again = api.post("/api/v1/clusters/BT-001/indicators", json={"year": 2025, "values": {"output": 41.5}})
        assert again.status_code == 200 and again.json()["recorded"][0]["fact"] is None
        changed = api.post("/api/v1/clusters/BT-001/indicators", json={"year": 2025, "values": {"output": 42}})
        assert changed.status_code == 422 and "monitor amend" in changed.json()["error"]
        # one transaction: a good value beside a bad one is not stored either
        bad = api.post("/api/v1/clusters/BT-001/indicators",
                       json={"year": 2024, "values": {"output": 30, "sme_output_share": 130}})
        assert bad.status_code == 422 and "0–100" in bad.json()["error"], bad.text
        target = api.post("/api/v1/clusters/BT-001/indicators",
                          json={"targets": [{"indicator": "集群总产值", "base_year": 2024, "target_year": 2027,
                                             "target": 60}]})
        assert target.status_code == 201, target.text
        read = api.get("/api/v1/clusters/BT-001/indicators").json()
    assert [(v["year"], v["indicator"], v["label"], v["unit"], v["value"]) for v in read["indicators"]] == [
        (2025, "output", "集群总产值", "亿元", 41.5), (2025, "enterprises", "集群企业数量", "家", 120.0)]
    assert [(t["indicator"], t["base_year"], t["target_year"], t["target"]) for t in read["targets"]] == [
        ("output", 2024, 2027, 60.0)]


def test_the_api_keeps_to_the_token_and_its_regions(site: Site) -> None:
    with site.console.api(site.tokens["bao"]) as api:
        assert api.get("/api/v1/clusters/ORD-001/indicators").status_code == 404
        assert api.post("/api/v1/clusters/ORD-001/indicators",
                        json={"year": 2025, "values": {"output": 1}}).status_code == 404
    with site.console.api(site.tokens["admin"]) as api:
        assert api.get("/api/v1/clusters/ORD-001/indicators").json()["cluster"] == "ORD-001"
    with site.console.api(site.tokens["viewer"]) as api:
        assert api.get("/api/v1/clusters/BT-002/indicators").status_code == 200
        assert api.post("/api/v1/clusters/BT-002/indicators",
                        json={"year": 2025, "values": {"output": 1}}).status_code == 403
    with site.console.client() as anonymous:
        assert anonymous.get("/api/v1/clusters/BT-002/indicators").status_code == 401
    with site.console.api(site.tokens["admin"]) as api:
        assert api.get("/api/v1/clusters/ORD-001/indicators").json()["indicators"] == []


def test_the_cluster_page_shows_the_values_and_records_a_year_and_a_target(site: Site) -> None:
    with site.console.signed_in("bao") as client:
        page = client.get("/clusters/BT-002").text
        csrf = csrf_of(page)
        assert 'id="record-indicators"' in page and 'id="no-indicators"' in page
        form = {"csrf": csrf, "year": "2025", "output": "12.5", "smes": "40", "sme_output_share": ""}
        done = client.post("/clusters/BT-002/indicators", data=form)
        assert done.status_code == 200, done.text[:500]
        assert "记录 2 个指标值，0 个已记录" in html.unescape(done.text)
        table = done.text.split('id="indicators"')[1].split("</table>")[0]
        assert "集群总产值" in table and "亿元" in table and ">12.5<" in table and ">40<" in table
        refused = client.post("/clusters/BT-002/indicators", data={**form, "output": "-3"})
        assert refused.status_code == 422 and "不小于 0" in html.unescape(refused.text)
        assert client.post("/clusters/BT-002/indicators", data={**form, "csrf": "forged"}).status_code == 403
        assert client.post("/clusters/ORD-001/indicators", data={**form, "output": "1"}).status_code == 404
        target = client.post("/clusters/BT-002/targets", data={"csrf": csrf, "indicator": "output",
                                                                "base_year": "2024", "target_year": "2027",
                                                                "target": "20"})
        assert target.status_code == 200 and 'id="targets"' in target.text
        number = re.search(r'id="fact-(\d+)"', target.text)
        assert number is not None                       # the newest fact (the target) can be amended from its row
        amended = client.post(f"/facts/{number.group(1)}/amend", data={"csrf": csrf, "target": "25",
                                                                        "reason": "规划调整"})
        assert amended.status_code == 200, amended.text[:500]
        assert ">25<" in amended.text.split('id="targets"')[1].split("</table>")[0]


def test_the_upload_page_takes_the_data_sheet(site: Site) -> None:
    # years the other tests of the module leave alone (the API's test records 2025): the two are both new here
    sheet = "集群编号,年度,集群总产值,集群企业数量\nBT-001,2022,4.1,118\nBT-001,2023,41.5,120\n"
    with site.console.signed_in("bao") as client:
        csrf = csrf_of(client.get("/upload").text)
        preview = client.post("/upload", data={"csrf": csrf, "action": "preview", "sheet": "indicators"},
                              files={"file": ("data.csv", sheet.encode("gbk"), "text/csv")})
        assert preview.status_code == 200 and 'id="commit"' in preview.text, preview.text[:800]
        flags = html.unescape(preview.text.split('id="flags"')[1].split("</ul>")[0])
        assert "第 3 行：集群总产值：2023年为 41.5，是 2022年 4.1 的 10.1 倍" in flags
        held = re.search(r'name="upload" value="([^"]+)"', preview.text)
        assert held is not None
        stored = client.post("/upload", data={"csrf": csrf, "action": "commit", "upload": held.group(1),
                                              "sheet": "indicators"})
        assert stored.status_code == 200 and 'id="said"' in stored.text, stored.text[:800]
        other = client.post("/upload", data={"csrf": csrf, "action": "preview", "sheet": "indicators"},
                            files={"file": ("other.csv", b"cluster,year,output\nORD-001,2025,3\n", "text/csv")})
        assert "没有集群 'ORD-001'" in html.unescape(other.text) and 'id="commit"' not in other.text
    with site.console.api(site.tokens["bao"]) as api:
        values = api.get("/api/v1/clusters/BT-001/indicators").json()["indicators"]
    assert (2022, "output", 4.1) in [(v["year"], v["indicator"], v["value"]) for v in values]
