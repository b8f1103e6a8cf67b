"""Work a server process does once, before its first request instead of during it.

A fresh worker imports every view module when the first URL is resolved, builds the tables
`reverse()` reads at the first `{% url %}`, compiles each template the first time it renders,
and reads a translation catalogue the first time a language is used: about 200-300 ms added
to whichever request comes first, and after every worker restart. `warm_up()` does all of that at start-up; `credibility.wsgi` calls it, so
gunicorn's workers are ready before they accept a connection (docs/performance.md).

Nothing here touches the database: a worker forked after start-up must not share a
connection with its parent.
"""

from pathlib import Path

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import get_resolver
from django.utils import translation


def _our_template_dirs(backend):
    """Template folders of the project and its own apps (not Django's or a package's)."""
    base = Path(settings.BASE_DIR).resolve()
    for folder in backend.template_dirs:
        path = Path(folder).resolve()
        if path.is_relative_to(base) and ".venv" not in path.parts:
            yield path


def _populate(resolver):
    """Build the tables `reverse()` reads, of this resolver and of every namespace below it
    (compiling their patterns), as the first `{% url %}` of a page would."""
    resolver.reverse_dict  # noqa: B018 (the property builds the tables)
    for _prefix, namespace in resolver.namespace_dict.values():
        _populate(namespace)


def warm_up():
    """Import every view, compile every template of ours, load every language's catalogue.

    Returns the number of templates compiled (for the benchmark and the test)."""
    resolver = get_resolver()
    resolver.url_patterns  # imports every URLconf and so every view module
    for code, _name in settings.LANGUAGES:  # reverse() tables are built per language
        with translation.override(code):
            _populate(resolver)
    compiled = 0
    for backend in engines.all():
        for folder in _our_template_dirs(backend):
            for path in sorted(folder.rglob("*.html")):
                try:
                    backend.get_template(path.relative_to(folder).as_posix())
                except (TemplateDoesNotExist, TemplateSyntaxError):
                    continue  # a broken template still fails loudly when it is used
                compiled += 1
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("保存")
    return compiled
