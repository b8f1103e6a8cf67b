"""Investigations of below-standard units and rectification measures carried over."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEntry
from surveys import scoring
from surveys.models import ItemKind, RoundStatus
from surveys.rounds import investigations as services
from surveys.rounds.services import round_close
from surveys.selectors import round_results
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(city):
    staff = factories.staff()
    r = city["round"]
    good, bad = r.round_units.all()[:2]
    factories.ballots(good, [1] * 9 + [3])
    factories.ballots(bad, [1, 2, 3, 3, 3], both=False)  # below on selection only
    round_close(round_=r, actor=staff)
    r.refresh_from_db()
    return {"round": r, "good": good, "bad": bad, "staff": staff}


def test_below_standard_lists_units_per_dimension_pending(setup):
    rows = services.below_standard(setup["round"])
    assert [(row.result.round_unit.pk, row.kind) for row in rows] == [(setup["bad"].pk, ItemKind.SELECTION)]
    assert rows[0].pending


def test_recording_a_serious_conclusion_makes_an_unsatisfied_unit(setup):
    r, bad, staff = setup["round"], setup["bad"], setup["staff"]
    item = factories.headline(r)
    services.investigation_record(round_unit=bad, item=item, findings="走访发现问题",
                                  conclusion=scoring.Conclusion.SERIOUS.value, actor=staff, source="调查结论")
    result = next(u for u in round_results(r).units if u.round_unit.pk == bad.pk)
    assert result.final is scoring.FinalClass.UNSATISFIED
    row = services.below_standard(r)[0]
    assert not row.pending and row.investigation.decided_by == staff
    entry = AuditEntry.objects.get(action="investigation.record")
    assert entry.changes["conclusion"] == [None, "serious"] and entry.source == "调查结论"


def test_revising_a_conclusion_is_recorded_with_before_and_after(setup):
    r, bad, staff = setup["round"], setup["bad"], setup["staff"]
    item = factories.headline(r)
    for conclusion in ("serious", "not_serious"):
        services.investigation_record(round_unit=bad, item=item, findings="情况", conclusion=conclusion, actor=staff)
    entry = AuditEntry.objects.get(action="investigation.revise")
    assert entry.changes == {"conclusion": ["serious", "not_serious"]}
    result = next(u for u in round_results(r).units if u.round_unit.pk == bad.pk)
    assert result.final is scoring.FinalClass.BELOW


def test_investigation_refused_for_a_unit_that_is_not_below(setup):
    with pytest.raises(ValidationError) as exc:
        services.investigation_record(round_unit=setup["good"], item=factories.headline(setup["round"]),
                                      findings="x", conclusion="serious", actor=setup["staff"])
    assert exc.value.code == "not_below"


def test_investigation_refused_before_close(city):
    staff = factories.staff()
    r = city["round"]
    with pytest.raises(ValidationError) as exc:
        services.investigation_record(round_unit=r.round_units.first(), item=factories.headline(r),
                                      findings="x", conclusion="serious", actor=staff)
    assert exc.value.code == "not_closed"


def test_rectification_created_updated_and_seen_from_next_round(setup, client):
    r, bad, staff = setup["round"], setup["bad"], setup["staff"]
    measure = services.rectification_create(round_unit=bad, measures="开展专项整治", deadline=date(2027, 3, 1),
                                            status="planned", actor=staff)
    services.rectification_update(rectification=measure, status="in_progress", actor=staff)
    entry = AuditEntry.objects.get(action="rectification.update")
    assert entry.changes == {"status": ["planned", "in_progress"]}
    later = factories.round_([bad.unit], status=RoundStatus.DRAFT, year=r.year + 1)
    later_ru = later.round_units.get()
    client.force_login(staff)
    page = client.get(f"/rounds/{later.pk}/units/{later_ru.pk}/")
    assert "以往测评的整改" in page.content.decode() and "开展专项整治" in page.content.decode()
    assert "开展专项整治" in client.get(f"/units/{bad.unit.pk}/").content.decode()


def test_a_serious_conclusion_on_a_sample_below_the_minimum_warns(client, setup):
    """5 valid answers against a minimum of 30: the form warns, and the trail records it."""
    r, bad, staff = setup["round"], setup["bad"], setup["staff"]
    client.force_login(staff)
    url = f"/rounds/{r.pk}/investigations/{bad.pk}/selection/"
    page = client.get(url).content.decode()
    assert 'id="sample-warning"' in page and "只有 5 张有效票" in page and "最少有效票 30 张" in page
    assert "样本不足" in client.get(f"/rounds/{r.pk}/investigations/").content.decode()
    client.post(url, {"findings": "走访发现问题", "conclusion": "serious"})
    entry = AuditEntry.objects.get(action="investigation.record")
    assert entry.changes["below_minimum"] == {"valid": 5, "minimum": 30}


def test_no_sample_warning_when_the_sample_is_large_enough(client, city):
    staff = factories.staff()
    r = city["round"]
    ru = r.round_units.first()
    factories.ballots(ru, [1] * 12 + [3] * 20)
    round_close(round_=r, actor=staff)
    client.force_login(staff)
    page = client.get(f"/rounds/{r.pk}/investigations/{ru.pk}/selection/").content.decode()
    assert "有效票 32 张" in page and 'id="sample-warning"' not in page
    client.post(f"/rounds/{r.pk}/investigations/{ru.pk}/selection/", {"findings": "问题严重", "conclusion": "serious"})
    assert "below_minimum" not in AuditEntry.objects.get(action="investigation.record").changes


def test_the_investigation_form_shows_the_units_figures(setup, client):
    """Regression: whoever recorded a conclusion saw none of the unit's figures."""
    r, bad = setup["round"], setup["bad"]
    client.force_login(setup["staff"])
    page = client.get(f"/rounds/{r.pk}/investigations/{bad.pk}/{ItemKind.SELECTION}/").content.decode()
    table = page.split('data-table="figures"')[1].split("</table>")[0]
    result = next(u for u in round_results(r).units if u.round_unit.pk == bad.pk)
    selection = result.dimensions[ItemKind.SELECTION]
    assert scoring.percent(selection.positive) in table and selection.level.label in table
    assert scoring.percent(result.dimensions[ItemKind.CONDUCT].positive) in table
    assert "（本次调查）" in table.split(str(ItemKind.CONDUCT.label))[0]  # the selection row is marked
