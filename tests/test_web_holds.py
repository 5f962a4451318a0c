"""The console's acknowledgements and snoozes in bulk and the holds page, the principal ground on its pages, and a
review result's reason through the API and the console's form (first-week issue, items 5, 6 and 7), on a site of
their own: what they store would change what tests/test_web.py's tests see."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest

from tests.web_helpers import DATABASES, Site, csrf_of, seeded_site


@pytest.fixture(scope="module", params=DATABASES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with seeded_site(request, tmp_path_factory, "holds") as running:
        yield running


def test_bulk_acks_from_the_overview_within_the_accounts_regions(site: Site) -> None:
    """First-week issue, items 6 and 7: the overview shows each cluster's principal ground with the overdue items
    under it counted, check boxes and a bulk form (CSRF as every form); a bureau holds only its own regions'
    clusters; the holds page lists what is in force and the overview greys an acknowledged warning with its until."""
    with site.console.signed_in("bao") as client:
        overview = client.get("/")
        assert overview.status_code == 200
        assert 'form="bulk-hold"' in overview.text and 'value="BT-001"' in overview.text
        assert "另有1项逾期" in overview.text                  # the 2025 report, the 2024 one counted under it
        token = csrf_of(overview.text)
        form = {"csrf": token, "kind": "ack", "code": "annual_report_overdue", "until": "2026-12-31",
                "note": "已发函督促"}
        assert client.post("/holds", data={**form, "csrf": "wrong", "cluster": "BT-001"}).status_code == 403
        other = client.post("/holds", data={**form, "cluster": ["BT-001", "ORD-001"]})
        assert other.status_code == 404                         # another region's cluster is unknown to a bureau
        region = client.post("/holds", data={**form, "region": "鄂尔多斯市"})
        assert region.status_code == 422 and "鄂尔多斯市没有集群有警示" in html.unescape(region.text)
        assert 'id="none"' in client.get("/holds").text         # nothing was stored
        done = client.post("/holds", data={**form, "cluster": ["BT-001", "BT-002"]})
        assert done.status_code == 200, done.text
        said = html.unescape(done.text)
        assert "已确认 2 个集群的 4 条警示，2026-12-31 前不再提醒" in said
        assert "BT-001 annual_report_overdue:2024：已确认" in said
        page = html.unescape(client.get("/holds").text)
        assert page.count('data-cluster="BT-') == 4 and "ORD-001" not in page and "已发函督促" in page
        overview = client.get("/").text
        assert 'class="acked"' in overview and "已确认至2026-12-31" in overview
    with site.console.signed_in("viewer") as client:
        token = csrf_of(client.get("/").text)
        assert client.post("/holds", data={**form, "csrf": token, "cluster": "ORD-001"}).status_code == 403
    with site.console.signed_in("admin") as client:
        page = html.unescape(client.get("/clusters/ORD-001").text)
        assert "另有1项逾期" in page and "计入主要情形" in page


def test_an_early_review_result_needs_a_reason_through_the_api_and_the_form(site: Site) -> None:
    """ORD-001 (miit-sme-2022, no application window) is in force until 2027-01-14: a result before 2026-01-15 needs
    a reason; the reason is kept and history shows it."""
    fact = {"cluster": "ORD-001", "fact": "review", "result": "pass", "on": "2025-12-01"}
    with site.console.api(site.tokens["admin"]) as api:
        refused = api.post("/api/v1/facts", json=fact)
        assert refused.status_code == 422 and "is implausible for the validity ending" in refused.json()["error"]
        made = api.post("/api/v1/facts", json={**fact, "reason": "提前复核：部里2025年11月通知"})
        assert made.status_code == 201, made.text
        history = api.get("/api/v1/clusters/ORD-001").json()["history"]["entries"]
    [entry] = [e for e in history if e["type"] == "fact" and e["number"] == made.json()["fact"]]
    assert entry["reason"] == "提前复核：部里2025年11月通知"
    with site.console.signed_in("bao") as client:
        page = client.get("/clusters/BT-002")
        assert 'id="review-reason"' in page.text
        form = {"csrf": csrf_of(page.text), "fact": "review", "result": "fail", "on": "2025-06-01"}
        refused_form = client.post("/clusters/BT-002/facts", data=form)
        assert refused_form.status_code == 422 and "不合常理" in html.unescape(refused_form.text)
        done = client.post("/clusters/BT-002/facts", data={**form, "result": "applied"})    # an application
        assert done.status_code == 200
