"""Public reports are rate-limited per phone number and per client IP, answering 429 with Retry-After."""

import json

import pytest
from django.test import Client

from siaga.callcenter.models import Call, Incident
from tests.web.conftest import parse_markup

from .public_helpers import IN_KOTA, frozen, setup_public

pytestmark = pytest.mark.django_db


@pytest.fixture
def center(regions):
    return setup_public(regions)


def report(key, phone="081234567890", ip="203.0.113.5", **headers):
    data = {"type_code": "banjir", "phone": phone, "lat": IN_KOTA[0], "lng": IN_KOTA[1]}
    return Client(REMOTE_ADDR=ip).post("/api/public/reports", data=json.dumps(data), content_type="application/json",
                                       HTTP_IDEMPOTENCY_KEY=key, **headers)


def test_five_reports_per_number_in_ten_minutes_then_429_until_the_window_moves(center):
    with frozen() as clock:
        for i in range(5):
            assert report(f"k{i}", ip=f"203.0.113.{i}").status_code == 201
            clock.advance(seconds=30)
        refused = report("k5", ip="203.0.113.99")
        assert refused.status_code == 429
        err = refused.json()["error"]
        assert err["code"] == "rate_limited" and "112" in err["message"]
        # The first report leaves the window 10 minutes after it was counted: 600 - 150 s from now.
        assert refused["Retry-After"] == "450" and err["details"]["retry_after"] == 450
        assert Incident.objects.count() == 5
        clock.advance(seconds=449)
        assert report("k6", ip="203.0.113.98").status_code == 429
        clock.advance(seconds=2)
        assert report("k7", ip="203.0.113.97").status_code == 201
    assert Incident.objects.count() == 6


def test_another_number_is_not_held_back(center):
    with frozen():
        for i in range(5):
            report(f"a{i}", ip=f"198.51.100.{i}")
        assert report("b", phone="081299998888", ip="198.51.100.50").status_code == 201


def test_twenty_reports_per_ip_in_an_hour(center):
    with frozen() as clock:
        for i in range(20):
            assert report(f"ip{i}", phone=f"0812345678{i:02d}").status_code == 201
            clock.advance(seconds=60)
        r = report("ip20", phone="081299990000")
        assert r.status_code == 429 and int(r["Retry-After"]) == 3600 - 20 * 60
        assert report("other-ip", phone="081299990000", ip="192.0.2.1").status_code == 201
        clock.advance(minutes=40)
        assert report("ip21", phone="081299990001").status_code == 201


def test_a_retry_of_an_accepted_report_is_answered_even_when_the_limit_is_reached(center):
    with frozen():
        first = report("k0")
        for i in range(1, 5):
            report(f"k{i}")
        assert report("k5").status_code == 429
        again = report("k0")
    assert again.status_code == 200 and again.json()["tracking_token"] == first.json()["tracking_token"]


def test_limits_come_from_settings(center, settings):
    settings.SIAGA_RATE_LIMITS = {"report_number": "1/60"}
    with frozen() as clock:
        assert report("x1").status_code == 201
        assert report("x2").status_code == 429
        clock.advance(seconds=61)
        assert report("x3").status_code == 201


def test_behind_a_trusted_proxy_the_forwarded_address_counts(center, settings):
    settings.SIAGA_TRUSTED_PROXIES = 1
    settings.SIAGA_RATE_LIMITS = {"report_ip": "1/3600"}
    with frozen():
        assert report("p1", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.7").status_code == 201
        assert report("p2", phone="081299998888", ip="10.0.0.1",
                      HTTP_X_FORWARDED_FOR="other-spoof, 203.0.113.7").status_code == 429
        assert report("p3", phone="081299998887", ip="10.0.0.1",
                      HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 201


def test_the_web_form_answers_429_with_a_page(center, settings):
    import re

    settings.SIAGA_RATE_LIMITS = {"report_number": "1/600"}
    client = Client()
    with frozen() as clock:
        report("first")
        token = re.search(r'name="form_token" value="([^"]+)"', client.get("/lapor/").content.decode()).group(1)
        clock.advance(seconds=10)
        r = client.post("/lapor/", data={"type_code": "banjir", "phone": "081234567890", "lat": IN_KOTA[0],
                                         "lng": IN_KOTA[1], "form_token": token})
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    assert "112" in r.content.decode()
    assert not parse_markup(r.content.decode()).inline_scripts
    assert Call.objects.count() == 1
