"""export_report / export_feedback / export_ballots write the same files as the downloads."""

import io
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from audit.models import AuditEntry
from tests import factories
from tests.surveys.reports.test_views import _jobs_root, feedback_zip  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

# Cells that say when and by whom a file was made: the only ones allowed to differ.
STAMPED = {"生成时间", "生成人"}


@pytest.fixture
def data():
    data = factories.reported_city()
    factories.close(data["round"])  # files of an open round never leave the server
    return data


def body(response):
    return b"".join(response.streaming_content)


def contents(source):
    wb = openpyxl.load_workbook(source)
    sheets = {}
    for ws in wb.worksheets:
        rows = [list(row) for row in ws.iter_rows(values_only=True)]
        for row in rows:
            if row and row[0] in STAMPED:
                row[1] = "…"
        sheets[ws.title] = rows
    return sheets


@pytest.fixture
def staff_client(client):
    client.force_login(factories.staff())
    return client


def test_export_report_matches_the_download(data, staff_client, tmp_path):
    r = data["round"]
    path = tmp_path / "report.xlsx"
    call_command("export_report", r.pk, str(path), stdout=io.StringIO())
    download = body(staff_client.get(reverse("reports:round_report", args=[r.pk])))
    assert contents(path) == contents(io.BytesIO(download))
    assert AuditEntry.objects.filter(source="command", changes__file="round_report").exists()


def test_export_feedback_zip_and_one_unit(data, staff_client, tmp_path):
    r, unit = data["round"], data["units"][1]
    path = tmp_path / "feedback.zip"
    call_command("export_feedback", r.pk, str(path), stdout=io.StringIO())
    download = feedback_zip(staff_client, r)
    written = zipfile.ZipFile(path)
    assert written.namelist() == download.namelist()
    for name in written.namelist():
        assert contents(io.BytesIO(written.read(name))) == contents(io.BytesIO(download.read(name)))

    one = tmp_path / "one.xlsx"
    call_command("export_feedback", r.pk, str(one), unit=unit.code, stdout=io.StringIO())
    single = body(staff_client.get(reverse("reports:unit_feedback", args=[r.pk, unit.pk])))
    assert contents(one) == contents(io.BytesIO(single))


def test_export_ballots_xlsx_and_csv_match_the_downloads(data, staff_client, tmp_path):
    r = data["round"]
    xlsx, csv_ = tmp_path / "b.xlsx", tmp_path / "b.csv"
    out = io.StringIO()
    call_command("export_ballots", r.pk, str(xlsx), stdout=out)
    assert "已导出 56 张测评票" in out.getvalue()
    call_command("export_ballots", r.pk, str(csv_), stdout=io.StringIO())
    download = body(staff_client.get(reverse("reports:ballots_xlsx", args=[r.pk])))
    assert contents(xlsx) == contents(io.BytesIO(download))
    assert csv_.read_bytes() == body(staff_client.get(reverse("reports:ballots_csv", args=[r.pk])))


def test_commands_refuse_an_open_round(tmp_path):
    r = factories.reported_city()["round"]
    for command in ("export_report", "export_feedback", "export_ballots"):
        with pytest.raises(CommandError, match="进行中"):
            call_command(command, str(r.pk), str(tmp_path / "x.xlsx"))
    assert not list(tmp_path.iterdir())


def test_commands_refuse_unknown_rounds_units_and_formats(data, tmp_path):
    with pytest.raises(CommandError):
        call_command("export_report", 999999, str(tmp_path / "x.xlsx"))
    with pytest.raises(CommandError):
        call_command("export_feedback", data["round"].pk, str(tmp_path / "x.xlsx"), unit="NOPE")
    with pytest.raises(CommandError):
        call_command("export_ballots", data["round"].pk, str(tmp_path / "x.txt"))
