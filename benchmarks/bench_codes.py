"""Benchmark issuing access codes for a whole round (issue 15: 100,000 codes in ≤ 10 s).

Not a timed test. Each run makes a fresh open round over `--units` new units whose planned
samples add up to `--codes`, then times, in a fresh process each (cold) and again in the same
process (warm):

- **round issuing**: `codes_issue_round`, the work of the 为全部单位发放测评码 job (and of the
  `issue_codes` command): each unit topped up to its plan, batches of at most 5,000, each
  with its keyed digest and sealed copy, numbered and audited;
- **baseline, bulk INSERT**: the same number of AccessCode rows written with `bulk_create`
  into the same table (same indexes), with constant fake digests and no cryptography: what
  the database alone costs;
- **baseline, cryptography**: generating, hashing and sealing that many codes in memory.

The ratio of round issuing to the sum of the two baselines says how much the product adds.

    DATABASE_URL=postgres://…/bench python -m benchmarks codes [--codes 100000] [--units 20] [--repeat 3]
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credibility.settings.dev")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    import django

    django.setup()


def _open_round(units, codes):
    """A fresh open round over `units` new units planning `codes` in all; its round units."""
    from datetime import timedelta

    from django.utils import timezone

    from surveys.models import Round, RoundStatus
    from surveys.rounds.services import round_create
    from units.models import Unit, UnitGroup, UnitKind

    tag = secrets.token_hex(3)
    group = UnitGroup.objects.create(name=f"码基准{tag}", kind=UnitKind.DISTRICT)
    made = [
        Unit.objects.create(code=f"BC{tag}{n:03d}", name=f"码基准单位{tag}-{n}", short_name=f"码{n}",
                            kind=UnitKind.DISTRICT, group=group)
        for n in range(units)
    ]
    share, extra = divmod(codes, units)
    now = timezone.now()
    round_ = round_create(name=f"发码基准{tag}", year=now.year, opens_at=now - timedelta(hours=1),
                          closes_at=now + timedelta(days=1),
                          units=[(u, share + (i < extra)) for i, u in enumerate(made)])
    Round.objects.filter(pk=round_.pk).update(status=RoundStatus.OPEN, opened_at=now)
    return round_.round_units.all()


def _task(name, units, codes):
    """Run one task and return its seconds (the round is made before the clock starts)."""
    from django.contrib.auth.models import User
    from django.db import transaction

    from surveys import codes as code_lib
    from surveys.fieldwork.round_codes import codes_issue_round
    from surveys.fieldwork.services import codes_issue
    from surveys.models import AccessCode

    actor, _ = User.objects.get_or_create(username="bench_staff")
    round_units = _open_round(units, codes)
    if name == "round issuing":
        start = time.perf_counter()
        issued = codes_issue_round(round_units=round_units, margin=0, actor=actor)
        elapsed = time.perf_counter() - start
        assert sum(b.size for _, batches in issued for b in batches) == codes
        return elapsed
    if name == "baseline: bulk INSERT":
        first = round_units.first()
        with transaction.atomic():
            batch, _plain = codes_issue(round_unit=first, size=1, actor=actor)
        fake = [f"{n:064x}" for n in range(codes)]
        start = time.perf_counter()
        with transaction.atomic():
            AccessCode.objects.bulk_create(
                [AccessCode(batch=batch, round_unit=first, digest=d, sealed="x" * 120) for d in fake],
                batch_size=1000,
            )
        elapsed = time.perf_counter() - start
        AccessCode.objects.filter(batch=batch).delete()
        return elapsed
    if name == "baseline: cryptography":
        start = time.perf_counter()
        for _ in range(codes):
            plain = code_lib.generate()
            code_lib.digest(plain)
            code_lib.seal(plain)
        return time.perf_counter() - start
    raise ValueError(name)


TASKS = ("round issuing", "baseline: bulk INSERT", "baseline: cryptography")


def _child(name, units, codes):
    _setup_django()
    cold = _task(name, units, codes)
    warm = _task(name, units, codes)
    print(f"{cold:.3f} {warm:.3f}")
    return 0


def main(args=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks codes", description=__doc__.split("\n")[0])
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per task (median)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args(args)
    if options.child:
        return _child(options.child, options.units, options.codes)

    _setup_django()
    from django.db import connection

    print(f"{connection.vendor}，{options.units} 个单位，每次 {options.codes:,} 个测评码；"
          f"每项 {options.repeat} 个新进程，各做冷、热两次，取中位数；load {os.getloadavg()[0]:.1f}")
    figures = {}
    for name in TASKS:
        runs = []
        for _ in range(options.repeat):
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks", "codes", "--child", name,
                 "--codes", str(options.codes), "--units", str(options.units)],
                capture_output=True, text=True, check=False,
            )
            if done.returncode:
                raise SystemExit(f"{name} failed:\n{done.stderr}")
            runs.append(tuple(float(x) for x in done.stdout.split()[-2:]))
        cold = statistics.median(c for c, _ in runs)
        warm = statistics.median(w for _, w in runs)
        figures[name] = (cold, warm)
        print(f"{name:<26} cold {cold:6.2f} s   warm {warm:6.2f} s   "
              f"({options.codes / warm:,.0f} codes/s warm)", flush=True)
    floor_cold = figures["baseline: bulk INSERT"][0] + figures["baseline: cryptography"][0]
    floor_warm = figures["baseline: bulk INSERT"][1] + figures["baseline: cryptography"][1]
    cold, warm = figures["round issuing"]
    verdict = "达标" if max(cold, warm) <= 10 * options.codes / 100_000 else "未达标"
    print(f"\nround issuing = {cold / floor_cold:.2f} × (bulk INSERT + cryptography) cold, "
          f"{warm / floor_warm:.2f} × warm; target ≤ 10 s per 100,000 codes: {verdict}")
    return 0
