"""Count pending ballots in shuffled batches: the mixer's timer (run it from cron or a
systemd timer every few minutes; see docs/anonymity.md)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from surveys import ballots
from surveys.models import AccessCode, CodeBatch, PendingBallot, Round, RoundUnit, Tally


class Command(BaseCommand):
    help = (
        f"计入等待混合的测评票：默认只处理待计入票数不少于 {ballots.MIX_MIN} 张的单位；"
        "--all 处理全部。--vacuum 随后在 PostgreSQL 上清理已删除的行版本。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--round", type=int, help="只处理这一轮测评")
        parser.add_argument("--all", action="store_true", help="不论多少张，全部计入")
        parser.add_argument(
            "--vacuum", action="store_true",
            help="PostgreSQL：计入后 VACUUM 待计入票、测评码等表，尽早清除旧的行版本",
        )

    def handle(self, *args, **options):
        round_ = None
        if options["round"] is not None:
            round_ = Round.objects.filter(pk=options["round"]).first()
            if round_ is None:
                raise CommandError(f"没有编号为 {options['round']} 的测评轮次。")
        mixed = ballots.ballots_mix(round_=round_, minimum=1 if options["all"] else None)
        self.stdout.write(f"已计入 {mixed} 张测评票。")
        if options["vacuum"] and connection.vendor == "postgresql":
            # VACUUM cannot run inside a transaction; management commands run in autocommit.
            with connection.cursor() as cursor:
                for model in (PendingBallot, AccessCode, CodeBatch, RoundUnit, Tally):
                    cursor.execute(f"VACUUM {connection.ops.quote_name(model._meta.db_table)}")
            self.stdout.write("已清理旧的行版本。")
