"""The database-backed sliding-window rate limiter."""

import datetime as dt

import pytest
from django.test import RequestFactory
from django.utils import timezone

from siaga.callcenter import ratelimit
from siaga.callcenter.models import RateLimitHit

pytestmark = pytest.mark.django_db

RULE = ratelimit.Limit(3, 60)


def test_it_counts_up_to_the_limit_then_refuses_with_the_wait():
    t0 = timezone.now()
    for i in range(3):
        ratelimit.hit("b", RULE, now=t0 + dt.timedelta(seconds=10 * i))
    with pytest.raises(ratelimit.RateLimited) as exc:
        ratelimit.hit("b", RULE, now=t0 + dt.timedelta(seconds=25))
    assert exc.value.retry_after == 35 and exc.value.status == 429
    ratelimit.hit("b", RULE, now=t0 + dt.timedelta(seconds=60))  # the first hit has left the window
    assert RateLimitHit.objects.filter(bucket="b").count() == 4


def test_a_refused_request_counts_nowhere():
    t0 = timezone.now()
    ratelimit.hit_many([("full", ratelimit.Limit(1, 60)), ("free", RULE)], now=t0)
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.hit_many([("free", RULE), ("full", ratelimit.Limit(1, 60))], now=t0)
    assert RateLimitHit.objects.filter(bucket="free").count() == 1


def test_buckets_are_independent():
    t0 = timezone.now()
    for _ in range(3):
        ratelimit.hit("x", RULE, now=t0)
    ratelimit.hit("y", RULE, now=t0)


def test_old_hits_are_purged():
    t0 = timezone.now()
    ratelimit.hit("old", RULE, now=t0 - dt.timedelta(days=2))
    ratelimit.hit("new", RULE, now=t0)
    assert list(RateLimitHit.objects.values_list("bucket", flat=True)) == ["new"]


def test_limits_parse_and_default():
    assert ratelimit.Limit.parse("5/600") == ratelimit.Limit(5, 600)
    assert ratelimit.limit("report_number") == ratelimit.Limit(5, 600)
    assert ratelimit.limit("report_ip") == ratelimit.Limit(20, 3600)


def test_client_ip_ignores_forwarded_headers_unless_proxies_are_trusted(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8")
    assert ratelimit.client_ip(request) == "10.0.0.1"
    settings.SIAGA_TRUSTED_PROXIES = 1
    assert ratelimit.client_ip(request) == "5.6.7.8"
    settings.SIAGA_TRUSTED_PROXIES = 2
    assert ratelimit.client_ip(request) == "1.2.3.4"
    settings.SIAGA_TRUSTED_PROXIES = 3
    assert ratelimit.client_ip(request) == "10.0.0.1"
