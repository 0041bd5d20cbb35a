"""Isolation of positions: another organisation's crew cannot post positions for our unit nor read its track."""

from __future__ import annotations

import json

from django.utils import timezone

from siaga.dispatch.models import PositionReport, Unit
from tests.isolation import OrgIsolationSpec, _url


class TestUnitPositionIsolation(OrgIsolationSpec):
    role = "ambulance_crew"
    detail_urls = ["/api/dispatch/units/{id}/track"]
    # The unit is named in the body: "{id}" there is replaced by the record's id too (see the test below).
    write_requests = [
        ("post", "/api/dispatch/positions", {"unit_id": "{id}", "lat": -7.47, "lng": 112.43}),
        ("post", "/api/dispatch/positions/batch", {"unit_id": "{id}", "points": [{"lat": -7.47, "lng": 112.43}]}),
    ]

    def make_record(self, org):
        # Crewed without a roster: any crew member of the owner may report; nobody else.
        return Unit.objects.create(organization=org, call_sign=f"AMB-{org.pk}", kind="ambulance_basic",
                                   region_code=org.region_code, always_crewed=True)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.lat, record.lng, record.position_at,
                list(PositionReport.objects.filter(unit=record).values_list("pk", flat=True)))

    def test_it_refuses_writes_to_other_organisation(self, setting):
        at = timezone.now().isoformat()
        for method, template, body in self.write_requests:
            theirs = setting["theirs"]
            filled = json.loads(json.dumps(body).replace('"{id}"', str(theirs.pk)))
            if "points" in filled:
                filled["points"] = [{**p, "measured_at": at} for p in filled["points"]]
            else:
                filled["measured_at"] = at
            before = self.snapshot(theirs)
            r = getattr(setting["client"], method)(_url(template, theirs), data=json.dumps(filled),
                                                   content_type="application/json")
            assert r.status_code in (403, 404), (method, template, r.status_code, r.content)
            assert self.snapshot(theirs) == before
