"""Benchmark the leader dashboards: round overview, unit page and trends on a large round.

Not a timed test: it reports median milliseconds per page rendered through the Django test
client (URL routing, permission check, selectors, template, SVG charts) next to baselines
measured in the same run, so the figures travel between machines as ratios:

- `trivial page`: the round list, a page that only reads a few rows;
- `recount`: the same headline counts aggregated straight from the Answer rows, i.e. what
  every page view would cost without the tallies or the sealed snapshot.

The rounds are sealed first (`round_seal`), so every page reads the snapshots, as in
production. "warm" is the median of later requests in one process; "cold" is the first
request of a fresh process started as gunicorn starts a worker (settings, then the warm-up
of `credibility.wsgi`: views imported, templates compiled, catalogues read; its time is
printed beside), so it includes the database connection, the session and every read of the
page, the median over `--cold` processes. Nothing is kept between requests, so a warm view
does the same work as a cold one, less the connection.

    DATABASE_URL=postgres://…/hB python -m benchmarks dashboards --ballots 100000 --history 9

Targets (issue 15): every page ≤ 100 ms cold and warm at 1,000,000 ballots; trends ≤ 100 ms
with 10 rounds; query counts independent of ballots and rounds. `--verify` also proves the
tallies equal a full recount.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credibility.settings.dev")
    os.environ.setdefault("DJANGO_DEBUG", "0")  # DEBUG keeps every query in memory
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def _median_ms(fn, repeat, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times), max(times)


def _leader():
    from django.contrib.auth.models import Group, User

    from accounts.roles import LEADER

    user, created = User.objects.get_or_create(username="bench_leader")
    if created:
        user.groups.add(Group.objects.get(name=LEADER))
    return user


def cold_child(url, user=None):
    """Child process: a fresh worker as gunicorn starts one (settings, then
    `credibility.wsgi`'s warm-up), then its first request as `user()` (default: a leader).
    Prints the warm-up and the first request in milliseconds."""
    _setup_django()
    from django.test import Client

    from credibility.warmup import warm_up

    start = time.perf_counter()
    warm_up()
    warmed = (time.perf_counter() - start) * 1000
    client = Client()
    client.force_login((user or _leader)())
    client.handler.load_middleware()  # a worker's WSGI handler has its middleware at import
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code)
    print(f"{warmed:.1f} {elapsed:.1f}")
    return 0


def cold_ms(url, bench="dashboards"):
    """(warm-up ms, first request ms) of a fresh process running `bench --cold-url url`."""
    done = subprocess.run([sys.executable, "-m", "benchmarks", bench, "--cold-url", url],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"cold request of {url} failed:\n{done.stderr}")
    warmed, first = done.stdout.strip().splitlines()[-1].split()
    return float(warmed), float(first)


def measure_pages(client, pages, *, bench, repeat, cold, note=None):
    """{name: (warm ms, cold ms, queries)} of each page, printed as it goes: the median of
    `repeat` requests through `client` (after two warm-ups), and the median first request of
    `cold` fresh processes (`bench --cold-url`). `note(sql list)` may add to the printed line."""
    from django.db import connection

    results = {}
    for name, url in pages.items():
        fresh = [cold_ms(url, bench) for _ in range(max(1, cold))]
        warmed = statistics.median(w for w, _ in fresh)
        first = statistics.median(f for _, f in fresh)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        queries = []
        with connection.execute_wrapper(lambda execute, sql, params, many, context: queries.append(sql) or execute(sql, params, many, context)):
            client.get(url)
        median, low, high = _median_ms(lambda url=url: client.get(url), repeat)
        results[name] = (median, first, queries)
        print(f"{name:<28} warm {median:7.1f} ms (min {low:.1f}, max {high:.1f})  cold {first:7.1f} ms"
              f" (after the worker's warm-up, {warmed:.0f} ms at start)"
              f"  {len(queries)} queries  {len(response.content) // 1024} KiB{note(queries) if note else ''}", flush=True)
    return results


def report_targets(results, *, extra=None):
    """Each page against the trivial page of the same run and the ≤ 100 ms target."""
    trivial, trivial_cold, _ = results["trivial page (round list)"]
    print()
    for name, (warm, cold, _queries) in results.items():
        if name.startswith("trivial"):
            continue
        verdict = "达标" if warm <= 100 and cold <= 100 else "未达标"
        print(f"{name}: warm {warm:.0f} ms = {warm / trivial:.1f} × trivial page, cold {cold:.0f} ms = "
              f"{cold / trivial_cold:.1f} × a fresh trivial page{extra(warm) if extra else ''}; "
              f"target ≤ 100 ms: {verdict}")


def _recount(round_):
    from django.db.models import Count

    from surveys.models import HEADLINE_KINDS, Answer

    return list(
        Answer.objects.filter(ballot__round_unit__round=round_, item__kind__in=HEADLINE_KINDS)
        .values_list("ballot__round_unit_id", "item_id", "ballot__category_id", "option")
        .annotate(n=Count("id"))
        .order_by()
    )


def main(args=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks dashboards", description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=120)
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--history", type=int, default=1, help="earlier published rounds over the same units")
    parser.add_argument("--round", type=int, help="reuse a round already loaded instead of generating one")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--verify", action="store_true", help="also compare the tallies with a full recount")
    parser.add_argument("--cold", type=int, default=3, help="fresh processes per page for the cold figure")
    parser.add_argument("--cold-url", help=argparse.SUPPRESS)
    options = parser.parse_args(args)

    if options.cold_url:
        return cold_child(options.cold_url)
    _setup_django()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from benchmarks.data import make_round
    from surveys.ballots import tallies_verify
    from surveys.models import Ballot, ResultSnapshot, Round, RoundUnit
    from surveys.rounds.services import round_seal

    if options.round:
        round_ = Round.objects.get(pk=options.round)
    else:
        print(f"生成数据：{options.units} 个单位，{options.ballots:,} 张票，另加 {options.history} 轮历史 …")
        start = time.perf_counter()
        round_ = make_round(units=options.units, ballots=options.ballots, history=options.history)
        print(f"生成用时 {time.perf_counter() - start:.0f} s（轮次 id {round_.pk}，可用 --round {round_.pk} 复用）")

    for earlier in Round.objects.with_results().exclude(pk__in=ResultSnapshot.objects.values("round_id")):
        start = time.perf_counter()
        round_seal(round_=earlier, actor=None, source="benchmark")
        print(f"  封存 {earlier.name}（{time.perf_counter() - start:.1f} s）")
    rounds_shown = Round.objects.published().count()

    round_units = list(RoundUnit.objects.filter(round=round_).select_related("unit").order_by("unit__code"))
    unit = round_units[len(round_units) // 2].unit
    ballots = Ballot.objects.filter(round_unit__round=round_).count()
    print(f"\n{connection.vendor}，{len(round_units)} 个单位，{ballots:,} 张票，{rounds_shown} 轮已发布；"
          f"每项 {options.repeat} 次取中位数，冷启动 {options.cold} 个新进程取中位数")

    client = Client()
    client.force_login(_leader())
    pages = {
        "trivial page (round list)": reverse("dashboards:index"),
        "overview": reverse("dashboards:round", args=[round_.pk]),
        "unit page": reverse("dashboards:unit", args=[round_.pk, unit.pk]),
        f"trends ({rounds_shown} rounds)": reverse("dashboards:trends"),
    }
    results = measure_pages(client, pages, bench="dashboards", repeat=options.repeat, cold=options.cold)
    median, low, high = _median_ms(lambda: _recount(round_), max(3, options.repeat // 5), warmup=1)
    recount = median
    print(f"{'recount from Answer rows':<28} {median:8.1f} ms  (min {low:.1f}, max {high:.1f})")

    report_targets(results, extra=lambda warm: f", {warm / recount:.3f} × recount alone")
    if options.verify:
        start = time.perf_counter()
        differences = tallies_verify(round_=round_)
        print(f"\ntallies_verify: {'equal to a full recount' if not differences else differences} "
              f"({time.perf_counter() - start:.0f} s)")
    return 0
