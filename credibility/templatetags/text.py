"""Punctuation that follows the language, in templates (credibility/text.py, docs/i18n.md).

    {% load text %}
    {{ names|series }}        领导干部、一般干部 / 领导干部, 一般干部
    {{ parts|phrases }}       甲，乙 / 甲, 乙
    {{ messages|clauses }}    甲；乙 / 甲; 乙
    {{ kind|aside }}          （区县） / " (District)"
    {% filter aside %}<a href="…">{% translate "去完成" %}</a>{% endfilter %}

A single mark between template values is the same message: `{% translate "：" context "colon" %}`,
`{% translate "、" context "list separator" %}`, `{% translate "。" context "full stop" %}` …
Each item is escaped (unless it is already safe), as with `|join`.
"""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from credibility import text

register = template.Library()


def _joined(separator, items, autoescape):
    if not autoescape:
        return separator.join(str(item) for item in items)
    return mark_safe(conditional_escape(separator).join(conditional_escape(item) for item in items))


@register.filter(needs_autoescape=True)
def series(items, autoescape=True):
    return _joined(text.list_separator(), items, autoescape)


@register.filter(needs_autoescape=True)
def phrases(items, autoescape=True):
    return _joined(text.phrase_separator(), items, autoescape)


@register.filter(needs_autoescape=True)
def clauses(items, autoescape=True):
    return _joined(text.clause_separator(), items, autoescape)


@register.filter(needs_autoescape=True)
def aside(value, autoescape=True):
    if not autoescape:
        return text.aside(value)
    # The marks around it are punctuation from the catalog, no markup.
    return mark_safe(text.aside(conditional_escape(value)))
