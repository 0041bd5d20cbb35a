"""Bahasa Indonesia first: every user-facing string in the code and templates has an Indonesian translation.

The catalogue is regenerated with `cd src/siaga && ../../.venv/bin/siaga makemessages -l id --no-obsolete
--no-location`: without source locations it stays small and does not churn on every edit.
"""

import re
from pathlib import Path

import polib
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "siaga"
PO = SRC / "locale" / "id" / "LC_MESSAGES" / "django.po"

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
    if not PO.exists():
        pytest.fail(f"{PO} is missing")
    catalogue = {e.msgid: e.msgstr for e in polib.pofile(str(PO)) if not e.obsolete and "fuzzy" not in e.flags}
    missing = sorted(f"{where}: {s!r}" for s, where in _strings().items() if not catalogue.get(s))
    assert not missing, "untranslated strings:\n" + "\n".join(missing)
