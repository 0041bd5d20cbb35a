"""Every string the web shell shows has an Indonesian translation, since Indonesian is what users see first."""

import ast
import re
from pathlib import Path

import polib
from django.utils.translation.template import templatize

WEB = Path(__file__).resolve().parents[2] / "src" / "siaga" / "web"
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy"}


def _template_msgids():
    ids = set()
    for path in (WEB / "templates").rglob("*.html"):
        code = templatize(path.read_text(), origin=str(path))
        # templatize writes each string as a gettext('...')/ngettext('...','...',n) call.
        tree = ast.parse(_only_calls(code))
        ids |= _call_msgids(tree)
    return ids


def _only_calls(code):
    calls = re.findall(r"\b(?:n|p|np)?gettext\((?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[\s,a-z_0-9])*\)", code)
    return "\n".join(calls)


def _call_msgids(tree):
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT_NAMES:
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                ids.add(node.args[0].value)
    return ids


def _python_msgids():
    ids = set()
    for path in WEB.glob("*.py"):
        ids |= _call_msgids(ast.parse(path.read_text()))
    return ids


def test_every_web_string_is_translated_to_indonesian():
    po_path = WEB / "locale" / "id" / "LC_MESSAGES" / "django.po"
    catalogue = {e.msgid: e for e in polib.pofile(str(po_path)) if e.translated()}
    wanted = _template_msgids() | _python_msgids()
    assert len(wanted) > 50
    missing = sorted(m for m in wanted if m.replace("%%", "%") not in catalogue and m not in catalogue)
    assert missing == []
