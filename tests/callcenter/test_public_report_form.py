"""/lapor/: the citizens' "Minta Bantuan" page, its spam defences, photos, and the tracking page."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from siaga.callcenter.models import Call, Incident, IncidentType, ReportPhoto
from siaga.callcenter.views_public import HONEYPOT
from tests.web.conftest import parse_markup

from .public_helpers import GIF, IN_KOTA, JPEG, OUTSIDE, PNG, frozen, setup_public

pytestmark = pytest.mark.django_db

DESCRIPTION = "Motor tabrakan dengan truk, satu orang berdarah di kepala"
PHONE = "0812-3456-7890"


@pytest.fixture
def center(regions, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return setup_public(regions)


def form_token(client) -> str:
    html = client.get("/lapor/").content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def fields(**changes):
    data = {"type_code": "kecelakaan-lalu-lintas", "description": DESCRIPTION, "phone": PHONE,
            "lat": str(IN_KOTA[0]), "lng": str(IN_KOTA[1]), "accuracy": "11", "place": "", HONEYPOT: ""}
    data.update(changes)
    return data


def submit(client=None, *, wait=5, token=None, **changes):
    """Open the form, let `wait` seconds pass like a person filling it in, and send it."""
    client = client or Client()
    with frozen() as clock:
        token = token or form_token(client)
        clock.advance(seconds=wait)
        return client.post("/lapor/", data=dict(fields(**changes), form_token=token))


def test_the_page_is_phone_ready_and_has_no_inline_code(center):
    r = Client().get("/lapor/")
    assert r.status_code == 200
    html = r.content.decode()
    markup = parse_markup(html)
    assert markup.viewport and "width=device-width" in markup.viewport
    assert not markup.inline_scripts and not markup.handlers and not markup.style_attrs
    assert "callcenter/public.js" in html and 'enctype="multipart/form-data"' in html
    assert "csrfmiddlewaretoken" in html and f'name="{HONEYPOT}"' in html and 'href="tel:112"' in html
    assert 'accept="image/jpeg,image/png"' in html


def test_the_page_offers_a_few_common_active_types_in_order(center):
    IncidentType.objects.filter(code="banjir").update(active=False)
    html = Client().get("/lapor/").content.decode()
    codes = re.findall(r'name="type_code" value="([^"]+)"', html)
    assert "kecelakaan-lalu-lintas" in codes and "banjir" not in codes
    assert 3 <= len(codes) <= 12
    orders = dict(IncidentType.objects.values_list("code", "sort_order"))
    assert [orders[c] for c in codes] == sorted(orders[c] for c in codes)


def test_a_report_creates_a_web_call_and_an_incident_then_shows_its_tracking_page(center):
    client = Client()
    r = submit(client)
    assert r.status_code == 302, r.content.decode()[-2000:]
    incident = Incident.objects.get()
    call = Call.objects.get()
    assert r["Location"] == f"/lapor/status/{incident.tracking_token}/"
    assert (call.channel, call.outcome, call.incident_id, call.caller_number) == ("web", "new_incident", incident.pk,
                                                                                 "+6281234567890")
    assert (incident.organization_id, incident.description, incident.location_source) == (center.pk, DESCRIPTION,
                                                                                         "reporter")
    page = client.get(r["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-status="received"' in html
    # Nothing private: not the description, the phone (any way of writing it), the place or the type.
    for private in (DESCRIPTION, "tabrakan", "3456", "+62812", "081234", str(IN_KOTA[0]), "112.43",
                    incident.type.name, incident.number):
        assert private not in html, private
    markup = parse_markup(html)
    assert not markup.inline_scripts and not markup.handlers and not markup.style_attrs
    assert "no-store" in page["Cache-Control"] and page["Referrer-Policy"] == "no-referrer"


def test_the_tracking_page_of_an_unknown_token_is_not_found(db):
    assert Client().get("/lapor/status/tidak-ada/").status_code == 404


def test_sending_the_same_form_twice_makes_one_report(center):
    client = Client()
    with frozen() as clock:
        token = form_token(client)
        clock.advance(seconds=8)
        first = client.post("/lapor/", data=dict(fields(), form_token=token))
        second = client.post("/lapor/", data=dict(fields(), form_token=token))
    assert first["Location"] == second["Location"]
    assert Incident.objects.count() == 1 and Call.objects.count() == 1


def test_the_honeypot_turns_robots_away_with_nothing_written(center):
    r = submit(**{HONEYPOT: "http://spam.example"})
    assert r.status_code == 400
    assert not Call.objects.exists() and not Incident.objects.exists()


def test_a_form_sent_back_too_fast_is_refused(center):
    r = submit(wait=1)
    assert r.status_code == 400
    assert not Call.objects.exists()
    # The same form, once enough time has passed, goes through.
    assert submit(wait=5).status_code == 302


@pytest.mark.parametrize("token", ["", "garbage", "eyJ0IjoxfQ:1tamper:sig"])
def test_a_missing_or_forged_form_token_is_refused(center, token):
    client = Client()
    r = client.post("/lapor/", data=dict(fields(), form_token=token))
    assert r.status_code == 400 and not Call.objects.exists()


def test_an_old_form_has_expired(center):
    client = Client()
    with frozen() as clock:
        token = form_token(client)
        clock.advance(hours=3)
        r = client.post("/lapor/", data=dict(fields(), form_token=token))
    assert r.status_code == 400 and not Call.objects.exists()


def test_the_form_needs_its_csrf_token(center):
    client = Client(enforce_csrf_checks=True)
    with frozen() as clock:
        token = form_token(client)
        clock.advance(seconds=5)
        r = client.post("/lapor/", data=dict(fields(), form_token=token))
    assert r.status_code == 403 and not Call.objects.exists()


def test_coordinates_outside_indonesia_are_refused_with_nothing_written(center):
    r = submit(lat=str(OUTSIDE[0]), lng=str(OUTSIDE[1]))
    assert r.status_code == 400
    assert "errorlist" in r.content.decode()
    assert not Call.objects.exists() and not Incident.objects.exists()


def test_a_bad_phone_number_is_shown_next_to_the_field(center):
    r = submit(phone="123")
    assert r.status_code == 400
    html = r.content.decode()
    assert "field--error" in html and not Call.objects.exists()
    assert DESCRIPTION in html  # what the citizen typed is kept


def test_without_gps_a_typed_kelurahan_is_used(center):
    r = submit(lat="", lng="", accuracy="", place="Kranggan, Kota Mojokerto")
    assert r.status_code == 302
    assert Incident.objects.get().region_code.startswith("35.76.03")


def test_without_gps_or_place_the_citizen_is_asked_where(center):
    r = submit(lat="", lng="", accuracy="", place="")
    assert r.status_code == 400 and not Call.objects.exists()


def test_a_type_not_offered_on_the_form_is_refused(center):
    r = submit(type_code="henti-jantung")
    assert r.status_code == 400 and not Call.objects.exists()


# --- photos ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("content, name, content_type, ext", [
    (JPEG, "foto.jpg", "image/jpeg", "jpg"),
    (PNG, "foto.png", "image/png", "png"),
    (JPEG, "foto.png", "image/png", "jpg"),  # the bytes decide, not the name or the browser's claim
])
def test_a_jpeg_or_png_photo_is_kept_privately_with_a_random_name(center, settings, content, name, content_type, ext):
    r = submit(photo=SimpleUploadedFile(name, content, content_type=content_type))
    assert r.status_code == 302, r.content.decode()[-1500:]
    photo = ReportPhoto.objects.get()
    path = settings.VAR_DIR / "uploads" / photo.path
    assert path.read_bytes() == content and path.suffix == f".{ext}"
    assert name.split(".")[0] not in path.name and len(path.stem) == 32
    assert (photo.incident_id, photo.size_bytes) == (Incident.objects.get().pk, len(content))
    assert photo.content_type == f"image/{'jpeg' if ext == 'jpg' else 'png'}"
    assert not str(path).startswith(str(settings.STATIC_ROOT))


@pytest.mark.parametrize("content, name, content_type", [
    (GIF, "foto.gif", "image/gif"),
    (b"<?php echo 1; ?>", "foto.jpg", "image/jpeg"),  # a script named like a photo
    (b"%PDF-1.7" + b"\x00" * 100, "foto.png", "image/png"),
    (b"", "kosong.jpg", "image/jpeg"),
])
def test_anything_but_jpeg_or_png_is_refused(center, settings, content, name, content_type):
    r = submit(photo=SimpleUploadedFile(name, content, content_type=content_type))
    assert r.status_code == 400
    assert not Call.objects.exists() and not ReportPhoto.objects.exists()
    assert not (settings.VAR_DIR / "uploads" / "reports").exists() or \
        not any((settings.VAR_DIR / "uploads" / "reports").iterdir())


def test_a_photo_over_5_mb_is_refused(center):
    big = JPEG + b"\x00" * (5 * 1024 * 1024)
    r = submit(photo=SimpleUploadedFile("besar.jpg", big, content_type="image/jpeg"))
    assert r.status_code == 400
    assert not Call.objects.exists() and not ReportPhoto.objects.exists()


def test_a_photo_is_not_reachable_by_url(center, settings):
    submit(photo=SimpleUploadedFile("foto.jpg", JPEG, content_type="image/jpeg"))
    photo = ReportPhoto.objects.get()
    for url in (f"/static/{photo.path}", f"/media/{photo.path}", f"/uploads/{photo.path}", f"/{photo.path}"):
        assert Client().get(url).status_code == 404
