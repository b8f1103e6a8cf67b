"""Write units' feedback workbooks (the same files as the downloads): one unit, or a .zip."""

from django.core.management.base import BaseCommand, CommandError

from surveys.reports.feedback import build_feedback_zip, build_unit_feedback, feedback_context
from units.models import Unit

from .export_report import get_round, record


class Command(BaseCommand):
    help = "导出各单位结果反馈：指定 --unit 时为该单位的 .xlsx，否则为全部单位的 .zip。"

    def add_arguments(self, parser):
        parser.add_argument("round", type=int, help="测评轮次编号")
        parser.add_argument("path", help="输出文件路径（.zip，或指定单位时 .xlsx）")
        parser.add_argument("--unit", help="单位代码：只导出这个单位的反馈表")

    def handle(self, *args, **options):
        round_ = get_round(options["round"])
        unit = None
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"没有代码为 {options['unit']} 的单位。")
        ctx = feedback_context(round_, unit=unit)
        if unit is not None:
            if not ctx.units:
                raise CommandError(f"{unit} 没有参加 {round_}。")
            build_unit_feedback(ctx, ctx.units[0], options["path"])
            record(round_, "unit_feedback", options["path"], unit=unit.code)
        else:
            build_feedback_zip(ctx, options["path"])
            record(round_, "feedback_zip", options["path"], units=len(ctx.units))
        self.stdout.write(f"已导出 {len(ctx.units)} 个单位的结果反馈：{options['path']}")
