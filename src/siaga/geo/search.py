"""Typo-tolerant region search by name.

Names are compared as search keys: lower-case ASCII without spaces or punctuation, so
"prajurit kulon" meets "Prajuritkulon". Exact and prefix matches come first (found by binary
search in sorted keys), then fuzzy matches scored by rapidfuzz. Kab/kota names are also indexed
without their "Kabupaten"/"Kota" prefix, so "mojokerto" finds both. The candidate table (all 91k
names) lives in process memory, built lazily and refreshed when regions change (see cache.py).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from .cache import VersionedCache

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Prefixes of kab/kota names (already normalised), longest first so "kotaadm" wins over "kota".
_ADMIN_PREFIXES = ("kabupatenadministrasi", "kotaadministrasi", "kotaadm", "kabupaten", "kota", "kab")
EXACT, PREFIX, FUZZY = 0, 1, 2
MATCH_NAMES = {EXACT: "exact", PREFIX: "prefix", FUZZY: "fuzzy"}
# rapidfuzz ratio (0-100) a fuzzy hit needs: one or two typos in a typical name still pass.
FUZZY_CUTOFF = 75.0
MAX_LIMIT = 100


def normalize(name: str) -> str:
    """Lower-case ASCII without spaces or punctuation: "Prajurit Kulon" and "Prajuritkulon" meet."""
    s = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    return _NON_ALNUM.sub("", s)


def short_key(key: str, level: int) -> str:
    """A kab/kota key without its administrative prefix ("kotamojokerto" -> "mojokerto")."""
    if level == 2:
        for prefix in _ADMIN_PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix):
                return key[len(prefix):]
    return key


@dataclass(frozen=True)
class SearchHit:
    code: str
    name: str
    level: int
    parents: list[str]  # names of the ancestors, nearest first
    score: float
    match: str  # exact, prefix or fuzzy

    @property
    def label(self) -> str:
        """"Prajuritkulon, Prajurit Kulon, Kota Mojokerto, Jawa Timur"."""
        return ", ".join([self.name, *self.parents])


class SearchIndex:
    """All region names of one snapshot of the table, in code order, with sorted keys for prefix search."""

    def __init__(self, rows: list[tuple[str, str, int, str]]):
        rows = sorted(rows)
        self.codes = [r[0] for r in rows]
        self.names = [r[1] for r in rows]
        self.levels = np.array([r[2] for r in rows], dtype=np.int8)
        self.keys = [r[3] or normalize(r[1]) for r in rows]
        self.short = [short_key(k, lv) for k, lv in zip(self.keys, self.levels.tolist())]
        self.position = {code: i for i, code in enumerate(self.codes)}
        # Rows whose short key differs (kab/kota): fuzzy-scored a second time on the short key only.
        self._short_rows = np.array([i for i, (k, s) in enumerate(zip(self.keys, self.short)) if k != s], dtype=np.int64)
        # (key, row) pairs sorted by key: a prefix is one contiguous slice found by bisect.
        pairs = sorted({(k, i) for i, k in enumerate(self.keys)} | {(k, i) for i, k in enumerate(self.short)})
        self._sorted_keys = [k for k, _i in pairs]
        self._sorted_rows = [i for _k, i in pairs]

    def __len__(self):
        return len(self.codes)

    def _within_range(self, within: str) -> tuple[int, int]:
        """Rows whose code is `within` or lies below it: contiguous because codes are sorted."""
        if not within:
            return 0, len(self.codes)
        lo = bisect.bisect_left(self.codes, within)
        hi = bisect.bisect_left(self.codes, within + "/")  # "/" sorts right after "."
        return lo, hi

    def parents_of(self, code: str) -> list[str]:
        parts = code.split(".")
        out = []
        for i in range(len(parts) - 1, 0, -1):
            row = self.position.get(".".join(parts[:i]))
            if row is not None:
                out.append(self.names[row])
        return out

    def search(self, query: str, *, level: int | None = None, within: str = "", limit: int = 20) -> list[SearchHit]:
        qk = normalize(query)
        limit = max(1, min(int(limit), MAX_LIMIT))
        if not qk:
            return []
        lo, hi = self._within_range(within)
        if lo >= hi:
            return []

        def allowed(row: int) -> bool:
            return lo <= row < hi and (level is None or self.levels[row] == level)

        best: dict[int, tuple[int, float]] = {}  # row -> (tier, score)
        start = bisect.bisect_left(self._sorted_keys, qk)
        for pos in range(start, len(self._sorted_keys)):
            key = self._sorted_keys[pos]
            if not key.startswith(qk):
                break
            row = self._sorted_rows[pos]
            if allowed(row):
                tier = EXACT if key == qk else PREFIX
                score = 100.0 if tier == EXACT else 100.0 * len(qk) / len(key)
                if row not in best or (tier, -score) < (best[row][0], -best[row][1]):
                    best[row] = (tier, score)

        rows = np.arange(lo, hi)
        if level is not None:
            rows = rows[self.levels[lo:hi] == level]
        if rows.size:
            whole = rows.size == len(self.keys)
            keys = self.keys if whole else [self.keys[r] for r in rows]
            scores = process.cdist([qk], keys, scorer=fuzz.ratio, dtype=np.float32, workers=1)[0]
            short_rows = self._short_rows[(self._short_rows >= lo) & (self._short_rows < hi)]
            if level is not None:
                short_rows = short_rows[self.levels[short_rows] == level]
            if short_rows.size:
                short_scores = process.cdist([qk], [self.short[r] for r in short_rows], scorer=fuzz.ratio,
                                             dtype=np.float32, workers=1)[0]
                at = np.searchsorted(rows, short_rows)
                scores[at] = np.maximum(scores[at], short_scores)
            good = np.flatnonzero(scores >= FUZZY_CUTOFF)
            # Only the best few fuzzy hits matter once exact and prefix hits are ranked above them.
            if good.size > limit * 4:
                good = good[np.argsort(-scores[good], kind="stable")[: limit * 4]]
            for j in good.tolist():
                row = int(rows[j])
                if row not in best:
                    best[row] = (FUZZY, float(scores[j]))

        # Exact before prefix before fuzzy; then closer score, bigger unit (lower level), code order.
        ranked = sorted(best.items(), key=lambda kv: (kv[1][0], -kv[1][1], int(self.levels[kv[0]]), kv[0]))
        return [
            SearchHit(self.codes[row], self.names[row], int(self.levels[row]), self.parents_of(self.codes[row]),
                      round(score, 1), MATCH_NAMES[tier])
            for row, (tier, score) in ranked[:limit]
        ]


def build_index() -> SearchIndex:
    from .models import Region

    return SearchIndex(list(Region.objects.values_list("code", "name", "level", "search_key")))


_cache: VersionedCache[SearchIndex] = VersionedCache(build_index)


def get_index() -> SearchIndex:
    return _cache.get()


def invalidate() -> None:
    """Drop this process's candidate table; the next search rebuilds it."""
    _cache.invalidate()


def search(query: str, *, level: int | None = None, within: str = "", limit: int = 20) -> list[SearchHit]:
    """Regions whose name matches query despite typos and spacing, best first."""
    return get_index().search(query, level=level, within=within, limit=limit)
