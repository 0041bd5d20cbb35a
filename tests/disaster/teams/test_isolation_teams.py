"""Every team activation API path refuses another organisation's teams, activations, rosters and assignments."""

from __future__ import annotations

from django.utils import timezone

from siaga.core.models import Membership
from siaga.disaster.models import DisasterEvent
from siaga.disaster.teams.models import Activation, ActivationAlert, Assignment, Team
from siaga.disaster.volunteers.models import Volunteer
from tests.isolation import OrgIsolationSpec


def _event(org):
    return DisasterEvent.objects.create(organization=org, region_code=org.region_code, name="Banjir", type_id="banjir",
                                        started_at=timezone.now(), phase="emergency_response")


def _activation(org):
    return Activation.objects.create(event=_event(org), organization=org, region_code=org.region_code,
                                     number_needed=2, meeting_lat=-7.47, meeting_lon=112.43, meeting_text="Posko")


def _volunteer(org, user=None):
    return Volunteer.objects.create(organization=org, region_code=org.region_code, name="Relawan", user=user,
                                    lat=-7.47, lon=112.43)


def _own_user(org):
    """The spec's own user when it is a volunteer of org (the setting fixture makes it before the records)."""
    m = Membership.objects.filter(organization=org, role="volunteer").first()
    return m.user if m else None


class TestTeamIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = "/api/disaster/teams/teams"
    detail_urls = ["/api/disaster/teams/teams/{id}"]
    write_requests = [("put", "/api/disaster/teams/teams/{id}", {"name": "Diambil alih", "kind": "other"}),
                      ("put", "/api/disaster/teams/teams/{id}/members/{pk}", {"role": "leader"}),
                      ("delete", "/api/disaster/teams/teams/{id}/members/{pk}", {})]
    page_urls = ["/bencana/tim/regu/{id}/"]

    def make_record(self, org):
        team = Team.objects.create(organization=org, region_code=org.region_code, name="SATGANA")
        team.memberships.create(volunteer=_volunteer(org))
        return team

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.name, record.kind, list(record.memberships.values_list("volunteer_id", "role")))


class TestActivationIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = "/api/disaster/teams/activations"
    detail_urls = ["/api/disaster/teams/activations/{id}"]
    write_requests = [("post", "/api/disaster/teams/activations/{id}/alert-more", {}),
                      ("post", "/api/disaster/teams/activations/{id}/close", {})]

    def make_record(self, org):
        return _activation(org)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.state, record.alerts.count())


class TestRosterIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    detail_urls = ["/api/disaster/teams/events/{id}/roster"]

    def make_record(self, org):
        act = _activation(org)
        ActivationAlert.objects.create(activation=act, volunteer=_volunteer(org), sent_at=timezone.now())
        return act.event


class TestAssignmentIsolation(OrgIsolationSpec):
    """A manager of another organisation cannot check anyone in or out of this organisation's activation."""

    role = "disaster_manager"
    write_requests = [("post", "/api/disaster/teams/assignments/{id}/check-in", {}),
                      ("post", "/api/disaster/teams/assignments/{id}/check-out", {})]

    def make_record(self, org):
        act = _activation(org)
        v = _volunteer(org)
        alert = ActivationAlert.objects.create(activation=act, volunteer=v, sent_at=timezone.now(), answer="yes")
        return Assignment.objects.create(activation=act, event=act.event, volunteer=v, alert=alert)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.check_in_at, record.check_out_at, record.cancelled_at)


class TestVolunteerAssignmentIsolation(TestAssignmentIsolation):
    """Nor can a volunteer of another organisation (or anyone but the volunteer themselves)."""

    role = "volunteer"


class TestMyAlertsIsolation(OrgIsolationSpec):
    """A volunteer lists and answers only their own alerts."""

    role = "volunteer"
    list_url = "/api/disaster/teams/my/alerts"
    write_requests = [("post", "/api/disaster/teams/alerts/{id}/answer", {"answer": "yes"})]

    def make_record(self, org):
        return ActivationAlert.objects.create(activation=_activation(org), volunteer=_volunteer(org, _own_user(org)),
                                              sent_at=timezone.now())

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.answer, record.answered_at, Assignment.objects.filter(alert=record).count())
