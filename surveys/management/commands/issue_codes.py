"""Round-wide issuing from the shell (the job of the fieldwork page's 整轮发放测评码)."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.roles import MANAGE
from surveys.fieldwork.round_codes import MAX_MARGIN, codes_issue_round
from surveys.models import Round, RoundUnit


class Command(BaseCommand):
    help = "为一轮测评的参评单位补足测评码：每个单位补足到 计划样本量 ×（1 + 余量）个有效测评码。"

    def add_arguments(self, parser):
        parser.add_argument("round", type=int, help="测评轮次编号")
        parser.add_argument("--by", required=True, help="发放人的用户名（记入操作记录）")
        parser.add_argument("--margin", type=int, default=10, help=f"余量（%%，0–{MAX_MARGIN}），默认 10")
        parser.add_argument("--group", help="只发放这个分组（分组名称）")
        parser.add_argument("--unit", action="append", default=[], help="只发放这个单位（单位代码，可重复）")

    def handle(self, *args, **options):
        round_ = Round.objects.filter(pk=options["round"]).first()
        if round_ is None:
            raise CommandError(f"没有编号为 {options['round']} 的测评轮次。")
        actor = User.objects.filter(username=options["by"], is_active=True).first()
        if actor is None or not actor.has_perm(MANAGE):
            raise CommandError(f"没有用户名为 {options['by']} 的在用工作人员账号。")
        round_units = RoundUnit.objects.filter(round=round_)
        if options["group"]:
            round_units = round_units.filter(unit__group__name=options["group"])
        if options["unit"]:
            round_units = round_units.filter(unit__code__in=options["unit"])
        if not round_units.exists():
            raise CommandError("没有符合条件的参评单位。")

        def progress(done, total, message):
            self.stdout.write(f"  {done}/{total} {message}")

        try:
            issued = codes_issue_round(round_units=round_units, margin=options["margin"], actor=actor,
                                       progress=progress)
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from None
        total = sum(b.size for _ru, batches in issued for b in batches)
        self.stdout.write(f"已为 {len(issued)} 个单位生成 {total} 个测评码（余量 {options['margin']}%）。")
