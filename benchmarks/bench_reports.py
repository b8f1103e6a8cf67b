"""Benchmark the report files: the round report, the raw ballots (.csv, .xlsx), the feedback .zip.

Not a timed test: it records time and peak memory on a large round next to baselines measured
in the same run, so that docs/performance.md can state ratios that travel across machines.

    DATABASE_URL=postgres://…/hD python -m benchmarks reports --ballots 100000
    DATABASE_URL=… python -m benchmarks reports --round ID [--tasks round_report,ballots_xlsx]

Every task runs in a fresh child process, twice: "cold" is the first run in that process
(modules imported, one query made, nothing of the round read yet), "warm" the second (the
process's caches, e.g. the questionnaire, filled). Peak memory is the child's maxrss over
both runs. The round comes from benchmarks/data.py's `make_round` (PostgreSQL).

Baselines over the same number of rows of the same shape (13 columns, as a 7-item ballot):
`csv_baseline` (csv.writer alone, no database), `openpyxl_baseline` (openpyxl's write-only
mode, no styles), `xlsxwriter_baseline` (XlsxWriter's constant-memory mode, one call per
cell); `round_results` is the reading half of the round report (figures from the tallies).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

TASKS = ("idle", "csv_baseline", "openpyxl_baseline", "xlsxwriter_baseline", "round_results",
         "round_report", "ballots_csv", "ballots_xlsx", "feedback_zip")
DEFAULT_TASKS = ("idle", "round_results", "round_report", "csv_baseline", "ballots_csv",
                 "openpyxl_baseline", "xlsxwriter_baseline", "ballots_xlsx")
SUFFIX = {"round_report": ".xlsx", "ballots_xlsx": ".xlsx", "openpyxl_baseline": ".xlsx",
          "xlsxwriter_baseline": ".xlsx", "feedback_zip": ".zip"}


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credibility.settings.dev")
    os.environ.setdefault("DJANGO_DEBUG", "0")  # DEBUG keeps every query in memory
    import django

    django.setup()


def _maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def make_round(units, ballots):
    from benchmarks.data import make_round as generate

    return generate(units=units, ballots=ballots)


# --- the measured tasks (each in its own process) -----------------------------------------

SAMPLE_ROW = ["B000-001", "基准单位001", "群众", "网上", None, "满意", "基本满意", "满意", "满意",
              "不满意", "满意", "基本满意", ""]


def _sample_rows(n):
    import datetime

    row = list(SAMPLE_ROW)
    row[4] = datetime.date(2026, 5, 1)
    for i in range(n):
        row[-1] = f"建议进一步公开干部选拔任用信息，第{i}条" if i % 25 == 0 else None
        yield row


def _csv_baseline(path, n):
    import csv

    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        for row in _sample_rows(n):
            writer.writerow([v.isoformat() if hasattr(v, "isoformat") else v for v in row])
    return n


def _openpyxl_baseline(path, n):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("原始票")
    for row in _sample_rows(n):
        sheet.append(row)
    book.save(path)
    return n


def _xlsxwriter_baseline(path, n):
    import xlsxwriter

    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet("原始票")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(_sample_rows(n), start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if c == 4:
                sheet.write_datetime(r, c, value, date)
            else:
                sheet.write_string(r, c, value)
    book.close()
    return n


def _run_task(task, round_, round_units, path):
    from surveys.reports.feedback import build_feedback_zip, feedback_context
    from surveys.reports.raw_export import BallotRows, write_ballots_csv, write_ballots_xlsx
    from surveys.reports.round_report import build_round_report
    from surveys.selectors import round_results

    rows_expected = sum(ru.ballots for ru in round_units)
    if task == "idle":
        from surveys.models import Round

        Round.objects.count()
        return 0
    if task == "csv_baseline":
        return _csv_baseline(path, rows_expected)
    if task == "openpyxl_baseline":
        return _openpyxl_baseline(path, rows_expected)
    if task == "xlsxwriter_baseline":
        return _xlsxwriter_baseline(path, rows_expected)
    if task == "round_results":
        return len(round_results(round_).units)
    if task == "round_report":
        build_round_report(round_, path)
        return rows_expected
    if task == "ballots_xlsx":
        return write_ballots_xlsx(BallotRows(round_, round_units), path)
    if task == "ballots_csv":
        return write_ballots_csv(BallotRows(round_, round_units), path)
    if task == "feedback_zip":
        with open(path, "wb") as out:
            build_feedback_zip(feedback_context(round_), out)
        return len(round_units)
    raise SystemExit(f"unknown task {task}")


def _child(task, round_id, repeat):
    _setup_django()
    from django.db import connection

    from surveys.models import Round, RoundUnit
    from surveys.selectors import UNIT_ORDER

    round_ = Round.objects.get(pk=round_id)
    round_units = list(RoundUnit.objects.filter(round=round_).select_related("unit", "unit__group")
                       .order_by(*UNIT_ORDER))
    connection.ensure_connection()
    times, rows, size = [], 0, 0
    for _ in range(repeat):
        with tempfile.NamedTemporaryFile(suffix=SUFFIX.get(task, ".csv")) as out:
            round_.refresh_from_db()
            start = time.perf_counter()
            rows = _run_task(task, round_, round_units, out.name)
            times.append(round(time.perf_counter() - start, 3))
            size = os.path.getsize(out.name)
    return {
        "task": task, "rows": rows, "cold": times[0], "warm": min(times[1:]) if len(times) > 1 else None,
        "peak_mb": round(_maxrss_mb(), 1), "file_mb": round(size / 2**20, 1),
    }


def _run_child(task, round_id, repeat):
    cmd = [sys.executable, "-m", "benchmarks.bench_reports", "--child", task,
           "--round", str(round_id), "--repeat", str(repeat)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{task} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ratio(results, task, baseline, key="warm"):
    a, b = results.get(task), results.get(baseline)
    if not a or not b or not b.get(key) or a.get(key) is None:
        return None
    return a[key] / b[key]


def main(args=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks reports", description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=120)
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--round", type=int, help="reuse a round already loaded")
    parser.add_argument("--tasks", default=",".join(DEFAULT_TASKS), help="comma-separated, from: " + ", ".join(TASKS))
    parser.add_argument("--repeat", type=int, default=2, help="runs per task in its process (first = cold)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--child", choices=TASKS, help=argparse.SUPPRESS)
    options = parser.parse_args(args)

    if options.child:
        print(json.dumps(_child(options.child, options.round, max(1, options.repeat))))
        return 0

    _setup_django()
    round_id = options.round
    if round_id is None:
        start = time.perf_counter()
        round_id = make_round(options.units, options.ballots).pk
        print(f"generated round {round_id}: {options.units} units, {options.ballots:,} ballots "
              f"in {time.perf_counter() - start:.0f}s", flush=True)
    from surveys.models import Ballot, Round

    round_ = Round.objects.get(pk=round_id)
    ballots = Ballot.objects.filter(round_unit__round=round_).count()
    opinions = Ballot.objects.filter(round_unit__round=round_).exclude(opinion="").count()
    print(f"round {round_id}: {round_.round_units.count()} units, {ballots:,} ballots, {opinions:,} opinions",
          flush=True)
    results = {}
    print(f"{'task':<20}{'rows':>11}{'cold s':>9}{'warm s':>9}{'peak MB':>9}{'file MB':>9}")
    for task in options.tasks.split(","):
        r = _run_child(task.strip(), round_id, options.repeat)
        results[r["task"]] = r
        warm = "" if r["warm"] is None else r["warm"]
        print(f"{r['task']:<20}{r['rows']:>11,}{r['cold']:>9}{warm:>9}{r['peak_mb']:>9}{r['file_mb']:>9}", flush=True)
    print()
    for task, baseline in (("ballots_csv", "csv_baseline"), ("ballots_xlsx", "csv_baseline"),
                           ("ballots_xlsx", "openpyxl_baseline"), ("ballots_xlsx", "xlsxwriter_baseline"),
                           ("round_report", "round_results")):
        for key in ("cold", "warm"):
            ratio = _ratio(results, task, baseline, key)
            if ratio is not None:
                print(f"{task} / {baseline} ({key}): {ratio:.2f}×")
    if options.json:
        with open(options.json, "w") as fh:
            json.dump({"round": round_id, "ballots": ballots, "results": results}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
