"""Identity matching for Indonesian volunteers: is this registration a person we already have?

Indonesian names defeat naive comparison: many people have one name only ("Suparman"), the same
name is written with the pre-1972 spelling ("Soeparman", "Djoko", "Tjahjo") or the modern one, is
preceded by honorifics ("H.", "Hj.", "Bpk", "Ibu") and followed by academic titles ("S.Kep",
"Amd.Kep", "Ns."), is shortened to initials ("Suparman S.", "M. Rizki"), and its parts are put in a
different order on different forms. normalize_name() reduces a name to canonical tokens; name_score()
compares two of them with rapidfuzz; score() combines the name with NIK, phone, birth date and home
kelurahan into a 0-100 score with the reasons behind it. A person reviews every match (MatchCandidate):
the score ranks the queue, it never merges on its own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz

# Honorifics and titles written before a name ("H. Suparman", "Hj. Siti", "Bpk Joko", "dr. Ani").
PREFIX_TITLES = frozenset({
    "h", "hj", "haji", "hajah", "hajjah", "kh", "ust", "ustad", "ustadz", "ustadzah", "dr", "drg", "drs", "dra",
    "ir", "prof", "bpk", "bapak", "pak", "ibu", "bu", "ny", "nyonya", "nn", "nona", "tn", "tuan", "sdr", "sdri",
    "saudara", "saudari", "kak", "mbak", "dik", "apt", "ns", "bd", "bdn",
})
# Academic and professional degrees written after a name, with or without a comma ("S.Kep", "A.Md.Kep").
DEGREES = frozenset({
    "skep", "sked", "skm", "sgz", "sfarm", "sfar", "sst", "ssi", "spd", "spdi", "sh", "se", "st", "sip", "ssos",
    "skom", "sag", "sp", "spt", "shut", "stp", "sikom", "sds", "sn", "spsi", "sphil", "sthi", "stat",
    "amd", "amdkep", "amdkeb", "amdkes", "amdgz", "amdfarm", "amk", "amkeb", "ama", "amdak", "amdtra",
    "mkes", "mkep", "mm", "msi", "mt", "mh", "mpd", "mkm", "mph", "mba", "msc", "bsc", "phd", "ma", "mag",
    "ns", "ners", "spa", "spog", "sppd", "spb", "spkj", "spjp", "spm", "spn", "sprad", "spt", "mars", "mmr",
    "bkes", "dr", "drg", "apt", "ak", "cht", "bd", "bdn",
})
# Degrees that cannot be a name part even when written without dots and without a comma ("Ani SKM").
DEGREES_WITHOUT_DOTS = frozenset({
    "skep", "sked", "skm", "sgz", "sfarm", "spd", "spdi", "ssos", "skom", "ssi", "sst", "amd", "amdkep",
    "amdkeb", "amdkes", "amk", "mkes", "mkep", "mkm", "mpd", "msi", "mph", "phd", "bsc", "msc", "mba", "spog",
    "sppd", "spkj", "ners",
})
# Ways of writing (and shortening) Muhammad.
MUHAMMAD = frozenset({"muhammad", "muhamad", "mohammad", "mohamad", "mohamed", "muhamed", "mochammad",
                      "mochamad", "mokhammad", "mokhamad", "muchammad", "muchamad", "moh", "moch", "mohd",
                      "muh", "much", "mhd", "md"})

# Pre-1972 (Van Ophuijsen / Soewandi) spellings and their modern forms, applied in this order.
OLD_SPELLINGS = (("oe", "u"), ("dj", "j"), ("tj", "c"), ("sj", "sy"), ("nj", "ny"), ("ch", "kh"), ("j", "y"),
                 ("dh", "d"))

# A name is "similar" from this name_score on.
NAME_THRESHOLD = 85

REASONS = {
    "nik_equal": _("Same NIK"),
    "nik_differs": _("Different NIK"),
    "phone_equal": _("Same phone number"),
    "name_equal": _("Same name"),
    "name_similar": _("Similar name"),
    "spelling_variant": _("Same name in another spelling"),
    "titles_removed": _("Same name without titles"),
    "mononym": _("Single name contained in the other name"),
    "initials": _("Initials agree with the other name"),
    "name_order": _("Name parts in another order"),
    "birth_date_equal": _("Same date of birth"),
    "same_kelurahan": _("Same home kelurahan"),
}


@dataclass(frozen=True)
class Name:
    """A name reduced for comparison: full tokens (respelled), initials, and what was removed."""

    tokens: tuple[str, ...]
    initials: tuple[str, ...]
    plain: tuple[str, ...]  # full tokens before respelling (to tell a spelling variant from the same spelling)
    titles_removed: bool

    @property
    def key(self) -> str:
        return " ".join(self.tokens + self.initials)


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def respell(token: str) -> str:
    """The modern spelling, canonicalised: old spellings replaced, doubled letters collapsed, final y -> i."""
    for old, new in OLD_SPELLINGS:
        token = token.replace(old, new)
    token = re.sub(r"(.)\1+", r"\1", token)
    token = re.sub(r"(?<=[^aeiou])y$", "i", token)
    return token


def parse_name(raw: str) -> Name:
    """Strip titles and degrees, split initials, respell; the parts of a name that identify the person."""
    text = _ascii(raw or "").replace("'", "").replace("`", "").replace("\u2019", "")
    main, _sep, suffix = text.partition(",")
    removed = bool(suffix.strip())  # everything after the first comma is degrees ("..., S.Kep., Ns.")
    raw_tokens = re.findall(r"[a-z]+(?:\.[a-z]+)*\.?", re.sub(r"[-/_()]", " ", main))
    tokens: list[str] = []
    plain: list[str] = []
    initials: list[str] = []
    seen_name = False
    for tok in raw_tokens:
        bare = tok.replace(".", "")
        inner_dot = "." in tok.rstrip(".")
        if not seen_name and bare in PREFIX_TITLES and (len(raw_tokens) > 1):
            removed = True
            continue
        # After the name: a known degree, or an abbreviation with no vowel ("Ns", "SKM") that no name part is.
        no_vowel = len(bare) >= 2 and not re.search(r"[aeiouy]", bare) and bare not in MUHAMMAD
        if seen_name and ((inner_dot and bare in DEGREES) or bare in DEGREES_WITHOUT_DOTS or no_vowel):
            removed = True
            continue
        if inner_dot:
            # "m.rizki" typed without a space: split into its parts.
            parts = [p for p in tok.split(".") if p]
        else:
            parts = [bare]
        for part in parts:
            seen_name = True
            if len(part) == 1:
                initials.append(part)
            elif part in MUHAMMAD:
                tokens.append("muhammad")
                plain.append(part)
            else:
                tokens.append(respell(part))
                plain.append(part)
    return Name(tuple(tokens), tuple(initials), tuple(plain), removed)


def normalize_name(raw: str) -> str:
    """The canonical form stored in Volunteer.name_key ("H. Soeparman, S.Kep" -> "suparman")."""
    return parse_name(raw).key


@dataclass
class NameMatch:
    score: int  # 0-100
    reasons: list[str] = field(default_factory=list)


def token_similarity(a: str, b: str) -> float:
    """fuzz.ratio of two respelled tokens, stricter for short ones: "Andi" and "Andri" are two people."""
    if a == b:
        return 100.0
    shortest = min(len(a), len(b))
    return max(0.0, fuzz.ratio(a, b) - 4 * max(0, 6 - shortest))


def _pair_tokens(short: tuple[str, ...], long: tuple[str, ...]) -> tuple[list[tuple[int, int, float]], set[int]]:
    """Greedy best pairing of each token of `short` with a distinct token of `long` by fuzz.ratio."""
    pairs = sorted(((token_similarity(a, b), i, j) for i, a in enumerate(short) for j, b in enumerate(long)),
                   reverse=True)
    used_i: set[int] = set()
    used_j: set[int] = set()
    out = []
    for ratio, i, j in pairs:
        if i in used_i or j in used_j:
            continue
        used_i.add(i)
        used_j.add(j)
        out.append((i, j, ratio))
    return out, used_j


def name_score(a: str | Name, b: str | Name) -> NameMatch:
    """How alike two names are (0-100) once titles, spelling, initials and word order are accounted for."""
    na = a if isinstance(a, Name) else parse_name(a)
    nb = b if isinstance(b, Name) else parse_name(b)
    reasons: list[str] = []
    if not na.tokens or not nb.tokens:
        return NameMatch(0, [])
    if na.titles_removed or nb.titles_removed:
        reasons.append("titles_removed")
    if len(na.tokens) <= len(nb.tokens):
        short, long, short_init, long_init = na, nb, na.initials, nb.initials
    else:
        short, long, short_init, long_init = nb, na, nb.initials, na.initials
    pairs, used = _pair_tokens(short.tokens, long.tokens)
    matched = sum(r for _i, _j, r in pairs) / len(short.tokens)
    order_changed = len(pairs) > 1 and [j for _i, j, _r in sorted(pairs)] != sorted(j for _i, j, _r in pairs)
    extra = [t for j, t in enumerate(long.tokens) if j not in used]
    # Initials on either side may stand for the unpaired name parts of the other ("Suparman S." ~ "Suparman Sastro").
    free_initials = list(short_init)
    explained = []
    for t in extra:
        if t[0] in free_initials:
            free_initials.remove(t[0])
            explained.append(t)
    extra = [t for t in extra if t not in explained]
    if explained:
        reasons.append("initials")
    score = matched
    if len(short.tokens) == 1 and (extra or len(long.initials) > len(short.initials)):
        reasons.append("mononym")
    if extra:
        if len(short.tokens) == 1:
            # A single name against a longer one: "Suparman" ~ "Suparman Hadi". Likely, never certain.
            score = matched * 0.9
        else:
            score = matched - 12 * len(extra)
    # Initials that contradict each other ("Suparman S." vs "Suparman B.") or a full name part.
    conflicts = 0
    other_init = list(long_init)
    for ini in free_initials:
        if ini in other_init:
            other_init.remove(ini)
        elif long.initials or extra:
            conflicts += 1
    for ini in other_init:
        if not any(t.startswith(ini) for t in short.tokens) and short.initials:
            conflicts += 1
    score -= 25 * conflicts
    # Parts written together or apart ("Nurhayati" ~ "Nur Hayati").
    joined = fuzz.ratio("".join(na.tokens), "".join(nb.tokens))
    if joined > score and len(na.tokens) != len(nb.tokens) and not conflicts:
        score = joined
        reasons = [r for r in reasons if r != "mononym"]
    elif order_changed and score >= NAME_THRESHOLD:
        reasons.append("name_order")
    score = max(0, min(100, round(score)))
    if score >= NAME_THRESHOLD:
        if na.tokens == nb.tokens and na.initials == nb.initials:
            reasons.append("spelling_variant" if na.plain != nb.plain else "name_equal")
        else:
            if sorted(na.plain) != sorted(nb.plain) and sorted(na.tokens) == sorted(nb.tokens):
                reasons.append("spelling_variant")
            reasons.append("name_similar")
    return NameMatch(score, sorted(set(reasons), key=list(REASONS).index))


@dataclass(frozen=True)
class Identity:
    """What matching knows of a person: from a registration form or a Volunteer row."""

    name: str
    nik_hash: str = ""
    phone: str = ""  # E.164
    birth_date: object = None  # datetime.date
    region_code: str = ""  # home kelurahan

    @classmethod
    def of(cls, volunteer) -> Identity:
        return cls(volunteer.name, volunteer.nik_hash, volunteer.phone, volunteer.birth_date, volunteer.region_code)


@dataclass
class Match:
    score: int
    reasons: list[str]
    likely: bool  # worth a reviewer's look


def score(a: Identity, b: Identity) -> Match:
    """Are these the same person? An equal NIK always is; else phone, or a similar name with birth date or kelurahan."""
    nm = name_score(a.name, b.name)
    reasons = list(nm.reasons)
    nik_equal = bool(a.nik_hash) and a.nik_hash == b.nik_hash
    nik_differs = bool(a.nik_hash and b.nik_hash) and not nik_equal
    phone_equal = bool(a.phone) and a.phone == b.phone
    birth_equal = a.birth_date is not None and a.birth_date == b.birth_date
    same_kel = bool(a.region_code) and a.region_code == b.region_code
    for flag, code in ((nik_equal, "nik_equal"), (nik_differs, "nik_differs"), (phone_equal, "phone_equal"),
                       (birth_equal, "birth_date_equal"), (same_kel, "same_kelurahan")):
        if flag:
            reasons.append(code)
    name_ok = nm.score >= NAME_THRESHOLD
    if nik_equal:
        total = 100
    else:
        total = 0.6 * nm.score + 25 * birth_equal + 10 * same_kel + 30 * phone_equal - 15 * nik_differs
        total = max(0, min(99, round(total)))
    likely = nik_equal or phone_equal or (name_ok and (birth_equal or same_kel))
    order = list(REASONS)
    return Match(int(total), sorted(set(reasons), key=order.index), likely)


def reason_labels(codes) -> list[str]:
    """The reasons in the user's language, for pages and API responses."""
    return [str(REASONS.get(c, c)) for c in codes]
