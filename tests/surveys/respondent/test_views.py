import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from surveys import codes
from surveys.ballots import ballots_mix
from surveys.fieldwork.services import codes_void
from surveys.models import AccessCode, Ballot, CodeStatus, ItemKind, PendingBallot, Round, RoundStatus
from surveys.respondent.services import REFUSALS
from tests import factories

pytestmark = pytest.mark.django_db
URL = reverse("respondent:start")


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def setup(city):
    r = city["round"]
    ru = r.round_units.first()
    return {"round": r, "ru": ru, "codes": factories.access_codes(ru, 3)}


def post_data(r, code, option="1", **extra):
    data = {
        "code": code,
        "category": str(factories.category().pk),
        f"item_{factories.headline(r).pk}": option,
        f"item_{factories.headline(r, ItemKind.CONDUCT).pk}": option,
        "opinion": "",
    }
    data.update(extra)
    return data


def test_entry_page_asks_for_a_code(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert "请输入测评票上的 12 位测评码" in response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_qr_link_opens_the_questionnaire(client, setup):
    code = codes.display(setup["codes"][0])
    body = client.get(URL, {"code": code.lower()}).content.decode()
    assert setup["round"].name in body and setup["ru"].unit.name in body
    for item in setup["round"].items.rated():
        assert item.text in body
    for rc in setup["round"].round_categories.all():
        assert rc.category.name in body
    assert f'name="code" value="{code}"' in body
    assert "不作答" in body  # sub-items may be left blank


def test_submission_counts_once_and_consumes_the_code(client, setup):
    r, ru, code = setup["round"], setup["ru"], setup["codes"][0]
    sub = r.items.filter(kind=ItemKind.SUB).first()
    data = post_data(r, codes.display(code), option="2", opinion="希望更加公开", **{f"item_{sub.pk}": ""})
    response = client.post(URL, data)
    assert response.status_code == 302 and response.url == reverse("respondent:thanks")
    assert AccessCode.objects.get(digest=codes.digest(code)).status == CodeStatus.SPENT
    assert PendingBallot.objects.filter(round_unit=ru).count() == 1
    ballots_mix(round_unit=ru, minimum=1)
    ballot = Ballot.objects.get()
    assert ballot.channel == "online" and ballot.opinion == "希望更加公开"
    assert sorted(ballot.answers.values_list("option", flat=True)) == [2, 2]  # sub-item abstained
    assert AccessCode.objects.get(digest=codes.digest(code)).status == CodeStatus.USED
    ru.refresh_from_db()
    assert ru.online_ballots == 1
    thanks = client.get(response.url).content.decode()
    assert "您的测评票已计入" in thanks

    again = client.post(URL, data).content.decode()
    assert str(REFUSALS["used"]) in again
    assert Ballot.objects.count() == 1 and not PendingBallot.objects.exists()
    ru.refresh_from_db()
    assert ru.online_ballots == 1


def test_a_spent_code_is_refused_as_used(client, setup):
    r, code = setup["round"], setup["codes"][0]
    assert client.post(URL, post_data(r, code)).status_code == 302
    assert AccessCode.objects.get(digest=codes.digest(code)).status == CodeStatus.SPENT
    assert str(REFUSALS["used"]) in client.get(URL, {"code": code}).content.decode()
    assert str(REFUSALS["used"]) in client.post(URL, post_data(r, code)).content.decode()
    assert PendingBallot.objects.count() == 1


def test_a_close_between_reading_the_code_and_casting_refuses_and_keeps_nothing(client, setup):
    from surveys.ballots import round_intake_stop

    r, ru, code = setup["round"], setup["ru"], setup["codes"][0]
    from surveys.respondent.services import ballot_cast_online, code_check

    checked = code_check(code)  # the page was shown while the round was open
    round_intake_stop(round_=r)
    with pytest.raises(Exception) as excinfo:
        ballot_cast_online(code=code, round_unit=checked, category=factories.category(),
                           answers=factories.online_answers(r))
    assert getattr(excinfo.value, "reason", None) == "closed"
    assert AccessCode.objects.get(digest=codes.digest(code)).status == CodeStatus.UNUSED
    ru.refresh_from_db()
    assert ru.online_ballots == 0 and not PendingBallot.objects.exists()


def test_validation_error_keeps_every_choice(client, setup):
    r = setup["round"]
    sub = r.items.filter(kind=ItemKind.SUB).first()
    data = post_data(r, setup["codes"][0], option="1", opinion="保留我的意见", **{f"item_{sub.pk}": "3"})
    del data[f"item_{factories.headline(r, ItemKind.CONDUCT).pk}"]
    body = client.post(URL, data).content.decode()
    assert "请回答" in body and "提交未成功" in body
    others = {f"item_{i.pk}": "" for i in r.items.filter(kind=ItemKind.SUB).exclude(pk=sub.pk)}
    assert checked(body) == {
        "category": str(factories.category().pk),
        f"item_{factories.headline(r).pk}": "1",
        f"item_{sub.pk}": "3",
        **others,  # blank sub-items show as 不作答, which is what they count as
    }
    assert "保留我的意见" in body
    assert not Ballot.objects.exists()
    assert AccessCode.objects.filter(status=CodeStatus.UNUSED).count() == 3


def test_too_long_opinion_is_refused(client, setup):
    r = setup["round"]
    body = client.post(URL, post_data(r, setup["codes"][0], opinion="意" * 1001)).content.decode()
    assert "不能超过 1000 字" in body
    assert not Ballot.objects.exists()


def checked(body):
    """{radio name: checked value} as rendered."""
    found = re.findall(r'<input type="radio" name="(\w+)" value="(\w*)" id="[^"]+"\s+checked', body)
    return dict(found)


def assert_refused(client, r, code, reason):
    for response in (client.get(URL, {"code": code}), client.post(URL, post_data(r, code))):
        assert str(REFUSALS[reason]) in response.content.decode()
    assert not Ballot.objects.exists()


def test_unknown_code_is_refused(client, setup):
    assert_refused(client, setup["round"], codes.display(codes.generate()), "unknown")


def test_mistyped_code_is_refused(client, setup):
    code = setup["codes"][0]
    typo = code[:5] + ("A" if code[5] != "A" else "B") + code[6:]
    assert_refused(client, setup["round"], typo, "malformed")
    assert_refused(client, setup["round"], code[:-2], "malformed")


def test_void_code_is_refused(client, setup):
    batch = AccessCode.objects.get(digest=codes.digest(setup["codes"][0])).batch
    codes_void(batch=batch, actor=factories.staff())
    assert_refused(client, setup["round"], setup["codes"][0], "void")


def test_used_code_is_refused(client, setup):
    AccessCode.objects.filter(digest=codes.digest(setup["codes"][0])).update(status=CodeStatus.USED)
    assert_refused(client, setup["round"], setup["codes"][0], "used")


def test_round_not_open_yet(client, setup):
    r = setup["round"]
    Round.objects.filter(pk=r.pk).update(opens_at=timezone.now() + timedelta(days=1))
    assert_refused(client, r, setup["codes"][0], "not_open")
    Round.objects.filter(pk=r.pk).update(status=RoundStatus.DRAFT, opens_at=timezone.now() - timedelta(days=1))
    assert_refused(client, r, setup["codes"][0], "not_open")
    assert not AccessCode.objects.filter(status=CodeStatus.USED).exists()


def test_round_closed(client, setup):
    r = setup["round"]
    Round.objects.filter(pk=r.pk).update(closes_at=timezone.now() - timedelta(minutes=1), opens_at=timezone.now() - timedelta(days=2))
    assert_refused(client, r, setup["codes"][0], "closed")
    Round.objects.filter(pk=r.pk).update(status=RoundStatus.CLOSED, closes_at=timezone.now() + timedelta(days=1))
    assert_refused(client, r, setup["codes"][0], "closed")
    assert not AccessCode.objects.filter(status=CodeStatus.USED).exists()


def test_empty_code(client):
    assert "请输入测评码。" in client.get(URL, {"code": " "}).content.decode()


def test_respondent_pages_use_no_session(client, setup):
    client.get(URL, {"code": setup["codes"][0]})
    client.post(URL, post_data(setup["round"], setup["codes"][0]))
    assert "sessionid" not in client.cookies
    from django.contrib.sessions.models import Session

    assert not Session.objects.exists()


def test_the_questionnaire_names_its_unit_and_the_write_checks_the_code(client, setup, city):
    r, ru, code = setup["round"], setup["ru"], setup["codes"][0]
    page = client.get(URL, {"code": code}).content.decode()
    assert f'name="unit" value="{ru.pk}"' in page
    assert client.post(URL, {**post_data(r, code), "unit": ru.pk}).status_code == 302
    assert PendingBallot.objects.filter(round_unit=ru).count() == 1
    # A page that names another unit than the code's (tampered, or stale) stores nothing.
    other = r.round_units.exclude(pk=ru.pk).first()
    other_code = factories.access_codes(other, 1)[0]
    client.get(URL, {"code": other_code})  # this process now knows the other unit too
    body = client.post(URL, {**post_data(r, setup["codes"][1]), "unit": other.pk}).content.decode()
    assert str(REFUSALS["stale"]) in body
    assert AccessCode.objects.get(digest=codes.digest(setup["codes"][1])).status == CodeStatus.UNUSED
    # An unknown code posted with a known unit is still an unknown code.
    unknown = codes.display(codes.generate())
    assert str(REFUSALS["unknown"]) in client.post(URL, {**post_data(r, unknown), "unit": ru.pk}).content.decode()


def test_the_time_window_is_checked_by_the_write(client, setup):
    r, ru, code = setup["round"], setup["ru"], setup["codes"][0]
    client.get(URL, {"code": code})  # the page was shown in time
    Round.objects.filter(pk=r.pk).update(closes_at=timezone.now() - timedelta(seconds=1),
                                         opens_at=timezone.now() - timedelta(days=2))
    body = client.post(URL, {**post_data(r, code), "unit": ru.pk}).content.decode()
    assert str(REFUSALS["closed"]) in body
    assert not PendingBallot.objects.exists()
    assert AccessCode.objects.get(digest=codes.digest(code)).status == CodeStatus.UNUSED


def test_the_fast_path_refuses_what_the_form_refuses(client, setup):
    r, ru, code = setup["round"], setup["ru"], setup["codes"][0]
    client.get(URL, {"code": code})
    for bad in ({"category": "99999"}, {f"item_{factories.headline(r).pk}": "9"},
                {f"item_{factories.headline(r).pk}": ""}, {"opinion": "意" * 1001}):
        body = client.post(URL, {**post_data(r, code), "unit": ru.pk, **bad}).content.decode()
        assert "提交未成功" in body
    assert not PendingBallot.objects.exists()
    assert AccessCode.objects.get(digest=codes.digest(code)).status == CodeStatus.UNUSED
def test_the_intro_counts_the_questions_marked_required(client, setup):
    """Regression: the intro said two items were required while three were marked 必答."""
    r = setup["round"]
    body = client.get(URL, {"code": setup["codes"][0]}).content.decode()
    marked = body.count('<span class="req">（必答）</span>')
    assert marked == 3  # the respondent category and the two headline items
    assert f"标有“必答”的 {marked} 题须作答" in body
