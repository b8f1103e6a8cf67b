import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEntry
from surveys.ballots import ballots_mix, tallies_verify
from surveys.fieldwork.services import (
    paper_batch_close_keying,
    paper_batch_count,
    paper_batch_create,
    paper_batch_differences,
    paper_entry_key,
)
from surveys.models import Ballot, Channel, ItemKind, PaperBatchStatus, PaperEntry, PendingBallot, Round
from tests import factories

pytestmark = pytest.mark.django_db


def keyed(r, option, category=None, sub=None):
    data = {
        "category": str((category or factories.category()).pk),
        f"item_{factories.headline(r).pk}": str(option),
        f"item_{factories.headline(r, ItemKind.CONDUCT).pk}": str(option),
        "opinion": "",
    }
    if sub:
        data[f"item_{sub[0].pk}"] = str(sub[1])
    return data


@pytest.fixture
def keyer(client):
    user = factories.staff()
    client.force_login(user)
    client.user = user
    return client


def test_single_keying_counts_each_ballot_and_shows_running_count(keyer, city):
    r = city["round"]
    ru = r.round_units.first()
    ru.paper_forms_issued = 2
    ru.save()
    url = reverse("fieldwork:paper_key", args=[ru.pk])
    page = keyer.get(url).content.decode()
    assert "已录入 <strong id=\"count\">0</strong> 张，发出票数 2" in page
    assert "<kbd>1</kbd>" in page and "paper_entry.js" in page
    response = keyer.post(url, keyed(r, 2))
    assert response.status_code == 302 and response.url == url
    assert "已录入 <strong id=\"count\">1</strong> 张" in keyer.get(url).content.decode()
    keyer.post(url, keyed(r, 1))
    assert PendingBallot.objects.filter(round_unit=ru).count() == 2  # counted at the next mix
    ballots_mix(round_unit=ru, minimum=1)
    assert Ballot.objects.filter(round_unit=ru, channel=Channel.PAPER).count() == 2
    # 收回 ≤ 发出: a third ballot is refused with a clear message, nothing stored.
    over = keyer.post(url, keyed(r, 1))
    assert over.status_code == 400 and "收回数不能超过发出数" in over.content.decode()
    assert Ballot.objects.filter(round_unit=ru).count() == 2
    assert AuditEntry.objects.filter(action="paper.key").count() == 2
    assert tallies_verify(round_=r) == {}


def test_single_keying_validation_keeps_choices(keyer, city):
    r = city["round"]
    ru = r.round_units.first()
    ru.paper_forms_issued = 5
    ru.save()
    data = keyed(r, 3)
    del data[f"item_{factories.headline(r, ItemKind.CONDUCT).pk}"]
    response = keyer.post(reverse("fieldwork:paper_key", args=[ru.pk]), data)
    assert response.status_code == 400 and "请回答" in response.content.decode()
    assert not Ballot.objects.exists() and not PendingBallot.objects.exists()


def test_single_keying_is_refused_when_double_keying_is_required(keyer, city):
    r = city["round"]
    Round.objects.filter(pk=r.pk).update(require_double_keying=True)
    ru = r.round_units.first()
    response = keyer.get(reverse("fieldwork:paper_key", args=[ru.pk]))
    assert response.status_code == 302


@pytest.fixture
def double(city):
    r = city["round"]
    Round.objects.filter(pk=r.pk).update(require_double_keying=True)
    ru = r.round_units.select_related("round").first()
    ru.paper_forms_issued = 10
    ru.save()
    a, b, c = factories.staff(), factories.staff(), factories.staff()
    batch = paper_batch_create(round_unit=ru, label="第1箱", actor=a)
    return {"round": ru.round, "ru": ru, "batch": batch, "a": a, "b": b, "c": c}


def payload(r, option, sub_value=None):
    sub = r.items.filter(kind=ItemKind.SUB).first()
    answers = {str(factories.headline(r).pk): option, str(factories.headline(r, ItemKind.CONDUCT).pk): option}
    answers[str(sub.pk)] = sub_value
    return {"category": factories.category().pk, "answers": answers, "opinion": ""}


def test_double_keying_with_a_discrepancy_counts_after_a_third_person_resolves(double):
    r, batch, a, b, c = double["round"], double["batch"], double["a"], double["b"], double["c"]
    assert batch.double_keyed
    for option in (1, 2, 1):
        paper_entry_key(batch=batch, pass_no=1, payload=payload(r, option), actor=a)
    with pytest.raises(ValidationError, match="不同的工作人员"):
        paper_entry_key(batch=batch, pass_no=2, payload=payload(r, 1), actor=a)
    for option, sub in ((1, None), (2, 3), (1, None)):  # ballot 2: pass 2 saw a sub answer
        paper_entry_key(batch=batch, pass_no=2, payload=payload(r, option, sub), actor=b)
    assert not Ballot.objects.exists()  # nothing counts while keying

    with pytest.raises(ValidationError, match="其他工作人员"):
        paper_entry_key(batch=batch, pass_no=1, payload=payload(r, 1), actor=c)

    paper_batch_close_keying(batch=batch, actor=a)
    differences = paper_batch_differences(batch)
    assert [d.seq for d in differences] == [2]
    with pytest.raises(ValidationError, match="第三人"):
        paper_batch_count(batch=batch, resolutions={2: 2}, actor=a)
    with pytest.raises(ValidationError, match="尚未确定"):
        paper_batch_count(batch=batch, resolutions={}, actor=c)
    assert not Ballot.objects.exists()

    assert paper_batch_count(batch=batch, resolutions={2: 2}, actor=c) == 3
    batch.refresh_from_db()
    assert batch.status == PaperBatchStatus.COUNTED
    ballots = Ballot.objects.filter(round_unit=double["ru"], channel=Channel.PAPER)
    assert ballots.count() == 3
    assert sorted(len(b.answers.all()) for b in ballots) == [2, 2, 3]  # pass 2's sub answer won
    assert tallies_verify(round_=r) == {}
    assert AuditEntry.objects.filter(action="paper.batch_count", actor=c).exists()


def test_counting_respects_forms_issued_all_or_nothing(double):
    r, batch, a, b, c = double["round"], double["batch"], double["a"], double["b"], double["c"]
    ru = double["ru"]
    ru.paper_forms_issued = 1
    ru.save()
    for actor, pass_no in ((a, 1), (b, 2)):
        for _ in range(2):
            paper_entry_key(batch=batch, pass_no=pass_no, payload=payload(r, 1), actor=actor)
    paper_batch_close_keying(batch=batch, actor=a)
    with pytest.raises(ValidationError, match="收回数不能超过发出数"):
        paper_batch_count(batch=batch, resolutions={}, actor=c)
    assert not Ballot.objects.exists()
    batch.refresh_from_db()
    assert batch.status == PaperBatchStatus.RECONCILING


def test_closing_needs_both_passes(double):
    paper_entry_key(batch=double["batch"], pass_no=1, payload=payload(double["round"], 1), actor=double["a"])
    with pytest.raises(ValidationError, match="两遍都录入"):
        paper_batch_close_keying(batch=double["batch"], actor=double["a"])


def test_double_keying_through_the_screens(client, double):
    r, batch, a, b, c = double["round"], double["batch"], double["a"], double["b"], double["c"]
    for user, pass_no, option in ((a, 1, 1), (b, 2, 2)):
        client.force_login(user)
        url = reverse("fieldwork:paper_pass", args=[batch.pk, pass_no])
        assert client.post(url, keyed(r, option)).status_code == 302
    assert PaperEntry.objects.count() == 2 and not Ballot.objects.exists()
    client.post(reverse("fieldwork:paper_batch_close", args=[batch.pk]))
    url = reverse("fieldwork:paper_reconcile", args=[batch.pk])
    page = client.get(url).content.decode()
    assert "第 1 张" in page and "不一致" in page and "须由第三人核对" in page
    client.post(url, {"seq_1": "2"})
    assert not Ballot.objects.exists()  # b keyed a pass and may not resolve
    client.force_login(c)
    assert client.post(url, {"seq_1": "2"}).status_code == 302
    ballot = Ballot.objects.get()
    assert ballot.answers.get(item=factories.headline(r)).option == 2


def test_a_keyer_of_one_pass_is_refused_the_other_when_the_page_opens(client, double):
    """Regression: a pass-1 keyer could key a whole pass-2 ballot before being refused."""
    r, batch, a, b = double["round"], double["batch"], double["a"], double["b"]
    paper_entry_key(batch=batch, pass_no=1, payload=payload(r, 1), actor=a)
    client.force_login(a)
    response = client.get(reverse("fieldwork:paper_pass", args=[batch.pk, 2]), follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("fieldwork:unit", args=[double["ru"].pk])
    assert "两遍录入须由两名不同的工作人员完成" in page and 'id="paper-entry"' not in page
    client.force_login(b)  # pass 1 is a's: b may key pass 2 but not pass 1
    assert client.get(reverse("fieldwork:paper_pass", args=[batch.pk, 2])).status_code == 200
    refused = client.get(reverse("fieldwork:paper_pass", args=[batch.pk, 1]), follow=True).content.decode()
    assert "第1遍已由其他工作人员录入" in refused


def test_the_keying_screen_uses_the_width(client, double):
    """Regression: the keying form sat in 40% of the width, one ballot three screens long."""
    client.force_login(double["a"])
    page = client.get(reverse("fieldwork:paper_pass", args=[double["batch"].pk, 1])).content.decode()
    assert 'class="keying-items"' in page and "css/keying.css" in page and 'style="' not in page
