"""Training text: a small markdown-ish format turned into safe HTML (everything escaped, then a few tags added).

    # Section          -> <h2>      ## Sub-section -> <h3>
    - item / * item    -> <ul><li>  1. item        -> <ol><li>
    **bold**           -> <strong>  blank line     -> new paragraph

No links, images or raw HTML: module text comes from authors in many organisations and is shown to everyone.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_OL = re.compile(r"^\d{1,3}[.)]\s+")


def _inline(text: str) -> str:
    return _BOLD.sub(r"<strong>\1</strong>", escape(text))


def sections(body: str) -> list[str]:
    """The section titles ("# ..." lines), for a table of contents."""
    return [line[2:].strip() for line in (body or "").splitlines() if line.startswith("# ")]


def render(body: str) -> SafeString:
    out: list[str] = []
    para: list[str] = []
    list_tag: str | None = None

    def close_para():
        if para:
            out.append("<p>" + "<br>".join(_inline(p) for p in para) + "</p>")
            para.clear()

    def close_list():
        nonlocal list_tag
        if list_tag:
            out.append(f"</{list_tag}>")
            list_tag = None

    for raw in (body or "").replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            close_para()
            close_list()
            continue
        if line.startswith("## ") or line.startswith("# "):
            close_para()
            close_list()
            level = 3 if line.startswith("## ") else 2
            out.append(f"<h{level}>{_inline(line.lstrip('#').strip())}</h{level}>")
            continue
        item_tag = "ul" if line[:2] in ("- ", "* ") else ("ol" if _OL.match(line) else None)
        if item_tag:
            close_para()
            if list_tag != item_tag:
                close_list()
                out.append(f"<{item_tag}>")
                list_tag = item_tag
            text = line[2:] if item_tag == "ul" else _OL.sub("", line, count=1)
            out.append(f"<li>{_inline(text.strip())}</li>")
            continue
        close_list()
        para.append(line)
    close_para()
    close_list()
    return mark_safe("\n".join(out))
