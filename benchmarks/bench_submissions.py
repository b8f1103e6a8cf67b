"""Benchmark online submissions against a floor view, and a 500-person hall (issue 15).

Not a timed test: it starts one HTTP server on 127.0.0.1 (gunicorn when installed, else a
threaded wsgiref server) that serves both the product and a floor view defined here — one
INSERT in a transaction behind the same middleware and CSRF check — and reports the
product's throughput as a ratio of the floor's, measured in the same run, alternating, with
medians of several runs:

- throughput: C concurrent clients each POST their share of N ballots (a fresh code each,
  every item answered), spread over the round's units; the floor gets the same POSTs;
- one submission: a single client, GET the questionnaire then POST, median per ballot;
- the hall: 500 respondents of ONE unit (their submissions serialize on that unit's row)
  arrive over 20 s, open the questionnaire, answer for 5 to 15 s and submit; p50 and p99 of
  the POST, and errors.

Each throughput run also reports the CPU milliseconds per request of the web workers, the
PostgreSQL server and the load client (from /proc, when the server runs on this machine): on a
machine that serves all three, a throughput ratio is the inverse ratio of those sums, so the
table says where a submission costs more than the floor.

Afterwards every pending ballot is mixed and the run is checked: codes consumed = ballots
counted = ballots stored, tallies = a recount.

    DATABASE_URL=postgres://…/bench python manage.py migrate
    DATABASE_URL=postgres://…/bench python -m benchmarks submissions [--clients 20] [--ballots 1000] [--runs 3]

Targets (issue 15): throughput ≥ 0.8 × floor; hall POST p99 ≤ 200 ms with 0 errors.
"""

import argparse
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

FLOOR_TABLE = "bench_submissions_floor"
_app = None


# --- the server side: product URLs plus the floor --------------------------------------------


def _make_app():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credibility.settings.dev")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    import django

    django.setup()
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    settings.ROOT_URLCONF = __name__  # the product's URLs and the floor, in one resolver
    return get_wsgi_application()


def application(environ, start_response):
    """The WSGI application gunicorn serves: the product with the floor beside it."""
    global _app
    if _app is None:
        _app = _make_app()
    return _app(environ, start_response)


def floor(request):
    """The floor: what any submission costs at least (CSRF, middleware, one INSERT, a redirect)."""
    from django.db import connection, transaction
    from django.http import HttpResponse, HttpResponseRedirect
    from django.middleware.csrf import get_token

    if request.method != "POST":
        return HttpResponse(get_token(request))  # a client's CSRF token for both views
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {FLOOR_TABLE} (payload) VALUES (%s)", [request.POST.get("code", "")])
    return HttpResponseRedirect("/s/thanks/")


def __getattr__(name):
    # ROOT_URLCONF points here; the patterns are built on first use, after django.setup().
    if name == "urlpatterns":
        from django.urls import include, path

        return [path("bench-floor/", floor), path("", include("credibility.urls"))]
    raise AttributeError(name)


# --- the client side ---------------------------------------------------------------------------


class Client:
    """One browser: a CSRF cookie and token, a new connection per request (no keep-alive)."""

    def __init__(self, port):
        self.port = port
        self.cookie = ""
        self.token = ""

    def request(self, method, path, fields=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": self.token})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                if value.startswith("csrftoken="):
                    self.cookie = value.split(";", 1)[0]
            return response.status, text
        finally:
            conn.close()

    def prime(self):
        status, text = self.request("GET", "/bench-floor/")
        assert status == 200, status
        self.token = text.strip()


def _answers(items, rng):
    fields = {f"item_{pk}": str(rng.choice(options)) for pk, options in items}
    return fields


def _run_posts(port, clients, jobs):
    """POST every (path, fields) of `jobs` from `clients` threads; returns (seconds, statuses)."""
    shares = [jobs[i::clients] for i in range(clients)]
    statuses, lock = [], threading.Lock()
    ready = threading.Barrier(clients + 1)

    def worker(share):
        client = Client(port)
        client.prime()
        ready.wait()
        mine = []
        for path, fields in share:
            try:
                mine.append(client.request("POST", path, fields)[0])
            except OSError:
                mine.append("error")
        with lock:
            statuses.extend(mine)

    threads = [threading.Thread(target=worker, args=(share,)) for share in shares]
    for t in threads:
        t.start()
    ready.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - start, statuses


def _respondent(port, code, fields, timings, errors, lock, think=0.0):
    client = Client(port)
    try:
        status, page = client.request("GET", "/s/?code=" + urllib.parse.quote(code))
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        unit = re.search(r'name="unit" value="([^"]+)"', page)
        if status != 200 or not match or not unit:
            raise RuntimeError(f"GET {status}")
        client.token = match.group(1)
        time.sleep(think)
        start = time.perf_counter()
        status, _ = client.request("POST", "/s/", {"code": code, "unit": unit.group(1), **fields})
        elapsed = (time.perf_counter() - start) * 1000
        if status != 302:
            raise RuntimeError(f"POST {status}")
        with lock:
            timings.append(elapsed)
    except (OSError, RuntimeError) as error:
        with lock:
            errors.append(str(error))


def _hall(port, codes_, fields_for, window, think, seed=5):
    """A hall: respondents arrive over `window` seconds, open the questionnaire, answer for
    `think` seconds (a random span), and submit. Returns the POSTs' latencies and errors."""
    import random

    rng = random.Random(seed)
    timings, errors, lock = [], [], threading.Lock()
    start = time.monotonic()
    plans = [(rng.uniform(0, window), rng.uniform(*think), code, fields_for()) for code in codes_]

    def respondent(arrive, pause, code, fields):
        time.sleep(max(0.0, start + arrive - time.monotonic()))
        _respondent(port, code, fields, timings, errors, lock, think=pause)

    threads = [threading.Thread(target=respondent, args=plan) for plan in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return timings, errors


def _percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- where the CPU goes: the web workers, PostgreSQL, this client (Linux /proc) -------------------


def _cpu_seconds(pid):
    """User + system CPU seconds of one process so far, or 0 when it has gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pids(match):
    found = []
    for name in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if name.isdigit():
            try:
                if match(int(name)):
                    found.append(int(name))
            except OSError:
                continue
    return found


def _postgres_pids():
    """Every process of the local PostgreSQL server (its owner's), or [] when it runs elsewhere."""
    import pwd

    try:
        uid = pwd.getpwnam("postgres").pw_uid
    except KeyError:
        return []
    return _pids(lambda pid: os.stat(f"/proc/{pid}").st_uid == uid)


def _children(parent):
    def child(pid):
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1]) == parent
    return _pids(child)


class CpuMeter:
    """CPU milliseconds per request spent by the web workers, PostgreSQL and this client over a
    run: the same machine serves all three, so a ratio of throughputs is a ratio of these sums."""

    def __init__(self, server_pid):
        self.server_pid = server_pid

    def _now(self):
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "web": sum(_cpu_seconds(p) for p in _children(self.server_pid)),
            "postgres": sum(_cpu_seconds(p) for p in _postgres_pids()),
            "client": usage.ru_utime + usage.ru_stime,
        }

    def run(self, fn, requests, settle=1.0):
        """fn()'s result and {part: CPU ms per request}; waits `settle` seconds for work the
        requests left behind (mixes in the background) to be counted with them."""
        before = self._now()
        result = fn()
        time.sleep(settle)
        after = self._now()
        return result, {part: (after[part] - before[part]) * 1000 / requests for part in after}


# --- set-up, the server, the report ------------------------------------------------------------


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credibility.settings.dev")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    import django

    django.setup()


def _make_round(units, codes_per_unit, hall):
    """A fresh open round over new units; returns (round, {unit id: [codes]}, hall codes)."""
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.utils import timezone

    from surveys.fieldwork.services import MAX_BATCH_SIZE, codes_issue
    from surveys.models import Round, RoundStatus
    from surveys.rounds.services import round_create
    from units.models import Unit, UnitGroup, UnitKind

    tag = secrets.token_hex(3)
    actor, _ = User.objects.get_or_create(username="bench_staff")
    group = UnitGroup.objects.create(name=f"基准分组{tag}", kind=UnitKind.DISTRICT)
    made = [
        Unit.objects.create(code=f"BS{tag}{n:03d}", name=f"基准单位{tag}-{n}", short_name=f"基准{n}",
                            kind=UnitKind.DISTRICT, group=group)
        for n in range(units + 1)
    ]
    now = timezone.now()
    round_ = round_create(name=f"提交基准{tag}", year=now.year, opens_at=now - timedelta(hours=1),
                          closes_at=now + timedelta(days=1), units=[(u, 1000) for u in made])
    Round.objects.filter(pk=round_.pk).update(status=RoundStatus.OPEN, opened_at=now)
    round_.refresh_from_db()
    round_units = list(round_.round_units.order_by("pk"))
    per_unit = {}
    for ru in round_units[:-1]:
        plain, need = [], codes_per_unit
        while need:
            size = min(need, MAX_BATCH_SIZE)
            plain += codes_issue(round_unit=ru, size=size, actor=actor)[1]
            need -= size
        per_unit[ru.pk] = plain
    hall_codes = codes_issue(round_unit=round_units[-1], size=hall, actor=actor)[1]
    return round_, per_unit, hall_codes


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port, workers):
    env = {**os.environ, "DJANGO_DEBUG": "0"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "credibility.settings.dev")
    if shutil.which("gunicorn") or _has_module("gunicorn"):
        command = [sys.executable, "-m", "gunicorn", f"{__name__}:application", "--workers", str(workers),
                   "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--backlog", "2048"]
        name = f"gunicorn, {workers} sync workers"
    else:
        command = [sys.executable, "-c", (
            "import sys; from socketserver import ThreadingMixIn; "
            "from wsgiref.simple_server import WSGIServer, WSGIRequestHandler, make_server; "
            f"from {__name__} import application\n"
            "class S(ThreadingMixIn, WSGIServer): daemon_threads = True\n"
            "class H(WSGIRequestHandler):\n    def log_message(self, *a): pass\n"
            f"make_server('127.0.0.1', {port}, application, server_class=S, handler_class=H).serve_forever()"
        )]
        name = "wsgiref, threaded (gunicorn not installed)"
    process = subprocess.Popen(command, env=env, start_new_session=True)
    for _ in range(600):
        try:
            if Client(port).request("GET", "/bench-floor/")[0] == 200:
                return process, name
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("the server did not start")


def _has_module(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _verify(round_):
    from surveys.ballots import ballots_mix, intake_counts, tallies_verify

    ballots_mix(round_=round_, minimum=1)
    counts = intake_counts(round_=round_)
    exact = all(n == stored and waiting == 0 for n, stored, waiting, _ in counts.values())
    online = sum(consumed for *_, consumed in counts.values())
    return exact, online, not tallies_verify(round_=round_)


def main(args=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks submissions", description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients for throughput")
    parser.add_argument("--ballots", type=int, default=1000, help="POSTs per throughput run")
    parser.add_argument("--runs", type=int, default=3, help="alternating floor/product runs (median)")
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--hall", type=int, default=500, help="respondents in the hall (one unit)")
    parser.add_argument("--hall-window", type=float, default=20, help="seconds over which they arrive")
    parser.add_argument("--hall-think", type=float, nargs=2, default=(5, 15), help="seconds answering")
    parser.add_argument("--single", type=int, default=50, help="submissions by one client")
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args(args)

    _setup_django()
    import random

    from django.db import connection

    from surveys.ballots import MIX_BATCH
    from surveys.models import Item, ItemKind

    if connection.vendor != "postgresql":
        raise SystemExit("benchmarks/bench_submissions.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    from django.core.management import call_command

    call_command("createcachetable")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        cursor.execute(f"CREATE TABLE {FLOOR_TABLE} (id bigserial PRIMARY KEY, payload text)")

    total = options.runs * options.ballots + options.single
    per_unit = -(-total // options.units) + options.workers * 3  # and a few to open pages with
    print(f"准备：{options.units} 个单位 × {per_unit} 个测评码，另一个单位 {options.hall} 个（会场）…")
    round_, unit_codes, hall_codes = _make_round(options.units, per_unit, options.hall)
    items = [
        (item.pk, list(range(1, 5)))
        for item in Item.objects.filter(round=round_).exclude(kind=ItemKind.OPINION).order_by("order")
    ]
    category = round_.round_categories.first().category_id
    rng = random.Random(11)
    pool = [(unit, code) for unit, codes_ in unit_codes.items() for code in codes_]
    rng.shuffle(pool)  # submissions arrive for every unit, mixed

    def fields():
        data = {"category": str(category), **_answers(items, rng)}
        if rng.random() < 0.1:
            data["opinion"] = "建议进一步公开干部选拔任用信息。"
        return data

    port = _free_port()
    process, server = _start_server(port, options.workers)
    floors, products, statuses = [], [], []
    cpu = {"floor": [], "product": []}
    try:
        # Warm every worker: imports, and the questionnaire pages respondents open before
        # they post (each worker then knows the units and their frozen questionnaires).
        _run_posts(port, options.workers * 2, [("/bench-floor/", {"code": "warm"})] * (options.workers * 4))
        warm = Client(port)
        for unit, codes_ in unit_codes.items():
            for code in codes_[-options.workers * 3:]:
                warm.request("GET", "/s/?code=" + urllib.parse.quote(code))
        meter = CpuMeter(process.pid)
        for run in range(options.runs):
            floor_jobs = [("/bench-floor/", {"code": f"F{run}-{n}", **fields()}) for n in range(options.ballots)]
            (seconds, got), used = meter.run(lambda: _run_posts(port, options.clients, floor_jobs), options.ballots)
            floors.append(options.ballots / seconds)
            cpu["floor"].append(used)
            statuses += got
            product_jobs = [
                ("/s/", {"code": code, "unit": str(unit), **fields()})
                for unit, code in (pool.pop() for _ in range(options.ballots))
            ]
            (seconds, got), used = meter.run(lambda: _run_posts(port, options.clients, product_jobs), options.ballots)
            products.append(options.ballots / seconds)
            cpu["product"].append(used)
            statuses += got
            print(f"  第 {run + 1} 轮：floor {floors[-1]:.0f} /s，product {products[-1]:.0f} /s")

        single_client = Client(port)
        single = {"floor": [], "product": []}
        for n in range(options.single):
            start = time.perf_counter()
            single_client.prime()
            single_client.request("POST", "/bench-floor/", {"code": f"S{n}", **fields()})
            single["floor"].append((time.perf_counter() - start) * 1000)
            timings, errors, lock = [], [], threading.Lock()
            start = time.perf_counter()
            _respondent(port, pool.pop()[1], fields(), timings, errors, lock)
            single["product"].append((time.perf_counter() - start) * 1000)
            statuses += ["error"] * len(errors)

        hall_timings, hall_errors = _hall(
            port, hall_codes, fields, options.hall_window, tuple(options.hall_think)
        )
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)

    exact, online, tallies_ok = _verify(round_)
    errors = sum(1 for s in statuses if s not in (200, 302))
    floor_median, product_median = statistics.median(floors), statistics.median(products)
    # Each product run follows its floor run: the median of the pairs' ratios resists the
    # machine's load drifting between runs better than the ratio of the two medians.
    ratio = statistics.median(p / f for p, f in zip(products, floors))
    p50, p99 = _percentile(hall_timings, 50), _percentile(hall_timings, 99)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n{connection.vendor}，{server}；{options.runs} 轮取中位数；混合批量 {MIX_BATCH}；"
          f"load average {load:.1f} on {os.cpu_count()} CPUs")
    print("| measurement | product | floor | ratio | target |")
    print("|---|---|---|---|---|")
    print(f"| throughput, {options.clients} clients × {options.ballots} POSTs | {product_median:.0f} /s "
          f"| {floor_median:.0f} /s | {ratio:.2f}× (runs {', '.join(f'{p / f:.2f}' for p, f in zip(products, floors))}) "
          f"| ≥ 0.8× {'met' if ratio >= 0.8 else 'not met'} |")
    for part, label in (("web", "web workers (gunicorn)"), ("postgres", "PostgreSQL (every process)"),
                        ("client", "the load client")):
        product_ms = statistics.median(run[part] for run in cpu["product"])
        floor_ms = statistics.median(run[part] for run in cpu["floor"])
        print(f"| CPU per request: {label} | {product_ms:.2f} ms | {floor_ms:.2f} ms "
              f"| {product_ms / floor_ms if floor_ms else float('nan'):.2f}× | — |")
    print(f"| one submission (GET form + POST), 1 client | {statistics.median(single['product']):.1f} ms "
          f"| {statistics.median(single['floor']):.1f} ms | — | — |")
    print(f"| hall of {len(hall_codes)} in one unit (arriving over {options.hall_window:.0f} s,"
          f" answering {options.hall_think[0]:.0f}–{options.hall_think[1]:.0f} s): POST p50 / p99 "
          f"| {p50:.0f} / {p99:.0f} ms | — | — | p99 ≤ 200 ms, 0 errors: "
          f"{'met' if p99 <= 200 and not hall_errors else 'not met'} ({len(hall_errors)} errors) |")
    print(f"\nerrors in the throughput runs: {errors}; after mixing: exactly once "
          f"{'yes' if exact else 'NO'}, {online} online ballots, tallies = recount {'yes' if tallies_ok else 'NO'}")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
    return 0 if exact and tallies_ok and not hall_errors and not errors else 1
