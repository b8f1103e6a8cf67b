"""Load the demo city: units, three past annual rounds with ballots, one open round.

Idempotent: a second run finds the demo and only prints the logins again. A fixed random
seed makes the demo the same every time.
"""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Scope
from accounts.roles import ADMIN, LEADER, STAFF
from surveys import codes, scoring
from surveys.ballots import tallies_rebuild
from surveys.management.demo_city import DEPARTMENT_GROUPS, DISTRICT_GROUPS, OPINIONS, short_name
from surveys.models import (
    AccessCode,
    Answer,
    Ballot,
    Channel,
    CodeBatch,
    CodeStatus,
    Investigation,
    ItemKind,
    RespondentCategory,
    ResultSnapshot,
    Round,
    RoundStatus,
    RoundUnit,
)
from surveys.rounds.services import round_close, round_create, round_publish
from surveys.selectors import round_results
from units.models import Unit, UnitGroup, UnitKind

SEED = 20231128
PAST_YEARS = (2023, 2024, 2025)
OPEN_YEAR = 2026
OPEN_ROUND_NAME = f"{OPEN_YEAR}年度选人用人工作满意度测评"
TZ = ZoneInfo("Asia/Shanghai")
ACCOUNTS = [
    # username, password, role, display name, groups limit
    ("admin", "demo-admin-2026", ADMIN, "系统管理员", None),
    ("staff", "demo-staff-2026", STAFF, "干部监督处 王工作", None),
    ("leader", "demo-leader-2026", LEADER, "部领导 李领导", None),
    ("leader_zhucheng", "demo-leader-2026", LEADER, "主城区片区 赵领导", ["主城区"]),
]


class Command(BaseCommand):
    help = "Load the demo city (idempotent)."

    def handle(self, *args, **options):
        if Round.objects.filter(name=OPEN_ROUND_NAME).exists():
            self.stdout.write("演示数据已存在，未做改动。")
        else:
            with transaction.atomic():
                DemoCity(random.Random(SEED), self.stdout).build()
        self._print_logins()
        self._print_codes()

    def _print_codes(self, unit_name="渝中区", how_many=3, base="http://127.0.0.1:8000"):
        """A few unused codes of the open round, so a newcomer can answer at once."""
        batch = (
            CodeBatch.objects.filter(
                round_unit__round__name=OPEN_ROUND_NAME, round_unit__unit__name=unit_name,
                voided_at__isnull=True,
            )
            .order_by("pk")
            .first()
        )
        if batch is None:
            return
        unused = batch.codes.filter(status=CodeStatus.UNUSED).exclude(sealed="").order_by("pk")
        shown = [c for c in (codes.unseal(a.sealed) for a in unused[: how_many * 2]) if c][:how_many]
        self.stdout.write(f"\n可试用的测评码（{OPEN_ROUND_NAME}，{unit_name}，按实际地址替换主机和端口）：")
        for code in shown:
            self.stdout.write(f"  {codes.display(code)}  {base}/s/?code={codes.display(code)}")
        self.stdout.write(f"  打印测评码条（工作人员登录后）：{base}/fieldwork/code-batches/{batch.pk}/slips/")

    def _print_logins(self):
        self.stdout.write("\n演示账号（仅供演示）：")
        for username, password, role, display, limit in ACCOUNTS:
            extra = f"，仅可查看：{'、'.join(limit)}" if limit else ""
            self.stdout.write(f"  {role:<4} {username} / {password}（{display}{extra}）")


class DemoCity:
    def __init__(self, rng, out):
        self.rng = rng
        self.out = out

    def build(self):
        self.units = self._units()
        self.categories = list(RespondentCategory.objects.all())
        self._accounts()
        # Each unit has a lasting quality; the whole city improves year by year.
        self.quality = {u.pk: self.rng.uniform(-0.22, 0.12) for u in self.units}
        for index, year in enumerate(PAST_YEARS):
            self._past_round(year, index)
        self._open_round(len(PAST_YEARS))
        self.out.write(f"已载入演示城市：{len(self.units)} 个单位，{len(PAST_YEARS) + 1} 轮测评。")

    def _units(self):
        units = []
        for kind, groups in ((UnitKind.DISTRICT, DISTRICT_GROUPS), (UnitKind.DEPARTMENT, DEPARTMENT_GROUPS)):
            prefix = "D" if kind == UnitKind.DISTRICT else "M"
            for g_order, (group_name, names) in enumerate(groups, start=1):
                group, _ = UnitGroup.objects.get_or_create(
                    name=group_name, defaults={"kind": kind, "order": g_order}
                )
                for order, name in enumerate(names, start=1):
                    unit, _ = Unit.objects.get_or_create(
                        code=f"{prefix}{g_order}{order:02d}",
                        defaults={
                            "name": name,
                            "short_name": short_name(name),
                            "kind": kind,
                            "group": group,
                            "order": order,
                        },
                    )
                    units.append(unit)
        return units

    def _accounts(self):
        for username, password, role, display, limit in ACCOUNTS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(username=username, password=password)
            user.first_name = display
            user.is_staff = role == ADMIN  # the Django admin is for administrators only
            user.save()
            user.groups.add(Group.objects.get(name=role))
            if limit:
                scope, _ = Scope.objects.get_or_create(user=user)
                scope.groups.set(UnitGroup.objects.filter(name__in=limit))

    def _round(self, year, status, opens_at, closes_at):
        planned = [(u, self.rng.choice((60, 80, 100))) for u in self.units]
        round_ = round_create(
            name=f"{year}年度选人用人工作满意度测评",
            year=year,
            opens_at=opens_at,
            closes_at=closes_at,
            units=planned,
            categories=self.categories,
        )
        return round_

    def _past_round(self, year, index):
        opens = datetime(year, 12, 1, 9, tzinfo=TZ)
        closes = opens + timedelta(days=14)
        round_ = self._round(year, RoundStatus.CLOSED, opens, closes)
        Round.objects.filter(pk=round_.pk).update(status=RoundStatus.OPEN, opened_at=opens)
        self._ballots(round_, index, share=self.rng.uniform(0.85, 0.98), day=opens.date())
        staff = User.objects.get(username="staff")
        # Closed and sealed through the same services as a real round, so verify_round
        # checks every demo round like any other.
        round_close(round_=round_, actor=staff, source="演示数据")
        # Investigations: every below-standard unit concluded, except two in the latest year.
        results = round_results(round_)
        pending_left = 2 if year == PAST_YEARS[-1] else 0
        for result in results.units:
            for kind, dimension in result.dimensions.items():
                if dimension.level is not scoring.Level.BELOW:
                    continue
                if pending_left and result.unit.kind == UnitKind.DEPARTMENT:
                    pending_left -= 1
                    continue
                serious = dimension.positive < scoring.Fraction(58, 100)
                Investigation.objects.create(
                    round_unit=result.round_unit,
                    item=results.items[kind],
                    findings="经走访座谈、查阅资料，" + ("发现用人不正之风问题较为突出。" if serious else "未发现违规用人问题，群众评价偏低主要因工作宣传不够。"),
                    conclusion=(scoring.Conclusion.SERIOUS if serious else scoring.Conclusion.NOT_SERIOUS).value,
                    decided_by=staff,
                    decided_at=opens + timedelta(days=30),
                )
        round_publish(round_=round_, actor=staff, source="演示数据")
        # The demo's history happened years ago: date the steps accordingly (the dates are
        # not part of the seal).
        Round.objects.filter(pk=round_.pk).update(
            opened_at=opens, closed_at=closes, published_at=opens + timedelta(days=40),
        )
        ResultSnapshot.objects.filter(round=round_).update(sealed_at=closes)

    def _open_round(self, index):
        now = timezone.now()
        round_ = self._round(OPEN_YEAR, RoundStatus.OPEN, now - timedelta(days=3), now + timedelta(days=60))
        Round.objects.filter(pk=round_.pk).update(status=RoundStatus.OPEN, opened_at=now - timedelta(days=3))
        self._ballots(round_, index, share=0.35, day=timezone.localdate(), sealed_codes=True)

    def _ballots(self, round_, index, share, day, sealed_codes=False):
        """Ballots for every unit; online ones consume codes, paper ones count forms issued."""
        items = list(round_.items.exclude(kind=ItemKind.OPINION))
        round_units = list(RoundUnit.objects.filter(round=round_).select_related("unit"))
        ballots, plans = [], []
        for ru in round_units:
            n = round(ru.planned_sample * share)
            paper = round(n * self.rng.uniform(0.2, 0.5))
            online = n - paper
            quality = 0.73 + 0.055 * index + self.quality[ru.unit_id]
            plans.append((ru, online, paper))
            for channel, count in ((Channel.ONLINE, online), (Channel.PAPER, paper)):
                for _ in range(count):
                    ballot = Ballot(
                        round_unit=ru,
                        category=self.rng.choice(self.categories),
                        channel=channel,
                        cast_on=day,
                        opinion=self.rng.choice(OPINIONS) if self.rng.random() < 0.08 else "",
                    )
                    ballot.answers_plan = [
                        (item, self._answer(quality, item.kind)) for item in items
                    ]
                    ballots.append(ballot)
        Ballot.objects.bulk_create(ballots, batch_size=2000)
        # Plain executemany: model instances for ~150,000 answers cost most of the load time.
        rows = [
            (b.pk, item.pk, value)
            for b in ballots
            for item, value in b.answers_plan
            if value is not None
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {Answer._meta.db_table} (ballot_id, item_id, option) VALUES (%s, %s, %s)",
                rows,
            )
        for ru, online, paper in plans:
            RoundUnit.objects.filter(pk=ru.pk).update(paper_forms_issued=paper + self.rng.randint(0, 10))
            self._codes(ru, issued=ru.planned_sample if sealed_codes else online, used=online, sealed=sealed_codes)
        tallies_rebuild(round_=round_)

    def _answer(self, quality, kind):
        if kind == ItemKind.SUB and self.rng.random() < 0.06:
            return None  # abstention
        positive = min(0.97, max(0.4, quality + self.rng.uniform(-0.03, 0.03)))
        r = self.rng.random()
        if r < positive * 0.62:
            return 1
        if r < positive:
            return 2
        if r < positive + (1 - positive) * 0.6:
            return 3
        return 4

    def _codes(self, round_unit, issued, used, sealed):
        batch = CodeBatch.objects.create(round_unit=round_unit, number=1, size=issued, codes_used=used)  # one batch per unit
        rows = []
        for index in range(issued):
            code = codes.generate()
            rows.append(
                AccessCode(
                    batch=batch,
                    round_unit=round_unit,
                    digest=codes.digest(code),
                    sealed=codes.seal(code) if sealed else "",
                    status=CodeStatus.USED if index < used else CodeStatus.UNUSED,
                )
            )
        AccessCode.objects.bulk_create(rows, batch_size=2000)
