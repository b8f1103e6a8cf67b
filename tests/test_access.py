"""Every URL of the app, with every role: the server answers what the table says.

The walk enumerates the URL resolver, so a new URL cannot slip through: a name that no rule
covers fails with a message saying where to add it. Each namespace may have a default rule
(NAMESPACE_RULES); names outside those namespaces need an explicit row in EXPECTED, and an
explicit row always wins over the namespace rule.

Statuses: 200 page, 302 redirect to the login page (anonymous), 403 signed in without the
permission, 405 the URL only accepts POST (GET checked after the permission), 404 not found.
"""

from datetime import date

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from jobs.models import Job
from surveys.models import CodeBatch, ItemKind, PaperBatch, Rectification
from surveys.rounds.services import round_close, round_publish
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "respondent", "leader", "limited_leader", "staff", "admin"]


def rule(anonymous, leader, staff, admin, respondent=None, limited_leader=None):
    return {
        "anonymous": anonymous, "respondent": anonymous if respondent is None else respondent,
        "leader": leader, "limited_leader": leader if limited_leader is None else limited_leader,
        "staff": staff, "admin": admin,
    }


STAFF_ONLY = rule(302, 403, 200, 200)
STAFF_POST_ONLY = rule(302, 403, 405, 405)
ADMIN_ONLY = rule(302, 403, 403, 200)
ADMIN_POST_ONLY = rule(302, 403, 403, 405)
RESULTS = rule(302, 200, 200, 200)  # for the lead: /results/ and /reports/
SIGNED_IN = rule(302, 200, 200, 200)
PUBLIC = rule(200, 200, 200, 200)

# Default per namespace: whatever a namespace adds is checked at least against this.
NAMESPACE_RULES = {
    "units": STAFF_ONLY,
    "rounds": STAFF_ONLY,
    "audit": ADMIN_ONLY,
    "fieldwork": STAFF_ONLY,
    "dashboards": RESULTS,
    "reports": RESULTS,
}
# Django's own admin is left to Django (it admits is_staff users only; only administrators
# are is_staff, see accounts.services); it is not part of the product's screens.
SKIPPED_NAMESPACES = {"admin"}

EXPECTED = {
    "home": SIGNED_IN,
    "set_language": rule(302, 302, 302, 302),  # POST-only in effect: a GET just redirects back
    "accounts:login": rule(200, 302, 302, 302),  # signed-in users are sent on to the start page
    "accounts:logout": rule(405, 405, 405, 405),  # POST only, for everyone
    "accounts:password_change": SIGNED_IN,
    "accounts:list": ADMIN_ONLY,
    "accounts:create": ADMIN_ONLY,
    "accounts:edit": ADMIN_ONLY,
    "accounts:reset_password": ADMIN_ONLY,
    "accounts:toggle_active": ADMIN_POST_ONLY,
    "units:toggle_active": STAFF_POST_ONLY,
    "units:group_move": STAFF_POST_ONLY,
    "units:group_delete": STAFF_POST_ONLY,
    # The questionnaire is public; a respondent's "session" is the code they type.
    "fieldwork:codes_issue": STAFF_POST_ONLY,
    "fieldwork:paper_forms": STAFF_POST_ONLY,
    "fieldwork:paper_batch_new": STAFF_POST_ONLY,
    "fieldwork:batch_void": STAFF_POST_ONLY,
    "fieldwork:paper_batch_close": STAFF_POST_ONLY,
    "fieldwork:paper_import_again": STAFF_POST_ONLY,

    "rounds:seal": STAFF_POST_ONLY,
    "fieldwork:round_issue": STAFF_POST_ONLY,
    # world's round is published: slips are no longer printed, the page sends staff back.
    "fieldwork:slips": rule(302, 403, 302, 302),
    "fieldwork:round_slips": rule(302, 403, 302, 302),
    # The live turnout screen exists only while a round is open; world's round is published.
    "dashboards:live": rule(302, 404, 404, 404),
    "respondent:start": PUBLIC,
    # A job is its starter's (world's staff member); administrators see every job.
    "jobs:list": SIGNED_IN,
    "jobs:detail": rule(302, 404, 200, 200),
    "jobs:status": rule(302, 404, 200, 200),
    "jobs:download": rule(302, 404, 404, 404),  # world's job made no file
    "respondent:thanks": PUBLIC,
}


@pytest.fixture
def world(city):
    """One of everything a URL can point at."""
    staff = factories.staff(username="access-staff")
    r = city["round"]
    below = r.round_units.first()
    factories.ballots(below, [3, 3, 1])
    round_close(round_=r, actor=staff)
    round_publish(round_=r, actor=staff, reason="测试数据，票数不足也发布")
    measure = Rectification.objects.create(round_unit=below, measures="整改", deadline=date(2030, 1, 1),
                                           created_by=staff)
    code_batch = CodeBatch.objects.create(round_unit=below, number=1, size=0, created_by=staff)
    paper_batch = PaperBatch.objects.create(round_unit=below, label="第1批", double_keyed=True,
                                             created_by=staff)
    job = Job.objects.create(kind="t", label="任务", handler="x", created_by=staff)
    return {
        "job": job, "code_batch": code_batch, "paper_batch": paper_batch,
        "staff": staff, "round": r, "round_unit": below, "rectification": measure,
        "unit": below.unit, "group": below.unit.group, "account": factories.leader(),
    }


# How to fill each URL's arguments from `world`.
ARGS = {
    "units:detail": lambda w: {"pk": w["unit"].pk},
    "units:edit": lambda w: {"pk": w["unit"].pk},
    "units:toggle_active": lambda w: {"pk": w["unit"].pk},
    "units:delete": lambda w: {"pk": w["unit"].pk},
    "units:group_edit": lambda w: {"pk": w["group"].pk},
    "units:group_move": lambda w: {"pk": w["group"].pk},
    "units:group_delete": lambda w: {"pk": w["group"].pk},
    "accounts:edit": lambda w: {"pk": w["account"].pk},
    "accounts:toggle_active": lambda w: {"pk": w["account"].pk},
    "accounts:reset_password": lambda w: {"pk": w["account"].pk},
    "rounds:investigate": lambda w: {"pk": w["round"].pk, "round_unit_pk": w["round_unit"].pk,
                                     "kind": ItemKind.SELECTION},
    "rounds:unit": lambda w: {"pk": w["round"].pk, "round_unit_pk": w["round_unit"].pk},
    "rounds:rectification_create": lambda w: {"pk": w["round"].pk, "round_unit_pk": w["round_unit"].pk},
    "rounds:rectification_edit": lambda w: {"pk": w["round"].pk, "round_unit_pk": w["round_unit"].pk,
                                            "rectification_pk": w["rectification"].pk},
    "dashboards:unit": lambda w: {"pk": w["round"].pk, "unit_pk": w["unit"].pk},
    "reports:unit_feedback": lambda w: {"pk": w["round"].pk, "unit_pk": w["unit"].pk},
    "fieldwork:round": lambda w: {"pk": w["round"].pk},
    "fieldwork:round_issue": lambda w: {"pk": w["round"].pk},
    "fieldwork:round_slips": lambda w: {"pk": w["round"].pk},
    "fieldwork:paper_import": lambda w: {"pk": w["round"].pk},
    "fieldwork:paper_import_again": lambda w: {"pk": w["round"].pk},
    "fieldwork:paper_import_template": lambda w: {"pk": w["round"].pk},
    "fieldwork:slips": lambda w: {"pk": w["code_batch"].pk},
    "fieldwork:codes_xlsx": lambda w: {"pk": w["code_batch"].pk},
    "fieldwork:batch_void": lambda w: {"pk": w["code_batch"].pk},
    "fieldwork:paper_pass": lambda w: {"pk": w["paper_batch"].pk, "pass_no": 1},
    "fieldwork:paper_batch_close": lambda w: {"pk": w["paper_batch"].pk},
    "fieldwork:paper_reconcile": lambda w: {"pk": w["paper_batch"].pk},
}
# Any other URL with a single `pk` in these namespaces takes this object of `world`.
DEFAULT_PK = {"jobs": "job", "rounds": "round", "fieldwork": "round_unit", "dashboards": "round", "reports": "round"}


def walk(resolver=None, prefix="", namespace=""):
    """Yield (full name, route) for every named URL pattern."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            if ns in SKIPPED_NAMESPACES:
                continue
            yield from walk(pattern, prefix + str(pattern.pattern),
                            f"{ns}" if pattern.namespace else namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, prefix + str(pattern.pattern), pattern


def expected_for(name):
    if name in EXPECTED:
        return EXPECTED[name]
    namespace = name.split(":")[0] if ":" in name else None
    if namespace in NAMESPACE_RULES:
        return NAMESPACE_RULES[namespace]
    pytest.fail(f"URL {name!r} has no expected access in tests/test_access.py: add a row to "
                f"EXPECTED (or a rule for its namespace to NAMESPACE_RULES).")


def url_for(name, pattern, w):
    from django.urls import reverse

    params = set(pattern.pattern.regex.groupindex)
    if not params:
        return reverse(name)
    if name in ARGS:
        return reverse(name, kwargs=ARGS[name](w))
    namespace = name.split(":")[0]
    if params == {"pk"} and namespace in DEFAULT_PK:
        return reverse(name, kwargs={"pk": w[DEFAULT_PK[namespace]].pk})
    pytest.fail(f"URL {name!r} takes {sorted(params)}: say how to fill them in ARGS in tests/test_access.py.")


def clients(w):
    made = {"anonymous": Client(), "respondent": Client()}
    # A respondent has no account; the lead adds their code session here when /s/ exists.
    users = {
        "leader": factories.leader(),
        "limited_leader": factories.leader(groups_limit=[w["group"]]),
        "staff": w["staff"],
        "admin": factories.admin(),
    }
    for role, user in users.items():
        made[role] = Client()
        made[role].force_login(user)
    return made


def test_every_url_answers_every_role_as_expected(world):
    patterns = list(walk())
    assert len(patterns) > 30, "the walk found too few URLs; is the resolver walk broken?"
    by_role = clients(world)
    wrong = []
    for name, _route, pattern in patterns:
        expected = expected_for(name)
        url = url_for(name, pattern, world)
        for role in ROLES:
            response = by_role[role].get(url)
            if response.status_code != expected[role]:
                wrong.append(f"{name} {url} as {role}: {response.status_code}, expected {expected[role]}")
            elif response.status_code == 302 and expected is not EXPECTED.get("set_language") and role in (
                "anonymous", "respondent"
            ) and name != "accounts:login":
                if not response["Location"].startswith("/accounts/login/"):
                    wrong.append(f"{name} as {role}: redirected to {response['Location']}, not the login page")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("url", [
    "/rounds/999999/", "/units/999999/", "/accounts/999999/", "/rounds/{round}/investigations/{ru}/other/",
    "/rounds/999999/units/1/",
])
def test_missing_objects_are_404_for_staff(world, client, url):
    client.force_login(factories.admin())
    url = url.format(round=world["round"].pk, ru=world["round_unit"].pk)
    assert client.get(url).status_code == 404


def test_the_django_admin_is_closed_to_staff_and_leaders(world, client):
    client.force_login(world["staff"])
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
