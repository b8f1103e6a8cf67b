"""Every survey export as LibreOffice Calc reads it: hostile names stay text, nothing errs.

Issue 14: with a unit renamed =HYPERLINK("http://evil","江北区") (short name =1+1), the code
list and the paper template's notes held live formulas (a link out, "2", Err:501). Here each
export is built with such names, converted by LibreOffice to CSV as shown (every sheet) and
read back.

Runs where LibreOffice is installed (.ci/run installs `libreoffice-calc-nogui`); on
machines without it the module defines no test, so nothing is skipped (CI fails on skips).
"""

import csv
import io
import shutil
import subprocess

import pytest
from django.urls import reverse

from surveys.fieldwork.paper_import import template_workbook
from surveys.models import Round
from surveys.reports.feedback import build_unit_feedback, feedback_context
from surveys.reports.raw_export import BallotRows, write_ballots_xlsx
from surveys.reports.round_report import build_round_report
from sheets.writer import save
from tests import factories

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# CSV as shown (formatted), UTF-8, every sheet to its own file (token 12: -1).
AS_SHOWN = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
EVIL = '=HYPERLINK("http://evil","江北区")'

if SOFFICE:

    pytestmark = pytest.mark.django_db

    def test_every_export_reads_as_written_in_libreoffice(tmp_path, client, settings):
        settings.JOBS_ROOT = tmp_path / "jobs"
        data = factories.reported_city()
        r = data["round"]
        unit = data["units"][0]
        unit.name, unit.short_name = EVIL, "=1+1"
        unit.save()
        Round.objects.filter(pk=r.pk).update(name="-1+1 测评")
        r.refresh_from_db()
        build_round_report(r, tmp_path / "report.xlsx")
        ctx = feedback_context(r)
        build_unit_feedback(ctx, next(x for x in ctx.units if x.unit == unit), tmp_path / "feedback.xlsx")
        write_ballots_xlsx(BallotRows(r, list(r.round_units.select_related("unit"))), tmp_path / "ballots.xlsx")
        save(template_workbook(r), tmp_path / "template.xlsx")
        client.force_login(factories.staff())
        ru = r.round_units.get(unit=unit)
        factories.access_codes(ru, size=2)
        batch = ru.code_batches.latest("pk")
        response = client.get(reverse("fieldwork:codes_xlsx", args=[batch.pk]))
        (tmp_path / "codes.xlsx").write_bytes(b"".join(response.streaming_content))

        names = ["report", "feedback", "ballots", "template", "codes"]
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                        "--convert-to", AS_SHOWN, *(str(tmp_path / f"{n}.xlsx") for n in names),
                        "--outdir", str(tmp_path / "csv")], check=True, capture_output=True, timeout=600)
        shown = {}
        for path in sorted((tmp_path / "csv").glob("*.csv")):
            with open(path, encoding="utf-8") as fh:
                shown[path.stem] = list(csv.reader(fh))
        for name in names:
            cells = [c for stem, rows in shown.items() if stem.startswith(name) for row in rows for c in row]
            assert cells, name
            text = "\n".join(cells)
            assert "Err:" not in text and "#NAME" not in text and "#VALUE" not in text, name
            assert any(EVIL in c for c in cells), name  # the unit's name, as text
        ballots = [row for stem, rows in shown.items() if stem.startswith("ballots") for row in rows]
        assert any(row[1] == EVIL for row in ballots)
        assert any(c == "-1+2" for row in ballots for c in row)  # an opinion, as written
        report = {stem: rows for stem, rows in shown.items() if stem.startswith("report")}
        notes = next(rows for stem, rows in report.items() if stem.endswith("说明"))
        assert ["测评轮次", "-1+1 测评"] in [row[:2] for row in notes]
        assert ["年度", "2026"] in [row[:2] for row in notes]  # a year, never "2,026"
        codes = [row for stem, rows in shown.items() if stem.startswith("codes") for row in rows]
        assert codes[0][:3] == ["序号", "测评码", "填写地址"]
