"""Lent units followed live by both sides: who borrows a unit right now, and the mutual-aid events that carry a
lent unit's position and status to the request page of the borrower and of the lender.

While a request is in an active state (accepted, dispatched, arrived: see grants.py) the borrower follows the
units lent under it:

- the unit's own events ("unit.position", "unit.status" on the "units" topic) are shared with the borrower, so
  its dispatchers see the unit like one of their own (dispatch asks borrower_ids() here);
- a "mutual_aid.unit_position" / "mutual_aid.unit_status" event per active request goes to the "mutual_aid"
  topic, owned by the borrower and shared with the lender like every mutual-aid event, so the disaster managers
  on both sides (who have no dispatch permissions) see it on the request page.

When the borrower releases the help (or the request is cancelled) the grant ends and so does the sharing: the
next event is computed afresh and no longer names the borrower. Nothing is stored here.
"""

from __future__ import annotations

from siaga.core.events import emit, publish_transient

from .grants import active_q
from .models import MutualAidRequest, MutualAidResource


def active_requests_for_unit(unit_id: int) -> list[MutualAidRequest]:
    """The requests a unit is lent under right now (normally one)."""
    return list(MutualAidRequest.objects.filter(active_q(), pk__in=MutualAidResource.objects.filter(
        unit_id=unit_id).values("request_id")).only("pk", "organization_id", "lender_id", "region_code",
                                                    "lender_region_code").order_by("pk"))


def borrower_ids(unit_id: int) -> list[int]:
    """The organisations that borrow the unit right now (for the unit's own events' shared_with)."""
    return sorted({r.organization_id for r in active_requests_for_unit(unit_id)})


def _region(r: MutualAidRequest) -> str:
    from .services import _common_region

    return _common_region(r.region_code, r.lender_region_code)


def announce_position(unit, requests: list[MutualAidRequest] | None = None) -> None:
    """Tell both sides of every active request lending the unit where it is (transient, like unit.position)."""
    if unit.lat is None or unit.lng is None or unit.position_at is None:
        return
    for r in requests if requests is not None else active_requests_for_unit(unit.pk):
        publish_transient("mutual_aid.unit_position", {
            "id": unit.pk, "request_id": r.pk, "unit_id": unit.pk, "call_sign": unit.call_sign,
            "status": unit.status, "lat": unit.lat, "lng": unit.lng, "at": unit.position_at,
            "speed_kmh": unit.speed_kmh, "heading_deg": unit.heading_deg},
            organization=r.organization_id, region_code=_region(r), shared_with=[r.lender_id])


def announce_status(unit, previous_status: str, at, requests: list[MutualAidRequest] | None = None) -> None:
    """Tell both sides of every active request lending the unit that its status changed (an outbox event)."""
    for r in requests if requests is not None else active_requests_for_unit(unit.pk):
        emit("mutual_aid.unit_status", {
            "id": unit.pk, "request_id": r.pk, "unit_id": unit.pk, "call_sign": unit.call_sign,
            "status": unit.status, "previous_status": previous_status, "at": at},
            organization=r.organization_id, region_code=_region(r), shared_with=[r.lender_id])
