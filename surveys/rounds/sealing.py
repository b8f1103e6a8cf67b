"""The seal of a closed round: what it covers, how it is computed, how it is checked.

At the close every unit is recounted from its ballots and answers, one unit at a time (the
round's ballots and answers streamed in unit and ballot order and merged), which gives in one
pass:

- the unit's ballot digest: SHA-256 over its ballots as canonical lines (category id,
  channel, day, answers as [item id, option], opinion), sorted by content, never by database
  id, so the order of insertion tells nothing and a row re-inserted under a new id seals the
  same;
- the recount of its answers per (item, category, option) and of its ballots per channel.

Memory holds one unit's lines at a time (a unit has at most tens of thousands of ballots),
whatever the size of the round.

The seal (`ResultSnapshot.parts`) keeps a digest per part, so a verification can say what
changed: the policy, the questionnaire, the categories' weights, and per unit (by the unit's
id, never its code or name, so renames raise no alarm) its ballot count and digest, its
counters and the digest of its tallies; plus the digests of the snapshot the pages read.
`ResultSnapshot.mac` is the HMAC-SHA256 of the canonical `parts` under SURVEY_SEAL_KEY, a key
kept outside the database: whoever can only write to the database cannot re-seal.
"""

import hashlib
import hmac
from collections import Counter, defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from credibility.text import clauses, colon, phrases, sentence, series
from surveys import snapshots
from surveys.models import (
    Answer, Ballot, Channel, ItemKind, ResultSnapshot, RoundUnit, Tally, fingerprint,
)

CHUNK = 10000  # rows fetched at a time from each streamed query
SHOWN_CELLS = 3  # differing tally cells named per unit; the rest are counted


# --- the key and the signature ------------------------------------------------------------


def _key():
    key = settings.SURVEY_SEAL_KEY
    if not key:
        raise ImproperlyConfigured("SURVEY_SEAL_KEY is not set: rounds cannot be sealed or verified.")
    return key.encode("utf-8")


def sign(parts):
    """HMAC-SHA256 (hex) of the canonical parts under the seal key."""
    return hmac.new(_key(), snapshots.canonical(parts), hashlib.sha256).hexdigest()


# --- reading a round as it is now -----------------------------------------------------------


@dataclass
class UnitScan:
    """One unit recounted from its ballots and answers."""

    ballots: int = 0
    digest: str = ""
    online: int = 0
    paper: int = 0
    cells: Counter = field(default_factory=Counter)  # (item, category, option) -> answers


def _line(category, channel, day, answers, opinion):
    return snapshots.canonical([category, channel, day.isoformat(), sorted(answers), opinion])


def scan_round(round_):
    """Yield (round_unit_id, UnitScan) for every unit with ballots, one unit at a time.

    Two streamed queries, the round's ballots and its answers, both ordered by (unit, ballot
    id), merged as they come: one pass over the answers whatever the number of units (a
    query per unit would make PostgreSQL read most of the answer table once per unit, since
    the ballots of the units are interleaved). Only the current unit's lines are held.
    """
    ballots = (
        Ballot.objects.filter(round_unit__round=round_).order_by("round_unit_id", "pk")
        .values_list("round_unit_id", "pk", "category_id", "channel", "cast_on", "opinion")
        .iterator(chunk_size=CHUNK)
    )
    answers = (
        Answer.objects.filter(ballot__round_unit__round=round_).order_by("ballot__round_unit_id", "ballot_id")
        .values_list("ballot__round_unit_id", "ballot_id", "item_id", "option")
        .iterator(chunk_size=CHUNK)
    )
    pending = next(answers, None)
    current, scan, lines = None, None, []
    for unit, pk, category, channel, day, opinion in ballots:
        if unit != current:
            if current is not None:
                yield current, _finish(scan, lines)
            current, scan, lines = unit, UnitScan(), []
        own = []
        cells = scan.cells
        while pending is not None and (pending[0], pending[1]) <= (unit, pk):
            if pending[1] == pk:
                own.append([pending[2], pending[3]])
                cells[(pending[2], category, pending[3])] += 1
            pending = next(answers, None)
        lines.append(_line(category, channel, day, own, opinion))
        if channel == Channel.ONLINE:
            scan.online += 1
        else:
            scan.paper += 1
    if current is not None:
        yield current, _finish(scan, lines)


def _finish(scan, lines):
    lines.sort()
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line)
        digest.update(b"\n")
    scan.ballots = len(lines)
    scan.digest = digest.hexdigest()
    return scan


def _reading(round_):
    """The read of a whole round: one transaction on PostgreSQL (its cursors then stream
    instead of being materialized, and every query sees the same snapshot); none on SQLite,
    whose transactions here take the write lock."""
    if connection.vendor == "postgresql":
        return transaction.atomic()
    return nullcontext()


def _tallies(round_):
    """{round_unit_id: {(item, category, option): count}} of the kept tallies, one query."""
    found = defaultdict(dict)
    for ru, item, category, option, n in Tally.objects.filter(
        round_unit__round=round_, count__gt=0
    ).values_list("round_unit_id", "item_id", "category_id", "option", "count").iterator(chunk_size=CHUNK):
        found[ru][(item, category, option)] = n
    return found


def cells_digest(cells):
    return snapshots.sha(sorted([*key, n] for key, n in cells.items() if n))


@dataclass
class UnitState:
    round_unit: RoundUnit
    scan: UnitScan
    tallies: dict  # (item, category, option) -> count, as kept

    @property
    def counters(self):
        ru = self.round_unit
        return {"online": ru.online_ballots, "paper": ru.paper_ballots,
                "forms_issued": ru.paper_forms_issued, "planned": ru.planned_sample}


@dataclass
class State:
    """A round as it is now: its rules, and every unit recounted."""

    round: object
    policy: dict
    questionnaire: list
    categories: list
    round_units: list  # [RoundUnit] in page order, unit and group loaded
    units: dict  # unit id -> UnitState


def round_state(round_, progress=None):
    """Read the round's rules and recount every unit (the long part: one unit at a time)."""
    round_units = list(
        RoundUnit.objects.filter(round=round_).select_related("unit__group").order_by(*snapshots.UNIT_ORDER)
    )
    by_id = {ru.pk: ru for ru in round_units}
    total = len(round_units)
    with _reading(round_):
        tallies = _tallies(round_)
        scans = {}
        for done, (round_unit_id, scan) in enumerate(scan_round(round_), start=1):
            scans[round_unit_id] = scan
            if progress:
                ru = by_id.get(round_unit_id)
                progress(done, total, _("已重新计数 %(done)s/%(total)s 个单位：%(unit)s") % {"done": done, "total": total, "unit": ru.unit.name if ru else ''})
        state = State(
            round=round_, policy=snapshots.policy_of(round_),
            questionnaire=snapshots.questionnaire_of(round_), categories=snapshots.categories_of(round_),
            round_units=round_units,
            units={ru.unit_id: UnitState(ru, scans.get(ru.pk) or _finish(UnitScan(), []), tallies.get(ru.pk, {}))
                   for ru in round_units},
        )
    if progress:
        progress(total, total, _("已重新计数全部单位"))
    return state


def _weights(categories):
    """The categories as the seal covers them: ids and weights, not names (renames are fine)."""
    return sorted([c["id"], c["weight"]] for c in categories)


# --- what the recount says about the tallies and counters ---------------------------------


def _item_labels(questionnaire):
    return {i["id"]: ItemKind(i["kind"]).label if i["kind"] != ItemKind.SUB else i["text"] for i in questionnaire}


def tally_problems(state, names=None, labels=None):
    """[text] for every unit whose tallies or counters differ from its recount."""
    names = names or {ru.unit_id: ru.unit.name for ru in state.round_units}
    item_labels = _item_labels(state.questionnaire)
    labels = labels or {c["id"]: c["name"] for c in state.categories}
    scale = state.round.scale_def
    problems = []
    for ru in state.round_units:
        unit = state.units[ru.unit_id]
        recount = {k: n for k, n in unit.scan.cells.items() if n}
        if unit.tallies != recount:
            keys = sorted(k for k in set(recount) | set(unit.tallies) if recount.get(k, 0) != unit.tallies.get(k, 0))
            shown = []
            for item, category, option in keys[:SHOWN_CELLS]:
                try:
                    option_label = scale.option(option).label
                except KeyError:
                    option_label = _("选项%(option)s") % {"option": option}
                shown.append(_("%(item)s·%(category)s·%(option)s 计票表 %(tallied)s，重新计数 %(recounted)s") % {
                    "item": item_labels.get(item) or _("题目%(id)s") % {"id": item},
                    "category": labels.get(category) or _("类别%(id)s") % {"id": category},
                    "option": option_label,
                    "tallied": unit.tallies.get((item, category, option), 0),
                    "recounted": recount.get((item, category, option), 0),
                })
            more = _("等 %(keys)s 处") % {"keys": len(keys)} if len(keys) > SHOWN_CELLS else ""
            problems.append(_("%(unit)s：计票表与重新计数不一致（%(cells)s%(more)s）") % {"unit": names[ru.unit_id], "cells": clauses(shown), "more": more})
        counted = {"online": unit.scan.online, "paper": unit.scan.paper}
        for key, label in (("online", _("网上票数")), ("paper", _("纸质票数"))):
            if unit.counters[key] != counted[key]:
                problems.append(_("%(unit)s：%(label)s计数器为 %(counters)s，实际测评票 %(counted)s 张") % {"unit": names[ru.unit_id], "label": label, "counters": unit.counters[key], "counted": counted[key]})
    return problems


# --- sealing --------------------------------------------------------------------------------


def seal_parts(state, results, detail):
    return {
        "format": snapshots.FORMAT,
        "round": state.round.pk,
        "policy": snapshots.sha(state.policy),
        "questionnaire": snapshots.sha(state.questionnaire),
        "categories": snapshots.sha(_weights(state.categories)),
        "units": {
            str(unit_id): {
                "ballots": [u.scan.ballots, u.scan.digest],
                "counters": u.counters,
                "tallies": cells_digest(u.tallies),
            }
            for unit_id, u in state.units.items()
        },
        "results": snapshots.sha(results),
        "detail": snapshots.sha(detail),
    }


def seal_contents(state):
    """(results, detail, parts, mac) of a round whose tallies equal its recount."""
    results, detail = snapshots.build(
        round_=state.round, round_units=state.round_units,
        cells={u.round_unit.pk: u.scan.cells for u in state.units.values()},
    )
    parts = seal_parts(state, results, detail)
    return results, detail, parts, sign(parts)


# --- verifying ------------------------------------------------------------------------------


@dataclass
class Verification:
    sealed: bool
    fingerprint: str = ""
    sealed_at: object = None
    findings: list = field(default_factory=list)  # [text], plain Chinese, most serious first

    @property
    def intact(self):
        return self.sealed and not self.findings

    def summary(self):
        if not self.sealed:
            return _("本轮测评尚未封存。")
        if self.intact:
            return (_("封存完好：封存以来测评票未被增加、修改或删除；评定规则、问卷、计数器、计票表和结果快照"
                    "均与封存时一致，计票表等于逐票重新计数。"))
        return sentence(_("封存以来有 %(findings)s 处变动：") % {"findings": len(self.findings)} + clauses(self.findings))


POLICY_LABELS = {
    "scale": gettext_lazy("答案选项"), "unknown_in_denominator": gettext_lazy("“不了解”是否计入有效票"), "use_weights": gettext_lazy("是否加权"),
    "min_valid_answers": gettext_lazy("可靠评定的最少有效票"),
}


def _policy_findings(sealed, live):
    findings = []
    thresholds = [
        f"{label} {sealed[key]}% → {live[key]}%"
        for key, label in (("positive_threshold", _("满意单位线")), ("basic_threshold", _("基本满意单位线")))
        if sealed.get(key) != live.get(key)
    ]
    if thresholds:
        findings.append(_("阈值被修改：") + phrases(thresholds))
    for key, label in POLICY_LABELS.items():
        if sealed.get(key) != live.get(key):
            findings.append(_("评定规则被修改：%(label)s %(before)s → %(after)s") % {"label": label, "before": _show(sealed.get(key)), "after": _show(live.get(key))})
    return findings


def _show(value):
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return str(value)


def record_findings(snapshot, round_):
    """What the stored record alone says (cheap, no recount): signature and snapshot digests."""
    findings = []
    parts = snapshot.parts or {}
    if not hmac.compare_digest(sign(parts), snapshot.mac or ""):
        findings.append(_("封存签名无效（可能被重新封存）"))
    if parts.get("round") != round_.pk:
        findings.append(_("封存记录不属于本轮测评"))
    if round_.seal_digest != snapshot.mac:
        findings.append(_("测评轮次上记录的封存签名与封存记录不一致"))
    results_intact = snapshots.sha(snapshot.results) == parts.get("results")
    if not results_intact:
        findings.append(_("结果快照被修改（页面和报表读取的数字与封存时不同）"))
    if snapshots.sha(snapshot.detail) != parts.get("detail"):
        findings.append(_("分项指标快照被修改"))
    # The trends read `figures`, derived from the sealed results: computed again from them
    # (when the results themselves were changed, that is the finding already).
    if results_intact and (
        snapshot.figures is None or snapshots.sha(snapshot.figures) != snapshots.sha(snapshots.figures(snapshot.results))
    ):
        findings.append(_("历年走势摘要与结果快照不一致（历年走势页读取的数字被修改）"))
    return findings


def verify(round_, progress=None):
    """Check a sealed round against its seal, its tallies against a recount; say what changed."""
    round_ = type(round_).objects.get(pk=round_.pk)  # as stored now, not as the caller holds it
    snapshot = ResultSnapshot.objects.filter(round=round_).first()
    if snapshot is None:
        return Verification(sealed=False)
    findings = record_findings(snapshot, round_)
    parts = snapshot.parts or {}
    sealed = snapshot.results
    state = round_state(round_, progress)

    if snapshots.sha(state.policy) != parts.get("policy"):
        findings += _policy_findings(sealed.get("policy", {}), state.policy) or [_("评定规则被修改")]
    if snapshots.sha(state.questionnaire) != parts.get("questionnaire"):
        before = {i["id"]: i for i in sealed.get("items", [])}
        after = {i["id"]: i for i in state.questionnaire}
        changed = [
            (after.get(k) or before.get(k))["text"] for k in sorted(set(before) | set(after))
            if before.get(k) != after.get(k)
        ]
        findings.append(_("问卷被修改：") + series(f"“{t}”" for t in changed) if changed else _("问卷被修改"))
    if snapshots.sha(_weights(state.categories)) != parts.get("categories"):
        before = {c["id"]: c for c in sealed.get("categories", [])}
        after = {c["id"]: c for c in state.categories}
        none = _("无")
        changed = [
            f"{(before.get(k) or after.get(k))['name']} {before[k]['weight'] if k in before else none} → "
            f"{after[k]['weight'] if k in after else none}"
            for k in sorted(set(before) | set(after))
            if (before.get(k) or {}).get("weight") != (after.get(k) or {}).get("weight")
        ]
        findings.append(_("参评人员类别或权重被修改") + (colon() + phrases(changed) if changed else ""))

    # Units by the names they had at the close, in the order of the pages then.
    names = {u["unit"]: u["name"] for u in sealed.get("units", [])}
    for ru in state.round_units:
        names.setdefault(ru.unit_id, ru.unit.name)
    sealed_units = {int(k): v for k, v in parts.get("units", {}).items()}
    order = [u for u in names if u in sealed_units or u in state.units]
    order += sorted(set(sealed_units) - set(order))
    for unit_id in order:
        name = names.get(unit_id, _("单位%(unit_id)s") % {"unit_id": unit_id})
        before, now = sealed_units.get(unit_id), state.units.get(unit_id)
        if before is None:
            findings.append(_("%(name)s：封存后被加入本轮") % {"name": name})
            continue
        if now is None:
            findings.append(_("%(name)s：封存后被移出本轮") % {"name": name})
            continue
        (n_before, digest_before), n_now = before["ballots"], now.scan.ballots
        if n_now < n_before:
            findings.append(_("%(name)s：减少 %(count)s 张票") % {"name": name, "count": n_before - n_now})
        elif n_now > n_before:
            findings.append(_("%(name)s：增加 %(count)s 张票") % {"name": name, "count": n_now - n_before})
        elif now.scan.digest != digest_before:
            findings.append(_("%(name)s：测评票内容被修改") % {"name": name})
        counters = [
            f"{label} {before['counters'].get(key)} → {now.counters[key]}"
            for key, label in (("online", _("网上票数")), ("paper", _("纸质票数")), ("forms_issued", _("纸质票发出数")),
                               ("planned", _("计划样本量")))
            if before["counters"].get(key) != now.counters[key]
        ]
        if counters:
            findings.append(_("%(name)s：计数器被修改（%(counters)s）") % {"name": name, "counters": phrases(counters)})
        if cells_digest(now.tallies) != before["tallies"]:
            findings.append(_("%(name)s：计票表被修改") % {"name": name})
    findings += tally_problems(
        state, names=names, labels={c["id"]: c["name"] for c in sealed.get("categories", [])} or None
    )
    return Verification(
        sealed=True, fingerprint=fingerprint(snapshot.mac), sealed_at=snapshot.sealed_at, findings=findings,
    )
