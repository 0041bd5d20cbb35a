"""Bahasa Indonesia first: every user-facing string in the code and templates has an Indonesian translation.

Each capability has its own catalogue (src/siaga/<app>/locale/id/LC_MESSAGES/django.po, plus the project-wide
src/siaga/locale for the package's root modules). They are regenerated together with
`cd src/siaga && ../../.venv/bin/siaga makemessages -l id --no-obsolete --no-location`, which files each string
into the nearest catalogue; without source locations they stay small and do not churn on every edit.
"""

import re
from pathlib import Path

import polib
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "siaga"
CATALOGUES = sorted(SRC.rglob("locale/id/LC_MESSAGES/django.po"))

_PY = re.compile(r"""\b(?:_|gettext|gettext_lazy|pgettext)\(\s*(?P<q>["'])(?P<s>(?:\\.|(?!(?P=q)).)+)(?P=q)\s*[,)]""")
_TPL = re.compile(r"""\{%\s*(?:translate|trans)\s+(?P<q>["'])(?P<s>.+?)(?P=q)""")


def _strings():
    found = {}
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for m in _PY.finditer(path.read_text(encoding="utf-8")):
            text = m.group("s")
            if "\\" in text:  # a Python escape such as \n or \u2026, not a literal non-ASCII character
                text = text.encode("latin-1", "backslashreplace").decode("unicode_escape")
            found.setdefault(text, str(path.relative_to(SRC)))
    for path in SRC.rglob("templates/**/*.html"):
        for m in _TPL.finditer(path.read_text(encoding="utf-8")):
            # makemessages stores a template string's "%" doubled, as it becomes a format string.
            text = m.group("s")
            found.setdefault(text.replace("%", "%%") if "%" in text else text, str(path.relative_to(SRC)))
    return found


def test_every_user_facing_string_has_an_indonesian_translation():
    if len(CATALOGUES) < 2:
        pytest.fail(f"the per-app catalogues under {SRC} are missing")
    catalogue = {e.msgid: e.msgstr for po in CATALOGUES for e in polib.pofile(str(po))
                 if not e.obsolete and "fuzzy" not in e.flags and e.msgstr}
    missing = sorted(f"{where}: {s!r}" for s, where in _strings().items() if not catalogue.get(s))
    assert not missing, "untranslated strings:\n" + "\n".join(missing)


def test_each_catalogue_stays_small_and_complete():
    """One catalogue per capability: a file any reviewer can read, none fuzzy or untranslated."""
    for po in CATALOGUES:
        entries = polib.pofile(str(po))
        assert po.stat().st_size < 200_000, po
        assert not [e.msgid for e in entries if "fuzzy" in e.flags or not e.translated()], po


def test_no_other_catalogue_overrides_ours():
    """Django merges catalogues by app order: a string Django's own apps also translate ('Password' ->
    'Sandi') must still read the way our catalogue says wherever it is shown."""
    from django.utils import translation

    shadowed = []
    with translation.override("id"):
        for po in CATALOGUES:
            for e in polib.pofile(str(po)):
                if e.obsolete or e.msgid_plural or not e.msgstr:
                    continue
                got = translation.pgettext(e.msgctxt, e.msgid) if e.msgctxt else translation.gettext(e.msgid)
                if got != e.msgstr:
                    shadowed.append(f"{po.relative_to(SRC)}: {e.msgid!r} reads {got!r}, not {e.msgstr!r}")
    assert not shadowed, "\n".join(shadowed)
