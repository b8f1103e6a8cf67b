"""The writer's files as LibreOffice Calc reads them: text stays text, formats show right.

Runs only where LibreOffice is installed (`apt-get install libreoffice-calc-nogui`); on
machines without it the module defines no test, so nothing is skipped (CI fails on skips).
"""

import csv
import shutil
import subprocess

from sheets.writer import Column, new_workbook, save, write_table

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
AS_SHOWN = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false"

if SOFFICE:

    def test_libreoffice_reads_text_as_text_and_years_without_separators(tmp_path):
        book = new_workbook()
        write_table(book, "表", [Column("名称"), Column("简称"), Column("年度", "year"), Column("票数", "int")], [
            ['=HYPERLINK("http://evil","江北区")', "=1+1", 2025, 12345],
            ["-1+1", "@SUM(A1)", 2026, 1],
        ])
        save(book, tmp_path / "out.xlsx")
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                        "--convert-to", AS_SHOWN, str(tmp_path / "out.xlsx"), "--outdir", str(tmp_path)],
                       check=True, capture_output=True, timeout=180)
        with open(tmp_path / "out.csv", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert rows[1] == ['=HYPERLINK("http://evil","江北区")', "=1+1", "2025", "12,345"]
        assert rows[2] == ["-1+1", "@SUM(A1)", "2026", "1"]
