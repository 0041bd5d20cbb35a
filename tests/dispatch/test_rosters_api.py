"""Roster API: crew members, shifts, assignment errors, copying a week, warnings; isolation between organisations."""

import datetime as dt
import json
import secrets

import pytest
from django.utils import timezone

from siaga.callcenter.models import Incident, IncidentType
from siaga.callcenter.taxonomy import seed_taxonomy
from siaga.dispatch.models import CrewMember, Dispatch, Shift, Unit
from tests.isolation import OrgIsolationSpec

NOT_TENANT_DATA = {
    "/api/dispatch/shifts/copy-week": "copies only the caller's own organisations' shifts; "
                                      "test_copy_week_leaves_other_organisations_alone checks it",
}


def _unit(org, call_sign="AMB-X"):
    return Unit.objects.create(organization=org, call_sign=call_sign, kind="ambulance_basic",
                               region_code=org.region_code)


def _shift(org, member=None):
    now = timezone.now()
    return Shift.objects.create(organization=org, unit=_unit(org), role="driver", member=member,
                                starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=7),
                                region_code=org.region_code)


class TestCrewMemberIsolation(OrgIsolationSpec):
    role = "dispatcher"
    list_url = "/api/dispatch/crew-members"

    def make_record(self, org):
        return CrewMember.objects.create(organization=org, name="Budi", qualifications=["driver"],
                                         region_code=org.region_code)


class TestShiftIsolation(OrgIsolationSpec):
    role = "dispatcher"
    list_url = "/api/dispatch/shifts"
    detail_urls = ["/api/dispatch/shifts/{id}"]
    write_requests = [
        ("patch", "/api/dispatch/shifts/{id}", {"note": "diambil alih"}),
        ("post", "/api/dispatch/shifts/{id}/assign", {"member_id": None}),
        ("delete", "/api/dispatch/shifts/{id}", {}),
    ]
    page_posts = [("/dispatch/armada/jadwal/shift/{id}/petugas/", {"member": ""}), ("/dispatch/armada/jadwal/shift/{id}/hapus/", {})]

    def make_record(self, org):
        person = CrewMember.objects.create(organization=org, name="Budi", qualifications=["driver"])
        return _shift(org, person)


class TestRosterWarningIsolation(OrgIsolationSpec):
    role = "dispatcher"
    list_url = "/api/dispatch/roster-warnings"
    list_key = "shift_id"

    def make_record(self, org):
        return _shift(org)


class TestResponseStatsIsolation(OrgIsolationSpec):
    role = "dispatcher"
    list_url = "/api/dispatch/stats"
    list_key = "key"  # grouped per unit by default

    def make_record(self, org):
        seed_taxonomy()
        now = timezone.now()
        inc = Incident.objects.create(
            organization=org, number=f"112-2026-{secrets.randbelow(10**6):06d}",
            type=IncidentType.objects.get(code="kecelakaan-lalu-lintas"), priority=1, suggested_priority=1,
            region_code=org.region_code, tracking_token=secrets.token_urlsafe(24), created_at=now)
        unit = _unit(org)
        Dispatch.objects.create(organization=org, incident=inc, unit=unit, region_code=org.region_code,
                                status="completed", alerted_at=now, ack_deadline_at=now,
                                acknowledged_at=now + dt.timedelta(seconds=30))
        return unit


# --- behaviour ----------------------------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_a_dispatcher_creates_and_fills_a_shift(fleet):
    c = fleet.client("pmi_dispatcher")
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    r = post(c, "/api/dispatch/shifts", {"unit_id": fleet.amb2.pk, "role": "nurse",
                                         "starts_at": start.isoformat(),
                                         "ends_at": (start + dt.timedelta(hours=8)).isoformat()})
    assert r.status_code == 201, r.content
    shift = r.json()
    assert shift["covered"] is False and shift["call_sign"] == "AMB-02" and shift["role"] == "nurse"
    r = post(c, f"/api/dispatch/shifts/{shift['id']}/assign", {"member_id": fleet.driver.pk})
    assert r.status_code == 400 and r.json()["error"]["code"] == "not_qualified"
    r = post(c, f"/api/dispatch/shifts/{shift['id']}/assign", {"member_id": fleet.nurse.pk})
    assert r.status_code == 200 and r.json()["member_name"] == "Siti Aminah"
    listed = c.get("/api/dispatch/shifts", {"from": start.isoformat(), "to": (start + dt.timedelta(days=1)).isoformat(),
                                            "member_id": fleet.nurse.pk}).json()
    assert [s["id"] for s in listed["items"]] == [shift["id"]]


def test_double_booking_answers_409_with_the_clashing_shift(fleet):
    c = fleet.client("pmi_dispatcher")
    clash = Shift.objects.get(unit=fleet.amb1, role="nurse")  # the fixture's nurse is on AMB-01 now
    body = {"unit_id": fleet.amb2.pk, "role": "nurse", "member_id": fleet.nurse.pk,
            "starts_at": timezone.now().isoformat(), "ends_at": (timezone.now() + dt.timedelta(hours=2)).isoformat()}
    r = post(c, "/api/dispatch/shifts", body)
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "double_booked" and err["details"]["shift_id"] == clash.pk
    assert "AMB-01" in err["message"]
    assert not Shift.objects.filter(unit=fleet.amb2).exists()


def test_a_naive_time_is_refused(fleet):
    r = post(fleet.client("pmi_dispatcher"), "/api/dispatch/shifts",
             {"unit_id": fleet.amb2.pk, "role": "driver", "starts_at": "2026-03-02T07:00:00",
              "ends_at": "2026-03-02T15:00:00+07:00"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "naive_time"


def test_crew_members_are_listed_and_created_for_the_own_organisation(fleet):
    c = fleet.client("pmi_dispatcher")
    r = post(c, "/api/dispatch/crew-members", {"name": "dr. Rahma", "qualifications": ["doctor", "nurse"]})
    assert r.status_code == 201 and r.json()["organization_id"] == fleet.pmi.pk
    names = [m["name"] for m in c.get("/api/dispatch/crew-members", {"qualification": "nurse"}).json()["items"]]
    assert names == ["Agus Salim", "dr. Rahma", "Siti Aminah"]
    # a login of another organisation cannot be linked
    r = post(c, "/api/dispatch/crew-members", {"name": "Joko", "qualifications": ["driver"],
                                               "user_id": fleet.users["other_crew"].pk})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_user"
    # a crew member may not manage the roster
    r = post(fleet.client("crew"), "/api/dispatch/crew-members", {"name": "X", "qualifications": ["driver"]})
    assert r.status_code == 403


def test_copy_week_leaves_other_organisations_alone(fleet):
    monday = dt.datetime(2026, 3, 2, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    mine = Shift.objects.create(organization=fleet.pmi, unit=fleet.amb2, role="driver", member=fleet.driver,
                                starts_at=monday + dt.timedelta(hours=7), ends_at=monday + dt.timedelta(hours=15))
    Shift.objects.create(organization=fleet.other, unit=fleet.amb_k1, role="driver",
                         starts_at=monday + dt.timedelta(hours=7), ends_at=monday + dt.timedelta(hours=15))
    before = Shift.objects.count()
    theirs = Shift.objects.filter(organization=fleet.other).count()
    r = post(fleet.client("pmi_dispatcher"), "/api/dispatch/shifts/copy-week",
             {"week_start": monday.isoformat(), "weeks": 1})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["created"] == 1 and body["items"][0]["member_id"] == fleet.driver.pk
    assert Shift.objects.count() == before + 1
    assert Shift.objects.filter(organization=fleet.other).count() == theirs
    copy = Shift.objects.get(pk=body["items"][0]["id"])
    assert copy.starts_at == mine.starts_at + dt.timedelta(days=7)
    # PSC 119 reads PMI's rosters but copying them is not its business: nothing happens
    r = post(fleet.client("dispatcher"), "/api/dispatch/shifts/copy-week",
             {"week_start": monday.isoformat(), "weeks": 1})
    assert r.status_code == 201 and r.json()["created"] == 0


def test_roster_warnings_api_lists_uncovered_and_undercrewed(fleet):
    monday = dt.datetime(2026, 3, 2, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    Shift.objects.create(organization=fleet.pmi, unit=fleet.amb2, role="driver", member=fleet.driver,
                         starts_at=monday + dt.timedelta(hours=7), ends_at=monday + dt.timedelta(hours=15))
    gap = Shift.objects.create(organization=fleet.pmi, unit=fleet.amb2, role="nurse",
                               starts_at=monday + dt.timedelta(hours=7), ends_at=monday + dt.timedelta(hours=15))
    r = fleet.client("pmi_dispatcher").get("/api/dispatch/roster-warnings", {
        "from": monday.isoformat(), "to": (monday + dt.timedelta(days=1)).isoformat(), "unit_id": fleet.amb2.pk})
    assert r.status_code == 200, r.content
    items = r.json()["items"]
    def hours(i):
        return [(dt.datetime.fromisoformat(i[k]) - monday).total_seconds() / 3600 for k in ("starts_at", "ends_at")]

    assert [(i["kind"], *hours(i)) for i in items] == [
        ("undercrewed", 0, 7),
        ("uncovered", 7, 15),
        ("undercrewed", 7, 15),
        ("undercrewed", 15, 24),
    ]
    assert items[1]["shift_id"] == gap.pk and "AMB-02" in items[1]["message"]
    assert items[2]["missing"] == [["doctor", "nurse"]]
