"""Error pages in the site's style, each with a way back; on /s/ they tell the truth about the ballot."""

import pytest
from django.db import DatabaseError
from django.db.models.query import QuerySet
from django.template import loader
from django.test import Client
from django.urls import reverse

from surveys import codes
from surveys.models import AccessCode, Ballot, CodeStatus, ItemKind, PendingBallot
from tests import factories

START = reverse("respondent:start")
NOT_RECORDED = "您的答卷没有记录"


@pytest.mark.parametrize("name, way_back", [
    ("400.html", 'href="/"'), ("403.html", 'href="/"'), ("403_csrf.html", 'href="/"'),
    ("404.html", 'href="/"'), ("500.html", 'href="/"'),
    ("surveys/respondent/400.html", 'href="/s/"'), ("surveys/respondent/404.html", 'href="/s/"'),
    ("surveys/respondent/500.html", 'href="/s/"'),
])
def test_error_pages_render_without_a_request_and_offer_a_way_back(name, way_back):
    page = loader.get_template(name).render()
    assert way_back in page and "选人用人" in page
    assert "不会丢失" not in page  # the old 500 page promised what a failed request cannot keep


@pytest.fixture
def answering(city):
    r = city["round"]
    ru = r.round_units.first()
    code = factories.access_codes(ru, 1)[0]
    data = {
        "code": codes.display(code),
        "category": str(factories.category().pk),
        f"item_{factories.headline(r).pk}": "1",
        f"item_{factories.headline(r, ItemKind.CONDUCT).pk}": "1",
        "opinion": "",
    }
    return {"code": code, "data": data}


@pytest.mark.django_db
def test_a_failure_while_storing_a_ballot_says_it_was_not_recorded(answering, monkeypatch):
    from surveys import ballots

    def lost_connection(*args, **kwargs):
        # Everything of the submission is written, not yet committed, when the connection goes.
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(ballots, "_mix_when_committed", lost_connection)
    client = Client(raise_request_exception=False)
    response = client.post(START, answering["data"])
    page = response.content.decode()
    assert response.status_code == 500
    assert NOT_RECORDED in page and "同一个测评码" in page and 'href="/s/"' in page

    # And it is true: nothing stored, the code unused and accepted again.
    assert not Ballot.objects.exists() and not PendingBallot.objects.exists()
    assert AccessCode.objects.get(digest=codes.digest(answering["code"])).status == CodeStatus.UNUSED
    monkeypatch.undo()
    assert client.post(START, answering["data"]).status_code == 302
    assert PendingBallot.objects.count() == 1


@pytest.mark.django_db
def test_a_staff_page_failure_gets_the_general_500_page(monkeypatch):
    import credibility.views

    def broken(user):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(credibility.views, "visible_groups", broken)
    client = Client(raise_request_exception=False)
    client.force_login(factories.staff())
    response = client.get("/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "系统暂时出错" in page and "可能没有完成" in page and NOT_RECORDED not in page


@pytest.mark.django_db
def test_an_oversized_opinion_gets_a_chinese_400_saying_the_code_still_works(answering):
    data = {**answering["data"], "opinion": "很" * (3 * 1024 * 1024 // 3)}  # 3 MB of UTF-8
    response = Client().post(START, data)
    page = response.content.decode()
    assert response.status_code == 400
    assert NOT_RECORDED in page and "测评码仍然有效" in page and "Bad Request" not in page
    assert AccessCode.objects.get(digest=codes.digest(answering["code"])).status == CodeStatus.UNUSED


@pytest.mark.django_db
def test_an_oversized_staff_form_gets_the_general_400(client):
    response = client.post("/accounts/login/", {"username": "x" * (3 * 1024 * 1024), "password": "x"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "请求无法处理" in page and "Bad Request" not in page


@pytest.mark.django_db
def test_not_found_pages(client):
    staff_page = client.get("/no-such-page/")
    respondent_page = client.get("/s/no-such-page/")
    assert staff_page.status_code == respondent_page.status_code == 404
    assert "页面不存在" in staff_page.content.decode()
    assert "输入测评码" in respondent_page.content.decode()
