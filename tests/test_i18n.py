"""English is complete, or the suite says which strings are not (docs/i18n.md).

Chinese is the source language: every msgid is the Chinese text of a template, form, model,
message or spreadsheet header, and locale/en/LC_MESSAGES/django.po says it in English.

- the catalog: every string the code marks for translation is in the .po, each has an
  English msgstr (not empty, not fuzzy, same placeholders), and the compiled .mo says the
  same as the .po;
- the pages: every page of the demo city, crawled in English by every role (staff through
  the language cookie the switcher sets, respondents through their phone's Accept-Language),
  shows no Chinese outside the data (unit, group, round and category names, questions,
  opinions …), full-width punctuation included: 、；，：。（） are interface text and follow
  the language (credibility/text.py), even between two names; the downloads (.xlsx, .csv)
  are checked the same way, headers and sheet names included, because exports follow the
  language of the page that asks for them;
- `lang` says the language of the content, and the switcher names each language in itself.

A failure lists every untranslated string with a page where it shows.
"""

import ast
import csv
import gettext
import io
import re
from collections import deque
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.utils import translation
from django.utils.translation.template import templatize
from openpyxl import load_workbook

from audit.models import AuditEntry
from jobs.models import Job
from surveys.models import Ballot, CodeBatch, Investigation, Item, PaperBatch, Rectification, RespondentCategory, Round
from tests.test_crawl import (  # noqa: F401  (demo: the module-scoped seeded city)
    MAX_PAGES,
    PER_PATTERN,
    ROLES,
    Links,
    demo,
    fetch,
    internal,
    patterns,
    shape,
    signed_in,
    urls_for,
)
from units.models import Unit, UnitGroup

ROOT = Path(settings.BASE_DIR)
PO_PATH = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
# What makemessages reads (docs/i18n.md gives the command): the project's Python and templates.
SOURCE_EXCLUDES = {".venv", "tests", "benchmarks", "locale", "staticfiles", "var", "node_modules"}
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy",
                 "pgettext", "pgettext_lazy"}
# Chinese: Han characters, and the full-width and CJK punctuation around them (、；，：。（）…),
# which is UI like any word and follows the language. Curly quotes “ ” are English too.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff01-\uff5e]+")
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdf]|%\([a-z_0-9]+\)\.\df|%%")


def catalog():
    return polib.pofile(str(PO_PATH))


# --- the catalog ------------------------------------------------------------------------


def source_files():
    for path in sorted(ROOT.rglob("*")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in SOURCE_EXCLUDES or any(p.startswith(".") for p in rel.parts):
            continue
        if path.suffix in (".py", ".html", ".txt") and path.is_file():
            yield rel, path


def python_msgids(rel, source):
    """(msgid, where) of every gettext call with literal text; f-strings are errors."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name not in GETTEXT_NAMES:
            continue
        context = None
        if name.startswith("pgettext"):
            context = node.args[0].value if isinstance(node.args[0], ast.Constant) else None
            texts = node.args[1:2]
        else:
            texts = node.args[:2] if name.startswith("ngettext") else node.args[:1]
        for arg in texts:
            where = f"{rel}:{node.lineno}"
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                out.append(((context, arg.value), where))
            elif isinstance(arg, ast.JoinedStr):
                out.append((None, f"{where}: an f-string cannot be translated; use %(name)s"))
    return out


LITERAL = r"u?'(?:[^'\\]|\\.)*'|u?\"(?:[^\"\\]|\\.)*\""
TEMPLATIZED = re.compile(rf"\b(n?p?gettext)\(\s*((?:{LITERAL})(?:\s*,\s*(?:{LITERAL}))?)")


def template_msgids(rel, source):
    """Django's own template-to-gettext conversion, the one makemessages hands to xgettext."""
    out = []
    for match in TEMPLATIZED.finditer(templatize(source, str(rel))):
        literals = ast.literal_eval(f"({match.group(2)},)")
        if "p" in match.group(1):  # pgettext(context, message)
            out.append(((literals[0], literals[1]), str(rel)))
        else:
            out += [((None, text), str(rel)) for text in literals]
    return out


def test_every_marked_string_is_in_the_catalog():
    """A string wrapped in gettext / {% translate %} but missing from the .po shows in
    Chinese on English pages: run makemessages and translate it (docs/i18n.md)."""
    known = {(entry.msgctxt, entry.msgid) for entry in catalog()}
    known |= {(entry.msgctxt, entry.msgid_plural) for entry in catalog() if entry.msgid_plural}
    missing, fstrings, found = {}, [], 0
    for rel, path in source_files():
        source = path.read_text(encoding="utf-8")
        if "translat" not in source and "gettext" not in source and " _(" not in source:
            continue
        pairs = python_msgids(rel, source) if path.suffix == ".py" else template_msgids(rel, source)
        for msgid, where in pairs:
            if msgid is None:
                fstrings.append(where)
                continue
            found += 1
            if msgid not in known:
                context, text = msgid
                missing.setdefault(text if context is None else f"{text} (context {context!r})", where)
    assert found > 500, "found too few translatable strings; is the extraction broken?"
    assert not fstrings, "f-strings passed to gettext:\n" + "\n".join(fstrings)
    assert not missing, (
        f"{len(missing)} strings are not in {PO_PATH.relative_to(ROOT)} "
        "(run `python manage.py makemessages -l en --no-obsolete` and translate them, docs/i18n.md):\n"
        + "\n".join(f"  {where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda m: m[1]))
    )


def placeholders(text):
    return sorted(PLACEHOLDER.findall(text))


def test_every_message_has_an_english_translation():
    problems = []
    for entry in catalog():
        where = entry.occurrences[0][0] if entry.occurrences else "?"
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy (check, then remove the flag): {where}: {entry.msgid!r}")
        elif not all(t.strip() for t in texts):
            problems.append(f"untranslated: {where}: {entry.msgid!r}")
        elif any(CJK.search(t) for t in texts):
            problems.append(f"Chinese left in the English: {where}: {entry.msgid!r} -> {texts!r}")
        else:
            wanted = placeholders(entry.msgid)
            plural_wanted = placeholders(entry.msgid_plural) if entry.msgid_plural else wanted
            for index, text in enumerate(texts):
                expected = plural_wanted if index else wanted
                # A singular English form may say "one" instead of the count.
                got = placeholders(text)
                if got != expected and not (entry.msgid_plural and index == 0 and set(got) <= set(expected)):
                    problems.append(f"placeholders {got} should be {expected}: {where}: {entry.msgid!r}")
    assert len(catalog()) > 500, "the catalog is nearly empty"
    assert not problems, f"{len(problems)} problems in {PO_PATH.name}:\n" + "\n".join(problems)


def test_compiled_catalog_says_what_the_po_says():
    """The .mo (built by `manage.py compile_translations`, which make and the test run call)
    is what Django reads; read it back with the standard library, not with polib."""
    mo_path = PO_PATH.with_suffix(".mo")
    assert mo_path.exists(), "run `python manage.py compile_translations`"
    with mo_path.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    differences = []
    for entry in catalog().translated_entries():
        if entry.msgid_plural:
            pairs = [(compiled.ngettext(entry.msgid, entry.msgid_plural, n), entry.msgstr_plural[0 if n == 1 else 1])
                     for n in (1, 2)]
        elif entry.msgctxt:
            pairs = [(compiled.pgettext(entry.msgctxt, entry.msgid), entry.msgstr)]
        else:
            pairs = [(compiled.gettext(entry.msgid), entry.msgstr)]
        differences += [f"{entry.msgid!r}: .mo {got!r}, .po {want!r}" for got, want in pairs if got != want]
    assert not differences, "the .mo is stale; run `python manage.py compile_translations`:\n" + "\n".join(
        differences[:40])


def test_compile_leaves_out_fuzzy_and_empty_entries(tmp_path):
    from credibility.translations import compile_catalog

    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    po.append(polib.POEntry(msgid="满意", msgstr="Satisfied"))
    po.append(polib.POEntry(msgid="不满意", msgstr="Dissatisfied?", flags=["fuzzy"]))
    po.append(polib.POEntry(msgid="不了解", msgstr=""))
    path = tmp_path / "django.po"
    po.save(str(path))
    assert compile_catalog(path) == 1
    with path.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    assert [compiled.gettext(m) for m in ("满意", "不满意", "不了解")] == ["Satisfied", "不满意", "不了解"]


# --- the pages --------------------------------------------------------------------------


class Visible(Links):
    """The text a person sees or hears: text nodes outside script and style, and the
    attributes shown as tooltips, placeholders, button captions and accessible names."""

    SHOWN_ATTRS = ("title", "alt", "placeholder", "aria-label")

    def __init__(self):
        super().__init__()
        self.parts, self.html_lang = [], None
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if tag in ("script", "style", "template"):
            self._hidden += 1
        self.parts += [attrs[a] for a in self.SHOWN_ATTRS if attrs.get(a)]
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        super().handle_endtag(tag)
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        super().handle_data(data)
        if not self._hidden:
            self.parts.append(data)


def demo_data():
    """Every text that users typed or the demo loaded: it stays as it is in any language."""
    texts = set()
    texts.update(Unit.objects.values_list("name", flat=True), Unit.objects.values_list("short_name", flat=True))
    texts.update(UnitGroup.objects.values_list("name", flat=True))
    texts.update(Round.objects.values_list("name", flat=True))
    texts.update(RespondentCategory.objects.values_list("name", flat=True))
    texts.update(Item.objects.values_list("text", flat=True))
    texts.update(Ballot.objects.exclude(opinion="").values_list("opinion", flat=True).distinct())
    texts.update(PaperBatch.objects.values_list("label", flat=True))
    texts.update(CodeBatch.objects.values_list("void_reason", flat=True))
    texts.update(Rectification.objects.values_list("measures", flat=True))
    texts.update(Investigation.objects.values_list("findings", flat=True))
    texts.update(Job.objects.values_list("label", flat=True), Job.objects.values_list("message", flat=True))
    for user in User.objects.all():
        texts.update((user.first_name, user.last_name, user.get_full_name()))
    # Auth groups and permission names are rows too (the roles, the permissions' names).
    texts.update(Group.objects.values_list("name", flat=True), Permission.objects.values_list("name", flat=True))
    # Each language's own name on the switcher (中文 / English).
    texts.update(name for _code, name in settings.LANGUAGES)
    # The audit trail records what happened, in the words recorded at the time.
    for entry in AuditEntry.objects.all():
        texts.update((entry.object_repr, entry.source, str(entry.changes)))
        texts.update(str(v) for v in entry.changes.values())
    return sorted((t for t in texts if t and CJK.search(t)), key=len, reverse=True)


def chinese_left(text, data):
    """The Chinese runs of text once every data string is taken out. A datum is taken out
    whole, its own punctuation with it (“注重实绩、群众公认”); what is left between two data,
    such as the 、 of 领导干部、一般干部, is the interface's and counts."""
    for datum in data:
        if datum in text:
            text = text.replace(datum, " ")
    return CJK.findall(text)


def context_of(text, run, width=30):
    at = text.find(run)
    return " ".join(text[max(0, at - width): at + len(run) + width].split())


def file_texts(response, body):
    """The text cells and sheet names of a spreadsheet download, or a CSV's cells."""
    kind = response.get("Content-Type", "")
    if "spreadsheetml" in kind:
        book = load_workbook(io.BytesIO(body), read_only=True)
        texts = []
        for sheet in book.worksheets:
            texts.append(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                texts += [v for v in row if isinstance(v, str)]
        return texts
    if "csv" in kind:
        return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]
    if "zip" in kind:
        import zipfile

        texts = []
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            for name in archive.namelist():
                texts.append(name)
                book = load_workbook(io.BytesIO(archive.read(name)), read_only=True)
                for sheet in book.worksheets:
                    texts.append(sheet.title)
                    for row in sheet.iter_rows(values_only=True):
                        texts += [v for v in row if isinstance(v, str)]
        return texts
    return []


def in_english(client, *, cookie):
    """Staff choose English with the switcher (its cookie); a phone says so in its headers."""
    if cookie:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    else:
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    return client


class Findings:
    def __init__(self):
        self.data, self.untranslated, self.wrong_lang, self.pages, self.files = demo_data(), {}, [], 0, 0

    def left(self, text):
        runs = chinese_left(text, self.data)
        if runs:  # the crawl itself adds data (audit entries of downloads): look again
            self.data = demo_data()
            runs = chinese_left(text, self.data)
        return runs

    def check_page(self, url, html):
        parser = Visible()
        parser.feed(html)
        self.pages += 1
        if "<html" in html and parser.html_lang != "en":  # a 405 has no document at all
            self.wrong_lang.append(f"{url}: <html lang={parser.html_lang!r}>")
        text = " ".join(" ".join(parser.parts).split())
        for run in self.left(text):
            self.untranslated.setdefault(run, f"{url}: …{context_of(text, run)}…")
        return parser.hrefs

    def check_file(self, url, response, body):
        texts = file_texts(response, body)
        self.files += bool(texts)
        for value in texts:
            for run in self.left(value):
                self.untranslated.setdefault(run, f"{url} (download): {value[:80]}")

    def report(self):
        lines = [f"  {run!r} at {where}" for run, where in sorted(self.untranslated.items(), key=lambda i: i[1])]
        return (f"{len(self.untranslated)} Chinese strings on English pages ({self.pages} pages); wrap them "
                "in gettext / {% translate %} (punctuation: the helpers of credibility/text.py) and add them to "
                "the .po (docs/i18n.md):\n" + "\n".join(lines))


def walk(client, start, findings):
    """The crawl of tests/test_crawl.py, checking every page and download on the way."""
    queue, seen, per_shape, visited = deque(start), set(start), {}, 0
    while queue and visited < MAX_PAGES:
        url = queue.popleft()
        key = shape(url)
        if per_shape.get(key, 0) >= PER_PATTERN:
            continue
        per_shape[key] = per_shape.get(key, 0) + 1
        visited += 1
        found = visit(client, url, findings)
        if found is None:
            per_shape[key] = PER_PATTERN  # a download: once is enough
        for href in found or ():
            target = internal(url, href)
            if target and target not in seen:
                seen.add(target)
                queue.append(target)
    return visited


def visit(client, url, findings):
    """Check one URL; return the links to follow (None for a download)."""
    response = client.get(url)
    if response.status_code in (301, 302, 303, 307, 308):
        return [response["Location"]]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("text/html"):
        return findings.check_page(url, body.decode())
    findings.check_file(url, response, body)
    return None


@pytest.mark.django_db
def test_every_page_and_download_in_english_shows_no_chinese_but_data(demo):
    findings = Findings()
    for role in ROLES:
        client = in_english(signed_in(role), cookie=role is not None)
        start = ["/"] if role else ["/", "/s/", f"/s/?code={demo['code']}"]
        walk(client, start, findings)
        # Every URL pattern too, with real ids: pages the links do not reach (forms, 4xx).
        for name, pattern in patterns():
            for url in urls_for(name, pattern, demo):
                if not url.startswith(("/admin/", "/i18n/", "/accounts/logout/")):
                    visit(client, url, findings)
    assert findings.pages > 100, "the English crawl saw too few pages"
    assert findings.files >= 6, "the English crawl checked too few downloads"
    assert not findings.wrong_lang, "English pages not marked lang=en:\n" + "\n".join(findings.wrong_lang[:20])
    assert not findings.untranslated, findings.report()


@pytest.mark.django_db
def test_the_questionnaire_in_english_when_the_phone_asks_for_it(demo):
    """A respondent's phone set to English gets the whole questionnaire in English, with the
    round's own questions as written; without asking, it stays Chinese."""
    english = in_english(Client(), cookie=False)
    page = english.get(f"/s/?code={demo['code']}", follow=True).content.decode()
    assert '<html lang="en">' in page
    assert "Satisfied" in page and "Submit the ballot" in page and "Overall ratings" in page
    assert "您对本单位（地区）干部选拔任用工作的总体评价" in page  # the question: data, untranslated
    chinese = Client().get(f"/s/?code={demo['code']}", follow=True).content.decode()
    # The blank questions are rendered once per process: per language too, not English for all.
    assert '<html lang="zh-hans">' in chinese and "提交测评票" in chinese and "总体评价" in chinese


@pytest.mark.django_db
def test_a_chinese_page_says_zh_hans_and_the_switcher_names_each_language_in_itself(client):
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert 'lang="zh-hans">中文</button>' in page and 'lang="en">English</button>' in page
    assert "英语" not in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in page and "Staff sign-in" in page
    assert 'lang="zh-hans">中文</button>' in page and 'lang="en">English</button>' in page


def test_a_validation_error_from_a_service_follows_the_language():
    from django.core.exceptions import ValidationError

    from units.models import UnitKind

    with translation.override("en"):
        error = ValidationError(translation.gettext("分组内还有单位，不能删除。"))
        assert error.messages == ["The group still has units and cannot be deleted."]
        assert str(UnitKind.DISTRICT.label).startswith("District/county")
    with translation.override("zh-hans"):
        assert str(UnitKind.DISTRICT.label) == "区县(自治县)"


def test_punctuation_follows_the_language():
    """credibility/text.py and its filters: the Chinese marks in Chinese, byte for byte;
    English marks in English. scoring.py (no Django) joins through the same helper."""
    from django.template import Context, Template

    from credibility import text
    from surveys import scoring

    page = Template('{% load i18n text %}{{ names|series }}|{{ names|series|aside }}|{{ notes|clauses }}|'
                    '{% filter aside %}<a href="#">{{ amp }}</a>{% endfilter %}|'
                    'a{% translate "：" context "colon" %}b{% translate "。" context "full stop" %}')
    context = {"names": ["领导干部", "<一般干部>"], "notes": ["甲", "乙"], "amp": "R&D"}
    with translation.override("zh-hans"):
        assert text.series(["甲", "乙"]) == "甲、乙" and text.phrases("甲乙") == "甲，乙"
        assert text.clauses(["甲", "乙"]) == "甲；乙" and text.aside(0) == "（0）"
        assert text.labelled("单位", "渝中区") == "单位：渝中区" and text.sentence("完") == "完。"
        assert scoring.series(["甲", "乙"]) == "甲、乙"
        assert page.render(Context(context)) == (
            "领导干部、&lt;一般干部&gt;|（领导干部、&lt;一般干部&gt;）|甲；乙|（<a href=\"#\">R&amp;D</a>）|a：b。")
    with translation.override("en"):
        assert text.series(["A", "B"]) == "A, B" and text.phrases("AB") == "A, B"
        assert text.clauses(["A", "B"]) == "A; B" and text.aside(0) == " (0)"
        assert text.labelled("Unit", "X") == "Unit: X" and text.sentence("Done") == "Done."
        assert scoring.series(["A", "B"]) == "A, B"
        assert page.render(Context(context)) == (
            "领导干部, &lt;一般干部&gt;| (领导干部, &lt;一般干部&gt;)|甲; 乙| (<a href=\"#\">R&amp;D</a>)|a: b.")


@pytest.mark.django_db
def test_a_background_job_speaks_the_language_of_the_page_that_started_it():
    """The worker has no request: the job carries its starter's language."""
    from jobs.models import JobStatus
    from jobs.services import job_run

    job = Job.objects.create(kind="test", label="crash", handler="tests.jobs.handlers.crash", language="en")
    with translation.override("zh-hans"):
        job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.message.startswith("The job failed; the unfinished part was not saved.")
    with translation.override("en"):
        from jobs.services import job_start

        started = job_start(kind="test", label="count", handler="tests.jobs.handlers.count_to", params={"n": 1})
    assert started.language == "en"


SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
          ast.GeneratorExp, ast.ClassDef)


def _own_nodes(node):
    """The nodes of one scope, without those of nested functions and comprehensions."""
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, SCOPES):
            yield child
            yield from _own_nodes(child)


def test_no_function_reuses_the_gettext_name():
    """`a, _ = pair` inside a function that also calls `_("…")` makes `_` local to it: the
    call then fails with UnboundLocalError, on the rare path (an error message) tests miss."""
    found = []
    for rel, path in source_files():
        if path.suffix != ".py":
            continue
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            binds = [n.lineno for n in _own_nodes(fn) if isinstance(n, ast.Name) and n.id == "_"
                     and isinstance(n.ctx, ast.Store)]
            calls = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"
                        for n in ast.walk(fn))
            if binds and calls:
                found.append(f"{rel}:{binds[0]} in {fn.name}(): name the unused value, e.g. _unused")
    assert not found, "\n".join(found)
