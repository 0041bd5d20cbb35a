"""Typo-tolerant region search by name."""

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize(name: str) -> str:
    """Lower-case ASCII without spaces or punctuation: "Prajurit Kulon" and "Prajuritkulon" meet."""
    s = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    return _NON_ALNUM.sub("", s)
