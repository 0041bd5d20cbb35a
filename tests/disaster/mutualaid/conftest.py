"""Three provinces for mutual aid tests: PMI DKI Jakarta (31), Jawa Barat (32) and Banten (36), each with a
disaster manager scoped to its province; Jabar has ambulances, a truck-less vehicle pool, and volunteers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from siaga.core.permissions import actor_for
from siaga.disaster.mutualaid import services
from siaga.disaster.volunteers.models import Volunteer
from siaga.dispatch.models import Unit

from tests.conftest import client_for


class World:
    def __init__(self, make_org, make_user):
        self.dki = make_org(kind="pmi_province", region_code="31", name="PMI DKI Jakarta")
        self.jabar = make_org(kind="pmi_province", region_code="32", name="PMI Jawa Barat")
        self.banten = make_org(kind="pmi_province", region_code="36", name="PMI Banten")
        self.users = {
            "dki": make_user("disaster_manager", self.dki, scope_code="31"),
            "jabar": make_user("disaster_manager", self.jabar, scope_code="32"),
            "banten": make_user("disaster_manager", self.banten, scope_code="36"),
            "dki_volunteer": make_user("volunteer", self.dki, scope_code="31"),
            "dki_call_taker": make_user("call_taker", self.dki, scope_code="31"),
        }
        self.amb1 = Unit.objects.create(organization=self.jabar, call_sign="AMB-JB-01", kind="ambulance_basic",
                                        region_code="32.75")
        self.amb2 = Unit.objects.create(organization=self.jabar, call_sign="AMB-JB-02", kind="ambulance_advanced",
                                        region_code="32.75")
        self.rescue = Unit.objects.create(organization=self.jabar, call_sign="RES-JB-01", kind="rescue",
                                          region_code="32.75")
        self.banten_amb = Unit.objects.create(organization=self.banten, call_sign="AMB-BT-01",
                                              kind="ambulance_basic", region_code="36.71")
        self.vol1 = Volunteer.objects.create(organization=self.jabar, region_code="32.75", name="Asep Sunandar",
                                             phone="+6281234567801")
        self.vol2 = Volunteer.objects.create(organization=self.jabar, region_code="32.75", name="Euis",
                                             phone="+6281234567802")
        self.banten_vol = Volunteer.objects.create(organization=self.banten, region_code="36.71", name="Ujang",
                                                   phone="+6281234567803")

    def actor(self, who: str):
        return actor_for(self.users[who])

    def client(self, who: str):
        return client_for(self.users[who])

    def request(self, *, lender=None, lines=None, who="dki", **kw):
        """A request from DKI to Jabar (by default) for 2 volunteers, 1 ambulance and 100 tarpaulins."""
        data = {
            "lender_id": (lender or self.jabar).pk,
            "lines": lines or [{"kind": "volunteers", "quantity": 2, "description": "Tim evakuasi air"},
                               {"kind": "ambulance", "quantity": 1},
                               {"kind": "items", "quantity": 100, "item_code": "HSHETARP", "description": "Terpal"}],
            "region_code": "31.71", "needed_from": timezone.now(), "needed_until": timezone.now() + dt.timedelta(days=3),
            "contact_name": "Budi", "contact_phone": "0812-1111-2222", "destination": "Posko GOR Tanah Abang",
        }
        data.update(kw)
        return services.create_request(self.actor(who), **data)

    def lent(self, r, *, volunteers=None, units=None, items=100):
        """What Jabar lends for the default request's lines."""
        lines = {ln.kind: ln for ln in r.lines.all()}
        out = []
        if "volunteers" in lines:
            out.append({"line_id": lines["volunteers"].pk,
                        "volunteer_ids": [v.pk for v in (volunteers if volunteers is not None else [self.vol1, self.vol2])]})
        if "ambulance" in lines:
            out.append({"line_id": lines["ambulance"].pk, "unit_ids": [u.pk for u in (units or [self.amb1])]})
        if "items" in lines and items:
            out.append({"line_id": lines["items"].pk, "item_code": "HSHETARP", "quantity": items})
        return out

    def advance(self, r, to: str):
        """Walk a request along the happy path from where it is to state `to`, each step by its rightful side."""
        happy = ["requested", "accepted", "dispatched", "arrived", "released", "returned"]
        actions = {"accepted": "accept", "dispatched": "dispatch", "arrived": "arrive", "released": "release",
                   "returned": "return"}
        r.refresh_from_db()
        if to in ("declined", "cancelled"):
            path = [{"declined": "decline", "cancelled": "cancel"}[to]]
        else:
            path = [actions[s] for s in happy[happy.index(r.state) + 1:happy.index(to) + 1]]
        for action in path:
            step(self, r, action)
        r.refresh_from_db()
        return r


def step(world: World, r, action: str, who: str | None = None, **kw):
    """Take one step as the side whose step it is (or as `who`)."""
    side = services.STEPS[action].side
    who = who or ("jabar" if side == "lender" else "dki")
    actor = world.actor(who)
    if action == "accept":
        kw.setdefault("resources", world.lent(r))
    if action == "decline":
        kw.setdefault("note", "Semua tim sedang bertugas")
    return services.ACTIONS[action](actor, r.pk, **kw)


@pytest.fixture
def world(db, regions, make_org, make_user):
    return World(make_org, make_user)
