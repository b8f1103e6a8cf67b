"""Replay of attack 2: two downloads by any staff member during an open round, one before and
one after a submission. Before: one code's status flipped in the batch list and one row
appeared in ballots.csv. Now the code list holds no status per code until the close, and no
ballot, opinion or result of an open round can be downloaded."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories

from .conftest import submit

pytestmark = pytest.mark.django_db


def code_rows(client, batch):
    response = client.get(reverse("fieldwork:codes_xlsx", args=[batch.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [row for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]


def test_two_downloads_around_a_submission_differ_in_no_code(client, city):
    from surveys.models import CodeBatch

    r = city["round"]
    ru = r.round_units.first()
    plain = factories.access_codes(ru, 5)
    batch = CodeBatch.objects.get(round_unit=ru)
    client.force_login(factories.staff())
    before = code_rows(client, batch)
    slips_before = client.get(reverse("fieldwork:slips", args=[batch.pk])).content.decode()
    submit(plain[2], r, "我的意见")
    after = code_rows(client, batch)
    slips_after = client.get(reverse("fieldwork:slips", args=[batch.pk])).content.decode()
    assert before == after and len(after) == 5  # every code, the same cells
    assert slips_before.count('class="slip"') == slips_after.count('class="slip"') == 5
    for name in ("ballots_csv", "ballots_xlsx", "round_report", "feedback_zip"):
        fetch = client.post if name == "feedback_zip" else client.get  # the zip is a job, started by POST
        response = fetch(reverse(f"reports:{name}", args=[r.pk]))
        assert response.status_code == 409
        assert "我的意见" not in response.content.decode()
