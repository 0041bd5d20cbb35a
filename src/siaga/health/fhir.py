"""FHIR R4 export of community health records in the shape SATUSEHAT uses: Patient, Observation, Immunization, Encounter.

Bundles (type "collection") per person or per posyandu and month. Every resource is validated with
fhir.resources (R4B models, which have the R4 shape of these resources) before it leaves; references
between entries use the entries' urn:uuid fullUrls, derived from our ids so the same record always
gets the same uuid and a receiver can de-duplicate re-sent exports.

Code systems: the NIK uses SATUSEHAT's identifier system and the address SATUSEHAT's administrativeCode
extension (Kemendagri codes without dots); anthropometry uses LOINC and UCUM; vaccines use a local code
system named below (our programme codes), plus the KFA product code (SATUSEHAT's drug and vaccine
catalogue) only when one is configured in settings.SIAGA_KFA_VACCINE_CODES: KFA codes identify a
manufacturer's product, so no single code can be assumed per antigen. Z-scores are Observations with one
component per WHO indicator in a local code system, with the Permenkes 2/2020 category as interpretation.
Antenatal visits and screenings add blood pressure (LOINC panel with systolic and diastolic components),
haemoglobin, weight, height and blood sugar Observations.

Only health.export (the puskesmas health worker) may export; each export is recorded (FhirExport) and
audited, saying whether NIKs were included.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from fhir.resources.R4B import get_fhir_model_class

from siaga.core import audit, privacy
from siaga.core.errors import ServiceError
from siaga.core.models import AuditLog
from siaga.core.permissions import Actor

from . import growth, services
from . import lifecycle as rules
from .models import (
    AntenatalVisit,
    FhirExport,
    ImmunisationDose,
    Measurement,
    Person,
    Position,
    Posyandu,
    Screening,
    Session,
)

# --- systems ------------------------------------------------------------------------------------

NIK_SYSTEM = "https://fhir.kemkes.go.id/id/nik"
ADMINISTRATIVE_CODE_URL = "https://fhir.kemkes.go.id/r4/StructureDefinition/administrativeCode"
KFA_SYSTEM = "http://sys-ids.kemkes.go.id/kfa"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ROUTE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration"
# Local systems: our own identifiers and codes, named so no receiver mistakes them for national ones.
LOCAL_BASE = "https://siaga.local/fhir"
PERSON_ID_SYSTEM = f"{LOCAL_BASE}/id/person"
POSYANDU_ID_SYSTEM = f"{LOCAL_BASE}/id/posyandu"
SESSION_ID_SYSTEM = f"{LOCAL_BASE}/id/posyandu-session"
VACCINE_SYSTEM = f"{LOCAL_BASE}/CodeSystem/vaccine-programme"
GROWTH_INDICATOR_SYSTEM = f"{LOCAL_BASE}/CodeSystem/who-growth-indicator"
GROWTH_CATEGORY_SYSTEM = f"{LOCAL_BASE}/CodeSystem/permenkes-2-2020-category"

_UUID_NS = uuid.UUID("6f1d2a8e-3c51-4c1b-9d57-5a1e0c7b9f42")

LOINC_WEIGHT = ("29463-7", "Body weight")
LOINC_HEIGHT = ("8302-2", "Body height")
LOINC_LENGTH = ("8306-3", "Body height --lying")
LOINC_BMI = ("39156-5", "Body mass index (BMI) [Ratio]")
LOINC_BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
LOINC_SYSTOLIC = ("8480-6", "Systolic blood pressure")
LOINC_DIASTOLIC = ("8462-4", "Diastolic blood pressure")
LOINC_HB = ("718-7", "Hemoglobin [Mass/volume] in Blood")
LOINC_GLUCOSE = ("2339-0", "Glucose [Mass/volume] in Blood")
GROWTH_INDICATORS = {
    "wfa": "Weight-for-age z-score (WHO 2006)",
    "lhfa": "Length/height-for-age z-score (WHO 2006)",
    "wflh": "Weight-for-length/height z-score (WHO 2006)",
    "bmi": "BMI-for-age z-score (WHO 2006)",
}
ROUTES = {
    "oral": ("PO", "Swallow, oral"),
    "intramuscular": ("IM", "Injection, intramuscular"),
    "intradermal": ("IDINJ", "Injection, intradermal"),
    "subcutaneous": ("SQ", "Injection, subcutaneous"),
}


def urn(kind: str, pk) -> str:
    return f"urn:uuid:{uuid.uuid5(_UUID_NS, f'siaga:{kind}:{pk}')}"


def _validate(resource: dict) -> dict:
    """Validate one resource with fhir.resources; a failure is our bug, never the receiver's problem."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def _region_extension(region_code: str) -> list[dict]:
    parts = region_code.split(".") if region_code else []
    if not parts:
        return []
    levels = ("province", "city", "district", "village")
    return [{"url": ADMINISTRATIVE_CODE_URL, "extension": [
        {"url": levels[i], "valueCode": "".join(parts[:i + 1])} for i in range(min(len(parts), 4))]}]


# --- resources ----------------------------------------------------------------------------------


def patient(person: Person, include_nik: bool) -> dict:
    identifiers = [{"use": "secondary", "system": PERSON_ID_SYSTEM, "value": str(person.pk)}]
    if include_nik and person.nik:
        identifiers.insert(0, {"use": "official", "system": NIK_SYSTEM, "value": person.nik})
    address = {"use": "home", "country": "ID", "extension": _region_extension(person.region_code)}
    if person.address:
        address["line"] = [person.address]
    res = {
        "resourceType": "Patient", "id": urn("person", person.pk).removeprefix("urn:uuid:"),
        "identifier": identifiers, "active": person.active,
        "name": [{"use": "official", "text": person.name}],
        "gender": "male" if person.sex == "M" else "female",
        "birthDate": person.birth_date.isoformat(),
        "address": [address],
        "managingOrganization": {"reference": urn("posyandu", person.posyandu_id)},
    }
    return _validate(res)


def organization(posyandu: Posyandu) -> dict:
    return _validate({
        "resourceType": "Organization", "id": urn("posyandu", posyandu.pk).removeprefix("urn:uuid:"),
        "identifier": [{"use": "official", "system": POSYANDU_ID_SYSTEM, "value": str(posyandu.pk)}],
        "active": posyandu.active, "name": posyandu.name,
        "type": [{"text": "Posyandu"}],
        "address": [{"use": "work", "country": "ID", "extension": _region_extension(posyandu.region_code),
                     **({"line": [posyandu.address]} if posyandu.address else {})}],
    })


def encounter(session: Session, person: Person) -> dict:
    """One person's visit to a posyandu day: a field (outreach) encounter, finished."""
    start = session.date.isoformat()
    return _validate({
        "resourceType": "Encounter", "id": urn("encounter", f"{session.pk}:{person.pk}").removeprefix("urn:uuid:"),
        "identifier": [{"system": SESSION_ID_SYSTEM, "value": f"{session.pk}-{person.pk}"}],
        "status": "finished",
        "class": {"system": ACT_CODE, "code": "FLD", "display": "field"},
        "serviceType": {"text": "Posyandu"},
        "subject": {"reference": urn("person", person.pk), "display": person.name},
        "period": {"start": start, "end": start},
        "serviceProvider": {"reference": urn("posyandu", session.posyandu_id)},
    })


def _quantity(value: float, unit: str, code: str) -> dict:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def _observation(kind_key: str, m: Measurement, code: tuple[str, str], value: dict, category: str,
                 encounter_ref: str | None) -> dict:
    res = {
        "resourceType": "Observation", "id": urn(kind_key, m.pk).removeprefix("urn:uuid:"),
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category,
                                  "display": "Vital Signs" if category == "vital-signs" else "Exam"}]}],
        "code": {"coding": [{"system": LOINC, "code": code[0], "display": code[1]}]},
        "subject": {"reference": urn("person", m.person_id)},
        "effectiveDateTime": m.measured_on.isoformat(),
        "valueQuantity": value,
    }
    if encounter_ref:
        res["encounter"] = {"reference": encounter_ref}
    return res


def observations(m: Measurement, encounter_ref: str | None = None) -> list[dict]:
    """Weight, length or height, BMI, and the z-scores of one measurement."""
    out = []
    if m.weight_g is not None:
        out.append(_observation("obs-weight", m, LOINC_WEIGHT, _quantity(round(m.weight_g / 1000, 3), "kg", "kg"),
                                "vital-signs", encounter_ref))
    if m.length_height_mm is not None:
        code = LOINC_LENGTH if m.position == Position.LYING else LOINC_HEIGHT
        out.append(_observation("obs-height", m, code, _quantity(round(m.length_height_mm / 10, 1), "cm", "cm"),
                                "vital-signs", encounter_ref))
    if m.weight_g and m.length_height_mm:
        bmi = m.weight_g / 1000 / (m.length_height_mm / 1000) ** 2
        out.append(_observation("obs-bmi", m, LOINC_BMI, _quantity(round(bmi, 1), "kg/m2", "kg/m2"), "vital-signs",
                                encounter_ref))
    components = []
    for ind, display in GROWTH_INDICATORS.items():
        z = getattr(m, f"z_{ind}")
        if z is None:
            continue
        comp = {"code": {"coding": [{"system": GROWTH_INDICATOR_SYSTEM, "code": ind, "display": display}]},
                "valueQuantity": _quantity(z, "SD", "{SD}")}
        category = getattr(m, f"category_{ind}")
        if category:
            comp["interpretation"] = [{"coding": [{"system": GROWTH_CATEGORY_SYSTEM, "code": category,
                                                   "display": str(growth.category_label(ind, category))}]}]
        components.append(comp)
    if components:
        res = {
            "resourceType": "Observation", "id": urn("obs-z", m.pk).removeprefix("urn:uuid:"), "status": "final",
            "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "exam", "display": "Exam"}]}],
            "code": {"coding": [{"system": GROWTH_INDICATOR_SYSTEM, "code": "who-2006-z-scores",
                                 "display": "WHO 2006 child growth z-scores"}],
                     "text": "WHO 2006 child growth z-scores"},
            "subject": {"reference": urn("person", m.person_id)},
            "effectiveDateTime": m.measured_on.isoformat(),
            "component": components,
        }
        if m.implausible:
            res["note"] = [{"text": "Values outside WHO's plausible range, confirmed by the recorder."}]
        if encounter_ref:
            res["encounter"] = {"reference": encounter_ref}
        out.append(res)
    return [_validate(r) for r in out]


def _visit_observations(kind: str, row, person_id: int, day: dt.date, encounter_ref: str | None) -> list[dict]:
    """Blood pressure, haemoglobin, weight (and for screenings height and blood sugar) of an antenatal visit or a
    screening, as vital-signs and laboratory Observations."""

    def obs(key: str, code: tuple[str, str], category: str, **value) -> dict:
        res = {"resourceType": "Observation", "id": urn(f"{kind}-{key}", row.pk).removeprefix("urn:uuid:"),
               "status": "final",
               "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category,
                                         "display": {"vital-signs": "Vital Signs", "laboratory": "Laboratory"}[category]}]}],
               "code": {"coding": [{"system": LOINC, "code": code[0], "display": code[1]}]},
               "subject": {"reference": urn("person", person_id)}, "effectiveDateTime": day.isoformat(), **value}
        if encounter_ref:
            res["encounter"] = {"reference": encounter_ref}
        return res

    out = []
    if row.systolic_mmhg is not None and row.diastolic_mmhg is not None:
        out.append(obs("bp", LOINC_BP_PANEL, "vital-signs", component=[
            {"code": {"coding": [{"system": LOINC, "code": c[0], "display": c[1]}]},
             "valueQuantity": _quantity(v, "mmHg", "mm[Hg]")}
            for c, v in ((LOINC_SYSTOLIC, row.systolic_mmhg), (LOINC_DIASTOLIC, row.diastolic_mmhg))]))
    if row.weight_g is not None:
        out.append(obs("weight", LOINC_WEIGHT, "vital-signs",
                       valueQuantity=_quantity(round(row.weight_g / 1000, 1), "kg", "kg")))
    if getattr(row, "height_mm", None) is not None:
        out.append(obs("height", LOINC_HEIGHT, "vital-signs",
                       valueQuantity=_quantity(round(row.height_mm / 10, 1), "cm", "cm")))
    if row.hb_g_per_l is not None:
        out.append(obs("hb", LOINC_HB, "laboratory", valueQuantity=_quantity(row.hb_g_per_l / 10, "g/dL", "g/dL")))
    if getattr(row, "blood_sugar_mg_dl", None) is not None:
        out.append(obs("glucose", LOINC_GLUCOSE, "laboratory",
                       valueQuantity=_quantity(row.blood_sugar_mg_dl, "mg/dL", "mg/dL"),
                       note=[{"text": f"Sample: {row.get_blood_sugar_kind_display()}"}]))
    return [_validate(r) for r in out]


def immunization(d: ImmunisationDose, encounter_ref: str | None = None) -> dict:
    vaccine = rules.VACCINES[d.vaccine]
    coding = [{"system": VACCINE_SYSTEM, "code": d.vaccine, "display": vaccine.name}]
    kfa = (getattr(settings, "SIAGA_KFA_VACCINE_CODES", None) or {}).get(d.vaccine)
    if kfa:
        coding.append({"system": KFA_SYSTEM, "code": str(kfa[0]), "display": str(kfa[1])})
    entry = rules.SCHEDULE_BY_KEY.get((d.vaccine, d.dose_number))
    route_code, route_display = ROUTES[vaccine.route]
    res = {
        "resourceType": "Immunization", "id": urn("immunization", d.pk).removeprefix("urn:uuid:"),
        "status": "completed",
        "vaccineCode": {"coding": coding, "text": str(entry.label) if entry else vaccine.label},
        "patient": {"reference": urn("person", d.person_id)},
        "occurrenceDateTime": d.given_on.isoformat(),
        "recorded": d.created_at.date().isoformat() if d.created_at else d.given_on.isoformat(),
        "primarySource": True,
        "route": {"coding": [{"system": ROUTE_SYSTEM, "code": route_code, "display": route_display}]},
        "protocolApplied": [{"series": vaccine.label, "doseNumberPositiveInt": d.dose_number}],
    }
    if d.batch:
        res["lotNumber"] = d.batch
    if d.provider_name:
        res["performer"] = [{"actor": {"display": d.provider_name}}]
    if d.early:
        res["note"] = [{"text": "Given outside the programme's age or interval window (confirmed by the recorder)."}]
    if encounter_ref:
        res["encounter"] = {"reference": encounter_ref}
    return _validate(res)


# --- bundles ------------------------------------------------------------------------------------


def _bundle(resources: list[dict], bundle_key: str) -> dict:
    bundle = {
        "resourceType": "Bundle", "id": urn("bundle", bundle_key).removeprefix("urn:uuid:"),
        "type": "collection", "timestamp": timezone.now().isoformat(timespec="seconds"),
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }
    return _validate(bundle)


def _person_resources(persons: list[Person], include_nik: bool, *, since: dt.date | None = None,
                      until: dt.date | None = None) -> list[dict]:
    """Patients, their posyandu, encounters, observations and immunisations (optionally within dates)."""
    ids = [p.pk for p in persons]
    date_q = Q()
    if since is not None:
        date_q &= Q(measured_on__gte=since)
    if until is not None:
        date_q &= Q(measured_on__lte=until)
    measurements = list(Measurement.objects.filter(Q(person_id__in=ids) & date_q).order_by("measured_on", "pk"))
    dose_q = Q(person_id__in=ids)
    if since is not None:
        dose_q &= Q(given_on__gte=since)
    if until is not None:
        dose_q &= Q(given_on__lte=until)
    doses = list(ImmunisationDose.objects.filter(dose_q).order_by("given_on", "pk"))
    from .models import Attendance

    att_q = Q(person_id__in=ids)
    if since is not None:
        att_q &= Q(session__date__gte=since)
    if until is not None:
        att_q &= Q(session__date__lte=until)
    attendance = list(Attendance.objects.filter(att_q).select_related("session"))
    by_id = {p.pk: p for p in persons}
    resources: list[dict] = []
    posyandu_ids = sorted({p.posyandu_id for p in persons})
    resources += [organization(p) for p in Posyandu.objects.filter(pk__in=posyandu_ids)]
    resources += [patient(p, include_nik) for p in persons]
    enc_refs: dict[tuple[int, int], str] = {}
    for a in attendance:
        resources.append(encounter(a.session, by_id[a.person_id]))
        enc_refs[(a.session_id, a.person_id)] = urn("encounter", f"{a.session_id}:{a.person_id}")
    for m in measurements:
        resources += observations(m, enc_refs.get((m.session_id, m.person_id)))
    for d in doses:
        resources.append(immunization(d, enc_refs.get((d.session_id, d.person_id))))
    visit_q = Q(pregnancy__person_id__in=ids)
    screen_q = Q(person_id__in=ids)
    if since is not None:
        visit_q &= Q(visit_date__gte=since)
        screen_q &= Q(screened_on__gte=since)
    if until is not None:
        visit_q &= Q(visit_date__lte=until)
        screen_q &= Q(screened_on__lte=until)
    for v in AntenatalVisit.objects.filter(visit_q).select_related("pregnancy").order_by("visit_date", "pk"):
        resources += _visit_observations("anc", v, v.pregnancy.person_id, v.visit_date,
                                         enc_refs.get((v.session_id, v.pregnancy.person_id)))
    for sc in Screening.objects.filter(screen_q).order_by("screened_on", "pk"):
        resources += _visit_observations("screening", sc, sc.person_id, sc.screened_on,
                                         enc_refs.get((sc.session_id, sc.person_id)))
    return resources


def _counts(resources: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in resources:
        out[r["resourceType"]] = out.get(r["resourceType"], 0) + 1
    return out


def _record_export(actor: Actor, *, organization_id: int, region_code: str, scope: str, include_nik: bool,
                   counts: dict, persons: list[Person], person: Person | None = None,
                   posyandu: Posyandu | None = None, month: str = "") -> FhirExport:
    export = FhirExport.objects.create(
        organization_id=organization_id, region_code=region_code, scope=scope, person=person, posyandu=posyandu,
        month=month, include_nik=include_nik, resource_counts=counts,
        exported_by=actor.user if getattr(actor.user, "pk", None) else None)
    audit.record(actor, AuditLog.Action.CREATE, export, {
        "scope": [None, scope], "person_id": [None, person.pk if person else None],
        "posyandu_id": [None, posyandu.pk if posyandu else None], "month": [None, month],
        "include_nik": [None, include_nik], "resource_counts": [None, counts]})
    # Each person's data left Siaga: their personal-data access log says so, with the NIK when it was included.
    for p in persons:
        privacy.log_export(actor, p, ["nik"] if include_nik and p.nik else [], reason="FHIR export",
                           via=f"fhir:{scope}:{export.pk}")
    return export


@transaction.atomic
def export_person(actor: Actor, person_id: int, *, include_nik: bool = True) -> dict:
    """A Bundle with one person's record: Patient, encounters, observations, immunisations."""
    actor.require("health.export")
    person = services.get_person(actor, person_id)
    resources = _person_resources([person], include_nik)
    bundle = _bundle(resources, f"person:{person.pk}:{timezone.now().isoformat()}")
    _record_export(actor, organization_id=person.organization_id, region_code=person.region_code, scope="person",
                   include_nik=include_nik, counts=_counts(resources), persons=[person], person=person)
    return bundle


def parse_month(month: str) -> tuple[dt.date, dt.date]:
    try:
        first = dt.datetime.strptime(month, "%Y-%m").date()
    except (TypeError, ValueError):
        raise ServiceError(_("Give the month as YYYY-MM."), code="invalid_month", details={"field": "month"}) from None
    last = rules.add_months(first, 1) - dt.timedelta(days=1)
    return first, last


@transaction.atomic
def export_posyandu_month(actor: Actor, posyandu_id: int, month: str, *, include_nik: bool = True) -> dict:
    """A Bundle with everything a posyandu recorded in a month, and the patients it concerns."""
    actor.require("health.export")
    posyandu = services.get_posyandu(actor, posyandu_id)
    first, last = parse_month(month)
    if first > services.latest_allowed_date():
        raise ServiceError(_("That month has not begun."), code="future_date", details={"field": "month"})
    persons_q = services.visible_persons(actor).filter(posyandu=posyandu).filter(
        Q(measurements__measured_on__range=(first, last)) | Q(immunisations__given_on__range=(first, last))
        | Q(attendance__session__date__range=(first, last)) | Q(screenings__screened_on__range=(first, last))
        | Q(pregnancies__visits__visit_date__range=(first, last))).distinct().order_by("pk")
    persons = list(persons_q)
    # A month with nothing recorded is an answer too: the posyandu alone.
    resources = (_person_resources(persons, include_nik, since=first, until=last) if persons
                 else [organization(posyandu)])
    bundle = _bundle(resources, f"posyandu:{posyandu.pk}:{month}:{timezone.now().isoformat()}")
    _record_export(actor, organization_id=posyandu.organization_id, region_code=posyandu.region_code,
                   scope="posyandu_month", include_nik=include_nik, counts=_counts(resources), persons=persons,
                   posyandu=posyandu, month=month)
    return bundle
