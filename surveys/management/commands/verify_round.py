"""Recompute a round's seal and say whether any ballot was added, changed or removed."""

from django.core.management.base import BaseCommand, CommandError

from surveys.models import Round
from surveys.rounds.services import round_verify


class Command(BaseCommand):
    help = "核验测评轮次的封存摘要（exit code 1 when ballots changed since the close）."

    def add_arguments(self, parser):
        parser.add_argument("round_id", type=int)

    def handle(self, *args, round_id, **options):
        try:
            round_ = Round.objects.get(pk=round_id)
        except Round.DoesNotExist as exc:
            raise CommandError(f"没有编号为 {round_id} 的测评轮次。") from exc
        result = round_verify(round_=round_)
        self.stdout.write(f"{round_}\n封存摘要：{result.sealed or '（未封存）'}\n当前摘要：{result.current}")
        if not result.sealed:
            raise CommandError("本轮测评尚未封存。")
        if not result.intact:
            raise CommandError(result.summary())
        self.stdout.write(self.style.SUCCESS(result.summary()))
