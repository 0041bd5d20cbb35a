"""The versioned read API for PMI headquarters: a national organisation's API token reads; nothing else does."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from siaga.core import tokens
from siaga.core.models import Membership
from siaga.disaster.reports import services

from .conftest import KEL_A, figures

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def token_client(user) -> Client:
    _tok, raw = tokens.issue(Membership.objects.get(user=user), "PMI Pusat IMS")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def hq(setting, make_org, make_user):
    """PMI headquarters (national) above PMI Jawa Timur, the event's lead."""
    pusat = make_org(kind="pmi_hq", region_code="", name="PMI Pusat")
    setting["jatim"].parent = pusat
    setting["jatim"].save()
    user = make_user("disaster_manager", pusat, scope_code="")
    t0 = setting["t0"]
    services.create_field_report(setting["lead"], setting["event"].pk, region_code=KEL_A, source="government",
                                 source_name="BPBD", reported_at=t0 + H, figures=figures(dead=2, displaced=40))
    services.record_activity(setting["lead"], setting["event"].pk, sector="shelter", activity="Tenda pengungsi",
                             region_code=KEL_A, reached=40, start_date=t0.date())
    services.issue_sitrep(setting["lead"], setting["event"].pk, period_start=t0, period_end=t0 + 2 * H)
    return {"org": pusat, "user": user}


def test_a_national_token_reads_the_event_sitrep_and_3w(setting, hq):
    c = token_client(hq["user"])
    ev = setting["event"].pk
    listed = c.get("/api/disaster/reports/hq/v1/events")
    assert listed.status_code == 200, listed.content
    assert [e["id"] for e in listed.json()] == [ev]
    r = c.get(f"/api/disaster/reports/hq/v1/events/{ev}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["api_version"] == "1"
    assert body["event"]["name"] == "Banjir Mojokerto" and body["event"]["phase"] == "emergency_response"
    assert [p["name"] for p in body["event"]["participants"]] == ["PMI Provinsi Banten"]
    area = body["sitrep"]["areas"][0]
    assert area["figures"]["dead"] == {"value": 2, "source": "government", "source_name": "BPBD",
                                       "report_id": area["figures"]["dead"]["report_id"],
                                       "reported_at": area["figures"]["dead"]["reported_at"],
                                       "rule": "government_first"}
    assert body["sitrep"]["totals"]["displaced"] == 40
    assert [s["number"] for s in body["issued_sitreps"]] == [1]
    assert body["activities"][0]["sector"] == "shelter" and body["activities"][0]["adm2_code"] == "35.76"


def test_the_same_user_with_a_session_is_refused(setting, hq, login):
    r = login(hq["user"]).get(f"/api/disaster/reports/hq/v1/events/{setting['event'].pk}")
    assert r.status_code == 403 and r.json()["error"]["code"] == "token_required"


def test_a_province_token_is_refused(setting, hq):
    r = token_client(setting["lead_user"]).get(f"/api/disaster/reports/hq/v1/events/{setting['event'].pk}")
    assert r.status_code == 403 and r.json()["error"]["code"] == "national_scope_required"


def test_a_national_user_with_a_provincial_scope_is_refused(setting, hq, make_user):
    narrow = make_user("disaster_manager", hq["org"], scope_code="35")
    r = token_client(narrow).get("/api/disaster/reports/hq/v1/events")
    assert r.status_code == 403


def test_another_national_organisation_does_not_see_the_event(setting, hq, make_org, make_user):
    bnpb = make_org(kind="agency", region_code="", name="BNPB")
    c = token_client(make_user("disaster_manager", bnpb, scope_code=""))
    assert c.get("/api/disaster/reports/hq/v1/events").json() == []
    r = c.get(f"/api/disaster/reports/hq/v1/events/{setting['event'].pk}")
    assert r.status_code == 404 and "error" in r.json()


def test_a_revoked_or_wrong_token_is_unauthenticated(setting, hq):
    tok, raw = tokens.issue(Membership.objects.get(user=hq["user"]), "lama")
    tok.revoked_at = timezone.now()
    tok.save()
    for header in (f"Bearer {raw}", "Bearer sg_salah"):
        r = Client(headers={"Authorization": header}).get("/api/disaster/reports/hq/v1/events")
        assert r.status_code == 401
    assert Client().get("/api/disaster/reports/hq/v1/events").status_code == 401


def test_the_hq_endpoint_is_documented_in_openapi(client):
    from siaga.api import api

    paths = api.get_openapi_schema()["paths"]
    op = paths["/api/disaster/reports/hq/v1/events/{event_id}"]["get"]
    assert "PMI headquarters, version 1" in op["description"]
