"""The project's message catalogs: compiled from locale/*/LC_MESSAGES/*.po with polib.

Django's `compilemessages` needs GNU gettext's msgfmt, which a fresh machine lacks; polib is
a pure-Python wheel. Only translated entries go into the .mo: a fuzzy or empty msgstr stays
out, so the page shows the Chinese source instead of a wrong or blank text (and
tests/test_i18n.py fails on it).
"""

from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def catalogs(locale_dir=LOCALE_DIR):
    """Every .po file under locale_dir."""
    return sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po"))


def stale(locale_dir=LOCALE_DIR):
    """The .po files whose .mo is missing or older than the .po."""
    out = []
    for po in catalogs(locale_dir):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            out.append(po)
    return out


def compile_catalog(po_path):
    """Write po_path's .mo beside it; return the number of translated messages."""
    po = polib.pofile(str(po_path))
    mo_path = Path(po_path).with_suffix(".mo")
    tmp = mo_path.with_suffix(".mo.tmp")
    po.save_as_mofile(str(tmp))
    tmp.replace(mo_path)  # a running server never reads half a file
    return len(po.translated_entries())


def compile_all(locale_dir=LOCALE_DIR, only_stale=False):
    """Compile every catalog (or only the stale ones); return [(po path, messages)]."""
    todo = stale(locale_dir) if only_stale else catalogs(locale_dir)
    return [(po, compile_catalog(po)) for po in todo]
