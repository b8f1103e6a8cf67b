"""Benchmark the live pages of an open round at a million codes (issue 15: ≤ 100 ms, flat).

Not a timed test. It makes an open round over `--units` new units holding `--codes` access
codes (written with INSERT … SELECT generate_series, in batches of 5,000 per unit, 60% of
them used, the units' counters set to match), then fetches, as staff:

- `/fieldwork/rounds/<id>/`, the round table of issued, used and void codes and ballots per
  unit;
- `/results/<id>/live/`, the 大屏 (wall screen);
- the round list, a trivial page, as the baseline of the same run.

"warm" is the median of `--repeat` requests in one process; "cold" the first request of a
fresh process started as a gunicorn worker starts (the warm-up of `credibility/warmup.py`
first). Both pages read the batches' counters, one row per batch, never the code rows.

    DATABASE_URL=postgres://…/bench python -m benchmarks live [--codes 1000000] [--units 120]
    DATABASE_URL=postgres://…/bench python -m benchmarks live --round ID   # reuse a round made before
"""

import argparse
import time

from benchmarks.bench_codes import _open_round
from benchmarks.bench_dashboards import _setup_django, cold_child, measure_pages, report_targets

BATCH = 5000


def _fill(round_units, codes, out=print):
    """Batches, code rows and counters for `codes` codes over the units, 60% used."""
    from django.db import connection, transaction
    from django.db.models import F

    from surveys.models import AccessCode, CodeBatch, CodeStatus, RoundUnit

    share, extra = divmod(codes, len(round_units))
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for index, ru in enumerate(round_units):
            left, number, used_total = share + (index < extra), 0, 0
            while left:
                size = min(left, BATCH)
                used = size * 6 // 10
                number += 1
                batch = CodeBatch.objects.create(round_unit=ru, number=number, size=size, codes_used=used)
                cursor.execute(
                    f"INSERT INTO {AccessCode._meta.db_table} (batch_id, round_unit_id, digest, sealed, status) "
                    "SELECT %s, %s, md5(%s || '-' || g) || md5(g || '-' || %s), '', "
                    "CASE WHEN g <= %s THEN %s ELSE %s END FROM generate_series(1, %s) g",
                    [batch.pk, ru.pk, batch.pk, batch.pk, used, CodeStatus.USED, CodeStatus.UNUSED, size],
                )
                left -= size
                used_total += used
            RoundUnit.objects.filter(pk=ru.pk).update(
                online_ballots=used_total, paper_forms_issued=F("planned_sample") / 5,
            )
    out(f"  {codes:,} 个测评码已写入（{time.perf_counter() - start:.0f} s）")


def _staff():
    from django.contrib.auth.models import Group, User

    from accounts.roles import STAFF

    user, created = User.objects.get_or_create(username="bench_staff_live")
    if created:
        user.groups.add(Group.objects.get(name=STAFF))
    return user


def main(args=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks live", description=__doc__.split("\n")[0])
    parser.add_argument("--codes", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=120)
    parser.add_argument("--round", type=int, help="reuse an open round made before")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--cold", type=int, default=3)
    parser.add_argument("--cold-url", help=argparse.SUPPRESS)
    options = parser.parse_args(args)
    if options.cold_url:
        return cold_child(options.cold_url, _staff)

    _setup_django()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from surveys.models import AccessCode, CodeBatch, Round

    if options.round:
        round_ = Round.objects.get(pk=options.round)
    else:
        round_units = list(_open_round(options.units, options.codes))
        round_ = round_units[0].round
        print(f"生成开放中的轮次 {round_.pk}（可用 --round {round_.pk} 复用）…")
        _fill(round_units, options.codes)
    codes = AccessCode.objects.filter(round_unit__round=round_).count()
    batches = CodeBatch.objects.filter(round_unit__round=round_).count()
    all_codes = AccessCode.objects.count()
    print(f"\n{connection.vendor}，轮次 {round_.pk}：{round_.round_units.count()} 个单位，{codes:,} 个测评码"
          f"（{batches} 批；库中共 {all_codes:,} 个）；每项 {options.repeat} 次取中位数，冷启动 {options.cold} 个新进程")

    client = Client()
    client.force_login(_staff())
    pages = {
        "trivial page (round list)": reverse("dashboards:index"),
        "fieldwork round table": reverse("fieldwork:round", args=[round_.pk]),
        "大屏 (live)": reverse("dashboards:live", args=[round_.pk]),
    }
    table = AccessCode._meta.db_table
    results = measure_pages(client, pages, bench="live", repeat=options.repeat, cold=options.cold,
                            note=lambda queries: "  READS CODE ROWS" if any(table in q for q in queries) else "")
    report_targets(results)
    return 0
