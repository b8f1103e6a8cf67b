"""Every page of the demo city, for every role and for nobody: no server error anywhere.

The demo (`seed_demo`) is loaded once for this module inside a transaction that is rolled back
at the end, so it works the same on SQLite and PostgreSQL and leaves nothing behind. Two walks:

- a breadth-first crawl from `/` that follows every internal link (`<a href>`) and redirect,
  signed in as each demo account and as nobody (who also starts at `/s/` with a real code);
- every URL pattern of the project, filled with real ids from the demo database.

Both fail on any 5xx and list every failing URL. Links are many (98 units × 4 rounds), so the
crawl visits at most PER_PATTERN distinct URLs per URL pattern and query shape; a download
(any response that is not an HTML page) is fetched once per pattern and role.

The crawl also checks every HTML page for inline script, inline event handlers and style
attributes, which the Content-Security-Policy (script-src/style-src 'self') blocks.
"""

import io
from collections import deque
from datetime import date
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404

from surveys import codes
from jobs.models import Job
from surveys.management.commands.seed_demo import ACCOUNTS, OPEN_ROUND_NAME
from surveys.models import (
    AccessCode,
    CodeBatch,
    CodeStatus,
    Investigation,
    PaperBatch,
    Rectification,
    Round,
    RoundStatus,
)
from tests import factories

PER_PATTERN = 4  # distinct URLs per (URL pattern, query keys) and role
MAX_PAGES = 400  # per role, a bound in case links ever multiply
SKIPPED_PREFIXES = ("/static/", "/i18n/", "/accounts/logout/", "/admin/logout/")
PASSWORDS = {username: password for username, password, *_ in ACCOUNTS}
ROLES = [None, *PASSWORDS]  # None: nobody signed in


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The seeded demo city plus one of each object the demo lacks (draft round, paper batch,
    rectification), all rolled back when the module ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        staff = User.objects.get(username="staff")
        open_round = Round.objects.get(name=OPEN_ROUND_NAME)
        published = Round.objects.filter(status=RoundStatus.PUBLISHED).order_by("-year").first()
        ru_open = open_round.round_units.select_related("unit").order_by("pk").first()
        ru_published = published.round_units.order_by("pk").first()
        investigation = Investigation.objects.filter(round_unit__round=published).first()
        draft = factories.round_([ru_open.unit], status=RoundStatus.DRAFT, year=2027)
        objects = {
            "open_round": open_round,
            "published": published,
            "draft": draft,
            "ru_open": ru_open,
            "ru_published": ru_published,
            "investigation": investigation,
            "code_batch": CodeBatch.objects.filter(round_unit=ru_open).first(),
            "paper_batch": PaperBatch.objects.create(round_unit=ru_open, label="第1箱",
                                                     double_keyed=True, created_by=staff),
            "rectification": Rectification.objects.create(
                round_unit=ru_published, measures="约谈主要负责人", deadline=date(2030, 6, 30),
                created_by=staff),
            "unit": ru_open.unit,
            "group": ru_open.unit.group,
            "account": User.objects.get(username="leader_zhucheng"),
            "job": Job.objects.create(kind="demo", label="演示任务", handler="jobs.services.job_run",
                                      created_by=staff),
        }
        Client().post("/accounts/login/", {"username": "staff", "password": "wrong"})  # for axes' admin
        unused = AccessCode.objects.filter(round_unit=ru_open, status=CodeStatus.UNUSED).exclude(sealed="")
        objects["code"] = codes.display(codes.unseal(unused.first().sealed))
        yield objects
        transaction.set_rollback(True)


class Links(HTMLParser):
    """Collect `<a href>` targets, and what a strict Content-Security-Policy would block."""

    def __init__(self):
        super().__init__()
        self.hrefs, self.inline = [], []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            self._in_inline_script = True
        for name in attrs:
            if name.startswith("on") or name == "style":
                self.inline.append(f"<{tag} {name}=…>")

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.inline.append(f"<script>{data.strip()[:40]}…")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


def signed_in(username):
    client = Client(raise_request_exception=False)
    if username is not None:
        response = client.post("/accounts/login/", {"username": username, "password": PASSWORDS[username]})
        assert response.status_code == 302, f"demo login {username} failed"
    return client


def fetch(client, url):
    """GET a URL; return (status, text of an HTML page or None, error, response)."""
    response = client.get(url)
    error = ""
    if response.status_code >= 500:
        exc = getattr(response, "exc_info", None)
        error = f"{exc[0].__name__}: {exc[1]}" if exc else ""
    # Reading a streaming download to its end also closes it, the way the test client does
    # (closing a response again would fire request_finished and close the database connection).
    try:
        body = b"".join(response.streaming_content) if response.streaming else response.content
    except Exception as exc:  # a download that fails half way
        return 500, None, f"while streaming: {type(exc).__name__}: {exc}", response
    html = response.get("Content-Type", "").startswith("text/html")
    return response.status_code, body.decode() if html else None, error, response


def shape(url):
    """What makes two URLs "the same page": the pattern and the query's keys."""
    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
        name = match.view_name
    except Resolver404:
        name = parts.path
    return name, tuple(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}))


def internal(base, href):
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if path.startswith(SKIPPED_PREFIXES):
        return None
    return path


def crawl(client, start):
    """Breadth-first over internal links; return (failures, inline markup found)."""
    queue, seen, per_shape = deque(start), set(start), {}
    failures, inline, visited = [], set(), 0
    while queue and visited < MAX_PAGES:
        url = queue.popleft()
        key = shape(url)
        if per_shape.get(key, 0) >= PER_PATTERN:
            continue
        per_shape[key] = per_shape.get(key, 0) + 1
        visited += 1
        status, html, error, response = fetch(client, url)
        if status >= 500:
            failures.append(f"{status} {url} {error}")
            continue
        found = []
        if status in (301, 302, 303, 307, 308):
            found = [response["Location"]]
        elif html is not None:
            parser = Links()
            parser.feed(html)
            found = parser.hrefs
            inline.update(f"{url}: {what}" for what in parser.inline)
        else:
            per_shape[key] = PER_PATTERN  # a download: once is enough
        for href in found:
            target = internal(url, href)
            if target and target not in seen:
                seen.add(target)
                queue.append(target)
    return failures, sorted(inline), visited


@pytest.mark.django_db
@pytest.mark.parametrize("username", ROLES, ids=[r or "nobody" for r in ROLES])
def test_crawl_every_link_without_a_server_error(demo, username):
    client = signed_in(username)
    start = ["/"] if username else ["/", "/s/", f"/s/?code={demo['code']}"]
    failures, inline, visited = crawl(client, start)
    assert visited > (2 if username is None else 20), "the crawl found too few pages"
    assert not failures, "server errors:\n" + "\n".join(failures)
    assert not inline, "inline script or style (blocked by the CSP):\n" + "\n".join(inline[:40])


# URL kwargs filled from the demo, per URL name; names outside this table that take a single
# `pk` use DEFAULT_PK for their namespace. A new URL with other arguments fails with a message.
ARGS = {
    "accounts:edit": lambda d: {"pk": d["account"].pk},
    "accounts:toggle_active": lambda d: {"pk": d["account"].pk},
    "accounts:reset_password": lambda d: {"pk": d["account"].pk},
    "units:group_edit": lambda d: {"pk": d["group"].pk},
    "units:group_move": lambda d: {"pk": d["group"].pk},
    "units:group_delete": lambda d: {"pk": d["group"].pk},
    "rounds:investigate": lambda d: {"pk": d["published"].pk, "round_unit_pk": d["investigation"].round_unit_id,
                                     "kind": d["investigation"].item.kind},
    "rounds:unit": lambda d: {"pk": d["published"].pk, "round_unit_pk": d["ru_published"].pk},
    "rounds:rectification_create": lambda d: {"pk": d["published"].pk, "round_unit_pk": d["ru_published"].pk},
    "rounds:rectification_edit": lambda d: {"pk": d["published"].pk, "round_unit_pk": d["ru_published"].pk,
                                            "rectification_pk": d["rectification"].pk},
    "dashboards:unit": lambda d: {"pk": d["published"].pk, "unit_pk": d["ru_published"].unit_id},
    "dashboards:live": lambda d: {"pk": d["open_round"].pk},
    "reports:unit_feedback": lambda d: {"pk": d["published"].pk, "unit_pk": d["ru_published"].unit_id},
    "fieldwork:round": lambda d: {"pk": d["open_round"].pk},
    "fieldwork:paper_import": lambda d: {"pk": d["open_round"].pk},
    "fieldwork:paper_import_template": lambda d: {"pk": d["open_round"].pk},
    "fieldwork:slips": lambda d: {"pk": d["code_batch"].pk},
    "fieldwork:codes_xlsx": lambda d: {"pk": d["code_batch"].pk},
    "fieldwork:batch_void": lambda d: {"pk": d["code_batch"].pk},
    "fieldwork:paper_pass": lambda d: {"pk": d["paper_batch"].pk, "pass_no": 1},
    "fieldwork:paper_batch_close": lambda d: {"pk": d["paper_batch"].pk},
    "fieldwork:paper_reconcile": lambda d: {"pk": d["paper_batch"].pk},
}
DEFAULT_PK = {
    "jobs": lambda d: d["job"].pk,
    "units": lambda d: d["unit"].pk,
    "rounds": lambda d: d["published"].pk,
    "fieldwork": lambda d: d["ru_open"].pk,
    "dashboards": lambda d: d["published"].pk,
    "reports": lambda d: d["published"].pk,
}
# The draft round's set-up pages are forms; the published round's show them frozen.
ALSO_FOR_DRAFT = {"rounds:detail", "rounds:edit", "rounds:units", "rounds:questionnaire", "rounds:settings"}


def patterns(resolver=None, namespace=""):
    """Yield (full name, pattern) for every named URL pattern of the project."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from patterns(pattern, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern


def admin_model(name):
    """The model an admin URL name such as admin:surveys_round_change is about (or Round)."""
    for model in apps.get_models():
        if name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    return Round


def admin_kwargs(name, params):
    """Django's admin URLs: fill object ids from the model named in the URL name."""
    kwargs = {}
    for param in params:
        if param == "app_label":
            kwargs[param] = "surveys"
        elif param == "content_type_id":
            kwargs[param] = ContentType.objects.get_for_model(Round).pk
        elif param in ("object_id", "id"):
            first = admin_model(name).objects.order_by("pk").first()
            kwargs[param] = str(first.pk) if first else "0"  # none: the admin says so
        else:
            pytest.fail(f"admin URL {name!r}: no value for {param!r} in tests/test_crawl.py")
    return kwargs


def urls_for(name, pattern, demo):
    params = list(pattern.pattern.regex.groupindex)
    if not params:
        return [reverse(name)]
    namespace = name.split(":")[0]
    if namespace == "admin":
        return [reverse(name, kwargs=admin_kwargs(name, params))]
    if name in ARGS:
        urls = [reverse(name, kwargs=ARGS[name](demo))]
    elif params == ["pk"] and namespace in DEFAULT_PK:
        urls = [reverse(name, kwargs={"pk": DEFAULT_PK[namespace](demo)})]
    else:
        pytest.fail(f"URL {name!r} takes {params}: say how to fill them in ARGS in tests/test_crawl.py")
    if name in ALSO_FOR_DRAFT:
        urls.append(reverse(name, kwargs={"pk": demo["draft"].pk}))
    return urls


@pytest.mark.django_db
def test_every_url_pattern_with_real_ids_without_a_server_error(demo):
    found = list(patterns())
    assert len(found) > 60, "the walk found too few URL patterns; is it broken?"
    clients = {role: signed_in(role) for role in ROLES}
    failures = []
    for name, pattern in found:
        for url in urls_for(name, pattern, demo):
            for role, client in clients.items():
                status, _html, error, _response = fetch(client, url)
                if status >= 500:
                    failures.append(f"{status} {url} ({name}) as {role or 'nobody'}: {error}")
    assert not failures, "server errors:\n" + "\n".join(failures)


@pytest.mark.django_db
def test_fieldwork_unit_page_shows_a_code_batch_nobody_created(demo):
    """Seeded batches have no creator; their unit's page used to fail (issue 9)."""
    batch = CodeBatch.objects.filter(round_unit__round=demo["open_round"], created_by=None).first()
    client = signed_in("staff")
    assert client.get(reverse("fieldwork:unit", args=[batch.round_unit_id])).status_code == 200
