"""Fixtures for page tests: a branch with a child and a stranger organisation, and markup checks."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils.translation.reloader import translation_file_changed

PASSWORD = "Rahasia-Siaga-2026"


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogues():
    """Compile .po -> .mo (they are git-ignored) so Indonesian pages render before `make messages`."""
    call_command("compile_translations", verbosity=0)
    # A catalogue loaded before compiling would stay stale for the session: reset it as the autoreloader does.
    translation_file_changed(sender=None, file_path=Path("django.mo"))


@pytest.fixture
def orgs(regions, make_org):
    """Kota Mojokerto branch with a puskesmas below it, and an unrelated Kabupaten Mojokerto branch."""
    mine = make_org(kind="pmi_branch", region_code="35.76", name="PMI Kota Mojokerto")
    child = make_org(kind="puskesmas", region_code="35.76.01", parent=mine, name="Puskesmas Prajurit Kulon")
    theirs = make_org(kind="pmi_branch", region_code="35.16", name="PMI Kabupaten Mojokerto")
    return {"mine": mine, "child": child, "theirs": theirs}


class _Markup(HTMLParser):
    """Collects what a strict Content-Security-Policy would refuse: inline scripts, handlers, styles."""

    def __init__(self):
        super().__init__()
        self.inline_scripts: list[str] = []
        self.handlers: list[str] = []
        self.style_attrs: list[str] = []
        self.viewport = None
        self.html_lang = None
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name, _value in attrs:
            if name.lower().startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
            if name.lower() == "style":
                self.style_attrs.append(f"<{tag} style>")
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "meta" and a.get("name") == "viewport":
            self.viewport = a.get("content")
        if tag == "script" and not a.get("src") and a.get("type") != "application/json":
            self.inline_scripts.append(str(a))


def parse_markup(html: str) -> _Markup:
    parser = _Markup()
    parser.feed(html)
    return parser


@pytest.fixture
def markup():
    return parse_markup
