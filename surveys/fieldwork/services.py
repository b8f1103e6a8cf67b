"""Fieldwork writes: access-code batches, and paper ballots counted by designated staff.

Codes: a batch is issued for one unit; the plain codes leave the server only on printed
slips and the batch's code list, the database keeps each code's keyed hash (to check it) and
a sealed copy (to print it again). Voiding a batch voids its unused codes.

Paper: forms handed out, keying, double keying. Single keying (the default) counts each
keyed ballot at once. A round that requires double keying collects two passes per batch,
keyed by two different staff members, into PaperEntry rows; the batch counts only after a
third person has resolved every difference. Every ballot still goes through ballot_submit
(收回 ≤ 发出 is checked there). A single keyed ballot waits, pending, for its unit's next mix
batch; a counted double-keyed batch and an import are mixed at once, in their transaction.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from credibility.text import clauses, series
from surveys import codes
from surveys.ballots import ballot_submit, ballots_mix
from surveys.models import (
    AccessCode,
    Channel,
    CodeBatch,
    CodeStatus,
    PaperBatch,
    PaperBatchStatus,
    PaperEntry,
    PaperImport,
    PaperImportStatus,
    RespondentCategory,
    Round,
    RoundStatus,
    RoundUnit,
)

from .paper_import import ImportRefused, over_issued, parse

MAX_BATCH_SIZE = 5000


@transaction.atomic
def codes_issue(*, round_unit, size, actor):
    """Issue a batch of `size` codes for one unit; returns (batch, plain codes), shown once."""
    round_ = round_unit.round
    if round_.status not in (RoundStatus.DRAFT, RoundStatus.OPEN):
        raise ValidationError(_("本轮测评已结束，不能再发放测评码。"), code="round_finished")
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise ValidationError(_("每批测评码数量应在 1 至 %(limit)s 之间。") % {"limit": MAX_BATCH_SIZE}, code="bad_size")
    batch = CodeBatch(
        round_unit=round_unit, number=batch_number_next(round_unit=round_unit), size=size, created_by=actor
    )
    batch.full_clean()
    batch.save()
    plain = set()
    while len(plain) < size:  # a duplicate among 2**54 codes is improbable, not impossible
        plain.add(codes.generate())
    plain = sorted(plain)
    AccessCode.objects.bulk_create(
        [
            AccessCode(
                batch=batch, round_unit=round_unit, digest=codes.digest(c), sealed=codes.seal(c)
            )
            for c in plain
        ],
        batch_size=1000,
    )
    audit_record(actor=actor, action="codes.issue", obj=batch, changes={"size": size})
    return batch, plain


def batch_number_next(*, round_unit):
    """The unit's next batch number (1 for its first), read under the unit's row lock.

    Call inside the transaction that saves the batch: the lock holds until it commits, so two
    staff issuing for one unit at once get 1 and 2, never 1 twice.
    """
    list(RoundUnit.objects.select_for_update().filter(pk=round_unit.pk).values_list("pk"))
    last = CodeBatch.objects.filter(round_unit=round_unit).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


@transaction.atomic
def codes_void(*, batch, actor, reason=""):
    """Void a batch's unused codes (slips lost, misprinted); used codes stay used.

    Codes first, then the batch row: a submission takes its code, then its unit, then the
    batch, so this order can wait for one but never deadlock with it (or with a close).
    """
    status = CodeBatch.objects.filter(pk=batch.pk).values_list("round_unit__round__status", flat=True).get()
    if status not in (RoundStatus.DRAFT, RoundStatus.OPEN):
        raise ValidationError(_("本轮测评已结束，测评码已不能使用，无需作废。"), code="round_finished")
    if CodeBatch.objects.filter(pk=batch.pk, voided_at__isnull=False).exists():
        raise ValidationError(_("该批测评码已作废。"), code="already_void")
    voided = AccessCode.objects.filter(batch_id=batch.pk, status=CodeStatus.UNUSED).update(
        status=CodeStatus.VOID
    )
    reason = (reason or "").strip()[:200]
    if not CodeBatch.objects.filter(pk=batch.pk, voided_at__isnull=True).update(
        voided_at=timezone.now(), void_reason=reason, codes_void=F("codes_void") + voided
    ):
        raise ValidationError(_("该批测评码已作废。"), code="already_void")  # voided meanwhile
    batch.refresh_from_db()
    audit_record(
        actor=actor, action="codes.void", obj=batch,
        changes={"voided": voided, "reason": batch.void_reason},
    )
    return voided


def batch_codes(batch):
    """[(plain code or None, status or None)] of a batch, unsealed for printing.

    None for a code whose sealed copy cannot be read. While the round is open the status is
    None for every code: staff see per batch how many are used, never which (two downloads
    around one submission would otherwise point at the code that cast it).
    """
    rows = AccessCode.objects.filter(batch=batch).order_by("pk").values_list("sealed", "status")
    hide = batch.round_unit.round.status in (RoundStatus.DRAFT, RoundStatus.OPEN)
    shown = {CodeStatus.SPENT: CodeStatus.USED}
    return [
        (codes.unseal(sealed) if sealed else None, None if hide else shown.get(status, status))
        for sealed, status in rows
    ]


@transaction.atomic
def codes_disclose(*, batch, actor, form):
    """Record that a batch's codes were shown in full (slips printed or list downloaded)."""
    audit_record(actor=actor, action=f"codes.{form}", obj=batch, changes={"size": batch.size})


def code_counts(round_units):
    """Annotate issued/used/void code counts per RoundUnit from the batch counters.

    One query over the units' batches (a few hundred rows), whatever the number of codes.
    """
    zero = Value(0)
    return round_units.annotate(
        codes_issued=Coalesce(Sum("code_batches__size"), zero),
        codes_used=Coalesce(Sum("code_batches__codes_used"), zero),
        codes_void=Coalesce(Sum("code_batches__codes_void"), zero),
    )


def _require_open(round_):
    if round_.status != RoundStatus.OPEN:
        raise ValidationError(_("只有进行中的测评轮次才能录入纸质票。"), code="round_not_open")


@transaction.atomic
def paper_forms_set(*, round_unit, issued, actor):
    """Record how many paper forms were handed out for a unit (发出票数)."""
    locked = RoundUnit.objects.select_for_update().select_related("round").get(pk=round_unit.pk)
    if locked.round.status not in (RoundStatus.DRAFT, RoundStatus.OPEN):
        # The count is sealed at the close with the ballots; changing it afterwards would
        # read as tampering when the seal is verified.
        raise ValidationError(_("本轮测评已结束并封存，纸质票发出数不能再修改。"), code="round_closed")
    if issued < locked.paper_ballots:
        raise ValidationError(
            _("已录入 %(paper_ballots)s 张纸质票，发出票数不能少于此数。") % {"paper_ballots": locked.paper_ballots}, code="below_keyed"
        )
    before = locked.paper_forms_issued
    locked.paper_forms_issued = issued
    locked.full_clean()
    locked.save(update_fields=["paper_forms_issued"])
    audit_record(
        actor=actor, action="paper.forms_issued", obj=locked,
        changes={"paper_forms_issued": [before, issued]},
    )
    return locked


@transaction.atomic
def paper_ballot_key(*, round_unit, category, answers, opinion="", actor):
    """Key and count one paper ballot (single keying)."""
    _require_open(round_unit.round)
    if round_unit.round.require_double_keying:
        raise ValidationError(_("本轮要求双人录入，请按批次录入两遍后核对。"), code="double_keying")
    ballot = ballot_submit(
        round_unit=round_unit, category=category, channel=Channel.PAPER,
        answers=answers, opinion=opinion,
    )
    # Who keyed how many, not which ballot: the trail says nothing about answers.
    audit_record(actor=actor, action="paper.key", obj=round_unit, changes={"count": 1})
    return ballot


@transaction.atomic
def paper_batch_create(*, round_unit, label, actor):
    _require_open(round_unit.round)
    batch = PaperBatch(
        round_unit=round_unit, label=label.strip(),
        double_keyed=round_unit.round.require_double_keying, created_by=actor,
    )
    batch.full_clean()
    batch.save()
    audit_record(actor=actor, action="paper.batch_create", obj=batch)
    return batch


def pass_keyers(batch):
    """{pass_no: user_id} of whoever keyed each pass so far."""
    return dict(
        PaperEntry.objects.filter(batch=batch).values_list("pass_no", "keyed_by").distinct()
    )


@transaction.atomic
def paper_entry_key(*, batch, pass_no, payload, actor):
    """Store one ballot of one pass of a double-keyed batch; it does not count yet."""
    batch = PaperBatch.objects.select_for_update().get(pk=batch.pk)
    if not batch.double_keyed or batch.status != PaperBatchStatus.KEYING:
        raise ValidationError(_("该批次已结束录入。"), code="not_keying")
    if pass_no not in (1, 2):
        raise ValidationError(_("录入遍次只能是第1遍或第2遍。"), code="bad_pass")
    keyers = pass_keyers(batch)
    if keyers.get(pass_no, actor.pk) != actor.pk:
        raise ValidationError(_("第%(pass_no)s遍已由其他工作人员录入。") % {"pass_no": pass_no}, code="pass_taken")
    if keyers.get(3 - pass_no) == actor.pk:
        raise ValidationError(_("两遍录入须由两名不同的工作人员完成。"), code="same_keyer")
    seq = PaperEntry.objects.filter(batch=batch, pass_no=pass_no).count() + 1
    entry = PaperEntry.objects.create(
        batch=batch, pass_no=pass_no, seq=seq, keyed_by=actor, payload=payload
    )
    audit_record(actor=actor, action="paper.entry_key", obj=batch, changes={"pass": pass_no, "seq": seq})
    return entry


@transaction.atomic
def paper_batch_close_keying(*, batch, actor):
    """Both passes are keyed: stop keying and compare."""
    batch = PaperBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != PaperBatchStatus.KEYING:
        raise ValidationError(_("该批次已结束录入。"), code="not_keying")
    counts = dict(
        PaperEntry.objects.filter(batch=batch).values_list("pass_no").annotate(n=Count("id"))
    )
    if not counts.get(1) or not counts.get(2):
        raise ValidationError(_("两遍都录入后才能核对。"), code="pass_missing")
    batch.status = PaperBatchStatus.RECONCILING
    batch.save(update_fields=["status"])
    audit_record(actor=actor, action="paper.batch_close", obj=batch, changes=counts)
    return batch


@dataclass
class Difference:
    seq: int
    first: dict | None
    second: dict | None


def paper_batch_differences(batch):
    """The ballots (by sequence number) on which the two passes disagree or one is missing."""
    passes = {1: {}, 2: {}}
    for entry in PaperEntry.objects.filter(batch=batch):
        passes[entry.pass_no][entry.seq] = entry.payload
    return [
        Difference(seq, passes[1].get(seq), passes[2].get(seq))
        for seq in sorted(set(passes[1]) | set(passes[2]))
        if passes[1].get(seq) != passes[2].get(seq)
    ]


@transaction.atomic
def paper_batch_count(*, batch, resolutions, actor):
    """Count a reconciled batch: agreed ballots, and each difference as resolved.

    resolutions: {seq: 1 or 2 (the pass that is right) or 0 (not a ballot)}. When the
    passes differ, the resolver must be neither keyer. All ballots or none are stored.
    """
    batch = PaperBatch.objects.select_for_update().select_related("round_unit__round").get(pk=batch.pk)
    if batch.status != PaperBatchStatus.RECONCILING:
        raise ValidationError(_("该批次不在待核对状态。"), code="not_reconciling")
    _require_open(batch.round_unit.round)
    differences = paper_batch_differences(batch)
    if differences and actor.pk in pass_keyers(batch).values():
        raise ValidationError(_("两遍录入不一致，须由录入人以外的第三人核对。"), code="keyer_resolves")
    unresolved = [d.seq for d in differences if resolutions.get(d.seq) not in (0, 1, 2)]
    if unresolved:
        raise ValidationError(
            _("请逐张核对，以下序号尚未确定：") + series(unresolved), code="unresolved"
        )
    chosen = {d.seq: {1: d.first, 2: d.second}.get(resolutions[d.seq]) for d in differences}
    agreed = {
        e.seq: e.payload for e in PaperEntry.objects.filter(batch=batch, pass_no=1)
        if e.seq not in chosen
    }
    final = {**agreed, **chosen}
    categories = {c.pk: c for c in RespondentCategory.objects.all()}
    counted = 0
    for seq in sorted(final):
        payload = final[seq]
        if payload is None:
            continue  # resolved as not a ballot, or picked a pass that lacks it
        try:
            ballot_submit(
                round_unit=batch.round_unit, category=categories.get(payload["category"]),
                channel=Channel.PAPER, answers=payload["answers"], opinion=payload.get("opinion", ""),
            )
        except ValidationError as error:
            raise ValidationError(_("第 %(seq)s 张：%(problems)s") % {"seq": seq, "problems": clauses(error.messages)}, code="bad_ballot")
        counted += 1
    # A stack of paper ballots is a mix batch of its own: stored in shuffled order, now.
    ballots_mix(round_unit=batch.round_unit, minimum=1)
    batch.status = PaperBatchStatus.COUNTED
    batch.save(update_fields=["status"])
    audit_record(
        actor=actor, action="paper.batch_count", obj=batch,
        changes={"counted": counted, "differences": len(differences),
                 "resolutions": {str(k): v for k, v in resolutions.items()}},
    )
    return counted


# --- importing a spreadsheet of paper ballots ----------------------------------------------

# Files up to this many ballots are written in the request (a second or two); larger ones by
# a background job, so no proxy timeout can cut an import in half (docs/spreadsheets.md).
# settings.PAPER_IMPORT_SYNC_BALLOTS overrides it.
SYNC_IMPORT_BALLOTS = 200


def sync_import_limit():
    return getattr(settings, "PAPER_IMPORT_SYNC_BALLOTS", SYNC_IMPORT_BALLOTS)


IMPORT_JOB_HANDLER = "surveys.fieldwork.jobs.paper_import_job"
PROGRESS_EVERY = 200


class DuplicateImport(ImportRefused):
    """The file's ballots were imported already (or are being): `first` is that import."""

    def __init__(self, first):
        self.first = first
        values = {
            "when": f"{timezone.localtime(first.created_at):%Y-%m-%d %H:%M}", "who": _person(first.created_by),
            "n": f"{first.ballots:,}", "file": first.file_name or _("未命名"),
        }
        if first.status == PaperImportStatus.DONE:
            said = _("这个文件的纸质票已于 %(when)s 由 %(who)s 导入（%(n)s 张，文件“%(file)s”），"
                     "同一批纸质票不能计入两次。") % values
        else:
            said = _("这个文件的纸质票已于 %(when)s 由 %(who)s 提交导入，正在后台写入（%(n)s 张，文件“%(file)s”），"
                     "同一批纸质票不能计入两次。") % values
        super().__init__([
            said,
            _("判断依据是文件内容：即使重新保存、调整了行的顺序或把选项写成序号，内容相同的文件也视为同一批。"
              "如果这确实是另一批内容恰好相同的纸质票，请写明理由后再次导入（记入操作记录）。"),
        ])


def _person(user):
    return (user.get_full_name() or user.get_username()) if user else _("（未知）")


def _importable(round_):
    round_ = Round.objects.get(pk=round_.pk)  # the status as it is now
    if round_.status != RoundStatus.OPEN:
        raise ImportRefused(_("只有进行中的测评轮次才能导入纸质票。"))
    if round_.require_double_keying:
        raise ImportRefused(_("本轮要求纸质票双人录入，不能直接导入；请按批次录入两遍后核对。"))
    return round_


def earlier_import(round_, digest):
    """The import (done or queued) that first brought these ballots into the round, or None."""
    return (
        PaperImport.objects.filter(round=round_, digest=digest, repeat_of__isnull=True)
        .exclude(status=PaperImportStatus.FAILED).select_related("created_by").first()
    )


def paper_ballots_import(*, round_, upload, actor, reason="", file_name=None, background=None):
    """Check a spreadsheet of paper ballots and import it, all or nothing; returns the PaperImport.

    The whole file is checked first (ImportRefused lists every problem). A file whose ballots
    were imported into this round before is refused (DuplicateImport, naming when and by
    whom) unless `reason` says why it is imported again; that is audited. Up to
    SYNC_IMPORT_BALLOTS ballots are written now; more are queued for a background job
    (`record.job`), which writes them in one transaction. `background` forces either way.
    """
    round_ = _importable(round_)
    paper = parse(round_, upload)
    reason = " ".join((reason or "").split())[:500]
    name = (file_name if file_name is not None else getattr(upload, "name", "")) or ""
    with transaction.atomic():
        first = earlier_import(round_, paper.digest)
        if first is not None and not reason:
            raise DuplicateImport(first)
        problems = over_issued(round_, paper)
        if problems:
            raise ImportRefused(problems)
        record = PaperImport(
            round=round_, digest=paper.digest, file_name=name[:200], ballots=len(paper),
            repeat_of=first, reason=reason if first else "", created_by=actor,
        )
        record.full_clean(exclude=["job"], validate_constraints=False)
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError:  # the same file, imported by someone else a moment ago
            raise DuplicateImport(earlier_import(round_, paper.digest)) from None
        if first is not None:
            audit_record(
                actor=actor, action="paper.import_again", obj=round_,
                changes={"file": record.file_name, "rows": len(paper), "reason": reason,
                         "first_import": first.pk, "first_at": first.created_at.isoformat(),
                         "first_by": _person(first.created_by)},
            )
        if background is None:
            background = len(paper) > sync_import_limit()
        if not background:
            paper_import_write(record=record, ballots=paper.ballots)
            record.refresh_from_db()
            return record
        PaperImport.objects.filter(pk=record.pk).update(pending=[b.key() for b in paper.ballots])
        from jobs.services import job_start

        job = job_start(
            kind="fieldwork.paper_import",
            label=_("%(round)s：导入纸质票 %(n)s 张（%(file)s）") % {
                "round": round_.name, "n": f"{len(paper):,}", "file": record.file_name or _("未命名")},
            handler=IMPORT_JOB_HANDLER, params={"import_id": record.pk}, actor=actor,
            back_url=reverse("fieldwork:paper_import", args=[round_.pk]),
        )
        PaperImport.objects.filter(pk=record.pk).update(job=job)
    record.refresh_from_db()
    return record


@transaction.atomic
def paper_import_write(*, record, ballots, progress=None):
    """Count the checked ballots of one import, every one or none; returns how many.

    Each goes through ballot_submit, which checks the round is open and 收回 ≤ 发出 under
    lock; a refusal there rolls the whole import back.
    """
    round_ = _importable(record.round)
    units = {ru.pk: ru for ru in RoundUnit.objects.filter(round=round_).select_related("round", "unit")}
    categories = {c.pk: c for c in RespondentCategory.objects.all()}
    total = len(ballots)
    for done, ballot in enumerate(ballots, start=1):
        round_unit = units.get(ballot.round_unit)
        if round_unit is None:
            raise ImportRefused(_("文件中的单位已不在本轮测评中，未导入任何纸质票。请重新上传。"))
        try:
            ballot_submit(
                round_unit=round_unit, category=categories.get(ballot.category), channel=Channel.PAPER,
                answers=dict(ballot.answers), opinion=ballot.opinion,
            )
        except ValidationError as error:  # e.g. a keyer filled the last form meanwhile
            raise ImportRefused([_("%(unit)s：%(why)s 未导入任何纸质票。") % {
                "unit": round_unit.unit.name, "why": clauses(error.messages)}])
        if progress and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total, _("已写入 %(done)s / %(total)s 张") % {"done": f"{done:,}", "total": f"{total:,}"})
    # The file's ballots are counted now, each unit's in shuffled order (not the file's).
    for round_unit_id in sorted({ballot.round_unit for ballot in ballots}):
        ballots_mix(round_unit=units[round_unit_id], minimum=1)
    PaperImport.objects.filter(pk=record.pk).update(
        status=PaperImportStatus.DONE, pending=[], finished_at=timezone.now(),
        message=_("已导入 %(n)s 张纸质票。") % {"n": f"{total:,}"},
    )
    audit_record(
        actor=record.created_by, action="paper.import", obj=round_,
        changes={"rows": total, "file": record.file_name[:100], "import": record.pk,
                 **({"again_of": record.repeat_of_id} if record.repeat_of_id else {})},
    )
    return total


def paper_import_failed(*, record, messages):
    """Record that a queued import wrote nothing; its ballots are forgotten, its file may come again."""
    text = clauses(messages)[:300]
    PaperImport.objects.filter(pk=record.pk, status=PaperImportStatus.QUEUED).update(
        status=PaperImportStatus.FAILED, pending=[], finished_at=timezone.now(), message=text,
    )
