"""The donors' own page: reached by NIK + birth date or a signed link; next date, history, drives, booking."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from siaga.blood import services
from siaga.blood.models import Appointment

from . import factories


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def test_nik_and_birth_date_lead_to_the_signed_page(blood, client, make_donation, make_donor):
    donor = make_donor()
    make_donation(donor=donor, at=timezone.now() - dt.timedelta(days=10))
    r = client.post("/darah/donor-saya/", {"nik": donor.nik, "birth_date": donor.birth_date.isoformat()})
    assert r.status_code == 302
    page = client.get(r["Location"])
    assert page.status_code == 200
    assert page.context["next_date"] == timezone.localdate() + dt.timedelta(days=50)
    assert len(page.context["donations"]) == 1
    assert "no-store" in page["Cache-Control"]


def test_a_wrong_birth_date_reveals_nothing(blood, client, make_donor):
    donor = make_donor()
    r = client.post("/darah/donor-saya/", {"nik": donor.nik, "birth_date": "2000-01-01"})
    assert r.status_code == 400 and donor.name not in r.content.decode()


def test_a_tampered_link_is_refused(blood, client, make_donor):
    token = services.self_service_token(make_donor())
    assert client.get(f"/darah/donor-saya/{token[:-2]}xx/").status_code == 404


def test_a_donor_books_a_public_drive_once(blood, client, make_donor):
    donor = make_donor()
    session = factories.session_for(blood.pmi)
    url = f"/darah/donor-saya/{services.self_service_token(donor)}/"
    assert session.name in client.get(url).content.decode()
    client.post(url, {"session_id": session.pk})
    client.post(url, {"session_id": session.pk})
    assert Appointment.objects.filter(donor=donor, session=session).count() == 1


def test_a_donor_inside_the_interval_cannot_book_too_early(blood, client, make_donor, make_donation):
    donor = make_donor()
    make_donation(donor=donor)
    session = factories.session_for(blood.pmi)
    client.post(f"/darah/donor-saya/{services.self_service_token(donor)}/", {"session_id": session.pk})
    assert not Appointment.objects.exists()


def test_the_sign_in_is_rate_limited(blood, client, settings):
    settings.SIAGA_BLOOD_DONOR_LOGIN_RATE = "2/600"
    codes = [client.post("/darah/donor-saya/", {"nik": "3576011705900001", "birth_date": "1990-05-17"}).status_code
             for _ in range(3)]
    assert codes == [400, 400, 429]
