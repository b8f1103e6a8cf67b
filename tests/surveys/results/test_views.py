"""Dashboard pages: who sees what, figures as scoring says, state kept in GET, query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse

from surveys import scoring
from surveys.models import ItemKind, Round, RoundStatus
from surveys.selectors import round_results
from tests import factories

pytestmark = pytest.mark.django_db



def set_status(r, status, *, days_ago=0):
    Round.objects.filter(pk=r.pk).update(
        status=status, opens_at=r.opens_at - timedelta(days=days_ago), closes_at=r.closes_at - timedelta(days=days_ago)
    )
    r.refresh_from_db()
    return r


@pytest.fixture
def data():
    data = factories.reported_city()
    set_status(data["round"], RoundStatus.PUBLISHED)
    return data


def login(client, user):
    client.force_login(user)
    return client


def pages(r, unit):
    return [
        reverse("dashboards:index"),
        reverse("dashboards:round", args=[r.pk]),
        reverse("dashboards:unit", args=[r.pk, unit.pk]),
        reverse("dashboards:trends"),
    ]


def test_anonymous_users_log_in_and_others_are_refused(client, data):
    r, unit = data["round"], data["units"][0]
    for url in pages(r, unit):
        assert client.get(url).status_code == 302
    login(client, factories.user())  # no role
    for url in pages(r, unit):
        assert client.get(url).status_code == 403
    login(client, factories.leader())
    for url in pages(r, unit):
        assert client.get(url).status_code == 200


def test_leaders_see_published_rounds_staff_also_closed_and_everyone_live_ones(client, data):
    r, unit = data["round"], data["units"][0]
    leader, staff = factories.leader(), factories.staff()
    set_status(r, RoundStatus.CLOSED)
    login(client, leader)
    assert client.get(reverse("dashboards:round", args=[r.pk])).status_code == 404
    assert client.get(reverse("dashboards:unit", args=[r.pk, unit.pk])).status_code == 404
    assert r.name not in client.get(reverse("dashboards:index")).content.decode()
    login(client, staff)
    assert client.get(reverse("dashboards:round", args=[r.pk])).status_code == 200
    assert client.get(reverse("dashboards:live", args=[r.pk])).status_code == 404  # not open

    set_status(r, RoundStatus.OPEN)
    assert client.get(reverse("dashboards:round", args=[r.pk])).status_code == 404  # no rates while open
    live = client.get(reverse("dashboards:live", args=[r.pk]))
    assert live.status_code == 200
    html = live.content.decode()
    assert '<meta http-equiv="refresh"' in html
    assert "%" not in html.replace('content="width', "")  # no rate of any kind while open
    assert "满意" not in html.replace("满意度测评", "")
    # Regression: leaders, even unrestricted ones, got 404 on the wall screen.
    login(client, leader)
    assert client.get(reverse("dashboards:live", args=[r.pk])).status_code == 200
    assert reverse("dashboards:live", args=[r.pk]) in client.get(reverse("dashboards:index")).content.decode()
    login(client, factories.user())
    assert client.get(reverse("dashboards:live", args=[r.pk])).status_code == 403


def test_a_limited_leader_watches_only_their_groups_on_the_wall_screen(client, data):
    r = set_status(data["round"], RoundStatus.OPEN)
    main = data["groups"][0]
    login(client, factories.leader(groups_limit=[main]))
    html = client.get(reverse("dashboards:live", args=[r.pk])).content.decode()
    assert "主城1区" in html and "远郊1区" not in html and "市部门1" not in html
    assert "只含您可查看的单位分组" in html


def test_the_wall_screen_pages_by_itself_and_without_javascript(client, data):
    r = set_status(data["round"], RoundStatus.OPEN)
    extra = factories.group("新区", order=9)
    for i in range(40):
        r.round_units.create(unit=factories.unit(f"新区{i:02d}", extra), planned_sample=50)
    login(client, factories.leader())
    first = client.get(reverse("dashboards:live", args=[r.pk])).content.decode()
    assert first.count("data-live-page=") == 2  # 47 units under 4 headings: two pages of 3 × 13 lines
    assert 'data-live-page="2" aria-label="第 2 屏" hidden' in first
    assert '<noscript><meta http-equiv="refresh" content="10;url=?page=2"></noscript>' in first
    second = client.get(reverse("dashboards:live", args=[r.pk]) + "?page=2").content.decode()
    assert 'data-live-page="1" aria-label="第 1 屏" hidden' in second
    assert 'content="10;url=?page=1"' in second  # the last page leads back to the first
    assert client.get(reverse("dashboards:live", args=[r.pk]) + "?page=x").status_code == 200


def test_overview_shows_the_figures_of_the_scoring_module(client, data):
    r = data["round"]
    login(client, factories.leader())
    html = client.get(reverse("dashboards:round", args=[r.pk])).content.decode()
    for result in round_results(r).units:
        d = result.dimensions[ItemKind.SELECTION]
        if d.valid:
            row = html.split(f'data-unit="{result.unit.pk}"')[1].split("</tr>")[0]
            assert f"<td class=\"text-end fw-bold\" data-positive>{scoring.percent(d.positive)}</td>" in row
            assert result.final.label in row and d.level.label in row
    assert "主城3区" in html and "群众不满意单位" in html
    empty = html.split(f'data-unit="{data["round_units"]["远郊2区"].unit.pk}"')[1].split("</tr>")[0]
    assert "data-positive>无数据</td>" in empty and "0.0%" not in empty  # no answers is not 0%
    assert "* " not in empty and "样本不足" not in empty  # nor a sample too small: there is none
    assert "全市总体满意度" in html and "合并计算" in html  # the pooled definition is stated


def test_overview_filters_and_sorts_without_losing_the_other_parameters(client, data):
    r = data["round"]
    main = data["groups"][0]
    login(client, factories.leader())
    url = reverse("dashboards:round", args=[r.pk])
    response = client.get(url, {"dim": "conduct", "group": main.pk, "sort": "positive", "dir": "desc"})
    html = response.content.decode()
    assert html.index("主城1区") < html.index("主城2区") < html.index("主城3区")
    assert "远郊1区" not in html.split('id="ranking-heading"')[1]
    # Header links keep the filters; the filter form keeps the sort.
    assert f"dim=conduct&amp;group={main.pk}&amp;sort=rank" in html
    assert '<input type="hidden" name="sort" value="positive">' in html
    assert f'<option value="{main.pk}" selected>' in html
    assert '<option value="conduct" selected>' in html
    # Nonsense parameters fall back to the defaults instead of failing.
    assert client.get(url, {"dim": "x", "group": "abc", "sort": "drop table", "level": "?"}).status_code == 200
    below = client.get(url, {"level": "unsatisfied"}).content.decode().split('id="ranking-heading"')[1]
    assert "主城3区" in below and "主城1区" not in below


def test_unit_page_escapes_opinions_and_shows_the_unit_figures(client, data):
    r = data["round"]
    ru = data["round_units"]["主城1区"]
    login(client, factories.staff())
    url = reverse("dashboards:unit", args=[r.pk, ru.unit.pk])
    html = client.get(url).content.decode()
    result = next(x for x in round_results(r).units if x.unit == ru.unit)
    for kind in (ItemKind.SELECTION, ItemKind.CONDUCT):
        assert scoring.percent(result.dimensions[kind].positive) in html
    assert "=HYPERLINK(&quot;http://x&quot;,&quot;点我&quot;)" in html
    assert '<a href="http://x"' not in html
    found = client.get(url, {"q": "监督"}).content.decode()
    assert "希望加强干部监督" in found and "@SUM(A1)" not in found
    assert 'value="监督"' in found


def test_unit_page_hides_small_categories(client, data):
    r = data["round"]
    login(client, factories.leader())
    html = client.get(reverse("dashboards:unit", args=[r.pk, data["round_units"]["远郊1区"].unit.pk])).content.decode()
    categories = html.split('id="category-heading"')[1].split("</section>")[0]
    # 7 领导干部 and 3 党代表: the 领导干部 row would give the 党代表 cell away as the unit's
    # totals less that row, so neither is shown on its own.
    assert "答题人数较少，不按类别显示" in categories
    assert "<th scope=\"row\">党代表" not in categories
    assert "<th scope=\"row\">领导干部" not in categories


def test_a_limited_leader_sees_only_their_groups(client, data):
    r = data["round"]
    main = data["groups"][0]
    login(client, factories.leader(groups_limit=[main]))
    html = client.get(reverse("dashboards:round", args=[r.pk])).content.decode()
    assert "主城1区" in html and "远郊1区" not in html and "市部门1" not in html
    assert "查看范围" in html
    outer = data["round_units"]["远郊1区"].unit
    assert client.get(reverse("dashboards:unit", args=[r.pk, outer.pk])).status_code == 404
    assert client.get(reverse("dashboards:unit", args=[r.pk, data["units"][0].pk])).status_code == 200
    trends = client.get(reverse("dashboards:trends")).content.decode()
    assert "主城区" in trends and '<td class="text-end">3</td>' in trends  # three units in view


def build(n_units, *, rounds=2):
    """n_units over three groups, `rounds` published rounds with a few ballots each."""
    groups = [factories.group(f"规模{n_units}组{g}") for g in range(3)]
    units = [factories.unit(group_=groups[i % 3]) for i in range(n_units)]
    made = []
    for index in range(rounds):
        r = factories.round_(units, year=2024 + index)
        for i, ru in enumerate(r.round_units.all()):
            factories.ballots(ru, [1, 1, 2, 3, 1 + i % 4][: 3 + i % 3])
        made.append(set_status(r, RoundStatus.PUBLISHED, days_ago=365 * (rounds - index)))
    return made, units


@pytest.mark.parametrize("page", ["round", "unit", "trends", "live", "index"])
def test_query_counts_do_not_grow_with_units(client, django_assert_max_num_queries, page):
    # Leaders see published rounds only: each size's rounds are withdrawn once measured, so
    # both sizes show the same number of rounds (pages cost a few queries per round shown).
    login(client, factories.staff() if page == "live" else factories.leader())
    budget = {"round": 22, "unit": 28, "trends": 22, "live": 8, "index": 8}[page]
    counts = []
    for n in (5, 30):
        rounds, units = build(n)
        r = rounds[-1]
        if page == "live":
            set_status(r, RoundStatus.OPEN)
            factories.code_batch(r.round_units.first(), used=1, unused=2)
        url = {
            "round": reverse("dashboards:round", args=[r.pk]),
            "unit": reverse("dashboards:unit", args=[r.pk, units[0].pk]),
            "trends": reverse("dashboards:trends"),
            "live": reverse("dashboards:live", args=[r.pk]),
            "index": reverse("dashboards:index"),
        }[page]
        with django_assert_max_num_queries(budget) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
        Round.objects.filter(pk__in=[x.pk for x in rounds]).update(status=RoundStatus.CLOSED)
    assert counts[0] == counts[1], counts


def test_the_wall_screen_says_so_when_no_unit_is_in_view(client, data):
    r = set_status(data["round"], RoundStatus.OPEN)
    login(client, factories.leader(groups_limit=[factories.group("空分组")]))
    html = client.get(reverse("dashboards:live", args=[r.pk])).content.decode()
    assert "没有可显示的单位" in html and html.count("data-live-page=") == 1
