"""Letters (surat permohonan, surat tugas): PDF, JPEG or PNG only, checked by content and not just by name,
within the size limit, stored once, and downloadable only by the two organisations."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from siaga.core.errors import ServiceError
from siaga.core.permissions import PermissionDenied
from siaga.disaster.mutualaid import services
from siaga.disaster.mutualaid.models import Letter

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
GIF = b"GIF89a" + b"\x00" * 20
URL = "/api/disaster/mutual-aid/requests/{id}/letters"


@pytest.mark.parametrize("content_type,data,who,kind", [
    ("application/pdf", PDF, "dki", "request_letter"),
    ("image/jpeg", JPEG, "jabar", "assignment_letter"),
    ("image/png", PNG, "jabar", "other"),
])
def test_a_pdf_jpeg_or_png_letter_is_stored_whole(world, content_type, data, who, kind):
    r = world.request()
    letter = services.add_letter(world.actor(who), r.pk, kind=kind, filename="surat", content_type=content_type,
                                 data=data)
    letter.refresh_from_db()
    assert bytes(letter.data) == data and letter.size_bytes == len(data)
    assert letter.content_type == content_type
    assert letter.filename == "surat" + services.LETTER_EXTENSIONS[content_type]


@pytest.mark.parametrize("content_type,data,code", [
    ("image/gif", GIF, "unsupported_type"),
    ("application/pdf", PNG, "content_mismatch"),
    ("image/png", b"<html><script>alert(1)</script>", "content_mismatch"),
    ("image/jpeg", PDF, "content_mismatch"),
    ("application/pdf", b"", "empty_file"),
])
def test_a_file_that_is_not_what_it_claims_is_refused(world, content_type, data, code):
    r = world.request()
    with pytest.raises(ServiceError) as exc:
        services.add_letter(world.actor("dki"), r.pk, kind="request_letter", filename="x.pdf",
                            content_type=content_type, data=data)
    assert exc.value.code == code
    assert not Letter.objects.exists()


@override_settings(SIAGA_MUTUAL_AID_LETTER_MAX_BYTES=1024)
def test_a_letter_above_the_size_limit_is_refused(world):
    r = world.request()
    with pytest.raises(ServiceError) as exc:
        services.add_letter(world.actor("dki"), r.pk, kind="request_letter", filename="besar.pdf",
                            content_type="application/pdf", data=PDF + b"0" * 1024)
    assert exc.value.code == "file_too_large" and exc.value.status == 413
    assert not Letter.objects.exists()
    services.add_letter(world.actor("dki"), r.pk, kind="request_letter", filename="kecil.pdf",
                        content_type="application/pdf", data=PDF)
    assert Letter.objects.count() == 1


def test_the_same_file_twice_is_one_letter(world):
    r = world.request()
    a = services.add_letter(world.actor("dki"), r.pk, kind="request_letter", filename="a.pdf",
                            content_type="application/pdf", data=PDF)
    b = services.add_letter(world.actor("dki"), r.pk, kind="request_letter", filename="a.pdf",
                            content_type="application/pdf", data=PDF)
    assert a.pk == b.pk and Letter.objects.count() == 1


def test_each_side_attaches_its_own_letter_and_a_third_province_none(world):
    r = world.request()
    with pytest.raises(PermissionDenied):
        services.add_letter(world.actor("jabar"), r.pk, kind="request_letter", filename="a.pdf",
                            content_type="application/pdf", data=PDF)
    with pytest.raises(PermissionDenied):
        services.add_letter(world.actor("dki"), r.pk, kind="assignment_letter", filename="a.pdf",
                            content_type="application/pdf", data=PDF)
    with pytest.raises(ServiceError):  # NotFound: Banten does not see the request at all
        services.add_letter(world.actor("banten"), r.pk, kind="other", filename="a.pdf",
                            content_type="application/pdf", data=PDF)
    assert not Letter.objects.exists()


def test_upload_and_download_through_the_api(world):
    r = world.request()
    dki = world.client("dki")
    up = dki.post(URL.format(id=r.pk), {"kind": "request_letter",
                                        "file": SimpleUploadedFile("../../surat permohonan.pdf", PDF,
                                                                   content_type="application/pdf")})
    assert up.status_code == 201, up.content
    body = up.json()
    assert body["filename"] == "surat permohonan.pdf" and body["size_bytes"] == len(PDF)
    for who in ("dki", "jabar"):
        down = world.client(who).get(body["download_url"])
        assert down.status_code == 200
        assert down.content == PDF and down["Content-Type"] == "application/pdf"
        assert down["X-Content-Type-Options"] == "nosniff" and "attachment" in down["Content-Disposition"]
    assert world.client("banten").get(body["download_url"]).status_code == 404
    listed = world.client("jabar").get(URL.format(id=r.pk)).json()
    assert [x["id"] for x in listed] == [body["id"]]


def test_the_api_refuses_a_disguised_file_and_a_third_province(world):
    r = world.request()
    bad = world.client("dki").post(URL.format(id=r.pk), {
        "kind": "request_letter", "file": SimpleUploadedFile("surat.pdf", b"MZ\x90\x00", content_type="application/pdf")})
    assert bad.status_code == 415 and bad.json()["error"]["code"] == "content_mismatch"
    banten = world.client("banten").post(URL.format(id=r.pk), {
        "kind": "other", "file": SimpleUploadedFile("surat.pdf", PDF, content_type="application/pdf")})
    assert banten.status_code in (403, 404)
    assert not Letter.objects.exists()


@override_settings(SIAGA_MUTUAL_AID_LETTER_MAX_BYTES=100)
def test_the_api_refuses_a_large_upload_by_its_size(world):
    r = world.request()
    big = world.client("dki").post(URL.format(id=r.pk), {
        "kind": "request_letter", "file": SimpleUploadedFile("surat.pdf", PDF + b"x" * 200,
                                                             content_type="application/pdf")})
    assert big.status_code == 413 and big.json()["error"]["code"] == "file_too_large"
    assert not Letter.objects.exists()


def test_letters_through_the_pages(world):
    r = world.request()
    page = world.client("jabar").post(f"/bencana/bantuan-antarprovinsi/{r.pk}/surat/", {
        "kind": "assignment_letter", "file": SimpleUploadedFile("tugas.jpg", JPEG, content_type="image/jpeg")})
    assert page.status_code == 302
    letter = Letter.objects.get()
    url = f"/bencana/bantuan-antarprovinsi/{r.pk}/surat/{letter.pk}/"
    assert world.client("dki").get(url).content == JPEG
    assert world.client("banten").get(url).status_code == 404
