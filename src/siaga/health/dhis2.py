"""DHIS2-style aggregate export of the PWS counts: one data value per kelurahan, month and data element.

The shape is DHIS2's dataValueSets import: JSON {"dataValues": [{"dataElement", "period", "orgUnit", "value"}]}
and the matching CSV columns (dataelement, period, orgunit, categoryoptioncombo, attributeoptioncombo, value,
storedby, lastupdated, comment, followup). Periods are monthly (YYYYMM); organisation units are Kemendagri
codes of kelurahan/desa (map them to DHIS2 UIDs on import, e.g. with an attribute holding the code). Only counts
are exported: DHIS2 computes its indicators (D/S, N/D, prevalences) from them. Values follow the same
small-cell rule as the dashboards (pws.present): a suppressed value is left out, which DHIS2 reads as "no data".
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError
from siaga.core.permissions import Actor

from . import indicators, pws

# Siaga count -> DHIS2 data element code (and its name for the metadata a DHIS2 admin creates once).
DATA_ELEMENTS = {
    "s": ("PWS_S", "Children 0-59 months registered (S)"),
    "d": ("PWS_D", "Children weighed (D)"),
    "n": ("PWS_N", "Children who gained weight (N)"),
    "t": ("PWS_T", "Children who did not gain weight (T)"),
    "o": ("PWS_O", "Children not weighed last month (O)"),
    "b": ("PWS_B", "Children weighed for the first time (B)"),
    "measured_length": ("PWS_MEASURED_LH", "Children measured for length/height"),
    "stunted": ("PWS_STUNTED", "Children stunted or severely stunted"),
    "measured_weight": ("PWS_MEASURED_WFA", "Children assessed weight-for-age"),
    "underweight": ("PWS_UNDERWEIGHT", "Children underweight or severely underweight"),
    "measured_wflh": ("PWS_MEASURED_WFLH", "Children assessed weight-for-length/height"),
    "wasted": ("PWS_WASTED", "Children wasted or severely wasted"),
    "overweight": ("PWS_OVERWEIGHT", "Children overweight or obese"),
    "needs_referral": ("PWS_2T", "Children with 2T (referred)"),
    "imm_cohort": ("PWS_IMM_COHORT", "Children turning 12 months"),
    "imm_complete": ("PWS_IDL", "Children turning 12 months with complete basic immunisation"),
    "k4_cohort": ("PWS_K4_COHORT", "Pregnancies ending or due"),
    "k4": ("PWS_K4", "Pregnancies with K4"),
}
CSV_HEADER = ["dataelement", "period", "orgunit", "categoryoptioncombo", "attributeoptioncombo", "value",
              "storedby", "lastupdated", "comment", "followup"]


def require_export(actor: Actor) -> None:
    if not (actor.has("health.export") or actor.has("health.dashboard")):
        actor.require("health.export")


def parse_period(value: str) -> tuple[int, int]:
    value = (value or "").strip()
    if len(value) != 6 or not value.isdigit() or not 1 <= int(value[4:]) <= 12:
        raise ServiceError(_("Give the period as YYYYMM, e.g. 202502."), code="invalid_period",
                           details={"period": value})
    return int(value[:4]), int(value[4:])


def data_values(actor: Actor, code: str, first: tuple[int, int], last: tuple[int, int]) -> list[dict]:
    """dataValues per kelurahan of the area and month from first to last (YYYYMM periods, at most 24 months)."""
    require_export(actor)
    span = indicators.month_index(*last) - indicators.month_index(*first) + 1
    if span < 1:
        raise ServiceError(_("The first period comes after the last."), code="invalid_period")
    if span > pws.MAX_EXPORT_MONTHS:
        raise ServiceError(_("Export at most %(n)d months at a time.") % {"n": pws.MAX_EXPORT_MONTHS},
                           code="period_too_long")
    area = pws.get_area(actor, code)
    persons, measurements, pregnancies = pws._data(actor, area.code)
    data = indicators.series(persons, measurements, first, last, by="kelurahan", pregnancies=pregnancies)
    out = []
    for kelurahan in sorted(data):
        for (year, month), ind in sorted(data[kelurahan].items()):
            shown = pws.present(actor, ind)
            for name, (element, _label) in DATA_ELEMENTS.items():
                if shown[name] is None:
                    continue
                out.append({"dataElement": element, "period": f"{year:04d}{month:02d}", "orgUnit": kelurahan,
                            "value": str(shown[name])})
    return out


def as_json(values: list[dict]) -> dict:
    return {"dataValues": values}


def as_csv(values: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for v in values:
        w.writerow([v["dataElement"], v["period"], v["orgUnit"], "", "", v["value"], "siaga", "", "", "false"])
    return buf.getvalue()
