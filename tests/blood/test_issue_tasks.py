"""The periodic jobs of requests and recall: lapsed reservations go back to stock, queued recall texts are sent."""

import datetime as dt

from django.utils import timezone

from siaga.blood import tasks
from siaga.blood import services_issue as si
from siaga.blood.models import Component, Donor, RecallCampaign, RecallMessage, Reservation

from .test_issue_support import request_for


def test_the_job_releases_lapsed_reservations(blood, make_units):
    unit = make_units(abo="O", rhd="pos", n=1)[0]
    si.reserve(blood.officer, request_for(blood, quantity=1).pk, minutes=10)
    Reservation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert tasks.release_lapsed_reservations.call_local() == 1
    assert Component.objects.get(pk=unit.pk).status == "available"


def test_the_job_sends_queued_recall_texts(blood, make_donor):
    d = make_donor(phone="081234567899")
    Donor.objects.filter(pk=d.pk).update(abo="B", rhd="pos", group_confirmed=True)
    c = RecallCampaign.objects.create(organization=blood.pmi, region_code="35.76", site=blood.udd, abo="B", rhd="pos",
                                      message="Stok B menipis", created_at=timezone.now(), recipients=1)
    RecallMessage.objects.create(campaign=c, donor=d, phone=d.phone)
    assert tasks.send_queued_recalls.call_local() == 1
    assert RecallMessage.objects.get().status == "sent"
