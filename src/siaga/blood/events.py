"""Blood service event types and their payload schemas (topic "blood", needs blood.view).

Every event is emitted with the owning organisation and the site's region, so the live stream shows a
UDD its own units and a hospital its own blood bank. Stock events carry the counts of one cell
(site x component x group) so a dashboard redraws it without another request. Request, issue and
transfer events live in events_issue.py.
"""

from __future__ import annotations

from datetime import date, datetime

import pydantic

from siaga.core.events import event_type


@event_type("blood.component.status", topic="blood")
class ComponentStatusChanged(pydantic.BaseModel):
    component_id: int
    din: str
    component_type: str
    abo: str
    rhd: str
    site_id: int
    organization_id: int
    region_code: str
    from_status: str
    to_status: str
    expires_at: datetime
    moved_from_site_id: int | None = None


@event_type("blood.stock.changed", topic="blood")
class StockChanged(pydantic.BaseModel):
    site_id: int
    site_name: str
    organization_id: int
    region_code: str
    component_type: str
    abo: str
    rhd: str
    available: int
    reserved: int
    quarantine: int
    days_of_cover: float | None
    level: str  # "green" | "amber" | "red" | "" (no forecast)


@event_type("blood.stock.alert", topic="blood")
class StockAlertRaised(pydantic.BaseModel):
    site_id: int
    kind: str  # "shortage" | "near_expiry"
    component_type: str
    abo: str
    rhd: str
    level: str
    details: dict


@event_type("blood.donor.registered", topic="blood")
class DonorRegistered(pydantic.BaseModel):
    donor_id: int
    number: str
    abo: str
    rhd: str


@event_type("blood.donor.deferred", topic="blood")
class DonorDeferred(pydantic.BaseModel):
    donor_id: int
    deferral_id: int
    kind: str
    source: str
    reason_code: str
    ends_on: date | None


@event_type("blood.visit.checked", topic="blood")
class VisitChecked(pydantic.BaseModel):
    visit_id: int
    donor_id: int
    eligible: bool
    refusal_codes: list[str]


@event_type("blood.session.changed", topic="blood")
class SessionChanged(pydantic.BaseModel):
    session_id: int
    site_id: int
    kind: str
    name: str
    status: str
    starts_at: datetime


@event_type("blood.donation.recorded", topic="blood")
class DonationRecorded(pydantic.BaseModel):
    donation_id: int
    din: str
    site_id: int
    donor_id: int
    procedure: str
    volume_ml: int
    collected_at: datetime
    production_hint: list[str]


@event_type("blood.screening.result", topic="blood")
class ScreeningRecorded(pydantic.BaseModel):
    donation_id: int
    din: str
    marker: str
    result: str
    complete: bool


@event_type("blood.screening.completed", topic="blood")
class ScreeningCompleted(pydantic.BaseModel):
    donation_id: int
    din: str
    outcome: str  # "released" | "reactive"
    reactive_markers: list[str]
    components: int


@event_type("blood.lookback.raised", topic="blood")
class LookbackRaised(pydantic.BaseModel):
    lookback_id: int
    donor_id: int
    trigger_donation_id: int
    markers: list[str]
    items: int
    # Hospitals that received earlier units of this donor (they see this event).
    hospital_ids: list[int]
