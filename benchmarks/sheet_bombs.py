"""Zip-bomb workbooks refused quickly and in bounded memory (issue 25, item 1).

    python benchmarks/sheet_bombs.py

Builds, with zipfile alone, workbooks of a few hundred kilobytes that unpack to a flood of XML, and times
`monitor import-facts` on each in a process of its own, with its peak memory (ru_maxrss):

- the audit's bomb: 300 MB of ``<row/>`` (refused before it is read: it unpacks past MAX_UNPACKED_BYTES);
- 98 MB of ``<row/>`` (under that limit: refused when the rows streamed pass MAX_ROWS);
- one cell in column XFD on each of 98 MB of rows (refused at MAX_ROWS too; each row is 16,384 cells wide);
- a sheet declaring the dimension A1:XFD1048576 over two real rows (read as two rows, not padded out).

Each must be refused, or read, within a few seconds and well under 200 MB. Target: every case < 10 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
        '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
        'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
        'name="facts" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
}
HEADER = ('<row r="1"><c r="A1" t="inlineStr"><is><t>cluster</t></is></c><c r="B1" t="inlineStr"><is><t>fact</t>'
          '</is></c></row>')


def bomb(path: Path, rows: bytes, unpacked: int, dimension: str = "A1:B1") -> Path:
    """A workbook whose sheet holds the header, then ``rows`` repeated to ``unpacked`` bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name, text in PARTS.items():
            out.writestr(name, text)
        with out.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><dimension ref="' + dimension.encode() + b'"/><sheetData>'
                        + HEADER.encode())
            chunk = rows * max(1, min(unpacked, 1024 * 1024) // max(len(rows), 1))
            written = 0
            while rows and written < unpacked:
                sheet.write(chunk)
                written += len(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return path


def measure(monitor: str, path: Path, env: dict[str, str]) -> tuple[float, int, str]:
    """Seconds, peak memory (MB) and the last line said, of `monitor import-facts --dry-run` on ``path``."""
    said = path.with_suffix(".out")
    start = time.perf_counter()
    with said.open("w") as out:
        child = subprocess.Popen([monitor, "import-facts", "--dry-run", str(path)], env=env, stdout=out, stderr=out)
        _, _, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    lines = said.read_text().strip().splitlines()
    return elapsed, usage.ru_maxrss // 1024, lines[-1] if lines else ""


def main() -> None:
    monitor = str(Path(sys.executable).with_name("monitor"))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        env = {**os.environ, "MONITOR_DATABASE_URL": f"sqlite:///{base / 'bench.db'}", "MONITOR_USER": "bench"}
        roster = base / "roster.csv"
        roster.write_text("id,name,regime,certified_on\nC-1,集群,nmg-sme-draft,2023-10-15\n", encoding="utf-8")
        subprocess.run([monitor, "import", str(roster)], env=env, check=True, capture_output=True)
        cases = [
            ("300 MB of <row/>", bomb(base / "a.xlsx", b"<row/>", 300 * 1024 * 1024)),
            ("98 MB of <row/>", bomb(base / "b.xlsx", b"<row/>", 98 * 1024 * 1024)),
            ("98 MB of rows ending at XFD", bomb(base / "c.xlsx", b'<row><c r="XFD1"/></row>', 98 * 1024 * 1024)),
            ("A1:XFD1048576 declared", bomb(base / "d.xlsx", b'<row><c t="inlineStr"><is><t>C-1</t></is></c><c '
                                             b't="inlineStr"><is><t>report</t></is></c></row>', 1, "A1:XFD1048576")),
        ]
        for name, path in cases:
            elapsed, peak, said = measure(monitor, path, env)
            print(f"{name:30} {path.stat().st_size / 1024:8.0f} KB  {elapsed:6.2f} s  {peak:5d} MB peak   {said[:90]}")


if __name__ == "__main__":
    main()
