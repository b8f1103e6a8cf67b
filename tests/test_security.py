"""Security headers and sessions: a strict CSP with no inline code, short staff sessions."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session

from tests import factories

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*[^<\s]", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)


def csp_of(response):
    return dict(
        (part.split(" ", 1) + [""])[:2]
        for part in (p.strip() for p in response["Content-Security-Policy"].split(";")) if part
    )


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/s/"])
def test_pages_carry_a_csp_without_inline_script_or_style(client, url):
    policy = csp_of(client.get(url))
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["default-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in " ".join(policy.values())


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_holds_inline_script_handlers_or_style_attributes(path):
    text = path.read_text()
    assert not INLINE_SCRIPT.search(text), "move the script to static/js/"
    assert not INLINE_HANDLER.search(text), "attach the handler from a static/js/ file"
    assert not STYLE_ATTRIBUTE.search(text), "use a class in static/css/"


def test_the_template_check_catches_what_it_should():
    assert INLINE_SCRIPT.search('<script>alert(1)</script>')
    assert not INLINE_SCRIPT.search('<script src="/static/js/a.js"></script>')
    assert INLINE_HANDLER.search('<button type="button" onclick="x()">')
    assert STYLE_ATTRIBUTE.search('<div class="a" style="width:1em">')
    assert not STYLE_ATTRIBUTE.search('<div class="a" data-style="x">')


def test_staff_sessions_end_after_a_working_day_and_at_browser_close():
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert 8 * 3600 <= settings.SESSION_COOKIE_AGE <= 10 * 3600


@pytest.mark.django_db
def test_the_session_cookie_dies_with_the_browser_and_the_session_within_a_day(client):
    factories.staff(username="wang")
    response = client.post("/accounts/login/", {"username": "wang", "password": "pw-for-tests-1"})
    cookie = response.cookies["sessionid"]
    assert not cookie["expires"] and not cookie["max-age"]
    assert client.session.get_expiry_age() <= 10 * 3600


@pytest.mark.django_db
def test_respondent_pages_use_no_session(client):
    for url in ("/s/", "/s/?code=ABCD-EFGH-JKMN"):
        response = client.get(url)
        assert "sessionid" not in response.cookies
    assert not Session.objects.exists()
