"""Generate a large published round on PostgreSQL, in SQL, in minutes.

`make_round(units=120, ballots=1_000_000)` creates `units` units in six groups, a published
round over them with the standard questionnaire, and its ballots and answers with
INSERT … SELECT generate_series; then `tallies_rebuild` counts them the way a real round is
counted, so the dashboards read exactly what `tallies_verify` would accept. `history=N`
adds N earlier published rounds over the same units (a tenth of the ballots each), so the
change of rank and the unit trend have real work to do.

Units differ in how satisfied their respondents are (so levels and ranks vary), 1 in 20
sub-items is left blank (an abstention), and 1 ballot in 25 carries an opinion.
"""

import time
from datetime import timedelta

GROUPS = 6


def _require_postgres():
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("benchmarks/data.py needs PostgreSQL: set DATABASE_URL=postgres://…")


def _fill(round_, ballots, shift):
    """Ballots and answers of one round, written by the database itself."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO surveys_ballot (round_unit_id, category_id, channel, cast_on, opinion)
            SELECT ru.ids[1 + g %% array_length(ru.ids, 1)],
                   cat.ids[1 + (g / 7) %% array_length(cat.ids, 1)],
                   CASE WHEN g %% 3 = 0 THEN 'paper' ELSE 'online' END,
                   DATE '2026-05-01' + (g %% 14),
                   CASE WHEN g %% 25 = 0 THEN '建议进一步公开干部选拔任用信息，第' || g || '条' ELSE '' END
            FROM generate_series(1, %s) AS g,
                 (SELECT array_agg(id ORDER BY id) AS ids FROM surveys_roundunit WHERE round_id = %s) AS ru,
                 (SELECT array_agg(category_id ORDER BY category_id) AS ids
                    FROM surveys_roundcategory WHERE round_id = %s) AS cat
            """,
            [ballots, round_.pk, round_.pk],
        )
        # Fresh statistics, or the planner joins a million new ballots as if there were none.
        cur.execute("ANALYZE surveys_ballot")
        cur.execute(
            """
            INSERT INTO surveys_answer (ballot_id, item_id, option)
            SELECT b.id, i.id,
                   CASE WHEN h < 50 + %s + (b.round_unit_id %% 37) THEN 1
                        WHEN h < 78 + %s + (b.round_unit_id %% 13) THEN 2
                        WHEN h < 97 THEN 3 ELSE 4 END
            FROM surveys_ballot b
            JOIN surveys_roundunit ru ON ru.id = b.round_unit_id AND ru.round_id = %s
            JOIN surveys_item i ON i.round_id = ru.round_id AND i.kind <> 'opinion'
            CROSS JOIN LATERAL (SELECT ((b.id * 2654435761::bigint + i.id * 40503) %% 100) AS h) x
            WHERE i.kind IN ('selection', 'conduct') OR (b.id + i.id) %% 20 <> 0
            """,
            [shift, shift, round_.pk],
        )
        # Paper forms handed out: what came back plus a few spoiled or kept.
        cur.execute(
            """
            UPDATE surveys_roundunit ru SET paper_forms_issued = p.n + 5
            FROM (SELECT round_unit_id, count(*) AS n FROM surveys_ballot
                  WHERE channel = 'paper' GROUP BY round_unit_id) p
            WHERE p.round_unit_id = ru.id AND ru.round_id = %s
            """,
            [round_.pk],
        )


def make_round(units=120, ballots=1_000_000, history=0, out=print):
    """Create the units and `history` + 1 published rounds; return the latest Round."""
    from django.db import connection
    from django.utils import timezone

    from surveys.ballots import tallies_rebuild
    from surveys.models import Round, RoundStatus
    from surveys.rounds.services import round_create
    from units.models import Unit, UnitGroup, UnitKind

    _require_postgres()
    stamp = int(time.time())
    groups = [
        UnitGroup.objects.create(name=f"基准{stamp}组{g + 1}", kind=UnitKind.DISTRICT, order=100 + g)
        for g in range(GROUPS)
    ]
    made = Unit.objects.bulk_create(
        Unit(code=f"B{stamp}-{n:03d}", name=f"基准单位{n:03d}", short_name=f"基准{n:03d}",
             kind=UnitKind.DISTRICT, group=groups[n % GROUPS], order=n)
        for n in range(units)
    )
    now = timezone.now()
    latest = None
    for index in range(history + 1):
        years_back = history - index
        size = ballots if years_back == 0 else max(ballots // 10, units)
        opens = now - timedelta(days=365 * years_back + 30)
        round_ = round_create(
            name=f"基准测评{stamp}-{now.year - years_back}", year=now.year - years_back,
            opens_at=opens, closes_at=opens + timedelta(days=20),
            units=[(u, max(size // units, 1)) for u in made],
        )
        start = time.perf_counter()
        _fill(round_, size, shift=3 * index)
        out(f"  {round_.name}: {size:,} 张票已写入（{time.perf_counter() - start:.0f} s）")
        start = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("ANALYZE surveys_ballot; ANALYZE surveys_answer;")
        tallies_rebuild(round_=round_)
        out(f"  计票表已重建（{time.perf_counter() - start:.0f} s）")
        Round.objects.filter(pk=round_.pk).update(
            status=RoundStatus.PUBLISHED, opened_at=opens, closed_at=opens + timedelta(days=20),
            published_at=opens + timedelta(days=40),
        )
        latest = round_
    with connection.cursor() as cur:
        cur.execute("ANALYZE surveys_tally; ANALYZE surveys_roundunit;")
    latest.refresh_from_db()
    return latest
