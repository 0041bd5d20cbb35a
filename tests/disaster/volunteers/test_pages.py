"""Volunteer pages: list with filters and status counts, detail, registration form, merge queue; no inline script."""

import re

import pytest

from siaga.disaster.volunteers import services
from siaga.disaster.volunteers.models import MatchCandidate, Volunteer
from tests.conftest import client_for

from .conftest import KEL_BKS, KEL_MJK, nik


def _no_inline_script(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script breaks the strict CSP"
    assert not re.search(r"\son[a-z]+=\"", html), "inline event handler breaks the strict CSP"
    assert 'style="' not in html


@pytest.fixture
def two(world, reg):
    a = reg(world["a_mjk"], name="Suparman", skills=["first_aid"]).volunteer
    b = reg(world["a_mjk"], name="Siti Rahayu", nik=nik(female=True, serial=2), phone="081233332222").volunteer
    services.set_status(world["a_mjk"], b, "deployed")
    return a, b


def test_list_page_shows_counts_filters_and_masked_nik_in_indonesian(world, two):
    c = client_for(world["m_mjk"])
    html = c.get("/bencana/relawan/").content.decode()
    assert "Relawan" in html or "Volunteers" in html
    assert "Suparman" in html and "Siti Rahayu" in html and "3576********0001" in html
    assert re.search(r'data-count="deployed">1<', html) and re.search(r'data-count="available">1<', html)
    assert "data-live-fragment" in html and "topics=volunteers" in html
    _no_inline_script(html)
    filtered = c.get("/bencana/relawan/?status=deployed").content.decode()
    assert "Siti Rahayu" in filtered and "Suparman" not in filtered.split("vol-list", 1)[-1]
    frag = c.get("/bencana/relawan/?fragment=1&skill=first_aid").content.decode()
    assert "<html" not in frag and "Suparman" in frag and "Siti Rahayu" not in frag


def test_detail_page_changes_status_and_records_a_certificate(world, two):
    a, _b = two
    c = client_for(world["m_mjk"])
    html = c.get(f"/bencana/relawan/{a.pk}/").content.decode()
    assert "Suparman" in html and "+6281234567890" in html
    _no_inline_script(html)
    r = c.post(f"/bencana/relawan/{a.pk}/", {"action": "status", "status": "resting", "reason": "Istirahat"})
    assert r.status_code == 302
    r = c.post(f"/bencana/relawan/{a.pk}/", {"action": "add_certificate", "kind": "certificate", "name": "PP Dasar",
                                             "skill": "first_aid", "issued_on": "2025-02-01", "expires_on": ""})
    a.refresh_from_db()
    assert a.status == "resting" and a.certificates.get().name == "PP Dasar"
    assert "PP Dasar" in c.get(f"/bencana/relawan/{a.pk}/").content.decode()


def test_registration_form_registers_and_shows_errors_at_the_field(world):
    c = client_for(world["m_mjk"])
    html = c.get("/bencana/relawan/daftar/").content.decode()
    assert 'name="nik"' in html and 'name="skills"' in html
    _no_inline_script(html)
    bad = c.post("/bencana/relawan/daftar/", {"name": "Suparman", "nik": "12345", "phone": "0812-3456-7890",
                                              "region_code": KEL_MJK})
    assert bad.status_code == 422 and 'id="r-nik-err"' in bad.content.decode()
    assert not Volunteer.objects.exists()
    ok = c.post("/bencana/relawan/daftar/", {"name": "Suparman", "nik": nik(), "phone": "0812-3456-7890",
                                             "region_code": KEL_MJK, "skills": ["first_aid", "wash"]})
    v = Volunteer.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/bencana/relawan/{v.pk}/"
    assert sorted(v.skills.values_list("code", flat=True)) == ["first_aid", "wash"]


def test_merge_queue_page_merges_with_one_click(world, reg):
    mine = reg(world["a_mjk"], name="Soeparman").volunteer
    theirs = reg(world["a_jabar"], name="Suparman S.", region_code=KEL_BKS, phone="081299998888").volunteer
    c = client_for(world["m_jabar"])
    html = c.get("/bencana/relawan/duplikat/").content.decode()
    assert "Soeparman" in html and "Suparman S." in html
    assert "+62812****7890" in html  # the other province's phone, masked
    _no_inline_script(html)
    cand = MatchCandidate.objects.get()
    r = c.post(f"/bencana/relawan/duplikat/{cand.pk}/", {"keep_id": mine.pk})
    assert r.status_code == 302
    assert Volunteer.objects.get(pk=theirs.pk).merged_into_id == mine.pk


def test_a_volunteer_reaches_only_their_own_page(world, reg, make_user):
    user = make_user("volunteer", world["mojokerto"], scope_code="35.76")
    mine = reg(world["a_mjk"], user_id=user.pk).volunteer
    other = reg(world["a_mjk"], name="Siti Rahayu", nik=nik(female=True, serial=2), phone="081233332222").volunteer
    c = client_for(user)
    assert c.get("/bencana/relawan/").status_code == 403
    assert c.get("/bencana/relawan/daftar/").status_code == 403
    r = c.get("/bencana/relawan/saya/")
    assert r.status_code == 302 and r["Location"] == f"/bencana/relawan/{mine.pk}/"
    html = c.get(f"/bencana/relawan/{mine.pk}/").content.decode()
    assert 'value="deployed"' not in html and 'value="resting"' in html
    assert c.get(f"/bencana/relawan/{other.pk}/").status_code == 404
