"""Benchmark the Excel reports: the round report and the raw ballot export (issue 6).

Not a timed test: it records time and peak memory on a large round, next to baselines from
the same run, so that docs/reports.md can state what a report costs and show that the raw
export's memory does not grow with the number of ballots.

    DATABASE_URL=postgres://…/credibility_bench6 python -m benchmarks reports [--ballots N]

Every measured task runs in a fresh child process, so its peak resident memory
(getrusage maxrss) is its own. The round comes from benchmarks/data.py's `make_round`
(PostgreSQL, INSERT … SELECT generate_series).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

TASKS = ("idle", "csv_baseline", "round_report", "ballots_xlsx", "ballots_csv")


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credibility.settings.dev")
    os.environ.setdefault("DJANGO_DEBUG", "0")  # DEBUG keeps every query in memory
    import django

    django.setup()


def _maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- the data -----------------------------------------------------------------------------


def make_round(units, ballots):
    from benchmarks.data import make_round as generate

    return generate(units=units, ballots=ballots)


# --- the measured tasks (each in its own process) -----------------------------------------


def _child(task, round_id, limit):
    _setup_django()

    from surveys.models import Round, RoundUnit
    from surveys.reports.raw_export import BallotRows, write_ballots_csv, write_ballots_xlsx
    from surveys.reports.round_report import build_round_report
    from surveys.selectors import UNIT_ORDER

    round_ = Round.objects.get(pk=round_id)
    round_units = list(
        RoundUnit.objects.filter(round=round_).select_related("unit").order_by(*UNIT_ORDER)
    )[:limit or None]
    rows_expected = sum(ru.ballots for ru in round_units)
    suffix = {"round_report": ".xlsx", "ballots_xlsx": ".xlsx"}.get(task, ".csv")
    with tempfile.NamedTemporaryFile(suffix=suffix) as out:
        start = time.perf_counter()
        rows = 0
        if task == "idle":
            Round.objects.count()
        elif task == "csv_baseline":
            rows = _csv_baseline(out.name, rows_expected)
        elif task == "round_report":
            build_round_report(round_, out.name)
        elif task == "ballots_xlsx":
            rows = write_ballots_xlsx(BallotRows(round_, round_units), out.name)
        elif task == "ballots_csv":
            rows = write_ballots_csv(BallotRows(round_, round_units), out.name)
        seconds = time.perf_counter() - start
        size = os.path.getsize(out.name)
    return {
        "task": task, "units": len(round_units), "rows": rows, "seconds": round(seconds, 2),
        "peak_mb": round(_maxrss_mb(), 1), "file_mb": round(size / 2**20, 1),
    }


def _csv_baseline(path, n):
    """The floor: the same number of rows of the same width, written with csv alone."""
    import csv
    import datetime

    row = ["B000-001", "基准单位001", "群众", "网上", datetime.date(2026, 5, 1).isoformat(),
           "满意", "基本满意", "满意", "满意", "不满意", "满意", "基本满意", ""]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        for _ in range(n):
            writer.writerow(row)
    return n


def _run_child(task, round_id, limit=0):
    cmd = [sys.executable, "-m", "benchmarks.bench_reports", "--child", task,
           "--round", str(round_id), "--limit", str(limit)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{task} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(args=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks reports", description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=120)
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--round", type=int, help="reuse a round already loaded")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--child", choices=TASKS, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    options = parser.parse_args(args)

    if options.child:
        print(json.dumps(_child(options.child, options.round, options.limit)))
        return 0

    _setup_django()
    round_id = options.round
    if round_id is None:
        start = time.perf_counter()
        round_id = make_round(options.units, options.ballots).pk
        print(f"generated round {round_id}: {options.units} units, {options.ballots:,} ballots "
              f"in {time.perf_counter() - start:.0f}s", flush=True)
    tenth = max(1, options.units // 10)
    plan = [
        ("idle", 0), ("round_report", 0),
        ("csv_baseline", tenth), ("ballots_csv", tenth), ("ballots_xlsx", tenth),
        ("csv_baseline", 0), ("ballots_csv", 0), ("ballots_xlsx", 0),
    ]
    results = []
    print(f"{'task':<14}{'units':>6}{'rows':>11}{'seconds':>9}{'peak MB':>9}{'file MB':>9}")
    for task, limit in plan:
        r = _run_child(task, round_id, limit)
        results.append(r)
        print(f"{r['task']:<14}{r['units']:>6}{r['rows']:>11,}{r['seconds']:>9}{r['peak_mb']:>9}{r['file_mb']:>9}", flush=True)
    if options.json:
        with open(options.json, "w") as fh:
            json.dump({"round": round_id, "results": results}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
