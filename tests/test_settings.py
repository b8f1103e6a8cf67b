import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from tests import factories


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "credibility.settings.prod"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env, capture_output=True, text=True,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_debug_is_off_unless_asked(monkeypatch):
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    base = importlib.reload(importlib.import_module("credibility.settings.base"))
    assert base.DEBUG is False
    assert base.LANGUAGE_CODE == "zh-hans"
    assert base.TIME_ZONE == "Asia/Shanghai"


def test_bootstrap_comes_from_a_python_package():
    assert finders.find("vendor/bootstrap/css/bootstrap.min.css")
    assert finders.find("vendor/bootstrap/js/bootstrap.bundle.min.js")


@pytest.mark.django_db
def test_static_files_are_served_by_the_app(client):
    response = client.get("/static/vendor/bootstrap/css/bootstrap.min.css")
    assert response.status_code == 200


@pytest.mark.django_db
def test_home_requires_login_and_shows_the_city(client, city):
    assert client.get("/").status_code == 302
    client.force_login(factories.staff())
    response = client.get("/")
    assert response.status_code == 200
    assert city["round"].name in response.content.decode()


ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {
    "DJANGO_SECRET_KEY": "k3#Qv9!zR2@pL7$wX5^mN8&bT4*cY6(hJ1)fD0_gS-eA+uI=oP~r",
    "SURVEY_CODE_KEY": "a-code-key-for-tests-only",
    "SURVEY_SEAL_KEY": "a-seal-key-for-tests-only",
    "DJANGO_ALLOWED_HOSTS": "cy.example.gov.cn",
}


def run_prod(args, **env):
    """Run Python with the production settings and only the given environment."""
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "credibility.settings.prod",
             **REQUIRED, **env},
    )


def test_check_deploy_is_clean_with_only_the_required_variables():
    result = run_prod(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


PRINT_SECURITY = """
import django; django.setup()
from django.conf import settings as s
for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
             "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER",
             "CSRF_TRUSTED_ORIGINS", "DEBUG"):
    print(name, repr(getattr(s, name)))
print("CONN_HEALTH_CHECKS", s.DATABASES["default"].get("CONN_HEALTH_CHECKS"))
"""


def prod_settings(**env):
    result = run_prod(["-c", PRINT_SECURITY], **env)
    assert result.returncode == 0, result.stderr
    return dict(line.split(" ", 1) for line in result.stdout.splitlines())


def test_production_is_https_only_by_default():
    assert prod_settings() == {
        "SECURE_SSL_REDIRECT": "True", "SESSION_COOKIE_SECURE": "True", "CSRF_COOKIE_SECURE": "True",
        "SECURE_HSTS_SECONDS": "31536000", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
        "SECURE_HSTS_PRELOAD": "True", "SECURE_PROXY_SSL_HEADER": "None", "CSRF_TRUSTED_ORIGINS": "[]",
        "DEBUG": "False", "CONN_HEALTH_CHECKS": "False",  # SQLite: nothing to check
    }


def test_every_https_switch_can_be_turned_off_for_a_plain_http_intranet():
    plain = prod_settings(DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_SECURE_COOKIES="0", DJANGO_HSTS_SECONDS="0",
                          DJANGO_HSTS_INCLUDE_SUBDOMAINS="0", DJANGO_HSTS_PRELOAD="0")
    assert {name: plain[name] for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
                                           "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
                                           "SECURE_HSTS_PRELOAD")} == {
        "SECURE_SSL_REDIRECT": "False", "SESSION_COOKIE_SECURE": "False", "CSRF_COOKIE_SECURE": "False",
        "SECURE_HSTS_SECONDS": "0", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "False", "SECURE_HSTS_PRELOAD": "False",
    }


def test_behind_the_proxy_and_trusted_origins_from_the_environment():
    behind = prod_settings(DJANGO_BEHIND_PROXY="1", DATABASE_URL="postgres://u:p@db.internal/credibility",
                           DJANGO_CSRF_TRUSTED_ORIGINS="https://cy.example.gov.cn,https://cy2.example.gov.cn")
    assert behind["SECURE_PROXY_SSL_HEADER"] == "('HTTP_X_FORWARDED_PROTO', 'https')"
    assert behind["CSRF_TRUSTED_ORIGINS"] == "['https://cy.example.gov.cn', 'https://cy2.example.gov.cn']"
    assert behind["CONN_HEALTH_CHECKS"] == "True"  # a dropped connection is replaced, not a 500


def test_docs_deploy_lists_every_environment_variable_the_settings_read():
    import re

    read = set()
    for module in (ROOT / "credibility" / "settings").glob("*.py"):
        read |= set(re.findall(r"""(?:environ\.get|env_bool|env_list)\(\s*["']([A-Z_]+)["']""",
                               module.read_text()))
    assert {"DJANGO_SECRET_KEY", "SURVEY_CODE_KEY", "DJANGO_BEHIND_PROXY"} <= read
    table = (ROOT / "docs" / "deploy.md").read_text()
    assert not {name for name in read if f"| `{name}` |" not in table}
