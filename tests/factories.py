"""Plain factory functions for tests: small, explicit, no JSON fixtures."""

from datetime import timedelta
from itertools import count

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from accounts.models import Scope
from accounts.roles import ADMIN, LEADER, STAFF
from surveys.ballots import ballot_submit, ballots_mix
from surveys.models import Channel, Item, ItemKind, RespondentCategory, Round, RoundStatus
from surveys.rounds.services import round_create
from units.models import Unit, UnitGroup, UnitKind

_seq = count(1)


def group(name=None, kind=UnitKind.DISTRICT, order=0):
    return UnitGroup.objects.create(name=name or f"分组{next(_seq)}", kind=kind, order=order)


def unit(name=None, group_=None, kind=None, code=None, **extra):
    group_ = group_ or group(kind=kind or UnitKind.DISTRICT)
    n = next(_seq)
    name = name or f"测试单位{n}"
    return Unit.objects.create(
        code=code or f"U{n:04d}",
        name=name,
        short_name=name[:10],
        kind=kind or group_.kind,
        group=group_,
        **extra,
    )


def user(username=None, role=None, groups_limit=None, **extra):
    account = User.objects.create_user(
        username=username or f"user{next(_seq)}", password="pw-for-tests-1", **extra
    )
    if role:
        account.groups.add(Group.objects.get(name=role))
    if groups_limit is not None:
        scope = Scope.objects.create(user=account)
        scope.groups.set(groups_limit)
    return account


def staff(**kw):
    return user(role=STAFF, **kw)


def leader(**kw):
    return user(role=LEADER, **kw)


def admin(**kw):
    return user(role=ADMIN, **kw)


def round_(units, status=RoundStatus.OPEN, planned=100, year=2026, **settings):
    now = timezone.now()
    r = round_create(
        name=f"{year}年度测评{next(_seq)}",
        year=year,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
        units=[(u, planned) for u in units],
        **settings,
    )
    if status != RoundStatus.DRAFT:
        Round.objects.filter(pk=r.pk).update(status=status, opened_at=now - timedelta(days=1))
        r.refresh_from_db()
    return r


def headline(r, kind=ItemKind.SELECTION):
    return Item.objects.get(round=r, kind=kind)


def category(name="群众"):
    return RespondentCategory.objects.get(name=name)


def ballots(round_unit, options, *, category_=None, channel=Channel.PAPER, both=True):
    """Key one paper ballot per option value: that value on the selection item (and on
    the conduct item too when `both`); other items blank. Mixed at once, so they count."""
    r = round_unit.round
    selection, conduct = headline(r), headline(r, ItemKind.CONDUCT)
    category_ = category_ or category()
    if channel == Channel.PAPER:
        round_unit.paper_forms_issued += len(options)
        round_unit.save(update_fields=["paper_forms_issued"])
    for option in options:
        ballot_submit(
            round_unit=round_unit,
            category=category_,
            channel=channel,
            answers={selection.pk: option, conduct.pk: option if both else 1},
        )
    ballots_mix(round_unit=round_unit, minimum=1)


def city():
    """Two groups of districts, one of departments, and an open round over all of them."""
    main = group("主城区", UnitKind.DISTRICT, 1)
    outer = group("远郊区", UnitKind.DISTRICT, 2)
    dept = group("政府部门", UnitKind.DEPARTMENT, 1)
    units = [unit(f"主城{i}区", main) for i in range(1, 4)]
    units += [unit(f"远郊{i}区", outer) for i in range(1, 3)]
    units += [unit(f"市部门{i}", dept) for i in range(1, 3)]
    r = round_(units)
    return {"groups": [main, outer, dept], "units": units, "round": r}


def access_codes(round_unit, size=3, actor=None):
    """Issue `size` codes for a unit through the service; returns the plain codes."""
    from surveys.fieldwork.services import codes_issue

    return codes_issue(round_unit=round_unit, size=size, actor=actor or staff())[1]


def online_answers(r, option=1):
    """Answers for an online ballot: both headline items answered, sub-items blank."""
    return {headline(r).pk: option, headline(r, ItemKind.CONDUCT).pk: option}


def close(r):
    """Close a round through the lifecycle service: intake stopped, everything mixed, sealed."""
    from surveys.rounds.services import round_close

    round_close(round_=r, actor=staff())
    r.refresh_from_db()
    return r


def cast(code, r, option=1):
    """Cast an online ballot with a code through the respondent's service (it stays pending)."""
    from surveys.respondent.services import ballot_cast_online

    return ballot_cast_online(code=code, category=category(), answers=online_answers(r, option))


def reference_data():
    """Recreate what data migrations add (roles, respondent categories): a transactional
    test's flush empties those tables for every test that runs after it."""
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Permission

    roles = importlib.import_module("accounts.migrations.0002_roles")
    importlib.import_module("surveys.migrations.0002_default_categories").add_categories(apps, None)
    for name, perms in roles.ROLE_PERMISSIONS.items():
        role, _ = Group.objects.get_or_create(name=name)
        for perm in perms:
            app_label, codename = perm.split(".")
            role.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def code_batch(round_unit, used=0, void=0, unused=0):
    """Issue a batch of access codes for a unit with the given statuses (digests are fake)."""
    from surveys.fieldwork.services import batch_number_next
    from surveys.models import AccessCode, CodeBatch, CodeStatus

    with transaction.atomic():  # the number is read under the unit's row lock
        batch = CodeBatch.objects.create(
            round_unit=round_unit, number=batch_number_next(round_unit=round_unit),
            size=used + void + unused, codes_used=used, codes_void=void,
        )
    statuses = [CodeStatus.USED] * used + [CodeStatus.VOID] * void + [CodeStatus.UNUSED] * unused
    AccessCode.objects.bulk_create(
        AccessCode(batch=batch, round_unit=round_unit, digest=f"test-{next(_seq)}", status=s)
        for s in statuses
    )
    return batch


def reported_city():
    """The city with varied ballots, opinions, codes and an investigation, for report tests.

    主城1区 satisfied, 主城2区 basic, 主城3区 below (investigated: serious); 远郊1区 has 3
    party-congress ballots (a small cell), 远郊2区 none; departments tie.
    """
    data = city()
    r = data["round"]
    ru = {x.unit.name: x for x in r.round_units.select_related("unit")}
    ballots(ru["主城1区"], [1] * 8 + [2] * 2 + [3])
    ballots(ru["主城2区"], [1] * 5 + [2] * 3 + [3] * 2 + [4])
    ballots(ru["主城3区"], [1] * 3 + [2] * 2 + [3] * 5, channel=Channel.ONLINE)
    ballots(ru["远郊1区"], [1] * 6 + [3], category_=category("领导干部"))
    ballots(ru["远郊1区"], [1, 2, 3], category_=category("党代表"))
    ballots(ru["市部门1"], [1] * 4 + [2])
    ballots(ru["市部门2"], [1] * 4 + [2])
    selection = headline(r)
    conduct = headline(r, ItemKind.CONDUCT)
    for text in ["=HYPERLINK(\"http://x\",\"点我\")", "-1+2", "希望加强干部监督", "@SUM(A1)"]:
        ballot_submit(
            round_unit=ru["主城1区"], category=category(), channel=Channel.ONLINE,
            answers={selection.pk: 1, conduct.pk: 1}, opinion=text,
        )
    ballots_mix(round_unit=ru["主城1区"], minimum=1)
    code_batch(ru["主城1区"], used=4, void=1, unused=5)
    from surveys.models import Investigation

    Investigation.objects.create(
        round_unit=ru["主城3区"], item=selection, findings="存在较为严重的问题",
        conclusion="serious", decided_by=staff(),
    )
    data["round_units"] = ru
    return data



def file_from_job(client, url):
    """POST a download that a background job builds; follow to the job page; return the file.

    (Tests run jobs at once: the job page already offers the file.)"""
    started = client.post(url)
    assert started.status_code == 302 and started["Location"].startswith("/jobs/"), started
    job_page = client.get(started["Location"])
    assert job_page.status_code == 200
    assert started["Location"] + "download/" in job_page.content.decode(), job_page.content.decode()[-2000:]
    download = client.get(started["Location"] + "download/")
    assert download.status_code == 200
    return download
