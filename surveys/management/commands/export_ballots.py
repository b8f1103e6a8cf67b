"""Write a round's ballots, anonymized (the same file as the 原始票 download), to a path."""

from django.core.management.base import BaseCommand, CommandError

from surveys.reports.files import scoped_round_units
from surveys.reports.raw_export import BallotRows, write_ballots_csv, write_ballots_xlsx

from .export_report import get_round, record


class Command(BaseCommand):
    help = "导出本轮全部测评票（匿名），.xlsx 或 .csv（按文件扩展名或 --format）。"

    def add_arguments(self, parser):
        parser.add_argument("round", type=int, help="测评轮次编号")
        parser.add_argument("path", help="输出文件路径")
        parser.add_argument("--format", choices=["xlsx", "csv"], help="默认取自文件扩展名")

    def handle(self, *args, **options):
        round_ = get_round(options["round"])
        path = options["path"]
        fmt = options["format"] or path.rsplit(".", 1)[-1].lower()
        if fmt not in ("xlsx", "csv"):
            raise CommandError("请用 .xlsx 或 .csv 文件，或指定 --format。")
        rows = BallotRows(round_, scoped_round_units(round_, None))  # names as sealed
        count = (write_ballots_xlsx if fmt == "xlsx" else write_ballots_csv)(rows, path)
        record(round_, f"ballots_{fmt}", path, ballots=count)
        self.stdout.write(f"已导出 {count} 张测评票：{path}")
