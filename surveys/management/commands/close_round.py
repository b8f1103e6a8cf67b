"""Close and seal a round from the shell (the 结束测评 button's job, for a machine without a
worker or a scheduled close); also seals a closed round left unsealed."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from surveys.models import Round, RoundStatus
from surveys.rounds import services


class Command(BaseCommand):
    help = "结束并封存测评轮次；已结束未封存的轮次直接封存（--recount 先按测评票重新计票）."

    def add_arguments(self, parser):
        parser.add_argument("round_id", type=int)
        parser.add_argument("--discard-paper", metavar="REASON", default="",
                            help="放弃未完成的纸质票批次，并记下理由")
        parser.add_argument("--recount", action="store_true",
                            help="已结束未封存的轮次：先按测评票重建计票表和计数器（记入全程记实）再封存")

    def handle(self, *args, round_id, discard_paper, recount, **options):
        try:
            round_ = Round.objects.get(pk=round_id)
        except Round.DoesNotExist as exc:
            raise CommandError(f"没有编号为 {round_id} 的测评轮次。") from exc

        def progress(done, total, message):
            if options["verbosity"] > 1:
                self.stderr.write(message)

        source = "命令行·close_round"
        try:
            if recount:
                services.round_recount(round_=round_, actor=None, source=source, progress=progress)
            elif round_.status == RoundStatus.OPEN:
                services.round_close(round_=round_, actor=None, source=source,
                                     discard_reason=discard_paper, progress=progress)
            else:
                services.round_seal(round_=round_, actor=None, source=source, progress=progress)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        round_.refresh_from_db()
        self.stdout.write(self.style.SUCCESS(f"{round_}：已结束并封存，封存指纹 {round_.snapshot.fingerprint}。"))
