"""FHIR export: bundles validate with fhir.resources (R4B), carry the right codes, and only health.export may export."""

import datetime as dt
import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from siaga.core.models import AuditLog
from siaga.core.permissions import PermissionDenied
from siaga.health import fhir, services
from siaga.health import services_lifecycle as svc
from siaga.health.models import FhirExport
from tests.conftest import client_for

BIRTH = dt.date(2024, 11, 4)


@pytest.fixture
def record(lx):
    child = lx.child(name="Bayu", sex="M", birth_date=BIRTH)
    session = services.open_session(lx.actor("kader"), posyandu_id=lx.posyandu.pk, date=dt.date(2025, 9, 9))
    services.record_measurement(lx.actor("kader"), person_id=child.pk, session_id=session.pk,
                                measured_on=session.date, weight_g=8600, length_height_mm=730, position="lying")
    services.record_measurement(lx.actor("kader"), person_id=child.pk, measured_on=dt.date(2025, 8, 12),
                                weight_g=8400)
    svc.record_immunisation(lx.actor("kader"), person_id=child.pk, vaccine="mr", dose_number=1,
                            given_on=session.date, session_id=session.pk, batch="MR-2025-07")
    svc.record_immunisation(lx.actor("kader"), person_id=child.pk, vaccine="hb0", dose_number=1, given_on=BIRTH)
    return child, session


def _resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_a_person_bundle_validates_and_has_the_satusehat_identifiers(lx, record):
    child, session = record
    bundle = fhir.export_person(lx.actor("midwife"), child.pk)
    Bundle.model_validate(bundle)  # the whole bundle, again, as a receiver would
    assert bundle["type"] == "collection"
    [patient] = _resources(bundle, "Patient")
    assert patient["identifier"][0] == {"use": "official", "system": "https://fhir.kemkes.go.id/id/nik",
                                        "value": child.nik}
    assert patient["gender"] == "male" and patient["birthDate"] == "2024-11-04"
    admin = patient["address"][0]["extension"][0]
    assert admin["url"] == "https://fhir.kemkes.go.id/r4/StructureDefinition/administrativeCode"
    assert admin["extension"] == [{"url": "province", "valueCode": "35"}, {"url": "city", "valueCode": "3576"},
                                  {"url": "district", "valueCode": "357601"},
                                  {"url": "village", "valueCode": "3576011006"}]
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    assert all(e["fullUrl"] == f"urn:uuid:{e['resource']['id']}" for e in bundle["entry"])
    # Every reference inside the bundle resolves to an entry.
    refs = set()
    for e in bundle["entry"]:
        text = json.dumps(e["resource"])
        refs.update(x.split('"')[0] for x in text.split('"reference": "')[1:])
    assert refs <= full_urls


def test_anthropometry_uses_loinc_and_ucum(lx, record):
    child, _session = record
    bundle = fhir.export_person(lx.actor("midwife"), child.pk)
    obs = _resources(bundle, "Observation")
    codes = [(o["code"]["coding"][0]["system"], o["code"]["coding"][0]["code"]) for o in obs]
    loinc = [c for s, c in codes if s == "http://loinc.org"]
    assert sorted(loinc) == sorted(["29463-7", "8306-3", "39156-5", "29463-7"])  # lying: length, not height
    weight = next(o for o in obs if o["code"]["coding"][0]["code"] == "29463-7"
                  and o["effectiveDateTime"] == "2025-09-09")
    assert weight["valueQuantity"] == {"value": 8.6, "unit": "kg", "system": "http://unitsofmeasure.org",
                                       "code": "kg"}
    assert weight["category"][0]["coding"][0]["code"] == "vital-signs"
    z = [o for o in obs if o["code"]["coding"][0]["code"] == "who-2006-z-scores"]
    assert len(z) == 2
    comps = {c["code"]["coding"][0]["code"]: c for c in z[-1]["component"]}
    assert set(comps) >= {"wfa", "lhfa", "wflh"}
    assert comps["wfa"]["interpretation"][0]["coding"][0]["code"]  # the Permenkes category


def test_immunizations_carry_programme_code_dose_route_and_lot(lx, record, settings):
    child, session = record
    settings.SIAGA_KFA_VACCINE_CODES = {"mr": ("93000000", "Vaksin MR (example product)")}
    bundle = fhir.export_person(lx.actor("midwife"), child.pk)
    imms = {i["vaccineCode"]["coding"][0]["code"]: i for i in _resources(bundle, "Immunization")}
    assert set(imms) == {"mr", "hb0"}
    mr = imms["mr"]
    assert mr["vaccineCode"]["coding"][0]["system"] == fhir.VACCINE_SYSTEM
    assert mr["vaccineCode"]["coding"][1] == {"system": "http://sys-ids.kemkes.go.id/kfa", "code": "93000000",
                                              "display": "Vaksin MR (example product)"}
    assert len(imms["hb0"]["vaccineCode"]["coding"]) == 1  # no KFA code configured: none invented
    assert mr["protocolApplied"][0]["doseNumberPositiveInt"] == 1
    assert mr["route"]["coding"][0]["code"] == "SQ" and imms["hb0"]["route"]["coding"][0]["code"] == "IM"
    assert mr["lotNumber"] == "MR-2025-07" and mr["occurrenceDateTime"] == "2025-09-09"
    [enc] = _resources(bundle, "Encounter")
    assert mr["encounter"]["reference"] == f"urn:uuid:{enc['id']}"
    assert enc["class"]["code"] == "FLD" and enc["status"] == "finished" and enc["period"]["start"] == "2025-09-09"
    assert "encounter" not in imms["hb0"]


def test_a_posyandu_month_bundle_holds_only_that_month(lx, record):
    child, _session = record
    lx.child(name="Nobody this month", birth_date=dt.date(2024, 1, 1))
    bundle = fhir.export_posyandu_month(lx.actor("midwife"), lx.posyandu.pk, "2025-09")
    Bundle.model_validate(bundle)
    assert [p["name"][0]["text"] for p in _resources(bundle, "Patient")] == ["Bayu"]
    assert {o["effectiveDateTime"] for o in _resources(bundle, "Observation")} == {"2025-09-09"}
    assert [i["vaccineCode"]["coding"][0]["code"] for i in _resources(bundle, "Immunization")] == ["mr"]
    empty = fhir.export_posyandu_month(lx.actor("midwife"), lx.posyandu.pk, "2025-01")
    assert [e["resource"]["resourceType"] for e in empty["entry"]] == ["Organization"]


def test_the_nik_can_be_left_out_and_each_export_is_audited(lx, record):
    child, _session = record
    bundle = fhir.export_person(lx.actor("midwife"), child.pk, include_nik=False)
    assert child.nik not in json.dumps(bundle)
    exports = list(FhirExport.objects.order_by("pk"))
    assert [(e.scope, e.include_nik, e.person_id) for e in exports] == [("person", False, child.pk)]
    assert exports[0].resource_counts["Patient"] == 1
    log = AuditLog.objects.get(model="health.fhirexport", object_id=str(exports[0].pk))
    assert log.actor == lx.user("midwife") and log.changes["include_nik"] == [None, False]


@pytest.mark.parametrize("who", ["kader", "leader", "puskesmas_kader"])
def test_only_health_export_may_export(lx, record, who):
    child, _session = record
    with pytest.raises(PermissionDenied):
        fhir.export_person(lx.actor(who), child.pk)
    assert not FhirExport.objects.exists()


def test_the_api_answers_fhir_json_and_refuses_a_kader(lx, record):
    child, _session = record
    r = client_for(lx.user("midwife")).get(f"/api/health/fhir/persons/{child.pk}")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/fhir+json")
    Bundle.model_validate(r.json())
    assert client_for(lx.user("kader")).get(f"/api/health/fhir/persons/{child.pk}").status_code == 403
    r = client_for(lx.user("midwife")).get(f"/api/health/fhir/posyandu/{lx.posyandu.pk}?month=2025-13")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_month"
    assert client_for(lx.user("midwife")).get(f"/api/health/fhir/posyandu/{lx.posyandu.pk}?month=2025-09").status_code == 200


def test_antenatal_and_screening_findings_become_loinc_observations(lx):
    from tests.health.lifecycle.conftest import register_woman

    mother = register_woman(lx)
    p = svc.register_pregnancy(lx.actor("kader"), person_id=mother.pk, lmp_date=dt.date(2025, 5, 1))
    svc.record_antenatal_visit(lx.actor("midwife"), pregnancy_id=p.pk, visit_date=dt.date(2025, 7, 1),
                               systolic_mmhg=142, diastolic_mmhg=91, hb_g_per_l=105, weight_g=58_400)
    adult = services.register_person(lx.actor("kader"), posyandu_id=lx.posyandu.pk, name="Pak Amir", sex="M",
                                     birth_date=dt.date(1970, 5, 5))
    svc.record_screening(lx.actor("kader"), person_id=adult.pk, screened_on=dt.date(2025, 7, 8),
                         blood_sugar_mg_dl=210, blood_sugar_kind="random", height_mm=1680, weight_g=70_000)
    bundle = fhir.export_posyandu_month(lx.actor("midwife"), lx.posyandu.pk, "2025-07")
    Bundle.model_validate(bundle)
    obs = _resources(bundle, "Observation")
    by_code = {o["code"]["coding"][0]["code"]: o for o in obs}
    bp = by_code["85354-9"]
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"], c["valueQuantity"]["code"])
            for c in bp["component"]] == [("8480-6", 142, "mm[Hg]"), ("8462-4", 91, "mm[Hg]")]
    assert by_code["718-7"]["valueQuantity"]["value"] == 10.5 and by_code["718-7"]["valueQuantity"]["unit"] == "g/dL"
    assert by_code["2339-0"]["valueQuantity"]["value"] == 210
    assert by_code["8302-2"]["valueQuantity"]["value"] == 168.0
    assert {p["name"][0]["text"] for p in _resources(bundle, "Patient")} == {"Siti", "Pak Amir"}


def test_each_exported_person_is_in_the_personal_data_access_log(lx, record):
    from siaga.core.models import PersonalDataAccess

    child, _session = record
    fhir.export_person(lx.actor("midwife"), child.pk)
    log = PersonalDataAccess.objects.get(object_id=str(child.pk), kind="export")
    assert log.user == lx.user("midwife") and log.fields == ["nik"]
