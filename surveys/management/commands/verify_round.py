"""Check a sealed round: its seal, rules, ballots, counters, tallies (against a recount) and
snapshot; say precisely what changed. The same check as the 核验封存 button."""

from django.core.management.base import BaseCommand, CommandError

from surveys.models import Round
from surveys.rounds.services import round_verify


class Command(BaseCommand):
    help = "核验测评轮次的封存（exit code 1 when anything changed since the seal）."

    def add_arguments(self, parser):
        parser.add_argument("round_id", type=int)

    def handle(self, *args, round_id, **options):
        try:
            round_ = Round.objects.get(pk=round_id)
        except Round.DoesNotExist as exc:
            raise CommandError(f"没有编号为 {round_id} 的测评轮次。") from exc

        def progress(done, total, message):
            if options["verbosity"] > 1:
                self.stderr.write(message)

        result = round_verify(round_=round_, progress=progress)
        if not result.sealed:
            raise CommandError("本轮测评尚未封存。")
        self.stdout.write(f"{round_}\n封存指纹：{result.fingerprint}（封存于 {result.sealed_at:%Y-%m-%d %H:%M}）")
        if not result.intact:
            for finding in result.findings:
                self.stdout.write(f"  - {finding}")
            raise CommandError(result.summary())
        self.stdout.write(self.style.SUCCESS(result.summary()))
