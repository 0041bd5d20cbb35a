"""Reads WHO Anthro's own sample survey output (MySurvey_z_st.csv) for the growth tests."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings


@lru_cache(maxsize=1)
def survey() -> dict[str, np.ndarray | list]:
    """Columns of the survey; numbers as float arrays with NaN for WHO's empty cells.

    The file has "oedema" twice (input and cleaned); the first is the input column.
    """
    path = Path(settings.DATA_DIR) / "growth" / "MySurvey_z_st.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    first = {}
    for i, name in enumerate(header):
        first.setdefault(name, i)

    def num(name):
        return np.array([float(r[first[name]]) if r[first[name]] not in ("", "NA") else np.nan for r in body])

    out: dict = {name: num(name) for name in ("GENDER", "agemons", "age.days", "WEIGHT", "HEIGHT", "zlen", "zwei",
                                              "zwfl", "zbmi", "flen", "fwei", "fwfl", "fbmi", "clenhei")}
    out["measure"] = [r[first["measure"]] for r in body]
    out["oedema"] = np.array([r[first["oedema"]].lower() == "y" for r in body])
    out["id"] = [r[first["id"]] for r in body]
    return out
