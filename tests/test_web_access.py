"""A property of the API: whatever the account's role and regions, it never returns a cluster outside them, and
a cluster outside them is a 404 (a real `monitor serve` on SQLite; the accounts made in this process)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.models import AccountRegionRow
from db.session import transaction
from monitor.actions.accounts import add_user, issue_token
from monitor.app import App
from monitor.config import load_settings
from tests.web_helpers import console, run_cli

REGIONS = ("包头市", "鄂尔多斯市", "呼和浩特市", "赤峰市")
#: the roster: three clusters a region, and two without a region
CLUSTERS = {f"C-{n:02d}": REGIONS[n % 4] if n < 12 else "" for n in range(14)}
_names = itertools.count()


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, httpx.Client]]:
    tmp: Path = tmp_path_factory.mktemp("access")
    url = f"sqlite:///{tmp / 'monitor.db'}"
    config = tmp / "config.toml"
    config.write_text("", encoding="utf-8")
    roster = tmp / "roster.csv"
    roster.write_text("id,name,regime,certified_on,region\n" + "".join(
        f"{cid},集群{cid},miit-sme-2022,2024-01-10,{region}\n" for cid, region in CLUSTERS.items()), encoding="utf-8")
    run_cli(config, url, "import", str(roster))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MONITOR_DATABASE_URL", url)
        app = App(_settings=load_settings(config))
        with console(tmp, url, config) as running, running.client() as client:
            yield app, client
        app.close()


def _token(app: App, role: str, regions: list[str]) -> str:
    name = f"u{next(_names)}"
    now = dt.datetime.now(dt.UTC)
    known = [region for region in regions if region in REGIONS]
    with transaction(app.sessions) as session:
        # a region no cluster has is refused (monitor.actions.regions.check_regions): given here as one whose
        # clusters have since left the roster, so that the account sees none of them
        account = add_user(session, name, role, (known or [REGIONS[0]]) if regions else [], "long enough password",
                           now)
        session.query(AccountRegionRow).filter_by(account_id=account.id).delete()
        session.add_all(AccountRegionRow(account_id=account.id, region=region) for region in regions)
        return issue_token(session, name, now)


accounts = st.one_of(
    st.tuples(st.just("bureau"), st.lists(st.sampled_from([*REGIONS, "阿拉善盟"]), min_size=1, max_size=3, unique=True)),
    st.tuples(st.sampled_from(["admin", "viewer"]), st.just([])))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(account=accounts, asked_region=st.one_of(st.none(), st.sampled_from(REGIONS)),
       probe=st.sampled_from(sorted(CLUSTERS)))
def test_the_api_never_shows_a_cluster_outside_the_regions(web: tuple[App, httpx.Client], account: tuple[str, list[str]],
                                                           asked_region: str | None, probe: str) -> None:
    app, client = web
    role, regions = account
    headers = {"Authorization": f"Bearer {_token(app, role, regions)}"}
    visible = {cid for cid, region in CLUSTERS.items() if role != "bureau" or region in regions}
    params = {"region": asked_region} if asked_region else {}
    document = client.get("/api/v1/status", params=params, headers=headers).json()
    shown = {c["id"] for c in document["clusters"]}
    expected = {cid for cid in visible if asked_region is None or CLUSTERS[cid] == asked_region}
    assert shown == expected
    assert {h["cluster"] for h in document["holds"]} <= visible
    one = client.get(f"/api/v1/clusters/{probe.lower()}", headers=headers)
    assert one.status_code == (200 if probe in visible else 404)
    listed = client.get("/api/v1/status", params={"cluster": probe}, headers=headers)
    assert listed.status_code == (200 if probe in visible else 404)
