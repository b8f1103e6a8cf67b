"""Import a spreadsheet of paper ballots into an open round (what the import page does).

The same checks and the same record as the page: every problem listed, nothing saved on a
refusal, a file already imported refused unless --again gives the reason. Written here and
now, whatever its size (the page hands large files to a background job).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from sheets.reader import SheetRefused
from surveys.fieldwork.services import paper_ballots_import
from surveys.models import Round


class Command(BaseCommand):
    help = "导入纸质票（.xlsx，本轮导入模板的格式）：全部导入或一张也不导入。"

    def add_arguments(self, parser):
        parser.add_argument("round", type=int, help="测评轮次编号")
        parser.add_argument("path", help="纸质票文件（.xlsx）")
        parser.add_argument("--user", required=True, help="记为导入人的工作人员用户名")
        parser.add_argument("--again", default="", help="内容相同的文件已导入过时，再次导入的理由")

    def handle(self, *args, **options):
        round_ = Round.objects.filter(pk=options["round"]).first()
        if round_ is None:
            raise CommandError(f"没有编号为 {options['round']} 的测评轮次。")
        actor = get_user_model().objects.filter(username=options["user"]).first()
        if actor is None:
            raise CommandError(f"没有用户名为 {options['user']} 的用户。")
        path = options["path"]
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise CommandError(f"无法读取 {path}：{exc.strerror}") from None
        try:
            record = paper_ballots_import(
                round_=round_, upload=data, file_name=path.rsplit("/", 1)[-1], actor=actor,
                reason=options["again"], background=False,
            )
        except SheetRefused as refusal:
            raise CommandError("未导入任何纸质票：\n" + "\n".join(refusal.messages)) from None
        self.stdout.write(f"已导入 {record.ballots:,} 张纸质票：{round_.name}")
