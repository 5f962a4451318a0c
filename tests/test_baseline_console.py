"""The console's back-fill checklist (issue 26, item 2): the overview says how many obligations remain unrecorded,
which, for the account's clusters only, and links the back-fill sheet; filled in and stored, they leave it."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
from pathlib import Path

from openpyxl import load_workbook

from tests.web_helpers import add_user, console, run_cli, seeded


def _checklist(page: str) -> str:
    start = page.index('id="backfill-list"')
    return page[start:page.index("</ul>", start)]


def _unrecorded(config: Path, url: str, *args: str) -> dict[str, int]:
    document = json.loads(run_cli(config, url, "status", "--format", "json", *args))
    return {c["id"]: c["unrecorded"] for c in document["clusters"] if c["unrecorded"]}


def test_the_overview_lists_what_remains_unrecorded_and_links_the_sheet(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    config = seeded(tmp_path, url, '[general]\nlanguage = "en"\n')
    add_user(config, url, "admin", "admin")
    token = add_user(config, url, "baotou", "bureau", "包头市")
    with console(tmp_path, url, config) as running:
        with running.signed_in("admin") as client:
            assert 'id="backfill"' not in client.get("/").text       # no baseline: no checklist
        run_cli(config, url, "import", str(tmp_path / "roster.csv"), "--from", "2026-11-01")
        expected = _unrecorded(config, url)
        assert set(expected) == {"BT-001", "BT-002", "ORD-001"}
        with running.signed_in("admin") as client:
            page = client.get("/").text
            assert f"{sum(expected.values())} obligations unrecorded" in page
            assert "fell due before the baseline (2026-11-01)" in page
            listed = _checklist(page)
            assert {cid for cid in expected if f'data-cluster="{cid}"' in listed} == set(expected)
            assert "&lt;script&gt;" in listed and "<script>alert" not in listed      # escaped like every name
            sheet = client.get("/backfill.xlsx")
            assert sheet.status_code == 200
            rows = list(load_workbook(io.BytesIO(sheet.content)).worksheets[0].iter_rows(values_only=True))
            assert len(rows) - 1 == sum(expected.values())
        with running.signed_in("baotou") as client:
            page = html.unescape(client.get("/").text)
            baotou = sum(n for cid, n in expected.items() if cid.startswith("BT-"))
            assert f"{baotou} obligations unrecorded" in page and "ORD-001" not in page
            rows = list(load_workbook(io.BytesIO(client.get("/backfill.xlsx").content)).worksheets[0]
                        .iter_rows(values_only=True))
            assert {row[0] for row in rows[1:]} == {"BT-001", "BT-002"}
        with running.api(token) as api:
            document = api.get("/api/v1/status").json()
            assert (document["monitoring_from"], document["unrecorded"]) == ("2026-11-01", baotou)
        # ORD-001's rows filled in and read back: it leaves the checklist
        sheet_path = tmp_path / "backfill.xlsx"
        run_cli(config, url, "template", "--backfill", str(sheet_path))
        book = load_workbook(sheet_path)
        ws = book.worksheets[0]
        for number in range(ws.max_row, 1, -1):
            if ws.cell(number, 1).value != "ORD-001":
                ws.delete_rows(number)
            else:
                year = ws.cell(number, 3).value
                ws.cell(number, 4, dt.date(year + 1, 3, 1))
        book.save(sheet_path)
        run_cli(config, url, "import-facts", str(sheet_path))
        with running.signed_in("admin") as client:
            listed = _checklist(client.get("/").text)
            assert 'data-cluster="ORD-001"' not in listed and 'data-cluster="BT-001"' in listed
