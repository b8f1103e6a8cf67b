"""The seal of a closed round: a SHA-256 digest over its ballots in a canonical order.

The order is by content, never by database id, so a dump restored elsewhere (new ids) seals
the same. Each ballot becomes one line (unit code, category, channel, day, answers as
item order:kind:option, opinion); a unit's digest covers its sorted lines; the round's
digest covers every unit's code, ballot count and digest. Keeping the per-unit figures (in
the audit entry of the close) lets verification say which unit gained, lost or changed
ballots, not only that something differs.
"""

import hashlib
from django.utils.translation import gettext as _
import json
from collections import defaultdict
from dataclasses import dataclass, field

from surveys.models import Answer, Ballot


@dataclass(frozen=True)
class Seal:
    digest: str
    units: dict  # unit code -> [ballot count, unit digest]


@dataclass
class Verification:
    sealed: str
    current: str
    added: dict = field(default_factory=dict)  # unit code -> ballots added
    removed: dict = field(default_factory=dict)  # unit code -> ballots removed
    changed: list = field(default_factory=list)  # unit codes with changed content

    @property
    def intact(self):
        return bool(self.sealed) and self.sealed == self.current

    def summary(self):
        if not self.sealed:
            return _("本轮测评尚未封存。")
        if self.intact:
            return _("封存以来测评票未被增加、修改或删除。")
        parts = [_("%(code)s增加%(n)s张") % {"code": code, "n": n} for code, n in sorted(self.added.items())]
        parts += [_("%(code)s减少%(n)s张") % {"code": code, "n": n} for code, n in sorted(self.removed.items())]
        parts += [_("%(code)s内容被修改") % {"code": code} for code in self.changed]
        return _("封存以来测评票有变动：") + ("；".join(parts) or _("摘要不一致")) + "。"


def _line(unit_code, category, channel, day, answers, opinion):
    return json.dumps(
        [unit_code, category, channel, day.isoformat(), sorted(answers), opinion],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def round_seal(round_):
    """Compute the seal of a round from its ballots as they are now."""
    answers = defaultdict(list)
    for ballot_id, order, kind, option in Answer.objects.filter(
        ballot__round_unit__round=round_
    ).values_list("ballot_id", "item__order", "item__kind", "option").iterator(chunk_size=5000):
        answers[ballot_id].append(f"{order}:{kind}:{option}")
    lines = defaultdict(list)
    for pk, code, category, channel, day, opinion in Ballot.objects.for_round(round_).values_list(
        "pk", "round_unit__unit__code", "category__name", "channel", "cast_on", "opinion"
    ).iterator(chunk_size=5000):
        lines[code].append(_line(code, category, channel, day, answers.get(pk, []), opinion))
    codes = round_.round_units.values_list("unit__code", flat=True)
    units = {}
    for code in sorted(set(codes) | set(lines)):
        unit_lines = sorted(lines.get(code, []))
        units[code] = [len(unit_lines), _sha("\n".join(unit_lines))]
    overall = _sha("\n".join(f"{code} {n} {d}" for code, (n, d) in sorted(units.items())))
    return Seal(digest=overall, units=units)


def compare(*, sealed_digest, sealed_units, current):
    """Say what differs between a kept seal (digest and per-unit figures) and `current`."""
    result = Verification(sealed=sealed_digest, current=current.digest)
    if result.intact or not sealed_digest:
        return result
    for code in sorted(set(sealed_units) | set(current.units)):
        before_n, before_d = sealed_units.get(code, [0, None])
        after_n, after_d = current.units.get(code, [0, None])
        if after_n > before_n:
            result.added[code] = after_n - before_n
        elif after_n < before_n:
            result.removed[code] = before_n - after_n
        elif before_d != after_d:
            result.changed.append(code)
    return result


def _sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
