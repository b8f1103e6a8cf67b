"""A server process loads views, templates and catalogues before its first request."""

from pathlib import Path

from django.conf import settings
from django.template import engines

from credibility import warmup


def _our_templates():
    found = set()
    for backend in engines.all():
        for folder in warmup._our_template_dirs(backend):
            found |= {p.relative_to(folder).as_posix() for p in folder.rglob("*.html")}
    return found


def test_warm_up_compiles_every_template_of_ours_into_the_cache(django_db_blocker):
    backend = engines["django"]
    loader = backend.engine.template_loaders[0]
    assert loader.__class__.__name__ == "Loader" and hasattr(loader, "get_template_cache")
    loader.reset()
    with django_db_blocker.block():  # and reads nothing from the database
        compiled = warmup.warm_up()
    ours = _our_templates()
    assert compiled == len(ours) > 50
    cached = set(loader.get_template_cache)
    assert ours <= cached
    assert "admin/base.html" not in cached  # Django's own are left for when they are used


def test_the_wsgi_module_warms_the_worker_up(monkeypatch):
    import importlib
    import sys

    called = []
    monkeypatch.setattr(warmup, "warm_up", lambda: called.append(1) or 0)
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE)
    sys.modules.pop("credibility.wsgi", None)
    module = importlib.import_module("credibility.wsgi")
    assert called == [1] and callable(module.application)


def test_only_the_projects_template_folders_are_ours():
    base = Path(settings.BASE_DIR).resolve()
    folders = [f for b in engines.all() for f in warmup._our_template_dirs(b)]
    assert folders and all(f.is_relative_to(base) for f in folders)


def test_warm_up_builds_the_url_tables_of_every_namespace_in_every_language():
    from django.urls import get_resolver
    from django.utils import translation

    resolver = get_resolver()
    resolver._reverse_dict.clear()
    for _prefix, namespace in resolver.namespace_dict.values():
        namespace._reverse_dict.clear()
    warmup.warm_up()
    languages = {code for code, _name in settings.LANGUAGES}
    assert languages <= set(resolver._reverse_dict)
    namespaces = [ns for _prefix, ns in resolver.namespace_dict.values()]
    assert namespaces and all(languages <= set(ns._reverse_dict) for ns in namespaces)
    with translation.override("en"):
        assert resolver.reverse_dict  # already there, nothing left to build
