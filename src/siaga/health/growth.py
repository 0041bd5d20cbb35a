"""WHO 2006 Child Growth Standards z-scores (LMS method) and their Permenkes 2/2020 classification, vectorised.

The LMS tables are read from settings.DATA_DIR / "growth/who2006" (the WHO tables as shipped with the
MIT `anthro` package); they are never copied into the repository. The rules follow WHO's own method
(WHO Multicentre Growth Reference Study Group 2006, chapter 7) as implemented by WHO Anthro:

- age counts in whole days (half up); z-scores up to 60 completed months (1856 days, as WHO Anthro);
- length (lying) is the reference below 731 days, height (standing) from 731 days: a height taken
  standing before 731 days gets +0.7 cm, a length taken lying from 731 days gets -0.7 cm; a standing
  height before 9 months is implausible and its position is ignored;
- weight-for-length (45-110 cm) below 731 days, weight-for-height (65-120 cm) from 731 days, with the
  L, M and S interpolated linearly between the 0.1 cm rows of the table;
- for the weight-based indicators (weight-for-age, weight-for-length/height, BMI-for-age) z beyond
  +/-3 is not read off the LMS curve but extrapolated linearly from the distance between the 2 and
  3 SD curves ("restricted application of the LMS", WHO's sd23 adjustment); length/height-for-age
  has L = 1, so the curve is already linear;
- with oedema, weight-based z-scores are not computed;
- implausible values are flagged with WHO's limits: |zlen| > 6, zwei < -6 or > 5, |zwfl| > 5, |zbmi| > 5.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils.translation import gettext_lazy as _

DAYS_PER_MONTH = 30.4375  # WHO's constant between days and months
LENGTH_REFERENCE_MAX_DAYS = 731  # below this, lying length; from this, standing height
LYING_STANDING_DIFF_CM = 0.7
STANDING_BEFORE_MONTHS = 9  # a standing height below this age is implausible (WHO Anthro's c9mo flag)
MAX_AGE_DAYS = 1856  # WHO Anthro computes up to 60 completed months (1856 days)
# The stored daily tables stop at 1826 days (60.0 months); WHO's original tables run to 1856 days.
# L, M and S are near-linear at that age, so the last 30 days are extended linearly to 1856 days;
# the WHO Anthro reference output for children aged 1832-1852 days agrees within 0.01.
EXTEND_FIT_DAYS = 30

WFL_RANGE_CM = (45.0, 110.0)
WFH_RANGE_CM = (65.0, 120.0)

# WHO's flag limits for implausible z-scores (low, high).
FLAG_LIMITS = {
    "lhfa": (-6.0, 6.0),
    "wfa": (-6.0, 5.0),
    "wflh": (-5.0, 5.0),
    "bmi": (-5.0, 5.0),
}

INDICATORS = ("wfa", "lhfa", "wflh", "bmi")

LYING, STANDING = "l", "h"
MALE, FEMALE = 1, 2


def _table_dir() -> Path:
    return Path(settings.DATA_DIR) / "growth" / "who2006"


@dataclass(frozen=True)
class _LMS:
    """L, M, S arrays of shape (2, n): row 0 boys, row 1 girls; index = (x - start) / step."""

    start: float
    step: float
    l: np.ndarray  # noqa: E741 - L is the name in the LMS method
    m: np.ndarray
    s: np.ndarray

    @property
    def size(self) -> int:
        return self.l.shape[1]

    @cached_property
    def stacked(self) -> np.ndarray:
        """(2 * size, 3) array of L, M, S rows: boys then girls, for one gather per lookup."""
        return np.ascontiguousarray(np.stack([self.l.ravel(), self.m.ravel(), self.s.ravel()], axis=1))


def _read_table(name: str, step: float) -> _LMS:
    with open(_table_dir() / f"{name}.json", encoding="utf-8") as fh:
        raw = json.load(fh)
    arrays = {}
    start = None
    for key in ("l", "m", "s"):
        rows = []
        for sex in ("M", "F"):
            index = np.asarray(raw[sex]["i"], dtype=float)
            expected = index[0] + step * np.arange(len(index))
            if not np.allclose(index, expected, atol=1e-6):
                raise ValueError(f"{name}: {sex} rows are not evenly spaced by {step}")
            if start is None:
                start = float(index[0])
            elif abs(start - index[0]) > 1e-9:
                raise ValueError(f"{name}: boys and girls tables start at different points")
            rows.append(np.asarray(raw[sex][key], dtype=float))
        if len(rows[0]) != len(rows[1]):
            raise ValueError(f"{name}: boys and girls tables differ in length")
        arrays[key] = np.vstack(rows)
    return _LMS(start=start, step=step, l=arrays["l"], m=arrays["m"], s=arrays["s"])


def _extend_by_age(table: _LMS, last_day: int) -> _LMS:
    """The age table continued linearly to last_day (see MAX_AGE_DAYS)."""
    last = int(round(table.start + table.size - 1))
    extra = last_day - last
    if extra <= 0:
        return table
    steps = np.arange(1, extra + 1)
    arrays = []
    for arr in (table.l, table.m, table.s):
        slope = (arr[:, -1] - arr[:, -1 - EXTEND_FIT_DAYS]) / EXTEND_FIT_DAYS
        arrays.append(np.hstack([arr, arr[:, -1:] + slope[:, None] * steps[None, :]]))
    return _LMS(start=table.start, step=table.step, l=arrays[0], m=arrays[1], s=arrays[2])


@lru_cache(maxsize=1)
def tables() -> dict[str, _LMS]:
    """The LMS tables, read once per process."""
    return {
        "wfa": _extend_by_age(_read_table("day_wfa", 1.0), MAX_AGE_DAYS),
        "lhfa": _extend_by_age(_read_table("day_lhfa", 1.0), MAX_AGE_DAYS),
        "bmi": _extend_by_age(_read_table("day_bmi", 1.0), MAX_AGE_DAYS),
        "wfl": _read_table("day_wfl", 0.1),
        "wfh": _read_table("day_wfh", 0.1),
    }


# --- the LMS transformation --------------------------------------------------------------------


def lms_z(y, l, m, s):  # noqa: E741
    """Plain LMS z-score: ((y/M)^L - 1) / (S L)."""
    y, l, m, s = (np.asarray(a, dtype=float) for a in (y, l, m, s))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.power(y / m, l) - 1.0) / (s * l)


def lms_value(z, l, m, s):  # noqa: E741
    """The measurement at z on the LMS curve: M (1 + L S z)^(1/L)."""
    z, l, m, s = (np.asarray(a, dtype=float) for a in (z, l, m, s))
    with np.errstate(invalid="ignore", divide="ignore"):
        return m * np.power(1.0 + l * s * z, 1.0 / l)


def lms_z_restricted(y, l, m, s):  # noqa: E741
    """LMS z-score with WHO's restricted application beyond +/-3 SD (the sd23 adjustment)."""
    y, l, m, s = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (y, l, m, s)))  # noqa: E741
    z = np.array(lms_z(y, l, m, s), dtype=float, ndmin=1)
    with np.errstate(invalid="ignore"):
        high = np.flatnonzero(z > 3.0)
        low = np.flatnonzero(z < -3.0)
    # Only the few children beyond +/-3 SD need the 2 and 3 SD curves.
    y1, l1, m1, s1 = (np.atleast_1d(a) for a in (y, l, m, s))
    if high.size:
        yy, ll, mm, ss = y1[high], l1[high], m1[high], s1[high]
        sd3 = lms_value(3.0, ll, mm, ss)
        z[high] = 3.0 + (yy - sd3) / (sd3 - lms_value(2.0, ll, mm, ss))
    if low.size:
        yy, ll, mm, ss = y1[low], l1[low], m1[low], s1[low]
        sd3 = lms_value(-3.0, ll, mm, ss)
        z[low] = -3.0 + (yy - sd3) / (lms_value(-2.0, ll, mm, ss) - sd3)
    return z if np.ndim(y) else z[0]


# --- input cleaning ------------------------------------------------------------------------------


def round_half_up(x):
    """Round to the nearest integer, halves away from zero for positives (WHO's rounding of age)."""
    return np.floor(np.asarray(x, dtype=float) + 0.5)


def _sex_array(sex, n: int) -> np.ndarray:
    """1 for boys, 2 for girls, 0 unknown; accepts 1/2, "M"/"F", "L"/"P" (laki-laki/perempuan)."""
    arr = np.asarray(sex)
    if arr.ndim == 0:
        arr = np.full(n, arr.item(), dtype=arr.dtype if arr.dtype != object else object)
    if arr.dtype.kind in "iuf":
        num = np.nan_to_num(arr.astype(float), nan=0.0)
        return np.where(num == MALE, MALE, np.where(num == FEMALE, FEMALE, 0)).astype(np.int8)
    keys = np.char.upper(np.char.strip(np.array([_sex_key(v) for v in arr] if arr.dtype == object else arr,
                                                dtype=str)))
    boys = np.isin(keys, ("1", "M", "L", "MALE"))
    girls = np.isin(keys, ("2", "F", "P", "FEMALE"))
    return np.where(boys, MALE, np.where(girls, FEMALE, 0)).astype(np.int8)


def _sex_key(v) -> str:
    if v is None or isinstance(v, bool):
        return ""
    if isinstance(v, (int, float, np.integer, np.floating)):
        return str(int(v)) if v == v and float(v).is_integer() else ""
    return str(v)


def _measure_array(measure, n: int) -> np.ndarray:
    """"l" lying, "h" standing, "" unknown."""
    if measure is None:
        return np.full(n, "", dtype="<U1")
    arr = np.asarray(measure)
    if arr.ndim == 0:
        arr = np.full(n, arr.item(), dtype=object)
    if arr.dtype == object:
        arr = np.array(["" if v is None else str(v) for v in arr], dtype=str)
    arr = arr.astype(str)
    if arr.dtype.itemsize > np.dtype("<U1").itemsize:
        arr = np.char.strip(arr)
    lying = (arr == "l") | (arr == "L")
    standing = (arr == "h") | (arr == "H")
    return np.where(lying, LYING, np.where(standing, STANDING, "")).astype("<U1")


def _float_array(x, n: int) -> np.ndarray:
    if x is None:
        return np.full(n, np.nan)
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    return arr


def _length_of(*args) -> int:
    n = 1
    for a in args:
        if a is not None and np.ndim(a) > 0:
            n = max(n, len(a))
    return n


def adjust_length_height(age_days, measure, length_height_cm):
    """Length below 731 days, height from 731 days: +/-0.7 cm when measured in the other position."""
    age = round_half_up(age_days)
    lh = np.asarray(length_height_cm, dtype=float)
    measure = np.asarray(measure)
    known = ~np.isnan(age)
    lh = np.where(known & (age < LENGTH_REFERENCE_MAX_DAYS) & (measure == STANDING), lh + LYING_STANDING_DIFF_CM, lh)
    lh = np.where(known & (age >= LENGTH_REFERENCE_MAX_DAYS) & (measure == LYING), lh - LYING_STANDING_DIFF_CM, lh)
    return lh


# --- lookups ------------------------------------------------------------------------------------


def _by_age(table: _LMS, sex: np.ndarray, age_days: np.ndarray):
    """L, M, S for each (sex, whole-day age); NaN where out of the table or sex unknown."""
    idx = age_days - table.start
    with np.errstate(invalid="ignore"):
        ok = (sex > 0) & (idx >= 0) & (idx < table.size)
    flat = np.where(ok, (sex.astype(np.int64) - 1) * table.size + np.nan_to_num(idx).astype(np.int64), 0)
    lms = table.stacked[flat]
    lms[~ok] = np.nan
    return lms[:, 0], lms[:, 1], lms[:, 2]


@lru_cache(maxsize=1)
def _lenhei_stack() -> np.ndarray:
    """Weight-for-length then weight-for-height rows in one (rows, 3) array, so a child needs one gather."""
    t = tables()
    return np.ascontiguousarray(np.vstack([t["wfl"].stacked, t["wfh"].stacked]))


def _by_lenhei(sex: np.ndarray, lh_cm: np.ndarray, on_length: np.ndarray):
    """L, M, S interpolated between the 0.1 cm rows of weight-for-length (on_length) or weight-for-height."""
    t = tables()
    wfl, wfh = t["wfl"], t["wfh"]
    start10 = np.where(on_length, round(wfl.start * 10), round(wfh.start * 10))
    size = np.where(on_length, wfl.size, wfh.size)
    offset = np.where(on_length, 0, 2 * wfl.size)
    x10 = lh_cm * 10.0
    with np.errstate(invalid="ignore"):
        ok = (sex > 0) & (x10 >= start10 - 1e-6) & (x10 <= start10 + (size - 1) + 1e-6)
    x10 = np.where(ok, x10, start10)
    # WHO truncates to the 0.1 cm row below and interpolates towards the next one.
    low = np.trunc(x10)
    frac = x10 - low
    col = np.clip(low.astype(np.int64) - start10, 0, size - 1)
    base = offset + (np.where(ok, sex, 1).astype(np.int64) - 1) * size
    stack = _lenhei_stack()
    a = stack[base + col]
    b = stack[base + np.minimum(col + 1, size - 1)]
    out = []
    for k in range(3):
        v = a[:, k] + frac * (b[:, k] - a[:, k])
        out.append(np.where(ok, v, np.nan))
    return out[0], out[1], out[2]


# --- the public computation -------------------------------------------------------------------


def compute(sex, age_days, weight_kg=None, length_height_cm=None, measure=None, oedema=None) -> dict[str, np.ndarray]:
    """Z-scores and WHO flags for many children at once (arrays or scalars, broadcast to one length).

    sex: 1/"M"/"L" boys, 2/"F"/"P" girls. age_days: exact age in days (rounded half up here).
    measure: "l" lying or "h" standing per child (or None: assumed right for the age).
    Returns arrays: clenhei (cm after position adjustment), cbmi, zlen, zwei, zwfl, zbmi (NaN where
    not computable) and flen, fwei, fwfl, fbmi (True when WHO would flag the value implausible).
    """
    n = _length_of(sex, age_days, weight_kg, length_height_cm, measure, oedema)
    sx = _sex_array(sex, n)
    age_raw = _float_array(age_days, n)
    age_raw = np.where(age_raw < 0, np.nan, age_raw)
    age = round_half_up(age_raw)
    age_months = age_raw / DAYS_PER_MONTH
    weight = _float_array(weight_kg, n)
    weight = np.where(weight > 0, weight, np.nan)
    lh = _float_array(length_height_cm, n)
    lh = np.where(lh > 0, lh, np.nan)
    ms = _measure_array(measure, n)
    oed = np.zeros(n, dtype=bool) if oedema is None else np.broadcast_to(np.asarray(oedema, dtype=bool), (n,)).copy()

    # A standing height before 9 months is implausible: WHO drops the stated position.
    standing_too_young = (ms == STANDING) & (age_months < STANDING_BEFORE_MONTHS)
    ms = np.where(standing_too_young, "", ms)

    clenhei = adjust_length_height(age, ms, lh)
    with np.errstate(invalid="ignore", divide="ignore"):
        cbmi = weight / np.square(clenhei / 100.0)

    t = tables()
    age_ok = ~np.isnan(age) & (age <= MAX_AGE_DAYS)

    l, m, s = _by_age(t["lhfa"], sx, age)
    zlen = np.where(age_ok, lms_z(clenhei, l, m, s), np.nan)

    l, m, s = _by_age(t["wfa"], sx, age)
    zwei = np.where(age_ok & ~oed, lms_z_restricted(weight, l, m, s), np.nan)

    l, m, s = _by_age(t["bmi"], sx, age)
    zbmi = np.where(age_ok & ~oed, lms_z_restricted(cbmi, l, m, s), np.nan)

    # Weight-for-length below 731 days, weight-for-height from 731 days; without an age, by the
    # stated position, else by size (< 87 cm lying).
    known_age = ~np.isnan(age)
    on_length = np.where(known_age, age < LENGTH_REFERENCE_MAX_DAYS,
                         np.where(ms == LYING, True, np.where(ms == STANDING, False, clenhei < 87)))
    l, m, s = _by_lenhei(sx, clenhei, on_length)  # noqa: E741
    valid_wfl = ~oed & (~known_age | (age <= MAX_AGE_DAYS))
    zwfl = np.where(valid_wfl, lms_z_restricted(weight, l, m, s), np.nan)

    out = {"clenhei": clenhei, "cbmi": cbmi, "zlen": zlen, "zwei": zwei, "zwfl": zwfl, "zbmi": zbmi,
           "c9mo_flag": standing_too_young}
    for zname, fname, ind in (("zlen", "flen", "lhfa"), ("zwei", "fwei", "wfa"), ("zwfl", "fwfl", "wflh"),
                              ("zbmi", "fbmi", "bmi")):
        lo, hi = FLAG_LIMITS[ind]
        zr = np.round(out[zname], 2)
        with np.errstate(invalid="ignore"):
            out[fname] = (zr < lo) | (zr > hi)
    return out


# --- Permenkes 2/2020 classification -----------------------------------------------------------

# Category codes, in order from low to high, with the Permenkes 2/2020 names in the labels.
WFA_CATEGORIES = {
    "severely_underweight": _("Severely underweight (berat badan sangat kurang)"),
    "underweight": _("Underweight (berat badan kurang)"),
    "normal": _("Normal weight (berat badan normal)"),
    "risk_of_overweight": _("Risk of overweight (risiko berat badan lebih)"),
}
LHFA_CATEGORIES = {
    "severely_stunted": _("Severely stunted (sangat pendek)"),
    "stunted": _("Stunted (pendek)"),
    "normal": _("Normal height (normal)"),
    "tall": _("Tall (tinggi)"),
}
WFLH_CATEGORIES = {
    "severely_wasted": _("Severely wasted (gizi buruk)"),
    "wasted": _("Wasted (gizi kurang)"),
    "normal": _("Normal (gizi baik)"),
    "possible_risk_of_overweight": _("Possible risk of overweight (berisiko gizi lebih)"),
    "overweight": _("Overweight (gizi lebih)"),
    "obese": _("Obese (obesitas)"),
}
BMI_CATEGORIES = WFLH_CATEGORIES

CATEGORIES = {"wfa": WFA_CATEGORIES, "lhfa": LHFA_CATEGORIES, "wflh": WFLH_CATEGORIES, "bmi": BMI_CATEGORIES}


def classify(indicator: str, z) -> np.ndarray:
    """Permenkes 2/2020 category codes for z-scores ("" where z is missing).

    Bands: below -3; -3 to below -2; -2 to +1 (+3 for length/height) inclusive; then above +1,
    above +2 and above +3 for weight-for-length/height and BMI.
    """
    z = np.atleast_1d(np.asarray(z, dtype=float))
    missing = np.isnan(z)
    if indicator == "wfa":
        conds = [z < -3, z < -2, z <= 1, z > 1]
        codes = ["severely_underweight", "underweight", "normal", "risk_of_overweight"]
    elif indicator == "lhfa":
        conds = [z < -3, z < -2, z <= 3, z > 3]
        codes = ["severely_stunted", "stunted", "normal", "tall"]
    elif indicator in ("wflh", "bmi"):
        conds = [z < -3, z < -2, z <= 1, z <= 2, z <= 3, z > 3]
        codes = ["severely_wasted", "wasted", "normal", "possible_risk_of_overweight", "overweight", "obese"]
    else:
        raise ValueError(f"unknown indicator {indicator}")
    with np.errstate(invalid="ignore"):
        out = np.select(conds, codes, default="")
    return np.where(missing, "", out)


def category_label(indicator: str, code: str) -> str:
    return str(CATEGORIES[indicator].get(code, "")) if code else ""


# --- one child, one visit ----------------------------------------------------------------------


@dataclass(frozen=True)
class GrowthResult:
    """Z-scores, Permenkes categories and WHO flags of one measurement."""

    length_height_cm: float | None  # after the lying/standing adjustment
    bmi: float | None
    z: dict[str, float | None]
    category: dict[str, str]
    implausible: dict[str, bool]
    standing_too_young: bool

    @property
    def any_implausible(self) -> bool:
        return any(self.implausible.values())


def _opt(x) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def assess(sex, age_days: float, weight_kg: float | None, length_height_cm: float | None,
           measure: str | None = None, oedema: bool = False) -> GrowthResult:
    """Z-scores, categories and flags of one child's measurement."""
    r = compute(np.array([sex], dtype=object), np.array([age_days], dtype=float),
                None if weight_kg is None else np.array([weight_kg], dtype=float),
                None if length_height_cm is None else np.array([length_height_cm], dtype=float),
                None if measure is None else np.array([measure], dtype=object), np.array([oedema]))
    z = {"wfa": _opt(r["zwei"][0]), "lhfa": _opt(r["zlen"][0]), "wflh": _opt(r["zwfl"][0]), "bmi": _opt(r["zbmi"][0])}
    flags = {"wfa": bool(r["fwei"][0]), "lhfa": bool(r["flen"][0]), "wflh": bool(r["fwfl"][0]),
             "bmi": bool(r["fbmi"][0])}
    category = {k: (str(classify(k, v)[0]) if v is not None else "") for k, v in z.items()}
    return GrowthResult(
        length_height_cm=_opt(r["clenhei"][0]),
        bmi=_opt(r["cbmi"][0]),
        z=z,
        category=category,
        implausible=flags,
        standing_too_young=bool(r["c9mo_flag"][0]),
    )


def age_in_days(birth_date, measured_on) -> int:
    return (measured_on - birth_date).days


def reference_curves(indicator: str, sex, sd_lines=(-3, -2, -1, 0, 1, 2, 3), step_days: int = 7):
    """Points of the WHO SD curves for a growth chart: {"x": [...], "lines": {sd: [...]}}.

    Age-based indicators use x = age in months (every step_days); weight-for-length/height uses x = cm.
    """
    t = tables()
    s_idx = _sex_array([sex], 1)[0] - 1
    if s_idx < 0:
        raise ValueError("sex must be known for a growth chart")
    if indicator in ("wfa", "lhfa", "bmi"):
        tab = t[indicator]
        cols = np.arange(0, tab.size, step_days)
        x = (tab.start + cols * tab.step) / DAYS_PER_MONTH
    elif indicator in ("wfl", "wfh"):
        tab = t[indicator]
        cols = np.arange(0, tab.size, 5)
        x = tab.start + cols * tab.step
    else:
        raise ValueError(f"unknown indicator {indicator}")
    l, m, s = tab.l[s_idx, cols], tab.m[s_idx, cols], tab.s[s_idx, cols]  # noqa: E741
    lines = {int(sd): np.round(lms_value(sd, l, m, s), 3).tolist() for sd in sd_lines}
    return {"x": np.round(x, 3).tolist(), "lines": lines}
