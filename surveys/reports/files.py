"""The report files a user may take, their scope, their names, and when they are too large
to build inside a web request (docs/reports.md)."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Sum

from accounts.roles import MANAGE
from surveys.models import Round, RoundStatus, RoundUnit
from surveys.selectors import round_results

from .feedback import build_feedback_zip, feedback_context, feedback_zip_filename
from .raw_export import BallotRows, ballots_filename, write_ballots_csv, write_ballots_xlsx
from .round_report import build_round_report, round_report_filename

DOWNLOAD_ACTION = "download report"
# Files over more ballots than this (in the reader's scope) are built by a background job;
# smaller ones are sent at once. settings.REPORTS_SYNC_BALLOTS overrides it. At 50,000
# ballots the .xlsx of raw ballots takes a few seconds on a 2-core machine
# (docs/performance.md), the round report about one.
SYNC_BALLOTS = 50_000


def sync_limit():
    return getattr(settings, "REPORTS_SYNC_BALLOTS", SYNC_BALLOTS)


def report_rounds(user):
    """Rounds whose files a user may take: staff any round that has begun, leaders published."""
    if user.has_perm(MANAGE):
        return Round.objects.exclude(status=RoundStatus.DRAFT)
    return Round.objects.published()


def scoped_round_units(round_, groups):
    """The round's units in the reader's scope, named as the round's results name them: for a
    closed (sealed) round, code, name and group as they were at the close, so a published file
    keeps its names when a unit is renamed later (the round report and the feedback read
    `round_results` the same way)."""
    return [result.round_unit for result in round_results(round_, groups=groups).units]


def scope_ballots(round_, groups):
    """How many ballots the files of a round hold for this scope (from the unit counters)."""
    round_units = RoundUnit.objects.filter(round=round_)
    if groups is not None:
        round_units = round_units.filter(unit__group__in=groups)
    return round_units.aggregate(n=Sum(F("online_ballots") + F("paper_ballots")))["n"] or 0


def too_large(round_, groups):
    return scope_ballots(round_, groups) > sync_limit()


def _round_report(round_, groups, out, *, user, progress=None):
    build_round_report(round_, out, user=user, groups=groups, progress=progress)
    return {}


def _ballots(write):
    def build(round_, groups, out, *, user, progress=None):
        rows = BallotRows(round_, scoped_round_units(round_, groups), progress=progress)
        return {"ballots": write(rows, out)}

    return build


def _feedback_zip(round_, groups, out, *, user, progress=None):
    ctx = feedback_context(round_, user=user, groups=groups, published_only=not user.has_perm(MANAGE))
    build_feedback_zip(ctx, out, progress=progress)
    return {"units": len(ctx.units)}


@dataclass(frozen=True)
class Export:
    kind: str
    ext: str
    build: object  # (round, groups, out, *, user, progress) -> extra audit fields
    filename: object  # round -> file name
    always_job: bool = False  # built by a job whatever its size


EXPORTS = {
    "round_report": Export("round_report", "xlsx", _round_report, round_report_filename),
    # Every unit's workbook: a minute or more for a city's hundred units, so always a job.
    "feedback_zip": Export("feedback_zip", "zip", _feedback_zip, feedback_zip_filename, always_job=True),
    "ballots_xlsx": Export("ballots_xlsx", "xlsx", _ballots(write_ballots_xlsx),
                           lambda r: ballots_filename(r, "xlsx")),
    "ballots_csv": Export("ballots_csv", "csv", _ballots(write_ballots_csv), lambda r: ballots_filename(r, "csv")),
}
