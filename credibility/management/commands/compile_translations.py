from django.core.management.base import BaseCommand

from credibility.translations import LOCALE_DIR, compile_all


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po into .mo files (pure Python; no msgfmt needed)."
    requires_system_checks = []  # it fixes what the translations check warns about

    def add_arguments(self, parser):
        parser.add_argument("--stale", action="store_true", help="only catalogs whose .mo is missing or older")

    def handle(self, *args, stale=False, **options):
        done = compile_all(LOCALE_DIR, only_stale=stale)
        for po, count in done:
            self.stdout.write(f"{po.relative_to(LOCALE_DIR.parent)}: {count} messages")
        if not done and not stale:
            self.stderr.write(f"no .po files under {LOCALE_DIR}")
