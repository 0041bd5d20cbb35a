"""Shared pieces of the public-side tests (reports, location links, AML, SMS): a call center, a clock, files."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from unittest import mock

from django.utils import timezone

from siaga.callcenter.taxonomy import seed_taxonomy
from siaga.core import tokens
from siaga.core.models import Membership, Organization, User
from siaga.geo.models import Region

_seq = itertools.count(1)

# A box around Kota Mojokerto (35.76), drawn as its boundary so GPS points find their region.
KOTA_MOJOKERTO_BOX = (112.40, -7.50, 112.47, -7.44)
IN_KOTA = (-7.4723, 112.4338)  # Jl. Mojopahit, Kranggan
IN_JAKARTA = (-6.1754, 106.8272)
OUTSIDE = (-12.4634, 130.8456)  # Darwin, Australia

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 200 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200
GIF = b"GIF89a" + b"\x00" * 200

SMS_SECRET = "rahasia-gateway-uji-0123456789"


def box(min_lng, min_lat, max_lng, max_lat) -> dict:
    return {"type": "Polygon", "coordinates": [[[min_lng, min_lat], [max_lng, min_lat], [max_lng, max_lat],
                                                 [min_lng, max_lat], [min_lng, min_lat]]]}


def draw_kota_mojokerto():
    Region.objects.filter(code="35.76").update(boundary=box(*KOTA_MOJOKERTO_BOX), updated_at=timezone.now())


def make_call_center(*, kind="cc112", region_code="35.76", name=None, phone="", lat=None, lng=None,
                     code=None) -> Organization:
    n = next(_seq)
    return Organization.objects.create(code=code or f"cc-{n}", name=name or f"Call Center {n}", kind=kind,
                                       region_code=region_code, phone=phone, lat=lat, lng=lng)


def make_member(org, role="call_taker", scope_code="") -> User:
    user = User.objects.create_user(username=f"pub{next(_seq)}", password="Rahasia-Siaga-2026")
    Membership.objects.create(user=user, organization=org, role=role, scope_code=scope_code)
    return user


def device_token(org, role="call_taker") -> str:
    """A bearer token of a device membership (the mobile network's AML feed, an SMS gateway)."""
    user = make_member(org, role)
    _tok, raw = tokens.issue(user.memberships.get(), "aml-feed")
    return raw


def setup_public(regions):
    """Taxonomy, Kota Mojokerto drawn, and its Call Center 112."""
    seed_taxonomy()
    draw_kota_mojokerto()
    return make_call_center(name="Call Center 112 Kota Mojokerto", phone="0321-112112")


class Clock:
    """A frozen, movable system clock: patches django.utils.timezone.now for everything that reads it."""

    def __init__(self, start: dt.datetime | None = None):
        self.now = start or timezone.now()

    def advance(self, **delta):
        self.now += dt.timedelta(**delta)
        return self.now


@contextlib.contextmanager
def frozen(start: dt.datetime | None = None):
    clock = Clock(start)
    with mock.patch("django.utils.timezone.now", side_effect=lambda: clock.now):
        yield clock
