from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Item, ItemKind, RespondentCategory, Round, RoundCategory, RoundUnit
from ..questionnaire import HEADLINE_ITEMS, OPINION_ITEM, STANDARD_SUB_ITEMS


@transaction.atomic
def round_create(
    *,
    name,
    year,
    opens_at,
    closes_at,
    units,
    categories=None,
    sub_items=None,
    opinion=True,
    **settings,
):
    """Create a draft round with the standard questionnaire.

    units: [(unit, planned_sample), ...]; categories: respondent categories (all by
    default) or [(category, weight), ...]; settings: other Round fields (scale, policy).
    """
    round_ = Round(name=name, year=year, opens_at=opens_at, closes_at=closes_at, **settings)
    round_.full_clean()
    round_.save()
    RoundUnit.objects.bulk_create(
        [RoundUnit(round=round_, unit=unit, planned_sample=planned) for unit, planned in units]
    )
    chosen = categories if categories is not None else list(RespondentCategory.objects.all())
    if not chosen:
        raise ValidationError("至少选择一类参评人员。", code="no_categories")
    RoundCategory.objects.bulk_create(
        [
            RoundCategory(round=round_, category=c[0], weight=c[1])
            if isinstance(c, tuple)
            else RoundCategory(round=round_, category=c)
            for c in chosen
        ]
    )
    texts = STANDARD_SUB_ITEMS if sub_items is None else sub_items
    items = [
        Item(round=round_, kind=kind, text=text, order=order, required=True)
        for order, (kind, text) in enumerate(HEADLINE_ITEMS, start=1)
    ]
    items += [
        Item(round=round_, kind=ItemKind.SUB, text=text, order=10 + order)
        for order, text in enumerate(texts, start=1)
    ]
    if opinion:
        items.append(Item(round=round_, kind=ItemKind.OPINION, text=OPINION_ITEM, order=100))
    Item.objects.bulk_create(items)
    return round_
