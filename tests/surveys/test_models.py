"""What must never happen is refused by the database itself."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from surveys.models import Answer, Ballot, Channel, Item, ItemKind, Round, RoundUnit
from tests import factories

pytestmark = pytest.mark.django_db


def test_threshold_outside_0_100_is_refused(city):
    with pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.filter(pk=city["round"].pk).update(positive_threshold=101)


def test_basic_threshold_above_positive_is_refused(city):
    with pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.filter(pk=city["round"].pk).update(basic_threshold=90)


def test_round_must_close_after_it_opens(city):
    r = city["round"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.filter(pk=r.pk).update(closes_at=r.opens_at - timedelta(hours=1))


def test_two_answers_to_one_item_on_one_ballot_are_refused(city):
    ru = city["round"].round_units.first()
    factories.ballots(ru, [1])
    ballot = Ballot.objects.get(round_unit=ru)
    item = factories.headline(city["round"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(ballot=ballot, item=item, option=2)


def test_ballot_unit_is_always_inside_its_round(city):
    # A ballot points at a (round, unit) pair, so a unit outside the round cannot be named.
    outsider = factories.unit()
    assert not RoundUnit.objects.filter(round=city["round"], unit=outsider).exists()
    field = Ballot._meta.get_field("round_unit")
    assert field.related_model is RoundUnit


def test_unit_surveyed_once_per_round(city):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoundUnit.objects.create(round=city["round"], unit=city["units"][0])


def test_paper_ballots_never_exceed_forms_issued(city):
    ru = city["round"].round_units.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        RoundUnit.objects.filter(pk=ru.pk).update(paper_ballots=1, paper_forms_issued=0)


def test_one_selection_item_per_round(city):
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.create(round=city["round"], kind=ItemKind.SELECTION, text="重复")
    Item.objects.create(round=city["round"], kind=ItemKind.SUB, text="另一个分项")


def test_unknown_channel_is_refused(city):
    ru = city["round"].round_units.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(
            round_unit=ru, category=factories.category(), channel="fax", cast_on=timezone.localdate()
        )
    assert Channel.PAPER in Channel.values
