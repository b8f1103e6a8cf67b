"""Benchmark closing (recount and seal) and verifying a large round: time and peak memory.

Not a timed test. Every measured task runs in a fresh child process, so its peak resident
memory (getrusage maxrss) is its own, next to baselines from the same run:

- `idle`: a child that sets Django up and reads one row (the memory floor of any command);
- `sql_recount`: the recount PostgreSQL does alone (`tallies_verify`: one GROUP BY over every
  answer), the floor of reading every answer once.

`close` is what the close job (and `close_round`) does once intake has stopped: recount every
unit from its ballots and answers, compare with the tallies, write the snapshot and the seal.
`verify` is the 核验封存 job (and `verify_round`). Between runs the round is put back to open,
unsealed (benchmark only).

    DATABASE_URL=postgres://…/hB python -m benchmarks seal --ballots 100000
    DATABASE_URL=postgres://…/hB python -m benchmarks seal --ballots 1000000     # ~15 min to load
    DATABASE_URL=postgres://…/hB python -m benchmarks seal --round ID           # a round loaded before

Target (issue 15): close and verify of a 1,000,000-ballot round finish in the background
with a peak of at most 300 MB.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

TASKS = ("idle", "sql_recount", "close", "verify")


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credibility.settings.dev")
    os.environ.setdefault("DJANGO_DEBUG", "0")  # DEBUG keeps every query in memory
    import django

    django.setup()


def _maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _reopen(round_id):
    """Put the round back to open and unsealed (benchmark only: no service does this)."""
    from surveys.models import ResultSnapshot, Round, RoundStatus

    ResultSnapshot.objects.filter(round_id=round_id).delete()
    Round.objects.filter(pk=round_id).update(status=RoundStatus.OPEN, seal_digest="", closed_at=None,
                                             published_at=None)


def _child(task, round_id):
    _setup_django()
    from surveys.ballots import tallies_verify
    from surveys.models import Round
    from surveys.rounds import services

    round_ = Round.objects.get(pk=round_id)
    start = time.perf_counter()
    detail = ""
    if task == "idle":
        Round.objects.count()
    elif task == "sql_recount":
        detail = f"{len(tallies_verify(round_=round_))} differences"
    elif task == "close":
        round_ = services.round_stop(round_=round_, actor=None, source="benchmark")
        services.round_seal(round_=round_, actor=None, source="benchmark")
        round_.refresh_from_db()
        detail = f"sealed {round_.snapshot.fingerprint}"
    elif task == "verify":
        result = services.round_verify(round_=round_)
        detail = "intact" if result.intact else f"{len(result.findings)} findings"
    seconds = time.perf_counter() - start
    return {"task": task, "seconds": round(seconds, 2), "peak_mb": round(_maxrss_mb(), 1), "detail": detail}


def _run_child(task, round_id):
    cmd = [sys.executable, "-m", "benchmarks.bench_seal", "--child", task, "--round", str(round_id)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{task} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(args=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks seal", description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=120)
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--round", type=int, help="reuse a round already loaded (it is closed and sealed)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--child", choices=TASKS, help=argparse.SUPPRESS)
    options = parser.parse_args(args)

    if options.child:
        print(json.dumps(_child(options.child, options.round)))
        return 0

    _setup_django()
    from surveys.models import Ballot, Round

    round_id = options.round
    if round_id is None:
        from benchmarks.data import make_round

        start = time.perf_counter()
        round_id = make_round(units=options.units, ballots=options.ballots).pk
        print(f"generated round {round_id} in {time.perf_counter() - start:.0f} s "
              f"(reuse with --round {round_id})", flush=True)
    ballots = Ballot.objects.filter(round_unit__round_id=round_id).count()
    units = Round.objects.get(pk=round_id).round_units.count()
    print(f"round {round_id}: {units} units, {ballots:,} ballots; median of {options.repeat} runs, each in a fresh process")
    results = {}
    for task in TASKS:
        runs = []
        for _ in range(options.repeat if task != "idle" else 1):
            if task == "close":
                _reopen(round_id)
            runs.append(_run_child(task, round_id))
        results[task] = {
            "seconds": statistics.median(r["seconds"] for r in runs),
            "peak_mb": max(r["peak_mb"] for r in runs),
            "detail": runs[-1]["detail"],
        }
        r = results[task]
        print(f"{task:<12} {r['seconds']:>8.2f} s   peak {r['peak_mb']:>7.1f} MB   {r['detail']}", flush=True)
    floor, idle = results["sql_recount"]["seconds"], results["idle"]["peak_mb"]
    print()
    for task in ("close", "verify"):
        r = results[task]
        verdict = "达标" if r["peak_mb"] <= 300 else "未达标"
        print(f"{task}: {r['seconds']:.1f} s = {r['seconds'] / floor:.1f} × the SQL recount; "
              f"peak {r['peak_mb']:.0f} MB = idle + {r['peak_mb'] - idle:.0f} MB; target ≤ 300 MB: {verdict}")
    if options.json:
        with open(options.json, "w") as fh:
            json.dump({"round": round_id, "ballots": ballots, "units": units, "results": results}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
