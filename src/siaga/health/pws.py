"""PWS (Pemantauan Wilayah Setempat) read layer: who sees which area's indicators; drill-down, trends, map, follow-up.

Who sees what:
- kader (health.view): the posyandu of their organisation, names on the follow-up list included;
- puskesmas staff (health_worker; health.view + health.dashboard): every posyandu below the puskesmas;
- leaders (health.dashboard without health.view): aggregates of the posyandu in their organisation tree and
  scope, never a name, a NIK or a person id, and with the small-cell rule below;
- every other role is refused (403).
An area (kab/kota, kecamatan, kelurahan code) is open to an actor when it holds at least one posyandu the actor
sees; its figures are those of the children the actor sees in it (a kader asking for the kab/kota sees their own
posyandu's children counted there, and the page says how many posyandu the figures cover).

Small-cell rule (decided for Siaga): on aggregate views for actors who may not see names (leaders), a count of
1 to 4 children is shown as "<5" (None in the API, named in "suppressed"), and so is every rate whose numerator
or denominator is such a count. Zero is shown: it identifies nobody. Kader and health workers, who see the names
anyway, get exact figures. The rule is applied to each cell on its own (no complementary suppression): a
kecamatan total minus its shown kelurahan may still reveal a small count; aggregates at kecamatan and kab/kota
level rarely fall under 5, and a leader's use is planning, not finding a child.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from siaga.core.errors import NotFound, ServiceError
from siaga.core.permissions import Actor, PermissionDenied

from . import indicators
from .kms import completed_months
from .models import Measurement, Person, Posyandu, Pregnancy

SMALL_CELL = 5
TREND_MONTHS = 12
MAX_EXPORT_MONTHS = 24
CODE_RE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
LEVEL_BY_LENGTH = {2: "province", 5: "kabkota", 8: "kecamatan", 13: "kelurahan"}
CHILD_LEVEL = {"province": "kabkota", "kabkota": "kecamatan", "kecamatan": "kelurahan", "kelurahan": "posyandu"}
# Indicators a map or a trend can show: rate name -> (numerator, denominator) from indicators.RATES.
MAP_INDICATORS = ("d_s", "n_d", "stunting", "wasting", "underweight", "overweight", "immunisation", "k4")


def indicator_labels() -> dict:
    return {
        "d_s": _("Weighed (D/S)"), "n_d": _("Gained weight (N/D)"), "stunting": _("Stunting"),
        "wasting": _("Wasting"), "underweight": _("Underweight"), "overweight": _("Overweight"),
        "immunisation": _("Complete basic immunisation"), "k4": _("Pregnant women with K4"),
    }


def level_labels() -> dict:
    return {"province": _("Province"), "kabkota": _("Kab/kota"), "kecamatan": _("Kecamatan"),
            "kelurahan": _("Kelurahan/desa"), "posyandu": _("Posyandu")}


# --- who may see what ---------------------------------------------------------------------------


def require_dashboard(actor: Actor) -> None:
    if not (actor.has("health.view") or actor.has("health.dashboard")):
        actor.require("health.dashboard")  # raises with the usual message


def sees_names(actor: Actor) -> bool:
    return actor.has("health.view")


def suppresses(actor: Actor) -> bool:
    """Small-cell rule applies to actors who may not see the children themselves."""
    return not actor.has("health.view")


def _scoped(actor: Actor, qs: QuerySet) -> QuerySet:
    return actor.scope_queryset(qs)


def visible_posyandu(actor: Actor) -> QuerySet:
    require_dashboard(actor)
    return _scoped(actor, Posyandu.objects.all())


def _in_area(code: str, field: str = "region_code") -> Q:
    return Q(**{field: code}) | Q(**{f"{field}__startswith": code + "."})


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    level: str
    posyandu_count: int

    @property
    def child_level(self) -> str:
        return CHILD_LEVEL[self.level]


def _region_names(codes) -> dict:
    from siaga.geo.models import Region

    return dict(Region.objects.filter(code__in=set(codes)).values_list("code", "name"))


def get_area(actor: Actor, code: str) -> Area:
    """An area open to the actor: it holds at least one posyandu the actor sees. Else NotFound (no existence leak)."""
    require_dashboard(actor)
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise ServiceError(_("Give a Kemendagri region code, e.g. 35.76 or 35.76.01.1006."), code="invalid_region",
                           details={"region_code": code})
    n = visible_posyandu(actor).filter(_in_area(code)).count()
    if n == 0:
        raise NotFound(_("None of the posyandu you can see lies in region %(code)s.") % {"code": code},
                       code="area_not_visible")
    return Area(code, _region_names([code]).get(code, code), LEVEL_BY_LENGTH[len(code)], n)


def get_posyandu(actor: Actor, posyandu_id: int) -> Posyandu:
    p = visible_posyandu(actor).filter(pk=posyandu_id).first()
    if p is None:
        raise NotFound(_("Posyandu not found."))
    return p


def home_target(actor: Actor) -> tuple[str, object]:
    """Where the actor's dashboard starts: ("posyandu", id) for one posyandu, else ("area", code) of the deepest
    area holding all their posyandu (a kab/kota at most as wide as one province)."""
    codes = sorted(set(visible_posyandu(actor).values_list("region_code", flat=True)))
    if not codes:
        raise NotFound(_("You do not see any posyandu yet."), code="no_posyandu")
    if len(codes) == 1 and not actor.has("health.dashboard"):
        only = visible_posyandu(actor).order_by("pk").values_list("pk", flat=True)
        if len(only) == 1:
            return "posyandu", only[0]
    for length in (13, 8, 5, 2):
        prefixes = {c[:length] for c in codes}
        if len(prefixes) == 1:
            return "area", prefixes.pop()
    return "areas", sorted({c[:2] for c in codes})


def _data(actor: Actor, code: str | None = None, posyandu: Posyandu | None = None):
    persons = _scoped(actor, Person.objects.all())
    measurements = _scoped(actor, Measurement.objects.all())
    pregnancies = _scoped(actor, Pregnancy.objects.all())
    if posyandu is not None:
        persons = persons.filter(posyandu=posyandu)
    if code:
        persons = persons.filter(_in_area(code))
    if posyandu is not None or code:
        # The children first, then their rows through the (person, date) indexes: a kelurahan's dashboard reads
        # its own few thousand measurements, not the whole kab/kota's month range.
        measurements = measurements.filter(person_id__in=persons.values("pk"))
        pregnancies = pregnancies.filter(person_id__in=persons.values("pk"))
    return persons, measurements, pregnancies


# --- presenting figures -------------------------------------------------------------------------


def present(actor: Actor, ind: indicators.MonthIndicators) -> dict:
    """Counts and rates as the actor may see them (the small-cell rule for leaders)."""
    counts = ind.counts()
    rates = dict(ind.rates)
    suppressed: list[str] = []
    if suppresses(actor):
        small = {k for k, v in counts.items() if 0 < v < SMALL_CELL}
        for k in small:
            counts[k] = None
        for name, (num, den) in indicators.RATES.items():
            if num in small or den in small:
                rates[name] = None
        if {"n", "d", "o", "b"} & small:
            rates["n_d_prime"] = None
        suppressed = sorted(small)
    return {**counts, "rates": rates, "suppressed": suppressed}


def parse_month(value: str | None, today=None, *, region_code: str = "") -> tuple[int, int]:
    """"YYYY-MM" (default: this month where region_code is) -> (year, month); a month after this one is refused.

    "This one" is the month in WIT, the easternmost zone, so no one's current month is refused.
    """
    from .services import latest_allowed_date, today_local

    if not value:
        today = today or today_local(region_code)
        return today.year, today.month
    today = today or latest_allowed_date()
    m = re.match(r"^(\d{4})-?(\d{2})$", value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
        raise ServiceError(_("Give the month as YYYY-MM, e.g. 2025-02."), code="invalid_month",
                           details={"month": value})
    ym = int(m.group(1)), int(m.group(2))
    if ym > (today.year, today.month):
        raise ServiceError(_("That month has not come yet."), code="future_month", details={"month": value})
    return ym


def month_label(ym: tuple[int, int]) -> str:
    return f"{ym[0]:04d}-{ym[1]:02d}"


def months_back(ym: tuple[int, int], n: int) -> tuple[int, int]:
    return indicators.year_month(indicators.month_index(*ym) - n)


# --- area and posyandu dashboards ----------------------------------------------------------------


# --- computing, once per data version -------------------------------------------------------------

CACHE_SECONDS = 600


def data_version() -> int:
    """The last health event's id: every write of persons, measurements and life-cycle records emits one, so a
    figure cached under an older version is never served after a change (an index lookup, not a scan)."""
    from siaga.core.models import OutboxEvent

    return OutboxEvent.objects.filter(topic="health").aggregate(v=Max("pk"))["v"] or 0


def _series(actor: Actor, *, code: str | None = None, posyandu: Posyandu | None = None,
            first: tuple[int, int], last: tuple[int, int], by: str) -> dict:
    """indicators.series over what the actor sees, cached per (visible organisations, scope, question, version).

    The cache holds counts only; present() applies the small-cell rule per actor on the way out.
    """
    seen = "*" if actor.is_platform_admin else ",".join(str(i) for i in sorted(actor.org_ids))
    raw = json.dumps([seen, actor.scope_code, code, posyandu.pk if posyandu else None, first, last, by,
                      data_version()])
    key = "pws:" + hashlib.sha256(raw.encode()).hexdigest()
    hit = cache.get(key)
    if hit is not None:
        return hit
    persons, measurements, pregnancies = _data(actor, code, posyandu)
    data = indicators.series(persons, measurements, first, last, by=by, pregnancies=pregnancies)
    cache.set(key, data, CACHE_SECONDS)
    return data


def _area_months(actor: Actor, area: Area, ym: tuple[int, int]) -> tuple[dict, str]:
    """{child key: {(y, m): MonthIndicators}} for the 12 months up to ym, and the child level.

    One query set serves the summary, the trend and the map: it is grouped by kelurahan (by posyandu inside a
    kelurahan), and kecamatan or kab/kota rows are sums of their kelurahan.
    """
    child_level = area.child_level
    finest = "posyandu" if child_level == "posyandu" else "kelurahan"
    data = _series(actor, code=area.code, first=months_back(ym, TREND_MONTHS - 1), last=ym, by=finest)
    if child_level in ("posyandu", "kelurahan"):
        return data, child_level
    length = indicators.CODE_LENGTH[child_level]
    grouped: dict = {}
    for key, per_month in data.items():
        grouped.setdefault(key[:length], []).append(per_month)
    out = {}
    for ck, parts in grouped.items():
        out[ck] = {m: _sum(ck, [p[m] for p in parts]) for m in parts[0]}
    return out, child_level


def _sum(key, parts) -> indicators.MonthIndicators:
    total = indicators.total(parts)
    total.key = key
    return total


def _empty(key) -> indicators.MonthIndicators:
    return indicators.MonthIndicators(key).finish()


def _trend_rows(actor: Actor, data: dict, ym: tuple[int, int]) -> list[dict]:
    out = []
    for i in range(TREND_MONTHS):
        m = months_back(ym, TREND_MONTHS - 1 - i)
        ind = indicators.total([per_month[m] for per_month in data.values() if m in per_month])
        out.append({"month": month_label(m), "indicators": present(actor, ind)})
    return out


# --- area and posyandu dashboards ----------------------------------------------------------------


def area_summary(actor: Actor, code: str, ym: tuple[int, int]) -> dict:
    """The area's indicators for a month and one row per area (or posyandu) one level down: the drill-down."""
    area = get_area(actor, code)
    data, child_level = _area_months(actor, area, ym)
    rows = {k: per_month[ym] for k, per_month in data.items() if ym in per_month}
    posyandu_in_area = visible_posyandu(actor).filter(_in_area(area.code))
    children = []
    if child_level == "posyandu":
        for p in posyandu_in_area.order_by("name"):
            children.append({"kind": "posyandu", "id": p.pk, "code": p.region_code, "name": p.name,
                             "indicators": present(actor, rows.get(p.pk) or _empty(p.pk))})
    else:
        length = indicators.CODE_LENGTH[child_level]
        codes = set(rows) | {c[:length] for c in posyandu_in_area.values_list("region_code", flat=True)}
        names = _region_names(codes)
        for c in sorted(codes):
            children.append({"kind": child_level, "id": None, "code": c, "name": names.get(c, c),
                             "indicators": present(actor, rows.get(c) or _empty(c))})
    return {"area": {"code": area.code, "name": area.name, "level": area.level,
                     "posyandu_count": area.posyandu_count},
            "month": month_label(ym), "child_level": child_level,
            "indicators": present(actor, indicators.total(rows)), "children": children,
            "breadcrumbs": breadcrumbs(actor, area.code)}


def breadcrumbs(actor: Actor, code: str) -> list[dict]:
    """The wider areas above code (kab/kota down), each with its name."""
    parts = code.split(".")
    wider = [".".join(parts[:i]) for i in range(2, len(parts))]
    names = _region_names(wider)
    return [{"code": c, "name": names.get(c, c)} for c in wider]


def area_trend(actor: Actor, code: str, ym: tuple[int, int]) -> dict:
    area = get_area(actor, code)
    data, _level = _area_months(actor, area, ym)
    return {"area": {"code": area.code, "name": area.name, "level": area.level},
            "months": _trend_rows(actor, data, ym)}


def posyandu_summary(actor: Actor, posyandu_id: int, ym: tuple[int, int]) -> dict:
    p = get_posyandu(actor, posyandu_id)
    data = _series(actor, posyandu=p, first=months_back(ym, TREND_MONTHS - 1), last=ym, by="posyandu")
    ind = data.get(p.pk, {}).get(ym) or _empty(p.pk)
    return {"posyandu": {"id": p.pk, "name": p.name, "region_code": p.region_code,
                         "kelurahan": _region_names([p.region_code]).get(p.region_code, p.region_code)},
            "month": month_label(ym), "indicators": present(actor, ind), "trend": _trend_rows(actor, data, ym)}


def area_map(actor: Actor, code: str, indicator: str, ym: tuple[int, int]) -> dict:
    """GeoJSON of the kelurahan of a kab/kota or kecamatan, each with the chosen indicator's value for the month."""
    from siaga.geo.models import Region

    area = get_area(actor, code)
    if area.level not in ("kabkota", "kecamatan"):
        raise ServiceError(_("The map shows the kelurahan of a kab/kota or a kecamatan."), code="map_level")
    if indicator not in MAP_INDICATORS:
        raise ServiceError(_("Unknown indicator: %(name)s.") % {"name": indicator}, code="unknown_indicator",
                           details={"choices": list(MAP_INDICATORS)})
    # The same 12-month query as the page's summary and trend (grouped by kelurahan): usually a cache hit.
    data = _series(actor, code=area.code, first=months_back(ym, TREND_MONTHS - 1), last=ym, by="kelurahan")
    num, den = indicators.RATES[indicator]
    features = []
    for r in Region.objects.filter(level=4, code__startswith=area.code + ".", boundary__isnull=False).order_by("code"):
        ind = data.get(r.code, {}).get(ym)
        shown = present(actor, ind) if ind else None
        features.append({"type": "Feature", "geometry": r.boundary,
                         "properties": {"code": r.code, "name": r.name, "level": 4,
                                        "value": shown["rates"][indicator] if shown else None,
                                        "numerator": shown[num] if shown else None,
                                        "denominator": shown[den] if shown else None,
                                        "has_data": ind is not None}})
    return {"type": "FeatureCollection", "features": features,
            "properties": {"area": area.code, "indicator": indicator, "month": month_label(ym)}}


# --- follow-up list (names) -----------------------------------------------------------------------


def follow_up(actor: Actor, ym: tuple[int, int], *, code: str | None = None, posyandu_id: int | None = None) -> dict:
    """Children needing a visit, by name: only for kader and health workers of their posyandu/puskesmas."""
    if not sees_names(actor):
        raise PermissionDenied(_("The follow-up list names children: it is for kader and health workers only."))
    posyandu = get_posyandu(actor, posyandu_id) if posyandu_id is not None else None
    area = get_area(actor, code) if code else None
    persons, measurements, _p = _data(actor, area.code if area else None, posyandu)
    _first, last = indicators.month_bounds(*ym)
    rows = {r["person_id"]: r for r in indicators.follow_up_children(persons, measurements, *ym)}
    # Overdue doses by the national schedule, on the month's last day (today for this month).
    from .lifecycle import immunisation_due_list
    from .services import actor_region, today_local

    where = area.code if area else posyandu.region_code if posyandu else actor_region(actor)
    on = min(last, today_local(where))
    overdue = {}
    for due in immunisation_due_list(persons.select_related("posyandu"), on):
        doses = [str(d.label) for d in due.doses if d.state == "overdue"]
        if doses:
            overdue[due.person.pk] = (due.person, doses)
    for pid, (person, doses) in overdue.items():
        row = rows.get(pid)
        if row is None:
            row = rows[pid] = {"person": person, "person_id": pid, "posyandu_id": person.posyandu_id,
                               "region_code": person.region_code, "last_measured_on": None,
                               "last_weighed_on": None, "reasons": []}
        row["reasons"].append("immunisation_overdue")
        row["overdue_doses"] = doses
    ordered = sorted(rows.values(), key=lambda r: (r["person"].posyandu.name, r["person"].name, r["person_id"]))
    return {"month": month_label(ym),
            "items": [{"person_id": r["person_id"], "name": r["person"].name, "sex": r["person"].sex,
                       "birth_date": r["person"].birth_date,
                       "age_months": completed_months(r["person"].birth_date, last),
                       "posyandu_id": r["posyandu_id"], "posyandu": r["person"].posyandu.name,
                       "region_code": r["region_code"], "last_measured_on": r["last_measured_on"],
                       "last_weighed_on": r["last_weighed_on"], "reasons": r["reasons"],
                       "overdue_doses": r.get("overdue_doses", [])} for r in ordered]}


def reason_labels() -> dict:
    return {"severely_stunted": _("Severely stunted"), "severely_wasted": _("Severely wasted"),
            "2T": _("Did not gain weight twice in a row (2T)"),
            "not_weighed_2_months": _("Not weighed for 2 months or more"),
            "immunisation_incomplete": _("Basic immunisation not complete by 12 months"),
            "immunisation_overdue": _("Immunisation overdue")}
