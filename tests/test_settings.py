import importlib
import subprocess
import sys

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
