from fractions import Fraction

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from units.models import Unit

from . import scoring
from .scales import SCALES


class RespondentCategory(models.Model):
    """A kind of respondent (领导干部, 一般干部, 群众 …); rounds choose which they survey."""

    name = models.CharField(_("名称"), max_length=30, unique=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("参评人员类别")
        verbose_name_plural = _("参评人员类别")

    def __str__(self):
        return self.name


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")
    PUBLISHED = "published", _("已发布")


class ScaleKey(models.TextChoices):
    FOUR = "four", _("满意/基本满意/不满意/不了解")
    THREE = "three", _("满意/基本满意/不满意")
    FIVE = "five", _("很满意/满意/基本满意/不太满意/不满意（百分制）")


class RoundQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=RoundStatus.OPEN)

    def with_results(self):
        """Rounds whose results exist: closed or published."""
        return self.filter(status__in=[RoundStatus.CLOSED, RoundStatus.PUBLISHED])

    def published(self):
        return self.filter(status=RoundStatus.PUBLISHED)


class Round(models.Model):
    """One survey season: which units, which questionnaire, which scoring policy."""

    name = models.CharField(_("名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("结束时间"))
    status = models.CharField(
        _("状态"), max_length=12, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    scale = models.CharField(
        _("答案选项"), max_length=8, choices=ScaleKey.choices, default=ScaleKey.FOUR
    )
    # The scoring policy; frozen when the round opens.
    positive_threshold = models.PositiveSmallIntegerField(
        _("满意单位线（%）"), default=80, help_text=_("满意率与基本满意率之和达到此比例（含）。")
    )
    basic_threshold = models.PositiveSmallIntegerField(
        _("基本满意单位线（%）"), default=70, help_text=_("满意率与基本满意率之和达到此比例（含）。")
    )
    unknown_in_denominator = models.BooleanField(
        _("“不了解”计入有效票"), default=True, help_text=_("默认计入（较严格的口径）；空白选项不计入。")
    )
    use_weights = models.BooleanField(_("按参评人员类别加权"), default=False)
    min_valid_answers = models.PositiveIntegerField(
        _("可靠评定的最少有效票"), default=30
    )
    require_double_keying = models.BooleanField(
        _("纸质票双人录入"), default=False, help_text=_("每批纸质票须由两名工作人员分别录入并核对。")
    )
    opened_at = models.DateTimeField(_("开启时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间（实际）"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    seal_digest = models.CharField(_("封存摘要"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("复制自"),
    )

    objects = RoundQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-opens_at", "-id"]
        verbose_name = _("测评轮次")
        verbose_name_plural = _("测评轮次")
        permissions = [
            ("manage_surveys", _("管理测评（单位、轮次、测评码、纸质票、调查）")),
            ("view_results", _("查看测评结果和报表")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(positive_threshold__gte=0, positive_threshold__lte=100),
                name="round_positive_threshold_0_100",
            ),
            models.CheckConstraint(
                condition=Q(basic_threshold__gte=0, basic_threshold__lte=100),
                name="round_basic_threshold_0_100",
            ),
            models.CheckConstraint(
                condition=Q(basic_threshold__lte=models.F("positive_threshold")),
                name="round_basic_not_above_positive",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="round_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RoundStatus.values), name="round_status_known"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def scale_def(self):
        return SCALES[self.scale]

    @property
    def is_frozen(self):
        """Questionnaire and policy are frozen once the round has opened."""
        return self.status != RoundStatus.DRAFT

    def is_accepting(self, now=None):
        now = now or timezone.now()
        return self.status == RoundStatus.OPEN and self.opens_at <= now < self.closes_at

    def policy(self, weights=None):
        """The round's scoring policy; pass {category_id: weight} when weights are used."""
        return scoring.Policy(
            positive_threshold=Fraction(self.positive_threshold, 100),
            basic_threshold=Fraction(self.basic_threshold, 100),
            unknown_in_denominator=self.unknown_in_denominator,
            min_valid=self.min_valid_answers,
            weights=weights if self.use_weights else None,
        )

    def category_weights(self):
        return {
            rc.category_id: Fraction(rc.weight) for rc in self.round_categories.all()
        }


class RoundUnit(models.Model):
    """A unit surveyed in a round, with its planned sample and its running ballot counts."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="round_units", verbose_name=_("测评轮次")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="round_units", verbose_name=_("单位")
    )
    planned_sample = models.PositiveIntegerField(_("计划样本量"), default=100)
    paper_forms_issued = models.PositiveIntegerField(_("纸质票发出数"), default=0)
    # Kept by the ballot services in the same transaction as each ballot; see docs/design.md.
    online_ballots = models.PositiveIntegerField(_("网上票数"), default=0)
    paper_ballots = models.PositiveIntegerField(_("纸质票数"), default=0)
    # The close's fence: every ballot passes `UPDATE … WHERE accepting`, and closing sets it
    # false in the same transaction that mixes the last pending ballots, so no ballot slips in
    # after a close (surveys.ballots, docs/anonymity.md). The round's status still decides
    # whether the unit takes ballots at all; a draft unit is "accepting" but refused by status.
    accepting = models.BooleanField(_("接收测评票"), default=True, editable=False)

    class Meta:
        ordering = ["round", "unit__kind", "unit__group__order", "unit__order", "unit__code"]
        verbose_name = _("参评单位")
        verbose_name_plural = _("参评单位")
        constraints = [
            models.UniqueConstraint(fields=["round", "unit"], name="round_unit_once"),
            models.CheckConstraint(
                condition=Q(paper_ballots__lte=models.F("paper_forms_issued")),
                name="round_unit_paper_within_issued",
            ),
        ]

    def __str__(self):
        return f"{self.round} · {self.unit}"

    @property
    def ballots(self):
        return self.online_ballots + self.paper_ballots


class RoundCategory(models.Model):
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="round_categories", verbose_name=_("测评轮次")
    )
    category = models.ForeignKey(
        RespondentCategory, on_delete=models.PROTECT, related_name="+", verbose_name=_("类别")
    )
    weight = models.DecimalField(_("权重"), max_digits=6, decimal_places=3, default=1)

    class Meta:
        ordering = ["round", "category__order"]
        verbose_name = _("本轮参评人员类别")
        verbose_name_plural = _("本轮参评人员类别")
        constraints = [
            models.UniqueConstraint(fields=["round", "category"], name="round_category_once"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="round_category_weight_positive"),
        ]

    def __str__(self):
        return str(self.category)


class ItemKind(models.TextChoices):
    SELECTION = "selection", _("干部选拔任用工作满意度")
    CONDUCT = "conduct", _("防治用人不正之风工作满意度")
    SUB = "sub", _("分项指标")
    OPINION = "opinion", _("意见建议")


HEADLINE_KINDS = (ItemKind.SELECTION, ItemKind.CONDUCT)


class ItemQuerySet(models.QuerySet):
    def headline(self):
        return self.filter(kind__in=HEADLINE_KINDS)

    def rated(self):
        """Items answered on the scale (everything but the free-text opinion)."""
        return self.exclude(kind=ItemKind.OPINION)


class Item(models.Model):
    """One question of a round's questionnaire."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="items", verbose_name=_("测评轮次")
    )
    kind = models.CharField(_("类型"), max_length=12, choices=ItemKind.choices)
    text = models.CharField(_("题目"), max_length=200)
    order = models.PositiveIntegerField(_("顺序"), default=0)
    required = models.BooleanField(_("必答"), default=False)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["round", "order", "id"]
        verbose_name = _("测评题目")
        verbose_name_plural = _("测评题目")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "kind"],
                condition=~Q(kind="sub"),
                name="item_one_headline_or_opinion_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ItemKind.values), name="item_kind_known"
            ),
        ]

    def __str__(self):
        return self.text

    @property
    def is_headline(self):
        return self.kind in HEADLINE_KINDS


class Channel(models.TextChoices):
    ONLINE = "online", _("网上")
    PAPER = "paper", _("纸质")


class BallotQuerySet(models.QuerySet):
    def for_round(self, round_):
        return self.filter(round_unit__round=round_)


class Ballot(models.Model):
    """One anonymous ballot.

    Deliberately without: any reference to the access code used, the respondent, the IP
    address, the browser, a session, or any time finer than the day (see README, anonymity).
    """

    # Indexed by ballot_unit_channel (round_unit, channel) below: its own index would be one
    # more entry to write for every ballot the mix stores.
    round_unit = models.ForeignKey(
        RoundUnit, on_delete=models.PROTECT, related_name="ballot_set", verbose_name=_("参评单位"),
        db_index=False,
    )
    category = models.ForeignKey(
        RespondentCategory, on_delete=models.PROTECT, related_name="+", verbose_name=_("参评人员类别")
    )
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    cast_on = models.DateField(_("日期"))
    opinion = models.TextField(_("意见建议"), max_length=1000, blank=True)

    objects = BallotQuerySet.as_manager()

    class Meta:
        verbose_name = _("测评票")
        verbose_name_plural = _("测评票")
        indexes = [
            models.Index(fields=["round_unit", "channel"], name="ballot_unit_channel"),
            # The unit page's newest opinions (by day, then text; never by id): read from the
            # opinions alone, newest day first, instead of sorting every ballot of the unit.
            # Partial: only ballots that carry an opinion pay for it. The text is left out of
            # the key (up to 1,000 characters, more than an index entry may hold).
            models.Index(fields=["round_unit", "-cast_on"], condition=~Q(opinion=""), name="ballot_unit_opinions"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="ballot_channel_known"
            ),
        ]


class PendingBallot(models.Model):
    """A ballot stored but not yet counted: it waits for the mixer (surveys.ballots.ballots_mix).

    The submission that consumes a code writes this row in its own transaction; the mixer later
    moves a whole batch of them into Ballot/Answer in shuffled order and deletes them, so no
    ballot row shares a transaction (or an order) with the code that cast it. The content is
    sealed (AES-GCM under a key derived from SURVEY_CODE_KEY, which lives outside the database):
    a dump, a dead row version or the write-ahead log shows which unit, not what was answered.
    No time is kept, not even the day outside the sealed content.
    """

    round_unit = models.ForeignKey(
        RoundUnit, on_delete=models.PROTECT, related_name="pending_ballots", verbose_name=_("参评单位")
    )
    sealed = models.BinaryField(_("密文"))

    class Meta:
        verbose_name = _("待计入测评票")
        verbose_name_plural = _("待计入测评票")


class Answer(models.Model):
    """One ballot's answer to one rated item; a blank item has no row (abstention)."""

    # Indexed by answer_once_per_item (ballot, item), whose first column serves every lookup
    # by ballot: its own index would be one more entry to write for every answer stored.
    ballot = models.ForeignKey(
        Ballot, on_delete=models.CASCADE, related_name="answers", verbose_name=_("测评票"),
        db_index=False,
    )
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="answers", verbose_name=_("题目")
    )
    option = models.PositiveSmallIntegerField(_("选项"))

    class Meta:
        verbose_name = _("答案")
        verbose_name_plural = _("答案")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "item"], name="answer_once_per_item"),
            models.CheckConstraint(
                condition=Q(option__gte=1, option__lte=9), name="answer_option_in_range"
            ),
        ]


class Tally(models.Model):
    """Answers counted per unit, item, respondent category and option.

    Incremented in the same transaction as each ballot, so dashboards read a few thousand
    rows instead of millions; `surveys.services.tallies_verify` proves it equals a recount.
    """

    # Indexed by tally_cell_once (round_unit, item, category, option), which starts with it.
    round_unit = models.ForeignKey(
        RoundUnit, on_delete=models.CASCADE, related_name="tallies", verbose_name=_("参评单位"),
        db_index=False,
    )
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+", verbose_name=_("题目"))
    category = models.ForeignKey(
        RespondentCategory, on_delete=models.PROTECT, related_name="+", verbose_name=_("类别")
    )
    option = models.PositiveSmallIntegerField(_("选项"))
    count = models.PositiveIntegerField(_("票数"), default=0)

    class Meta:
        verbose_name = _("计票")
        verbose_name_plural = _("计票")
        constraints = [
            models.UniqueConstraint(
                fields=["round_unit", "item", "category", "option"], name="tally_cell_once"
            ),
        ]


class ResultSnapshot(models.Model):
    """The results of a closed round as they stood at the close, and the seal over them.

    Dashboards and files of a closed or published round read `results` (and `detail`),
    never the tallies: what is shown is what was sealed. `parts` holds a digest per part of
    the round (policy, questionnaire, categories, and per unit its ballots, counters and
    tallies, by stable ids) and `mac` is the HMAC-SHA256 of `parts` under SURVEY_SEAL_KEY, a
    key kept outside the database. See surveys/snapshots.py and docs/design.md (Sealing).
    """

    round = models.OneToOneField(
        Round, on_delete=models.CASCADE, related_name="snapshot", verbose_name=_("测评轮次")
    )
    # Policy, categories, questionnaire, and per unit its names as at close, its counters
    # and its headline counts by category and option.
    results = models.JSONField(_("结果快照"))
    # Per unit, the counts of every other rated item (read by the unit page and the files).
    detail = models.JSONField(_("分项指标快照"))
    # Per group, what the city trends show (units, ballots, pooled counts, units reaching each
    # goal), derived from `results` at the seal and checked against it by verify_round
    # (surveys/snapshots.py, `figures`). None on a snapshot sealed before it existed.
    figures = models.JSONField(_("历年走势摘要"), null=True, blank=True)
    parts = models.JSONField(_("分项摘要"))
    mac = models.CharField(_("封存签名"), max_length=64)
    sealed_at = models.DateTimeField(_("封存时间"), default=timezone.now)
    sealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("封存人"),
    )
    # Written when the round was published with too little data (not part of the seal, like
    # the investigations recorded after the close).
    publish_reason = models.TextField(_("数据不足仍发布的理由"), blank=True)

    class Meta:
        verbose_name = _("结果快照")
        verbose_name_plural = _("结果快照")

    def __str__(self):
        return f"{self.round} · {self.fingerprint}"

    @property
    def fingerprint(self):
        """The seal's first 16 hex digits in groups of 4: short enough to read off paper."""
        return fingerprint(self.mac)


def fingerprint(mac):
    return " ".join(mac[i:i + 4] for i in range(0, 16, 4)).upper() if mac else ""


class CodeStatus(models.TextChoices):
    UNUSED = "unused", _("未使用")
    # Consumed by a ballot that still waits in PendingBallot; the mixer makes it USED in the
    # transaction that counts that batch, so a used code carries the mixer's transaction id.
    SPENT = "spent", _("已使用（待计入）")
    USED = "used", _("已使用")
    VOID = "void", _("已作废")


CONSUMED = (CodeStatus.SPENT, CodeStatus.USED)


class CodeBatch(models.Model):
    """A batch of one-time access codes issued for one unit of one round."""

    # Indexed by code_batch_number_once (round_unit, number), which starts with it.
    round_unit = models.ForeignKey(
        RoundUnit, on_delete=models.PROTECT, related_name="code_batches", verbose_name=_("参评单位"),
        db_index=False,
    )
    # 第 1 批 is the unit's first batch in the round; assigned under the unit's row lock.
    number = models.PositiveIntegerField(_("批次号"))
    size = models.PositiveIntegerField(_("数量"))
    # Counters kept in the transactions that change a code (a ballot consuming it, a void), so
    # live pages read a few hundred batch rows instead of counting codes.
    codes_used = models.PositiveIntegerField(_("已使用"), default=0)
    codes_void = models.PositiveIntegerField(_("已作废"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
        verbose_name=_("生成人"),
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    void_reason = models.CharField(_("作废原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("测评码批次")
        verbose_name_plural = _("测评码批次")
        constraints = [
            models.CheckConstraint(
                condition=Q(codes_used__lte=models.F("size") - models.F("codes_void")),
                name="code_batch_counts_within_size",
            ),
            models.UniqueConstraint(fields=["round_unit", "number"], name="code_batch_number_once"),
        ]

    @property
    def codes_unused(self):
        return self.size - self.codes_used - self.codes_void

    def __str__(self):
        return _("%(unit)s 第%(number)s批（%(size)s个）") % {"unit": self.round_unit.unit, "number": self.number, "size": self.size}


class AccessCode(models.Model):
    """A one-time access code, stored only as a keyed hash (and, optionally, encrypted).

    No timestamp and no link to the ballot it cast: only whether it is used.
    """

    batch = models.ForeignKey(
        CodeBatch, on_delete=models.PROTECT, related_name="codes", verbose_name=_("批次")
    )
    # Indexed by code_unit_status (round_unit, status) below; its own index would be one more
    # to keep up on every write of a code row.
    round_unit = models.ForeignKey(
        RoundUnit, on_delete=models.PROTECT, related_name="access_codes", verbose_name=_("参评单位"),
        db_index=False,
    )
    # Unique through Meta, not unique=True: on PostgreSQL that would add a second, LIKE-only
    # index to keep up on every write of a code row.
    digest = models.CharField(_("摘要"), max_length=64)
    sealed = models.TextField(_("密文"), blank=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=CodeStatus.choices, default=CodeStatus.UNUSED
    )

    class Meta:
        verbose_name = _("测评码")
        verbose_name_plural = _("测评码")
        indexes = [models.Index(fields=["round_unit", "status"], name="code_unit_status")]
        constraints = [
            models.UniqueConstraint(fields=["digest"], name="code_digest_once"),
            models.CheckConstraint(
                condition=Q(status__in=CodeStatus.values), name="code_status_known"
            ),
        ]


class UnknownCodeCount(models.Model):
    """Unknown codes tried in one throttle window, per client and in all (client "").

    `client` is HMAC(key, window + address): it changes with every window, so a row tells
    nothing once its window has passed, and rows of past windows are deleted
    (surveys/respondent/throttle.py). Never near a ballot: only unknown codes count.
    """

    period = models.BigIntegerField(_("时间窗"))
    client = models.CharField(_("来源摘要"), max_length=32, blank=True)
    count = models.PositiveIntegerField(_("次数"), default=0)

    class Meta:
        verbose_name = _("错误测评码计数")
        verbose_name_plural = _("错误测评码计数")
        constraints = [
            models.UniqueConstraint(fields=["period", "client"], name="unknown_code_count_once"),
        ]


class PaperBatchStatus(models.TextChoices):
    KEYING = "keying", _("录入中")
    RECONCILING = "reconciling", _("待核对")
    COUNTED = "counted", _("已计入")
    # Left unfinished when the round closed and, by a recorded decision, not counted.
    DISCARDED = "discarded", _("已放弃（未计入）")


class PaperBatch(models.Model):
    """A stack of paper ballots of one unit, keyed by designated staff."""

    round_unit = models.ForeignKey(
        RoundUnit, on_delete=models.PROTECT, related_name="paper_batches", verbose_name=_("参评单位")
    )
    label = models.CharField(_("批次名称"), max_length=50)
    double_keyed = models.BooleanField(_("双人录入"), default=False)
    status = models.CharField(
        _("状态"), max_length=12, choices=PaperBatchStatus.choices, default=PaperBatchStatus.KEYING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("纸质票批次")
        verbose_name_plural = _("纸质票批次")

    def __str__(self):
        return f"{self.round_unit.unit} {self.label}"


class PaperEntry(models.Model):
    """One paper ballot as keyed in one pass of a double-keyed batch, before it counts."""

    batch = models.ForeignKey(
        PaperBatch, on_delete=models.CASCADE, related_name="entries", verbose_name=_("批次")
    )
    pass_no = models.PositiveSmallIntegerField(_("录入遍次"))
    seq = models.PositiveIntegerField(_("序号"))
    keyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("录入人")
    )
    payload = models.JSONField(_("录入内容"))

    class Meta:
        ordering = ["batch", "seq", "pass_no"]
        verbose_name = _("纸质票录入")
        verbose_name_plural = _("纸质票录入")
        constraints = [
            models.UniqueConstraint(fields=["batch", "pass_no", "seq"], name="paper_entry_once"),
            models.CheckConstraint(condition=Q(pass_no__in=[1, 2]), name="paper_entry_pass_1_2"),
        ]


class PaperImportStatus(models.TextChoices):
    QUEUED = "queued", _("等待写入")
    DONE = "done", _("已导入")
    FAILED = "failed", _("未导入")


class PaperImport(models.Model):
    """One spreadsheet of paper ballots imported into a round (or queued to be).

    `digest` fingerprints the file's ballots (not its bytes: paper_import.content_digest),
    so the same stack of ballots is not counted twice: a second import of the same content
    is refused unless staff import it again with a written reason (`repeat_of`, `reason`).
    `pending` holds the checked ballots, sorted by content, only until the background job
    has written them; it is emptied then, whatever the outcome.
    """

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="paper_imports", verbose_name=_("测评轮次")
    )
    digest = models.CharField(_("内容摘要"), max_length=64)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    ballots = models.PositiveIntegerField(_("票数"))
    status = models.CharField(
        _("状态"), max_length=8, choices=PaperImportStatus.choices, default=PaperImportStatus.QUEUED
    )
    repeat_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("重复导入的原导入"),
    )
    reason = models.CharField(_("再次导入的理由"), max_length=500, blank=True)
    message = models.CharField(_("结果说明"), max_length=300, blank=True)
    pending = models.JSONField(_("待写入的票"), default=list, blank=True)
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("后台任务"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("导入人")
    )
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("纸质票导入")
        verbose_name_plural = _("纸质票导入")
        constraints = [
            # The same content once per round, unless imported again on purpose (with a reason).
            models.UniqueConstraint(
                fields=["round", "digest"],
                condition=Q(repeat_of__isnull=True) & ~Q(status="failed"),
                name="paper_import_content_once",
            ),
            models.CheckConstraint(
                condition=Q(repeat_of__isnull=True) | ~Q(reason=""), name="paper_import_again_has_reason"
            ),
            models.CheckConstraint(condition=Q(status__in=["queued", "done", "failed"]),
                                   name="paper_import_status_known"),
        ]

    def __str__(self):
        return f"{self.round} {self.file_name}"


class Investigation(models.Model):
    """The investigation of a below-standard unit on one headline dimension (经调查了解)."""

    round_unit = models.ForeignKey(
        RoundUnit, on_delete=models.PROTECT, related_name="investigations", verbose_name=_("参评单位")
    )
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="+", verbose_name=_("测评维度")
    )
    findings = models.TextField(_("调查情况"))
    conclusion = models.CharField(
        _("结论"),
        max_length=12,
        choices=[
            (scoring.Conclusion.SERIOUS.value, _("用人不正之风问题较为严重（群众不满意单位）")),
            (scoring.Conclusion.NOT_SERIOUS.value, _("未发现较为严重的问题")),
        ],
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("认定人")
    )
    decided_at = models.DateTimeField(_("认定时间"), default=timezone.now)

    class Meta:
        verbose_name = _("调查结论")
        verbose_name_plural = _("调查结论")
        constraints = [
            models.UniqueConstraint(fields=["round_unit", "item"], name="investigation_once"),
        ]


class RectificationStatus(models.TextChoices):
    PLANNED = "planned", _("未开始")
    IN_PROGRESS = "in_progress", _("整改中")
    DONE = "done", _("已完成")


class Rectification(models.Model):
    """Follow-up measures (整改) for a below-standard unit; carried into later rounds."""

    round_unit = models.ForeignKey(
        RoundUnit, on_delete=models.PROTECT, related_name="rectifications", verbose_name=_("参评单位")
    )
    measures = models.TextField(_("整改措施"))
    deadline = models.DateField(_("整改期限"))
    status = models.CharField(
        _("状态"), max_length=12, choices=RectificationStatus.choices,
        default=RectificationStatus.PLANNED,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("整改措施")
        verbose_name_plural = _("整改措施")
