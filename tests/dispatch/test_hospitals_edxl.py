"""EDXL-HAVE 1.0 export of the capacity board, and the demo capacity figures.

No official EDXL-HAVE XSD is installable from PyPI or npm here, so the document is checked for the
namespace, the element structure of the standard and the counts, not validated against the schema.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from django.utils import timezone

from siaga.core.permissions import system_actor
from siaga.dispatch import hospitals
from siaga.dispatch.models import HospitalCapacity

NS = {"have": "urn:oasis:names:tc:emergency:EDXL:HAVE:1.0", "xnl": "urn:oasis:names:tc:ciq:xnl:3",
      "gml": "http://www.opengis.net/gml"}


def _bed(hospital, bed_type):
    for bed in hospital.findall("have:HospitalBedCapacityStatus/have:BedCapacity", NS):
        if bed.findtext("have:BedType", namespaces=NS) == bed_type:
            cap = bed.find("have:Capacity", NS)
            return (cap.findtext("have:CapacityStatus", namespaces=NS),
                    int(cap.findtext("have:AvailableCount", namespaces=NS)),
                    int(cap.findtext("have:BaselineCount", namespaces=NS)))
    return None


def _by_name(root):
    return {h.findtext("have:Organization/have:OrganizationInformation/xnl:OrganisationName/xnl:NameElement",
                       namespaces=NS): h for h in root.findall("have:Hospital", NS)}


def test_the_export_is_edxl_have_with_the_right_counts(fleet, make_org):
    at = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=20)
    hospitals.update_capacity(fleet.actor("hospital"), fleet.hospital.pk, accepting=True, emergency_beds_total=12,
                              emergency_beds_free=5, icu_beds_total=4, icu_beds_free=0, operating_theatres_total=3,
                              operating_theatres_free=1, now=at)
    closed = make_org(kind="hospital", region_code="35.76.02", name="RS Tutup")
    hospitals.update_capacity(system_actor(), closed.pk, accepting=False, note="Banjir di IGD",
                              emergency_beds_total=6, emergency_beds_free=6)
    make_org(kind="hospital", region_code="35.76.01", name="RS Belum Lapor")

    r = fleet.client("dispatcher").get("/api/dispatch/hospitals/edxl-have.xml")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/xml")
    assert r.content.startswith(b"<?xml")
    root = ET.fromstring(r.content)
    assert root.tag == "{urn:oasis:names:tc:emergency:EDXL:HAVE:1.0}HospitalStatus"
    found = _by_name(root)
    assert set(found) == {fleet.hospital.name, "RS Tutup", "RS Belum Lapor"}

    wahidin = found[fleet.hospital.name]
    assert [c.tag.split("}")[1] for c in wahidin] == ["Organization", "EmergencyDepartmentStatus",
                                                      "HospitalBedCapacityStatus", "LastUpdateTime"]
    assert _bed(wahidin, "EmergencyDepartment") == ("VacantAvailable", 5, 12)
    assert _bed(wahidin, "AdultICU") == ("NotAvailable", 0, 4)
    assert _bed(wahidin, "OperatingRooms") == ("VacantAvailable", 1, 3)
    assert wahidin.findtext("have:EmergencyDepartmentStatus/have:EMSTraffic/have:EMSTrafficStatus",
                            namespaces=NS) == "Normal"
    pos = wahidin.findtext("have:Organization/have:OrganizationGeoLocation/gml:Point/gml:pos", namespaces=NS)
    assert [float(x) for x in pos.split()] == [-7.4751, 112.4455]
    assert dt.datetime.fromisoformat(wahidin.findtext("have:LastUpdateTime", namespaces=NS).replace("Z", "+00:00")) \
        == at

    tutup = found["RS Tutup"]
    assert tutup.findtext("have:EmergencyDepartmentStatus/have:EMSTraffic/have:EMSTrafficStatus",
                          namespaces=NS) == "Closed"
    assert tutup.findtext("have:EmergencyDepartmentStatus/have:EMSTraffic/have:EMSTrafficReason",
                          namespaces=NS) == "Banjir di IGD"
    # Free beds in a hospital that takes no patients are not available to a crew.
    assert _bed(tutup, "EmergencyDepartment") == ("NotAvailable", 6, 6)

    silent = found["RS Belum Lapor"]
    assert silent.find("have:HospitalBedCapacityStatus", NS) is None
    assert silent.findtext("have:EmergencyDepartmentStatus/have:EMSTraffic/have:EMSTrafficStatus",
                           namespaces=NS) == "Unknown"


def test_names_are_escaped_not_concatenated(fleet, make_org):
    make_org(kind="hospital", region_code="35.76", name='RS "Ibu & Anak" <Mojo>')
    root = ET.fromstring(hospitals.edxl_have(fleet.actor("dispatcher")))
    assert 'RS "Ibu & Anak" <Mojo>' in _by_name(root)


def test_the_export_leaves_out_hospitals_outside_my_area(fleet, make_org):
    # Another province: left out. Across the kab/kota border in the same province: included.
    make_org(kind="hospital", region_code="31.71", name="RSUD Tarakan")
    make_org(kind="hospital", region_code="35.16.01", name="RSUD Soekandar")
    root = ET.fromstring(fleet.client("dispatcher").get("/api/dispatch/hospitals/edxl-have.xml").content)
    assert set(_by_name(root)) == {fleet.hospital.name, "RSUD Soekandar"}
    # Filtering to a region of another province is refused, not answered with an empty document.
    assert fleet.client("dispatcher").get("/api/dispatch/hospitals/edxl-have.xml?region_code=31.71").status_code == 403
    assert fleet.client("call_taker").get("/api/dispatch/hospitals/edxl-have.xml").status_code == 403


def test_demo_capacity_is_plausible_and_repeatable(fleet, make_org):
    orgs = [fleet.hospital] + [make_org(kind="hospital", region_code="35.76", name=f"RS Demo {i}") for i in range(16)]
    orgs[3].attributes = {"beds_total": 250}
    orgs[3].save(update_fields=["attributes"])
    assert hospitals.seed_demo_capacity(orgs) == 17
    first = {c.organization_id: (c.emergency_beds_free, c.icu_beds_free, c.accepting)
             for c in HospitalCapacity.objects.all()}
    hospitals.seed_demo_capacity(orgs)
    assert {c.organization_id: (c.emergency_beds_free, c.icu_beds_free, c.accepting)
            for c in HospitalCapacity.objects.all()} == first
    caps = list(HospitalCapacity.objects.all())
    assert len(caps) == 17
    for c in caps:
        assert 0 <= c.emergency_beds_free <= c.emergency_beds_total and c.emergency_beds_total >= 4
        assert 0 <= c.icu_beds_free <= c.icu_beds_total and 0 <= c.operating_theatres_free <= c.operating_theatres_total
    assert HospitalCapacity.objects.get(organization=orgs[3]).emergency_beds_total == 20
    board = hospitals.capacity_board(fleet.actor("dispatcher"))
    # The demo shows every state: closed, full, stale and fresh.
    assert any(not r["accepting"] for r in board) and any(r["stale"] for r in board)
    assert any(r["accepting"] and r["emergency_beds_free"] == 0 for r in board)
    assert any(r["accepting"] and r["emergency_beds_free"] > 0 and not r["stale"] for r in board)
