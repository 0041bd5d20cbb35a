"""Hospitals' capacity: updates by hospital staff or their systems, the board by area, destination suggestions
by road travel time and free beds, and the EDXL-HAVE 1.0 export.

Capacity is shared by area, not by organisation: every emergency service (dispatchers, crews, hospital
staff) sees the numbers of every hospital in the province of its scope, because a crew must be able
to take a patient to any hospital nearby, whoever runs it and whichever side of a kab/kota border it
stands (Kota Mojokerto lies inside Kabupaten Mojokerto; its nearest free bed is often outside the city). Only the hospital itself (its staff, or a
device token acting as one of them) changes its numbers. Updates carry absolute values, never increments,
so a retried request (a phone on a bad line) cannot count a bed twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import xml.etree.ElementTree as ET

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from siaga.core import audit
from siaga.core.errors import NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.models import Organization
from siaga.core.permissions import Actor, PermissionDenied, region_overlap_q, scopes_overlap, system_actor
from siaga.routing import query
from siaga.routing.compile import haversine_m

from .models import DispatchStatus as DS
from .models import HospitalCapacity
from .services import visible_dispatches

HOSPITAL_KIND = "hospital"
# (free field, total field) of each kind of capacity, by the name a dispatcher asks for.
NEEDS: dict[str, tuple[str, str]] = {
    "emergency": ("emergency_beds_free", "emergency_beds_total"),
    "icu": ("icu_beds_free", "icu_beds_total"),
    "operating_theatre": ("operating_theatres_free", "operating_theatres_total"),
}
NEED_LABELS = {
    "emergency": gettext_lazy("emergency beds"),
    "icu": gettext_lazy("ICU beds"),
    "operating_theatre": gettext_lazy("operating theatres"),
}
COUNT_FIELDS = [f for pair in NEEDS.values() for f in pair]
# A bigger number is a typing error (the largest Indonesian hospitals have about 1,500 beds in all).
MAX_COUNT = 5000
# An identical update within this window is a retry: answered without writing anything again.
RETRY_WINDOW = dt.timedelta(seconds=60)
# At most this many hospitals (nearest to the scene in a straight line) are routed by road per suggestion.
MAX_ROUTED = 40

# Reasons a hospital is listed after those that can take the patient now.
REASON_TEXTS = {
    "not_accepting": gettext_lazy("Not accepting patients now"),
    "full": gettext_lazy("No free %(need)s"),
    "no_report": gettext_lazy("No capacity reported"),
}


def stale_after() -> dt.timedelta:
    """How old a report may be before the board flags it (SIAGA_HOSPITAL_STALE_HOURS, default 6)."""
    return dt.timedelta(hours=float(getattr(settings, "SIAGA_HOSPITAL_STALE_HOURS", 6)))


# --- reading ------------------------------------------------------------------------------------------


def sharing_area(region_code: str) -> str:
    """The area over which hospitals' capacity is shared: the province of a region ("" stays national)."""
    return (region_code or "").split(".")[0]


def visible_hospitals(actor: Actor, region_code: str = "") -> QuerySet:
    """Active hospitals in the actor's area (and inside region_code when given), with their capacity row."""
    actor.require("hospital.view")
    qs = Organization.objects.filter(kind=HOSPITAL_KIND, active=True).select_related("capacity")
    province = sharing_area(actor.scope_code)
    if not actor.is_platform_admin and province:
        qs = qs.filter(region_overlap_q("region_code", province))
    if region_code:
        if not actor.is_platform_admin and province and not scopes_overlap(province, region_code):
            raise PermissionDenied(_("Region %(code)s lies outside your area (%(scope)s).")
                                   % {"code": region_code, "scope": province})
        # Hospitals inside the region (one registered for the whole city is not "in" one of its kecamatan).
        qs = qs.filter(Q(region_code=region_code) | Q(region_code__startswith=region_code + "."))
    return qs.order_by("name", "pk")


def _capacity_of(org: Organization) -> HospitalCapacity | None:
    try:
        return org.capacity
    except HospitalCapacity.DoesNotExist:
        return None


def board_row(org: Organization, cap: HospitalCapacity | None, now: dt.datetime) -> dict:
    """One hospital as the board, the API and the export show it."""
    reported = cap is not None and cap.updated_at is not None
    age = (now - cap.updated_at).total_seconds() if reported else None
    row = {
        "organization_id": org.pk, "name": org.name, "code": org.code, "region_code": org.region_code,
        "address": org.address, "phone": org.phone, "lat": org.lat, "lng": org.lng,
        "location_approximate": org.location_approximate,
        "reported": reported,
        "accepting": bool(cap.accepting) if reported else False,
        "note": cap.note if reported else "",
        "updated_at": cap.updated_at if reported else None,
        "age_seconds": round(max(age, 0.0)) if age is not None else None,
        "stale": (not reported) or age > stale_after().total_seconds(),
    }
    for f in COUNT_FIELDS:
        row[f] = getattr(cap, f) if reported else 0
    return row


def capacity_board(actor: Actor, region_code: str = "", now: dt.datetime | None = None) -> list[dict]:
    """Every hospital in the actor's area with its capacity, the age of its last report and a stale flag."""
    now = now or timezone.now()
    return [board_row(org, _capacity_of(org), now) for org in visible_hospitals(actor, region_code)]


def handovers(actor: Actor, org_ids, now: dt.datetime | None = None, hours: int = 24) -> dict[int, dict]:
    """For dispatchers and crews (unit.view): per hospital, the ambulances bringing patients now and the last
    hand-over of the past `hours` (arrival to hand-over done, recorded by the crew's status steps).

    Only dispatches the actor may see count; a hospital officer (no unit.view) gets nothing here.
    """
    if not actor.has("unit.view"):
        return {}
    now = now or timezone.now()
    out: dict[int, dict] = {}
    qs = visible_dispatches(actor).filter(destination_id__in=list(org_ids))

    def row(org_id):
        return out.setdefault(org_id, {"incoming": 0, "last_handover_seconds": None, "last_handover_at": None})

    for org_id in qs.filter(status__in=[DS.TRANSPORTING, DS.AT_HOSPITAL]).values_list("destination_id", flat=True):
        row(org_id)["incoming"] += 1
    recent = (qs.filter(handover_done_at__gte=now - dt.timedelta(hours=hours), at_hospital_at__isnull=False)
              .order_by("destination_id", "-handover_done_at")
              .values_list("destination_id", "at_hospital_at", "handover_done_at"))
    for org_id, arrived, handed_over in recent:
        r = row(org_id)
        if r["last_handover_at"] is None:
            r["last_handover_at"] = handed_over
            r["last_handover_seconds"] = max(0, round((handed_over - arrived).total_seconds()))
    return out


def get_board_row(actor: Actor, org_id: int) -> dict:
    org = visible_hospitals(actor).filter(pk=org_id).first()
    if org is None:
        raise NotFound(_("Hospital not found."))
    return board_row(org, _capacity_of(org), timezone.now())


def managed_hospitals(actor: Actor) -> QuerySet:
    """Hospitals whose capacity this actor may change: its own organisation (and those below it)."""
    actor.require("hospital.manage")
    qs = Organization.objects.filter(kind=HOSPITAL_KIND, active=True).select_related("capacity")
    if actor.is_platform_admin:
        return qs.order_by("name", "pk")
    return qs.filter(pk__in=actor.org_ids).order_by("name", "pk")


# --- writing ------------------------------------------------------------------------------------------


def _check_counts(values: dict) -> None:
    """Every count a whole number from 0 to MAX_COUNT, and no more free than there are in all."""
    errors = {}
    for f in COUNT_FIELDS:
        v = values[f]
        if isinstance(v, bool) or not isinstance(v, int):
            errors[f] = _("Give a whole number.")
        elif v < 0:
            errors[f] = _("Cannot be negative.")
        elif v > MAX_COUNT:
            errors[f] = _("At most %(max)d.") % {"max": MAX_COUNT}
    if errors:
        raise ServiceError(_("Some numbers are not valid: %(fields)s.") % {"fields": ", ".join(sorted(errors))},
                           code="invalid_capacity", details=errors)
    for need, (free, total) in NEEDS.items():
        if values[free] > values[total]:
            errors[free] = _("%(free)d free is more than the %(total)d in all.") % {
                "free": values[free], "total": values[total]}
    if errors:
        labels = [str(NEED_LABELS[n]) for n, (free, _t) in NEEDS.items() if free in errors]
        raise ServiceError(
            _("More free than in all: %(what)s. Correct the total or the free count.") % {"what": ", ".join(labels)},
            code="free_exceeds_total", details=errors)


def _event_payload(org: Organization, cap: HospitalCapacity) -> dict:
    return {"organization_id": org.pk, "name": org.name, "accepting": cap.accepting,
            **{f: getattr(cap, f) for f in COUNT_FIELDS}, "updated_at": cap.updated_at}


def update_capacity(actor: Actor, org_id: int, *, accepting: bool | None = None, note: str | None = None,
                    now: dt.datetime | None = None, **counts) -> HospitalCapacity:
    """Set a hospital's capacity (only the fields given; absolute values); audited, announced to the area.

    Sending the same numbers again confirms them (the report is fresh again) without a new audit record;
    an identical request repeated within a minute is a retry and changes nothing at all.
    """
    actor.require("hospital.manage")
    unknown = set(counts) - set(COUNT_FIELDS)
    if unknown:
        raise ServiceError(_("Unknown capacity fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
                           code="invalid_capacity")
    if note is not None and len(note) > 300:
        raise ServiceError(_("The note is too long (at most 300 characters)."), code="invalid_capacity",
                           details={"note": _("At most 300 characters.")})
    now = now or timezone.now()
    with transaction.atomic():
        org = Organization.objects.filter(pk=org_id, kind=HOSPITAL_KIND).first()
        if org is None:
            raise NotFound(_("Hospital not found."))
        if not actor.is_platform_admin and org.pk not in actor.org_ids:
            raise PermissionDenied(_("You can only update your own hospital's capacity."))
        actor.require_see(org.pk, org.region_code)
        HospitalCapacity.objects.get_or_create(organization=org, defaults={"region_code": org.region_code})
        # Two phones of one hospital may send at once: one after the other, each on the latest numbers.
        cap = HospitalCapacity.objects.select_for_update().get(organization=org)
        before = audit.snapshot(cap)
        values = {f: counts.get(f, getattr(cap, f)) for f in COUNT_FIELDS}
        _check_counts(values)
        for f, v in values.items():
            setattr(cap, f, v)
        if accepting is not None:
            cap.accepting = bool(accepting)
        if note is not None:
            cap.note = note.strip()
        cap.region_code = org.region_code
        changed = {k for k, v in audit.snapshot(cap).items() if before.get(k) != v}
        if not changed and cap.updated_at is not None and now - cap.updated_at < RETRY_WINDOW:
            return cap
        cap.updated_at = now
        cap.updated_by = actor.user if getattr(actor.user, "pk", None) else None
        cap.save()
        if before.get("updated_at") is None:
            audit.created(actor, cap)
        else:
            audit.updated(actor, cap, before)
        # No owner on the event: capacity is shared by area, so every dispatcher around sees it.
        emit("hospital.capacity", _event_payload(org, cap), organization=None,
             region_code=sharing_area(org.region_code))
    return cap


# --- destination suggestions --------------------------------------------------------------------------


def _road_time(scene: tuple[float, float], target: tuple[float, float]) -> dict | None:
    """Road travel time from the scene to one hospital (an estimate off the network; None if unroutable)."""
    try:
        return query.table(system_actor(), [list(scene)], list(target))["results"][0]
    except ServiceError:
        return None


def suggest_destinations(actor: Actor, lat: float, lng: float, *, need: str = "emergency", limit: int = 10,
                         now: dt.datetime | None = None) -> dict:
    """Hospitals for a patient at (lat, lng): those accepting now with a free bed of the kind needed, nearest
    by road first; then, flagged but never hidden, those not accepting, full or without a report."""
    actor.require("hospital.view")
    if need not in NEEDS:
        raise ServiceError(_("Unknown need %(need)s: choose emergency, icu or operating_theatre.") % {"need": need},
                           code="invalid_need")
    try:
        scene = (float(lat), float(lng))
    except (TypeError, ValueError) as exc:
        raise ServiceError(_("Give the scene as latitude and longitude."), code="invalid_position") from exc
    if not (-90 <= scene[0] <= 90 and -180 <= scene[1] <= 180):
        raise ServiceError(_("The position is outside the valid latitude/longitude range."), code="invalid_position")
    limit = max(1, min(int(limit), 100))
    now = now or timezone.now()
    free_f, total_f = NEEDS[need]
    orgs = [o for o in visible_hospitals(actor) if o.lat is not None and o.lng is not None]
    orgs.sort(key=lambda o: float(haversine_m(scene[0], scene[1], o.lat, o.lng)))
    rows = []
    for i, org in enumerate(orgs):
        row = board_row(org, _capacity_of(org), now)
        t = _road_time(scene, (org.lat, org.lng)) if i < MAX_ROUTED else None
        if not row["reported"]:
            reason = "no_report"
        elif not row["accepting"]:
            reason = "not_accepting"
        elif row[free_f] <= 0:
            reason = "full"
        else:
            reason = ""
        rows.append({
            **row, "need": need, "free": row[free_f], "total": row[total_f],
            "eta_seconds": t["seconds"] if t else None, "distance_m": t["metres"] if t else None,
            "estimate": bool(t["estimate"]) if t else True,
            "available": reason == "", "reason": reason,
            "reason_text": str(REASON_TEXTS[reason]) % {"need": NEED_LABELS[need]} if reason else "",
        })
    # Those that can take the patient first, each group by road time; an unknown time goes last in its group.
    rows.sort(key=lambda r: (not r["available"], r["eta_seconds"] is None, r["eta_seconds"] or 0, r["name"]))
    return {"lat": scene[0], "lng": scene[1], "need": need, "hospitals": rows[:limit]}


# --- EDXL-HAVE 1.0 -----------------------------------------------------------------------------------

HAVE_NS = "urn:oasis:names:tc:emergency:EDXL:HAVE:1.0"
XNL_NS = "urn:oasis:names:tc:ciq:xnl:3"
XPIL_NS = "urn:oasis:names:tc:ciq:xpil:3"
GML_NS = "http://www.opengis.net/gml"
# Our kinds of capacity as EDXL-HAVE 1.0 bed types.
HAVE_BED_TYPES = [("EmergencyDepartment", "emergency"), ("AdultICU", "icu"), ("OperatingRooms", "operating_theatre")]

for _prefix, _uri in (("have", HAVE_NS), ("xnl", XNL_NS), ("xpil", XPIL_NS), ("gml", GML_NS)):
    ET.register_namespace(_prefix, _uri)


def _sub(parent: ET.Element, ns: str, tag: str, text: str | None = None, **attrib) -> ET.Element:
    # Attributes take the element's own namespace (xnl:ID, xpil:MediaType, gml:id).
    el = ET.SubElement(parent, f"{{{ns}}}{tag}", {f"{{{ns}}}{k}": v for k, v in attrib.items()})
    if text is not None:
        el.text = text
    return el


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def edxl_have_tree(rows: list[dict], now: dt.datetime) -> ET.Element:
    """An EDXL-HAVE 1.0 HospitalStatus document: one Hospital per board row."""
    root = ET.Element(f"{{{HAVE_NS}}}HospitalStatus")
    for row in rows:
        h = _sub(root, HAVE_NS, "Hospital")
        org = _sub(h, HAVE_NS, "Organization")
        info = _sub(org, HAVE_NS, "OrganizationInformation")
        name = _sub(info, XNL_NS, "OrganisationName", ID=f"siaga:{row['code']}")
        _sub(name, XNL_NS, "NameElement", row["name"])
        if row["phone"]:
            numbers = _sub(info, XPIL_NS, "ContactNumbers")
            number = _sub(numbers, XPIL_NS, "ContactNumber", MediaType="Telephone")
            _sub(number, XPIL_NS, "ContactNumberElement", row["phone"])
        if row["note"]:
            _sub(org, HAVE_NS, "CommentText", row["note"])
        if row["lat"] is not None and row["lng"] is not None:
            geo = _sub(org, HAVE_NS, "OrganizationGeoLocation")
            point = _sub(geo, GML_NS, "Point", id=f"rs-{row['organization_id']}")
            _sub(point, GML_NS, "pos", f"{row['lat']:.6f} {row['lng']:.6f}")
        ed = _sub(h, HAVE_NS, "EmergencyDepartmentStatus")
        traffic = _sub(ed, HAVE_NS, "EMSTraffic")
        status = "Unknown" if not row["reported"] else ("Normal" if row["accepting"] else "Closed")
        _sub(traffic, HAVE_NS, "EMSTrafficStatus", status)
        if row["reported"] and not row["accepting"] and row["note"]:
            _sub(traffic, HAVE_NS, "EMSTrafficReason", row["note"])
        if row["reported"]:
            beds = _sub(h, HAVE_NS, "HospitalBedCapacityStatus")
            for bed_type, need in HAVE_BED_TYPES:
                free_f, total_f = NEEDS[need]
                bed = _sub(beds, HAVE_NS, "BedCapacity")
                _sub(bed, HAVE_NS, "BedType", bed_type)
                cap = _sub(bed, HAVE_NS, "Capacity")
                vacant = row["accepting"] and row[free_f] > 0
                _sub(cap, HAVE_NS, "CapacityStatus", "VacantAvailable" if vacant else "NotAvailable")
                _sub(cap, HAVE_NS, "AvailableCount", str(row[free_f]))
                _sub(cap, HAVE_NS, "BaselineCount", str(row[total_f]))
        _sub(h, HAVE_NS, "LastUpdateTime", _iso(row["updated_at"] or now))
    return root


def edxl_have(actor: Actor, region_code: str = "", now: dt.datetime | None = None) -> bytes:
    """The capacity board as EDXL-HAVE 1.0 XML (UTF-8, with declaration)."""
    now = now or timezone.now()
    tree = edxl_have_tree(capacity_board(actor, region_code, now=now), now)
    ET.indent(tree)
    return ET.tostring(tree, encoding="utf-8", xml_declaration=True)


# --- demo ---------------------------------------------------------------------------------------------


def _demo_digit(code: str, salt: str) -> int:
    return int(hashlib.sha256(f"{code}:{salt}".encode()).hexdigest()[:8], 16)


def demo_figures(code: str, beds_total: int, index: int) -> dict:
    """The demo capacity of the index-th hospital (by code), sized from its bed count where known."""
    beds = beds_total or 60 + _demo_digit(code, "beds") % 140
    er_total = max(4, round(beds * 0.08))
    icu_total = max(2, round(beds * 0.05))
    or_total = max(1, min(8, round(beds / 60)))
    accepting = index % 8 != 5
    return {
        "accepting": accepting,
        "note": "" if accepting else "IGD sedang direnovasi",
        "emergency_beds_total": er_total,
        "emergency_beds_free": 0 if index % 7 == 3 else _demo_digit(code, "er") % (er_total + 1),
        "icu_beds_total": icu_total,
        "icu_beds_free": _demo_digit(code, "icu") % (icu_total + 1),
        "operating_theatres_total": or_total,
        "operating_theatres_free": _demo_digit(code, "or") % (or_total + 1),
        "minutes_old": 9 * 60 if index % 5 == 2 else 5 + _demo_digit(code, "age") % 90,
    }


def seed_demo_capacity(hospitals, now: dt.datetime | None = None) -> int:
    """Plausible, repeatable capacity for demo hospitals; returns how many were seeded.

    Every eighth hospital is not accepting (ER being renovated), every seventh is full in the ER, and
    every fifth report is nine hours old, so the board shows each state.
    """
    now = now or timezone.now()
    sys = system_actor()
    n = 0
    for i, org in enumerate(sorted(hospitals, key=lambda o: o.code)):
        figures = demo_figures(org.code, int((org.attributes or {}).get("beds_total") or 0), i)
        minutes = figures.pop("minutes_old")
        update_capacity(sys, org.pk, now=now - dt.timedelta(minutes=minutes), **figures)
        n += 1
    return n
