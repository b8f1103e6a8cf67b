"""The seal: it covers what the pages show, it is keyed outside the database, and a
verification says precisely what changed (and raises no alarm for renames)."""

import re
import subprocess
import sys

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F
from django.test import override_settings

from audit.models import AuditEntry
from jobs.models import Job, JobStatus
from jobs.services import job_start
from surveys.models import (
    Answer, Ballot, Item, ItemKind, PaperBatch, PaperBatchStatus, RespondentCategory, ResultSnapshot,
    Round, RoundCategory, RoundStatus, RoundUnit, Tally,
)
from surveys.rounds import sealing, services
from surveys.rounds.services import round_close, round_verify
from surveys.selectors import round_results
from tests import factories
from units.models import Unit, UnitGroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return factories.staff()


@pytest.fixture
def closed(city, staff):
    r = city["round"]
    first, second = r.round_units.select_related("unit").all()[:2]
    factories.ballots(first, [1, 1, 2, 3])
    factories.ballots(second, [2, 4])
    round_close(round_=r, actor=staff)
    r.refresh_from_db()
    return r, first, second


def findings(r):
    return round_verify(round_=r).findings


def about(texts, unit_name):
    return [t for t in texts if t.startswith(f"{unit_name}：")]


# --- what the close stores ---------------------------------------------------------------


def test_close_stores_a_keyed_seal_over_a_snapshot(closed):
    r, first, _ = closed
    snapshot = r.snapshot
    assert r.status == RoundStatus.CLOSED
    assert re.fullmatch(r"[0-9a-f]{64}", snapshot.mac) and r.seal_digest == snapshot.mac
    assert re.fullmatch(r"[0-9A-F]{4}( [0-9A-F]{4}){3}", snapshot.fingerprint)
    assert snapshot.mac == sealing.sign(snapshot.parts)
    units = {u["unit"]: u for u in snapshot.results["units"]}
    assert units[first.unit_id]["name"] == first.unit.name and units[first.unit_id]["paper"] == 4
    assert snapshot.parts["units"][str(first.unit_id)]["ballots"][0] == 4
    seal = AuditEntry.objects.get(action="round.seal")
    assert seal.changes["fingerprint"] == snapshot.fingerprint and seal.changes["ballots"] == 6
    assert round_verify(round_=r).intact


def test_the_seal_is_keyed_outside_the_database(closed):
    r, *_ = closed
    with override_settings(SURVEY_SEAL_KEY="another-key"):
        assert findings(r) == ["封存签名无效（可能被重新封存）"]
    assert round_verify(round_=r).intact


def test_the_ballot_digest_does_not_depend_on_database_ids(closed):
    r, first, _ = closed
    ballot = Ballot.objects.filter(round_unit=first).first()
    answers = list(ballot.answers.values_list("item_id", "option"))
    ballot.delete()
    clone = Ballot.objects.create(round_unit=first, category=ballot.category, channel=ballot.channel,
                                  cast_on=ballot.cast_on, opinion=ballot.opinion)
    Answer.objects.bulk_create([Answer(ballot=clone, item_id=i, option=o) for i, o in answers])
    assert round_verify(round_=r).intact


# --- every edit is reported, precisely ------------------------------------------------------


def test_a_tally_edit_is_reported_for_its_unit(closed):
    r, first, second = closed
    cell = Tally.objects.filter(round_unit=first, option=1).first()
    Tally.objects.filter(pk=cell.pk).update(count=F("count") + 60)
    found = findings(r)
    assert f"{first.unit.name}：计票表被修改" in found
    assert any(t.startswith(f"{first.unit.name}：计票表与重新计数不一致") and "计票表 62，重新计数 2" in t for t in found)
    assert not about(found, second.unit.name)


def test_changed_thresholds_are_reported_with_their_values(closed):
    r, *_ = closed
    Round.objects.filter(pk=r.pk).update(positive_threshold=60, basic_threshold=50)
    assert findings(r) == ["阈值被修改：满意单位线 80% → 60%，基本满意单位线 70% → 50%"]


def test_changed_policy_and_weights_are_reported(closed):
    r, *_ = closed
    Round.objects.filter(pk=r.pk).update(unknown_in_denominator=False)
    RoundCategory.objects.filter(round=r, category__name="群众").update(weight=3)
    found = findings(r)
    assert "评定规则被修改：“不了解”是否计入有效票 是 → 否" in found
    assert "参评人员类别或权重被修改：群众 1.000 → 3.000" in found


def test_edited_counters_are_reported(closed):
    r, first, second = closed
    RoundUnit.objects.filter(pk=first.pk).update(online_ballots=F("online_ballots") + 5)
    RoundUnit.objects.filter(pk=second.pk).update(paper_forms_issued=F("paper_forms_issued") + 3)
    found = findings(r)
    assert f"{first.unit.name}：计数器被修改（网上票数 0 → 5）" in found
    assert f"{first.unit.name}：网上票数计数器为 5，实际测评票 0 张" in found
    assert f"{second.unit.name}：计数器被修改（纸质票发出数 2 → 5）" in found


def test_a_changed_answer_or_opinion_is_reported(closed):
    r, first, second = closed
    answer = Answer.objects.filter(ballot__round_unit=first, option=3).first()
    Answer.objects.filter(pk=answer.pk).update(option=1)
    Ballot.objects.filter(round_unit=second).update(opinion="后来改的")
    found = findings(r)
    assert f"{first.unit.name}：测评票内容被修改" in found
    assert any(t.startswith(f"{first.unit.name}：计票表与重新计数不一致") for t in found)
    assert about(found, second.unit.name) == [f"{second.unit.name}：测评票内容被修改"]


def test_a_deleted_ballot_is_reported_for_its_unit_only(closed):
    r, first, second = closed
    Ballot.objects.filter(round_unit=second).first().delete()
    found = findings(r)
    assert f"{second.unit.name}：减少 1 张票" in found
    assert all(t.startswith(f"{second.unit.name}：") for t in found), found


def test_an_added_ballot_is_reported(closed):
    r, first, _ = closed
    Ballot.objects.create(round_unit=first, category=factories.category(), channel="paper",
                          cast_on=Ballot.objects.first().cast_on)
    assert f"{first.unit.name}：增加 1 张票" in findings(r)


def test_a_changed_question_is_reported(closed):
    r, *_ = closed
    Item.objects.filter(round=r, kind=ItemKind.SELECTION).update(text="改过的题目")
    assert findings(r) == ["问卷被修改：“改过的题目”"]


def test_an_edited_snapshot_is_reported(closed):
    r, first, _ = closed
    snapshot = r.snapshot
    unit = next(u for u in snapshot.results["units"] if u["unit"] == first.unit_id)
    for by_cat in unit["counts"].values():
        for options in by_cat.values():
            options["1"] = options.get("1", 0) + 60
    snapshot.save()
    assert findings(r) == ["结果快照被修改（页面和报表读取的数字与封存时不同）"]


def test_edited_trend_figures_are_reported_and_block_publishing(closed, staff):
    """The attack: the trends page reads the per-group figures stored beside the seal; raise
    a group's count of units reaching the 80% goal there and the city trend improves. The
    figures are derived from the sealed results, so verification computes them again."""
    from surveys.rounds.services import round_publish

    r, *_ = closed
    snapshot = r.snapshot
    group = snapshot.figures["groups"][0]
    group["reaching"]["both"]["4/5"] += 1
    snapshot.save()
    assert findings(r) == ["历年走势摘要与结果快照不一致（历年走势页读取的数字被修改）"]
    with pytest.raises(ValidationError, match="历年走势摘要"):
        round_publish(round_=r, actor=staff)
    snapshot.figures = None  # removed: the trends would rate the results, but it is noticed
    snapshot.save()
    assert findings(r) == ["历年走势摘要与结果快照不一致（历年走势页读取的数字被修改）"]


def test_resealing_without_the_key_is_reported(closed):
    """Database access alone: edit a tally and the snapshot, recompute the seal with a key of
    one's own and overwrite the seal and the round's record of it."""
    r, first, _ = closed
    Tally.objects.filter(round_unit=first, option=1).update(count=F("count") + 60)
    state = sealing.round_state(r)
    for unit in state.units.values():
        unit.scan.cells.clear()
        unit.scan.cells.update(unit.tallies)  # make the forged snapshot show the forged tallies
    with override_settings(SURVEY_SEAL_KEY="guessed-key"):
        results, detail, parts, mac = sealing.seal_contents(state)
    ResultSnapshot.objects.filter(round=r).update(results=results, detail=detail, parts=parts, mac=mac)
    Round.objects.filter(pk=r.pk).update(seal_digest=mac)
    r.refresh_from_db()
    found = findings(r)
    assert found[0] == "封存签名无效（可能被重新封存）"
    assert any(t.startswith(f"{first.unit.name}：计票表与重新计数不一致") for t in found)


def test_rewriting_the_signature_alone_is_reported(closed):
    r, *_ = closed
    ResultSnapshot.objects.filter(round=r).update(mac="0" * 64)
    Round.objects.filter(pk=r.pk).update(seal_digest="0" * 64)
    r.refresh_from_db()
    assert findings(r) == ["封存签名无效（可能被重新封存）"]


# --- renames are not changes -----------------------------------------------------------------


def test_renames_raise_no_alarm_and_results_keep_the_names_of_the_close(closed):
    r, first, _ = closed
    old_name = first.unit.name
    Unit.objects.filter(pk=first.unit_id).update(code="NEW-1", name="改名后的区", short_name="改名区")
    RespondentCategory.objects.filter(name="群众").update(name="人民群众")
    UnitGroup.objects.filter(pk=first.unit.group_id).update(name="改名后的分组")
    assert round_verify(round_=r).intact
    shown = next(u for u in round_results(r).units if u.unit.pk == first.unit_id)
    assert shown.unit.name == old_name and shown.group.name != "改名后的分组"
    assert shown.round_unit.paper_ballots == 4


# --- refusing to seal, and the repair path ---------------------------------------------------


@pytest.fixture
def tampered_open(city):
    r = city["round"]
    first = r.round_units.select_related("unit").first()
    factories.ballots(first, [1, 1, 3])
    Tally.objects.filter(round_unit=first, option=3).update(count=F("count") + 60)
    return r, first


def test_close_refuses_to_seal_when_tallies_differ_from_the_recount(tampered_open, staff):
    r, first = tampered_open
    with pytest.raises(ValidationError) as exc:
        round_close(round_=r, actor=staff)
    assert exc.value.code == "tally_mismatch"
    assert f"{first.unit.name}：计票表与重新计数不一致" in exc.value.messages[0]
    r.refresh_from_db()
    assert r.status == RoundStatus.CLOSED and not r.seal_digest  # intake stopped, not sealed
    assert not ResultSnapshot.objects.exists()
    refused = AuditEntry.objects.get(action="round.seal_refused")
    assert refused.changes["count"] == 1 and first.unit.name in refused.changes["problems"][0]
    with pytest.raises(ValidationError) as exc:
        services.round_publish(round_=r, actor=staff, reason="无论如何都要发布")
    assert exc.value.code == "not_sealed"


def test_the_repair_path_recounts_and_seals_through_the_page(client, tampered_open, staff):
    r, first = tampered_open
    with pytest.raises(ValidationError):
        round_close(round_=r, actor=staff)
    client.force_login(staff)
    page = client.get(f"/rounds/{r.pk}/").content.decode()
    assert "封存被拒绝" in page and "重新计票并封存" in page
    response = client.post(f"/rounds/{r.pk}/seal/", {"action": "recount"})
    job = Job.objects.get(kind="round.recount")
    assert response["Location"] == f"/jobs/{job.pk}/" and job.status == JobStatus.DONE
    r.refresh_from_db()
    assert r.snapshot.fingerprint in job.message
    recount = AuditEntry.objects.get(action="round.recount")
    assert recount.actor == staff and recount.changes["cells"] == 2
    assert round_verify(round_=r).intact
    shown = next(u for u in round_results(r).units if u.round_unit.pk == first.pk)
    assert shown.dimensions[ItemKind.SELECTION].counts == {1: 2, 3: 1}


def test_close_round_command_seals_and_repairs(tampered_open, capsys):
    r, _ = tampered_open
    with pytest.raises(CommandError, match="计票表与重新计数不一致"):
        call_command("close_round", r.pk)
    call_command("close_round", r.pk, "--recount")
    r.refresh_from_db()
    assert r.snapshot.fingerprint in capsys.readouterr().out
    call_command("verify_round", r.pk)


# --- the close guard for unfinished paper batches --------------------------------------------


def test_close_needs_a_decision_on_unfinished_paper_batches(client, city, staff):
    r = city["round"]
    ru = r.round_units.select_related("unit").first()
    batch = PaperBatch.objects.create(round_unit=ru, label="第3批", double_keyed=True, created_by=staff)
    done = PaperBatch.objects.create(round_unit=ru, label="第1批", double_keyed=True, created_by=staff,
                                     status=PaperBatchStatus.COUNTED)
    with pytest.raises(ValidationError) as exc:
        round_close(round_=r, actor=staff)
    assert exc.value.code == "paper_unfinished" and "第3批" in exc.value.messages[0]
    client.force_login(staff)
    page = client.get(f"/rounds/{r.pk}/close/").content.decode()
    assert "第3批" in page and "第1批" not in page
    refused = client.post(f"/rounds/{r.pk}/close/", {})
    assert refused.status_code == 200 and "请先完成录入和核对" in refused.content.decode()
    assert client.post(f"/rounds/{r.pk}/close/", {"discard": "on", "reason": "短"}).status_code == 200
    r.refresh_from_db()
    assert r.status == RoundStatus.OPEN and not Job.objects.exists()
    response = client.post(f"/rounds/{r.pk}/close/", {"discard": "on", "reason": "该批纸质票已损毁，无法核对"})
    assert response.status_code == 302
    r.refresh_from_db()
    batch.refresh_from_db()
    done.refresh_from_db()
    assert r.status == RoundStatus.CLOSED and r.seal_digest
    assert batch.status == PaperBatchStatus.DISCARDED and done.status == PaperBatchStatus.COUNTED
    discard = AuditEntry.objects.get(action="paper.batch_discard")
    assert discard.changes["reason"] == "该批纸质票已损毁，无法核对" and discard.actor == staff
    assert AuditEntry.objects.get(action="round.close").changes["discarded_batches"] == [f"{ru.unit.name}“第3批”"]


# --- reopening, verification as a job and a command -----------------------------------------


def test_reopen_drops_the_seal_and_the_next_close_seals_again(closed, staff):
    r, first, _ = closed
    old = r.snapshot.mac
    services.round_reopen(round_=r, reason="补录遗漏的纸质票", actor=staff)
    assert not ResultSnapshot.objects.filter(round=r).exists()
    first.round.refresh_from_db()  # ballots are checked against the round as read, now open
    factories.ballots(first, [1])
    round_close(round_=r, actor=staff)
    r.refresh_from_db()
    assert r.snapshot.mac != old and round_verify(round_=r).intact


def test_the_verify_job_lists_what_changed(closed, staff):
    r, first, _ = closed
    Round.objects.filter(pk=r.pk).update(positive_threshold=60, basic_threshold=50)
    Tally.objects.filter(round_unit=first, option=1).update(count=F("count") + 60)
    job = job_start(kind="round.verify", label="核验", handler="surveys.rounds.jobs.verify_job",
                    params={"round_id": r.pk}, actor=staff)
    assert job.status == JobStatus.DONE and job.result["intact"] is False
    assert "阈值被修改：满意单位线 80% → 60%，基本满意单位线 70% → 50%" in job.result["lines"]
    assert f"{first.unit.name}：计票表被修改" in job.result["lines"]
    assert job.done == job.total == r.round_units.count()
    verdict = AuditEntry.objects.get(action="round.verify")
    assert verdict.actor == staff and verdict.changes["intact"] is False


def test_verify_round_command(closed, capsys):
    r, first, _ = closed
    call_command("verify_round", r.pk)
    out = capsys.readouterr().out
    assert "封存以来测评票未被增加、修改或删除" in out and r.snapshot.fingerprint in out
    Answer.objects.filter(ballot__round_unit=first).update(option=4)
    with pytest.raises(CommandError, match="测评票内容被修改"):
        call_command("verify_round", r.pk)


def test_verify_round_command_refuses_unsealed_and_unknown_rounds(city):
    with pytest.raises(CommandError, match="尚未封存"):
        call_command("verify_round", city["round"].pk)
    with pytest.raises(CommandError, match="没有编号"):
        call_command("verify_round", 999999)


def test_production_refuses_to_start_without_the_seal_key():
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "credibility.settings.prod",
           "DJANGO_SECRET_KEY": "x" * 50, "SURVEY_CODE_KEY": "y" * 32}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"],
                            env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "SURVEY_SEAL_KEY" in result.stderr


def test_paper_forms_issued_cannot_change_after_the_close(closed, staff):
    from surveys.fieldwork.services import paper_forms_set

    r, first, _ = closed
    with pytest.raises(ValidationError) as exc:
        paper_forms_set(round_unit=first, issued=99, actor=staff)
    assert exc.value.code == "round_closed"
    assert round_verify(round_=r).intact
