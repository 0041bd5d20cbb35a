"""The KMS weighing rule between monthly visits: gained (N), did not gain (T), not weighed last month (O), first (B).

Source: Permenkes 155/2010 on the use of the KMS (Kartu Menuju Sehat) for children under five, which
sets the minimum weight gain (KBM, kenaikan berat badan minimal) by age. A child gained weight (N)
when the gain since last month's weighing reaches the minimum for its age, else did not gain (T);
a child not weighed in the previous calendar month is "O"; the first weighing is "B". Two "T" in a
row (2T) mean referral to the puskesmas.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Minimum gain in grams by completed months of age at the current weighing; 12-60 months: 200 g.
MINIMUM_GAIN_G = {1: 800, 2: 900, 3: 800, 4: 600, 5: 500, 6: 400, 7: 400, 8: 300, 9: 300, 10: 300, 11: 200}
MINIMUM_GAIN_FROM_12_MONTHS_G = 200

GAINED, NOT_GAINED, NOT_WEIGHED_LAST_MONTH, FIRST = "N", "T", "O", "B"


def completed_months(birth_date: dt.date, on: dt.date) -> int:
    months = (on.year - birth_date.year) * 12 + (on.month - birth_date.month)
    if on.day < birth_date.day:
        months -= 1
    return max(months, 0)


def minimum_gain_g(age_months: int) -> int:
    if age_months >= 12:
        return MINIMUM_GAIN_FROM_12_MONTHS_G
    return MINIMUM_GAIN_G.get(max(age_months, 1), MINIMUM_GAIN_G[1])


def _previous_month(day: dt.date) -> tuple[int, int]:
    return (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)


@dataclass(frozen=True)
class WeighingResult:
    status: str
    gain_g: int | None
    minimum_gain_g: int | None


def weighing_result(birth_date: dt.date, on: dt.date, weight_g: int, previous_on: dt.date | None,
                    previous_weight_g: int | None) -> WeighingResult:
    """N, T, O or B for a weighing, given the latest earlier weighing (or None)."""
    if previous_on is None or previous_weight_g is None:
        return WeighingResult(FIRST, None, None)
    gain = weight_g - previous_weight_g
    if (previous_on.year, previous_on.month) != _previous_month(on):
        return WeighingResult(NOT_WEIGHED_LAST_MONTH, gain, None)
    minimum = minimum_gain_g(completed_months(birth_date, on))
    return WeighingResult(GAINED if gain >= minimum else NOT_GAINED, gain, minimum)
