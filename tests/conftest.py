import os
import shutil

import pytest
from django.db import connection
from django.utils import translation

from tests import factories

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_configure(config):
    """Compile changed translations the way `make test` does, for a plain pytest run;
    tests/test_i18n.py checks that the .mo says what the .po says."""
    from credibility.translations import compile_all

    compile_all(only_stale=True)


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests are not collected on SQLite (not skipped: CI fails on skips)."""
    if connection.vendor == "postgresql":
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("postgres") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped test means a missing service: fail the run instead of passing quietly."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.exitstatus == 0:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(f"CI: {skipped} test(s) skipped; failing the run.", red=True)
    # A connection left open by a test (a thread's, an async context's) keeps the test database
    # from being dropped; pytest-django only warns.
    leaks = [w for w in (reporter.stats.get("warnings", []) if reporter else [])
             if "teardown test databases" in str(getattr(w, "message", ""))]
    if leaks and session.exitstatus == 0:
        session.exitstatus = 1
        reporter.write_line("CI: a test left a database connection open; failing the run.", red=True)


@pytest.fixture(autouse=True)
def _site_language():
    """Every test starts in the site's language. A request leaves its language active in the
    thread (LocaleMiddleware activates it, nothing deactivates it), so a test ending on an
    English page would otherwise make the next test's services speak English."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush every table, including the roles and respondent categories
    that data migrations add; put them back so test order never matters."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or {
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if transactional:
        request.getfixturevalue("transactional_db")
        factories.reference_data()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """A browser test's body runs while Playwright's event loop runs in this thread, so Django
    hands it a connection of its own (per async context), which neither the test's teardown
    nor pytest-django closes: on PostgreSQL the last one outlived the test database, and
    dropping that database failed ("being accessed by other users"). Close it after the body."""
    yield
    if "browser" in item.fixturenames:
        from django.db import connections

        connections.close_all()


@pytest.fixture
def city(db):
    return factories.city()


@pytest.fixture
def browser():
    """Headless Debian Chromium driven by Playwright (no browser download)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()
