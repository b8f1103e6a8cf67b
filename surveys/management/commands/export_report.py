"""Write a round's report (the same file as the 结果报表 download) to a path, for archiving."""

from django.core.management.base import BaseCommand, CommandError

from audit.services import audit_record
from surveys.models import Round
from surveys.reports.availability import files_refusal
from surveys.reports.round_report import build_round_report


def get_round(pk):
    """The round to export; refused while it is open (surveys/reports/availability.py)."""
    try:
        round_ = Round.objects.get(pk=pk)
    except Round.DoesNotExist:
        raise CommandError(f"没有编号为 {pk} 的测评轮次。") from None
    refusal = files_refusal(round_)
    if refusal:
        raise CommandError(refusal)
    return round_


def record(round_, file, path, **extra):
    audit_record(
        actor=None, action="download report", obj=round_,
        changes={"file": file, "filename": str(path), "scope": "全部单位", **extra},
        source="command",
    )


class Command(BaseCommand):
    help = "导出测评结果报表（.xlsx），与网页下载的文件相同。"

    def add_arguments(self, parser):
        parser.add_argument("round", type=int, help="测评轮次编号")
        parser.add_argument("path", help="输出文件路径（.xlsx）")

    def handle(self, *args, **options):
        round_ = get_round(options["round"])
        build_round_report(round_, options["path"])
        record(round_, "round_report", options["path"])
        self.stdout.write(f"已导出 {round_} 的结果报表：{options['path']}")
