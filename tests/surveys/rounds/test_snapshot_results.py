"""Results read from the sealed snapshot equal the results the tallies gave before the close:
every unit's counts, rates, level, class and rank, every sub-indicator, the pooled city
figures and every sheet of the round report. After the close the tallies are no longer read."""

import random
from io import BytesIO

import pytest
from django.db.models import F
from django.utils import timezone
from openpyxl import load_workbook

from surveys.ballots import ballot_submit, ballots_mix
from surveys.models import Channel, Investigation, ItemKind, RespondentCategory, ScaleKey, Tally
from surveys.reports.round_report import build_round_report
from surveys.results.dashboards import pooled
from surveys.rounds.services import round_close
from surveys.selectors import category_totals, item_results, round_results
from tests import factories

pytestmark = pytest.mark.django_db

DIMENSION_FIELDS = (
    "counts", "answered", "valid", "satisfied", "basic", "dissatisfied", "unknown", "positive",
    "interval", "score", "below_minimum", "weighted", "level",
)


def fill(r, rng):
    """Varied ballots over every rated item and several categories (some sub-items blank)."""
    items = list(r.items.exclude(kind=ItemKind.OPINION))
    values = r.scale_def.values
    categories = list(RespondentCategory.objects.filter(pk__in=r.round_categories.values("category")))
    for n, ru in enumerate(r.round_units.order_by("pk")):
        lean = n % 4
        for _ in range(rng.randint(0 if n == 3 else 8, 25)):
            answers = {}
            for item in items:
                if item.kind == ItemKind.SUB and rng.random() < 0.2:
                    continue
                answers[item.pk] = min(values[-1], max(1, int(rng.triangular(1, values[-1] + 1, 1 + lean))))
            ballot_submit(round_unit=ru, category=rng.choice(categories), channel=Channel.ONLINE,
                          answers=answers, opinion="意见" if rng.random() < 0.1 else "")
    ballots_mix(round_=r, minimum=1)  # count them now: results read the tallies of an open round


def seen(results):
    return {
        r.round_unit.pk: (
            r.unit.code, r.unit.name, r.group.pk, r.level, r.final, dict(r.ranks),
            {k: tuple(getattr(d, f) for f in DIMENSION_FIELDS) for k, d in r.dimensions.items()},
            r.round_unit.online_ballots, r.round_unit.paper_ballots, r.round_unit.planned_sample,
        )
        for r in results.units
    }


def report_cells(r, now):
    out = BytesIO()
    build_round_report(r, out, now=now)
    book = load_workbook(BytesIO(out.getvalue()))
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book if ws.title != "说明"}


@pytest.mark.parametrize("settings", [
    {},
    {"use_weights": True},
    {"scale": ScaleKey.FIVE},
    {"unknown_in_denominator": False, "min_valid_answers": 12},
], ids=["plain", "weighted", "five-level", "unknown-excluded"])
def test_results_from_the_snapshot_equal_results_from_the_tallies(city, settings):
    categories = [(c, w) for c, w in zip(RespondentCategory.objects.order_by("order")[:4], (3, 2, 1, 1))]
    r = factories.round_(city["units"], planned=20, categories=categories, **settings)
    fill(r, random.Random(7))
    below = next(x for x in round_results(r).units if x.dimensions[ItemKind.SELECTION].level.value == "below")
    Investigation.objects.create(round_unit=below.round_unit, item=factories.headline(r), findings="较严重",
                                 conclusion="serious", decided_by=factories.staff())
    now = timezone.now()
    before = round_results(r)
    before_items = item_results(r, [u.round_unit for u in before.units])
    ids = [u.round_unit.pk for u in before.units]
    item_ids = [i.pk for i in before_items.items]
    before_totals = category_totals(r, ids, item_ids)
    before_report = report_cells(r, now)
    assert before.snapshot is None

    round_close(round_=r, actor=factories.staff())
    r.refresh_from_db()
    after = round_results(r)
    assert after.snapshot is not None and after.fingerprint
    assert seen(after) == seen(before)
    after_items = item_results(r, [u.round_unit for u in after.units])
    assert after_items.results == before_items.results and after_items.by_category == before_items.by_category
    assert category_totals(r, ids, item_ids) == before_totals
    assert pooled(after) == pooled(before)
    assert report_cells(r, now) == before_report
    assert after.policy == before.policy


def test_after_the_close_the_pages_read_the_snapshot_not_the_tallies(city):
    r = city["round"]
    ru = r.round_units.first()
    factories.ballots(ru, [1, 1, 3, 3, 3])
    round_close(round_=r, actor=factories.staff())
    r.refresh_from_db()
    Tally.objects.filter(round_unit=ru, option=1).update(count=F("count") + 60)
    shown = next(u for u in round_results(r).units if u.round_unit.pk == ru.pk)
    assert shown.dimensions[ItemKind.SELECTION].counts == {1: 2, 3: 3}
    assert shown.final.value == "pending"
