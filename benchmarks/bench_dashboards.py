"""Benchmark the leader dashboards (issue 5): round overview and unit page on a large round.

Not a timed test: it reports median milliseconds per page rendered through the Django test
client (URL routing, permission check, selectors, template, SVG charts) next to baselines
measured in the same run, so the figures travel between machines as ratios:

- `trivial page`: the round list, a page that only reads a few rows;
- `recount`: the same headline counts aggregated straight from the Answer rows, i.e. what
  every page view would cost without the per-unit tallies.

"first view" is the page right after the kept results are dropped (dashboards.cache_clear):
the cost of rating every unit again, paid once per change of a round's ballots or
investigations; the median is every later view.

    DATABASE_URL=postgres://…/credibility_bench5 python -m benchmarks dashboards --ballots 1000000

Target (issue 5): overview and unit page each under 300 ms with 120 units and 1,000,000
ballots in the round, on PostgreSQL. `--verify` also proves the tallies equal a full recount.
"""

import argparse
import os
import statistics
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
    options = parser.parse_args(args)

    _setup_django()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from benchmarks.data import make_round
    from surveys.ballots import tallies_verify
    from surveys.models import Ballot, Round, RoundUnit
    from surveys.results import dashboards

    if options.round:
        round_ = Round.objects.get(pk=options.round)
    else:
        print(f"生成数据：{options.units} 个单位，{options.ballots:,} 张票，另加 {options.history} 轮历史 …")
        start = time.perf_counter()
        round_ = make_round(units=options.units, ballots=options.ballots, history=options.history)
        print(f"生成用时 {time.perf_counter() - start:.0f} s（轮次 id {round_.pk}，可用 --round {round_.pk} 复用）")

    round_units = list(RoundUnit.objects.filter(round=round_).select_related("unit").order_by("unit__code"))
    unit = round_units[len(round_units) // 2].unit
    ballots = Ballot.objects.filter(round_unit__round=round_).count()
    print(f"\n{connection.vendor}，{len(round_units)} 个单位，{ballots:,} 张票；每项 {options.repeat} 次取中位数")

    client = Client()
    client.force_login(_leader())
    pages = {
        "trivial page (round list)": reverse("dashboards:index"),
        "overview": reverse("dashboards:round", args=[round_.pk]),
        "unit page": reverse("dashboards:unit", args=[round_.pk, unit.pk]),
    }
    results = {}
    for name, url in pages.items():
        dashboards.cache_clear()
        start = time.perf_counter()
        response = client.get(url)
        cold = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (url, response.status_code)
        queries = []
        with connection.execute_wrapper(lambda execute, sql, params, many, context: queries.append(sql) or execute(sql, params, many, context)):
            client.get(url)
        median, low, high = _median_ms(lambda url=url: client.get(url), options.repeat)
        results[name] = median
        print(f"{name:<28} {median:8.1f} ms  (min {low:.1f}, max {high:.1f}; first view {cold:.0f})"
              f"  {len(queries)} queries  {len(response.content) // 1024} KiB")
    median, low, high = _median_ms(lambda: _recount(round_), max(3, options.repeat // 5), warmup=1)
    results["recount"] = median
    print(f"{'recount from Answer rows':<28} {median:8.1f} ms  (min {low:.1f}, max {high:.1f})")

    trivial = results["trivial page (round list)"]
    print()
    for name in ("overview", "unit page"):
        verdict = "达标" if results[name] < 300 else "未达标"
        print(f"{name}: {results[name]:.0f} ms = {results[name] / trivial:.1f} × trivial page, "
              f"{results[name] / results['recount']:.2f} × recount alone; target < 300 ms: {verdict}")
    if options.verify:
        start = time.perf_counter()
        differences = tallies_verify(round_=round_)
        print(f"\ntallies_verify: {'equal to a full recount' if not differences else differences} "
              f"({time.perf_counter() - start:.0f} s)")
    return 0
